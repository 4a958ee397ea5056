"""Feeds: autodiscovery in HTML, and parsing of RSS / Atom / RDF (feedparser), JSON Feed, OPML."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from crawlers.extract.article import norm_date
from crawlers.extract.links import absolutize, base_url

FEED_TYPES = {
    "application/rss+xml": "rss", "application/atom+xml": "atom", "application/rdf+xml": "rdf",
    "application/feed+json": "json", "application/json": "json", "text/xml": "rss",
    "application/xml": "rss", "text/x-opml": "opml", "text/x-opml+xml": "opml",
}
_FEEDISH = ("/feed", "/rss", "/atom", ".rss", ".atom", "/feed.xml", "/rss.xml", "/index.xml", "feed.json")


@dataclass(frozen=True)
class FeedLink:
    url: str
    kind: str  # rss | atom | rdf | json | opml
    title: str | None = None


@dataclass
class FeedEntry:
    url: str | None
    title: str | None
    date: str | None
    author: str | None
    categories: list[str] = field(default_factory=list)
    enclosures: list[str] = field(default_factory=list)


@dataclass
class Feed:
    kind: str  # rss | atom | rdf | json | opml | unknown
    title: str | None = None
    link: str | None = None
    language: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    outlines: list[FeedLink] = field(default_factory=list)  # OPML subscriptions
    bozo: bool = False  # the parser had to recover from malformed input


def discover_feeds(tree: lxml.html.HtmlElement | None, url: str) -> list[FeedLink]:
    """<link rel=alternate|outline> feeds, then feed-looking anchors, as absolute URLs."""
    if tree is None:
        return []
    base = base_url(tree, url)
    out: dict[str, FeedLink] = {}
    for el in tree.iter("link"):
        rel = set((el.get("rel") or "").lower().split())
        typ = (el.get("type") or "").lower().split(";")[0].strip()
        if not (rel & {"alternate", "outline", "feed"}) or typ not in FEED_TYPES:
            continue
        if typ in ("application/json", "text/xml", "application/xml") and "alternate" not in rel:
            continue
        u = absolutize(el.get("href") or "", base)
        if u and u not in out:
            out[u] = FeedLink(u, FEED_TYPES[typ], (el.get("title") or "").strip() or None)
    if not out:
        for a in tree.iter("a"):
            href = (a.get("href") or "").strip()
            if href.lower().rstrip("/").endswith(_FEEDISH):
                u = absolutize(href, base)
                if u and u not in out:
                    out[u] = FeedLink(u, "rss", None)
    return list(out.values())


def _opml(body: bytes) -> Feed:
    f = Feed(kind="opml")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        f.bozo = True
        return f
    f.title = (root.findtext("head/title") or "").strip() or None
    for o in root.iter("outline"):
        x = o.get("xmlUrl") or o.get("xmlurl")
        if x:
            t = o.get("title") or o.get("text")
            f.outlines.append(FeedLink(x.strip(), (o.get("type") or "rss").lower(), t))
    return f


def _json_feed(doc: dict[str, Any]) -> Feed:
    f = Feed(kind="json", title=doc.get("title"), link=doc.get("home_page_url"), language=doc.get("language"))
    for it in doc.get("items") or []:
        if not isinstance(it, dict):
            continue
        authors = it.get("authors") or ([it["author"]] if isinstance(it.get("author"), dict) else [])
        name = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
        f.entries.append(FeedEntry(url=it.get("url") or it.get("external_url"), title=it.get("title"),
                                   date=norm_date(it.get("date_published")), author=name,
                                   categories=[str(t) for t in it.get("tags") or []],
                                   enclosures=[str(a["url"]) for a in it.get("attachments") or []
                                               if isinstance(a, dict) and a.get("url")]))
    return f


def _rss_in_json(rss: dict[str, Any]) -> Feed:
    """Dave Winer's RSS-in-JSON: the RSS 2.0 element tree as JSON."""
    raw = rss.get("channel")
    ch: dict[str, Any] = raw if isinstance(raw, dict) else {}
    f = Feed(kind="json", title=ch.get("title"), link=ch.get("link"), language=ch.get("language"))
    items = ch.get("item") or []
    for it in items if isinstance(items, list) else [items]:
        if isinstance(it, dict):
            guid = it.get("guid") if isinstance(it.get("guid"), str) else None
            f.entries.append(FeedEntry(url=it.get("link") or guid, title=it.get("title"),
                                       date=norm_date(it.get("pubDate")), author=it.get("author")))
    return f


def parse_feed(body: bytes) -> Feed:
    """Parse any feed or OPML body; malformed input gives a best-effort ``Feed`` with ``bozo``."""
    head = body[:512].lstrip()
    if head.startswith(b"{"):
        try:
            doc = json.loads(body)
        except ValueError:
            return Feed(kind="json", bozo=True)
        if isinstance(doc, dict) and isinstance(doc.get("rss"), dict):
            return _rss_in_json(doc["rss"])
        return _json_feed(doc) if isinstance(doc, dict) else Feed(kind="json", bozo=True)
    if b"<opml" in body[:2048].lower():
        return _opml(body)
    import feedparser

    d = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    ver = str(d.get("version") or "")
    kind = "atom" if ver.startswith("atom") else "rdf" if ver in ("rss090", "rss10") else "rss" if ver else "unknown"
    feed = d.get("feed", {})
    f = Feed(kind=kind, title=feed.get("title"), link=feed.get("link"), language=feed.get("language"),
             bozo=bool(d.get("bozo")))
    for e in d.get("entries", []):
        f.entries.append(FeedEntry(
            url=e.get("link"), title=e.get("title"),
            date=norm_date(e.get("published") or e.get("updated") or e.get("created")) or _struct_date(e),
            author=e.get("author"), categories=[t.get("term") for t in e.get("tags", []) if t.get("term")],
            enclosures=[x.get("href") for x in e.get("enclosures", []) if x.get("href")]))
    return f


def _struct_date(e: Any) -> str | None:
    st = e.get("published_parsed") or e.get("updated_parsed")
    if st:
        return f"{st.tm_year:04d}-{st.tm_mon:02d}-{st.tm_mday:02d}"
    return None
