"""One HTML page in, every field out: the combination the spider and ``partnergraph extract`` use."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawlers.extract.affiliate import AffiliateLink, extract_affiliate
from crawlers.extract.article import Article, extract_article
from crawlers.extract.domains import is_creator_site, is_link_in_bio
from crawlers.extract.feeds import FeedLink, discover_feeds
from crawlers.extract.html import decode, looks_binary, parse
from crawlers.extract.identity import Identity, creator_bio, extract_identity
from crawlers.extract.links import Link, all_links, internal, outbound
from crawlers.extract.social import SocialAccount, extract_social
from crawlers.extract.sponsored import Sponsored, extract_sponsored
from crawlers.extract.structured import extract_structured

_HANDLE = re.compile(r"^@([A-Za-z0-9_.\-]{2,64})$")


@dataclass
class PageExtract:
    url: str
    identity: Identity
    article: Article
    outbound_links: list[Link] = field(default_factory=list)
    social_accounts: list[SocialAccount] = field(default_factory=list)
    sponsored: Sponsored = field(default_factory=Sponsored)
    affiliate_links: list[AffiliateLink] = field(default_factory=list)
    feeds: list[FeedLink] = field(default_factory=list)
    internal_links: list[str] = field(default_factory=list)
    is_home: bool = False
    is_creator: bool = False
    handle: str | None = None
    bio: str | None = None  # a creator page's self-description
    error: str | None = None  # "binary", "unparseable": the page gave nothing

    def to_json(self) -> dict[str, Any]:
        """The ``partnergraph extract --json`` record (one JSON object per page)."""
        a, i = self.article, self.identity
        return {
            "url": self.url, "site": i.site, "domain": i.domain, "site_name": i.name,
            "title": a.title, "author": a.author, "date": a.date, "text": a.text,
            "language": i.language, "country": i.country, "description": i.description,
            "categories": a.categories, "tags": a.tags,
            "outbound_links": [lk.url for lk in self.outbound_links],
            "social_accounts": [{"platform": s.platform, "handle": s.handle, "url": s.url}
                                for s in self.social_accounts],
            "sponsored": {"is_sponsored": self.sponsored.is_sponsored, "reasons": self.sponsored.reasons,
                          "disclosure": self.sponsored.disclosure,
                          "disclosure_language": self.sponsored.disclosure_language,
                          "sponsor_links": self.sponsored.sponsor_links},
            "affiliate_links": [{k: v for k, v in asdict(x).items()} | {"brand_id": x.brand_id}
                                for x in self.affiliate_links],
            "feeds": [{"url": f.url, "kind": f.kind} for f in self.feeds],
            "is_article": a.is_article, "is_home": self.is_home, "is_creator": self.is_creator,
            "handle": self.handle, "bio": self.bio, "error": self.error,
        }


def _handle(tree: Any, url: str, site: str | None) -> str | None:
    if tree is not None:
        for el in tree.iter("h1", "h2"):
            t = " ".join((el.text_content() or "").split())
            m = _HANDLE.match(t)
            if m:
                return m.group(1).lower()
    if site and "/" in site:
        return site.split("/", 1)[1]
    if site:
        return site.split(".", 1)[0]
    return None


def extract_page(body: bytes | str, url: str, *, content_type: str | None = None,
                 content_language: str | None = None, text: bool = True, fast: bool = True) -> PageExtract:
    """Extract every field of one HTML page. Never raises on bad input; sets ``error`` instead."""
    path = urlsplit(url).path
    is_home = path in ("", "/", "/index.html", "/index.htm")
    if isinstance(body, bytes) and looks_binary(body):
        ident = extract_identity(None, url)
        return PageExtract(url=url, identity=ident, article=Article(), is_home=is_home, error="binary")
    html = decode(body, content_type)
    tree = parse(html)
    sd = extract_structured(tree, url)
    ident = extract_identity(tree, url, sd, is_home=is_home, content_language=content_language)
    links = all_links(tree, url)
    out_links = outbound(links, url)
    hrefs = [lk.url for lk in out_links]
    socials = extract_social(hrefs)
    social_urls = {s.url for s in socials}
    affiliates = extract_affiliate(hrefs)
    sponsored = extract_sponsored(tree, url, [(lk.url, lk.text, lk.rel) for lk in out_links])
    feeds = discover_feeds(tree, url)
    creator = is_creator_site(ident.site)
    own = ident.site
    out_set = set(out_links)
    inner = [lk.url for lk in links if lk not in out_set and own is not None]
    article = Article()
    if tree is not None and not is_link_in_bio(ident.site):
        # trafilatura last: it may alter the tree it is given, so it gets the text
        article = extract_article(tree, html, url, sd, text=text, fast=fast)
    elif tree is not None:
        article = Article(title=(tree.findtext(".//title") or "").strip() or None)
    page = PageExtract(
        url=url, identity=ident, article=article,
        outbound_links=[lk for lk in out_links if lk.url not in social_urls],
        social_accounts=socials, sponsored=sponsored, affiliate_links=affiliates, feeds=feeds,
        internal_links=inner, is_home=is_home, is_creator=creator,
        handle=_handle(tree, url, ident.site) if creator else None,
        bio=creator_bio(tree, sd) if creator else None,
        error=None if tree is not None else "unparseable",
    )
    return page


def page_links(body: bytes | str, url: str, content_type: str | None = None) -> list[str]:
    """Internal links of a page, without extracting anything else (revalidated, unchanged pages)."""
    if isinstance(body, bytes) and looks_binary(body):
        return []
    return [lk.url for lk in internal(all_links(parse(decode(body, content_type)), url), url)]
