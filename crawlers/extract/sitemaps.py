"""XML sitemaps and sitemap indexes, with a bomb guard (bytes, URLs and nesting depth)."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field

from lxml import etree

#: Sitemaps.org limits: 50,000 URLs and 50 MB uncompressed per file.
MAX_BYTES = 50 * 1024 * 1024
MAX_URLS = 50_000
MAX_DEPTH = 3  # index -> index -> urlset is already unusual


@dataclass
class Sitemap:
    kind: str  # urlset | sitemapindex | invalid
    urls: list[tuple[str, str | None]] = field(default_factory=list)  # (loc, lastmod)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of an index
    truncated: bool = False
    error: str | None = None


def _gunzip(body: bytes, limit: int) -> tuple[bytes, bool]:
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
        data = f.read(limit + 1)
    return data[:limit], len(data) > limit


def parse_sitemap(body: bytes, *, max_bytes: int = MAX_BYTES, max_urls: int = MAX_URLS) -> Sitemap:
    """Parse a (possibly gzipped) sitemap; oversize input is cut and flagged, never fatal."""
    truncated = False
    if body[:2] == b"\x1f\x8b":
        try:
            body, truncated = _gunzip(body, max_bytes)
        except (OSError, EOFError):
            return Sitemap(kind="invalid", error="bad gzip")
    elif len(body) > max_bytes:
        body, truncated = body[:max_bytes], True
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return Sitemap(kind="invalid", error="not XML", truncated=truncated)
    tag = etree.QName(root).localname.lower() if isinstance(root.tag, str) else ""
    if tag not in ("urlset", "sitemapindex"):
        return Sitemap(kind="invalid", error=f"root <{tag}>", truncated=truncated)
    sm = Sitemap(kind=tag, truncated=truncated)
    child = "url" if tag == "urlset" else "sitemap"
    for el in root:
        if not isinstance(el.tag, str) or etree.QName(el).localname.lower() != child:
            continue
        loc = lastmod = None
        for sub in el:
            if not isinstance(sub.tag, str):
                continue
            name = etree.QName(sub).localname.lower()
            if name == "loc" and sub.text:
                loc = sub.text.strip()
            elif name == "lastmod" and sub.text:
                lastmod = sub.text.strip()
        if not loc or not loc.startswith(("http://", "https://")):
            continue
        if len(sm.urls) + len(sm.sitemaps) >= max_urls:
            sm.truncated = True
            break
        if tag == "urlset":
            sm.urls.append((loc, lastmod))
        else:
            sm.sitemaps.append(loc)
    return sm
