"""Links of a page: absolute, de-duplicated, split into internal and outbound (other sites)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html

from crawlers.extract.domains import site_key
from crawlers.extract.html import anchors


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    rel: frozenset[str]


def base_url(tree: lxml.html.HtmlElement | None, url: str) -> str:
    if tree is not None:
        for b in tree.iter("base"):
            href = (b.get("href") or "").strip()
            if href:
                try:
                    return urljoin(url, href)
                except ValueError:
                    return url
    return url


def absolutize(href: str, base: str) -> str | None:
    """Absolute http(s) URL without fragment, or ``None`` (mailto:, javascript:, junk)."""
    try:
        u = urljoin(base, href.strip())
        p = urlsplit(u)
    except ValueError:
        return None
    if p.scheme not in ("http", "https") or not p.hostname:
        return None
    return urlunsplit((p.scheme, p.netloc.lower(), p.path or "/", p.query, ""))


def all_links(tree: lxml.html.HtmlElement | None, url: str) -> list[Link]:
    if tree is None:
        return []
    base = base_url(tree, url)
    seen: dict[str, Link] = {}
    for href, text, rel in anchors(tree):
        u = absolutize(href, base)
        if u is not None and u not in seen:
            seen[u] = Link(u, text, rel)
    return list(seen.values())


def outbound(links: list[Link], url: str) -> list[Link]:
    """Links to another site than ``url``'s."""
    own = site_key(url)
    return [lk for lk in links if site_key(lk.url) not in (own, None)]


def internal(links: list[Link], url: str) -> list[Link]:
    own = site_key(url)
    return [lk for lk in links if own is not None and site_key(lk.url) == own]
