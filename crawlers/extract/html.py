"""Decode and parse HTML once, robustly (bad encodings, malformed markup, huge or binary bodies)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

#: Larger HTML is cut before parsing: extraction cost must stay bounded per page.
MAX_HTML_CHARS = 3_000_000
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def looks_binary(body: bytes, sample: int = 2048) -> bool:
    """True for content that is not text (images, archives, PDFs served as text/html)."""
    head = body[:sample]
    if not head:
        return False
    if head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")):
        return True
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return False
    return len(_BINARY.findall(head)) > len(head) * 0.05


def decode(body: bytes | str, content_type: str | None = None) -> str:
    """Text of a body: BOM, then the Content-Type charset, then <meta charset>, then detection."""
    if isinstance(body, str):
        return body
    header = f"charset={content_type.split('charset=')[-1]}" if content_type and "charset=" in content_type else None
    _enc, text = html_to_unicode(header, body)
    return text


def parse(text: str) -> lxml.html.HtmlElement | None:
    """An lxml tree, or ``None`` when nothing parseable is left (empty, binary, only comments)."""
    text = text[:MAX_HTML_CHARS].replace("\x00", "")
    if not text.strip():
        return None
    # lxml refuses str input that declares an encoding
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    return tree


def meta(tree: lxml.html.HtmlElement, *names: str) -> str | None:
    """First non-empty <meta name|property=...> content among ``names`` (case-insensitive)."""
    want = {n.lower() for n in names}
    found: dict[str, str] = {}
    for m in tree.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        if key in want and key not in found:
            content = (m.get("content") or "").strip()
            if content:
                found[key] = content
    for n in names:
        if n.lower() in found:
            return found[n.lower()]
    return None


def meta_all(tree: lxml.html.HtmlElement, name: str) -> list[str]:
    out = []
    for m in tree.iter("meta"):
        key = (m.get("property") or m.get("name") or "").strip().lower()
        if key == name and (m.get("content") or "").strip():
            out.append((m.get("content") or "").strip())
    return out


def anchors(tree: lxml.html.HtmlElement) -> list[tuple[str, str, frozenset[str]]]:
    """(href, text, rel tokens) of every <a href> and <area href>, in document order."""
    out = []
    for el in tree.iter("a", "area"):
        href = (el.get("href") or "").strip()
        if not href:
            continue
        rel = frozenset((el.get("rel") or "").lower().split())
        text = " ".join((el.text_content() or "").split()) if el.tag == "a" else ""
        if not text:
            text = (el.get("aria-label") or el.get("title") or "").strip()
        out.append((href, text, rel))
    return out
