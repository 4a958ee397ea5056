"""Article fields: title, author, date, text, categories, tags.

Structured data (JSON-LD, OpenGraph/article:*, microdata via extruct) is read first, because
publishers state it on purpose; trafilatura supplies the main text and fills what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html

from crawlers.extract.html import meta, meta_all
from crawlers.extract.structured import Structured, types_of

_ARTICLE_TYPES = {"Article", "NewsArticle", "BlogPosting", "Report", "ReportageNewsArticle",
                  "AnalysisNewsArticle", "OpinionNewsArticle", "ReviewNewsArticle", "TechArticle",
                  "ScholarlyArticle", "LiveBlogPosting", "SocialMediaPosting", "Review", "WebPage",
                  "PodcastEpisode", "VideoObject", "Recipe", "BackgroundNewsArticle"}
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MAX_TEXT = 200_000


@dataclass
class Article:
    title: str | None = None
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD
    text: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    is_article: bool = False  # structured data or trafilatura call it an article


def _names(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        n = v.get("name")
        if isinstance(n, list):
            return [str(x) for x in n if x]
        if isinstance(n, str):
            return [n]
        if isinstance(n, dict):
            return _names(n)
        return []
    if isinstance(v, list):
        out: list[str] = []
        for x in v:
            out.extend(_names(x))
        return out
    return []


def _clean(s: str | None) -> str | None:
    if not s:
        return None
    s = " ".join(str(s).split()).strip(" ,;|")
    return s or None


def norm_date(s: Any) -> str | None:
    """``YYYY-MM-DD`` from ISO-like dates; ``None`` when not parseable or implausible."""
    if not isinstance(s, str):
        return None
    m = _DATE.search(s)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _split_list(v: Any) -> list[str]:
    if isinstance(v, list):
        out: list[str] = []
        for x in v:
            out.extend(_split_list(x))
        return out
    if isinstance(v, dict):
        return _names(v)
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[,;]", v) if p.strip()]
    return []


def _uniq(xs: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for x in xs:
        c = _clean(x)
        if c and c.lower() not in seen:
            seen[c.lower()] = c
    return list(seen.values())


def article_nodes(sd: Structured) -> list[dict[str, Any]]:
    return [n for n in sd.nodes() if types_of(n) & _ARTICLE_TYPES]


def title(tree: lxml.html.HtmlElement | None, sd: Structured) -> str | None:
    for n in article_nodes(sd):
        for k in ("headline", "name"):
            if isinstance(n.get(k), str) and n[k].strip() and not types_of(n) >= {"WebPage"}:
                return _clean(n[k])
    v = sd.og("og:title")
    if v:
        return _clean(v)
    if tree is not None:
        v = meta(tree, "twitter:title")
        if v:
            return _clean(v)
    return None


def author(tree: lxml.html.HtmlElement | None, sd: Structured) -> str | None:
    for n in article_nodes(sd):
        names = [x for x in _names(n.get("author") or n.get("creator")) if x and not x.startswith("http")]
        if names:
            return _clean("; ".join(_uniq(names)))
    if tree is not None:
        v = meta(tree, "author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
        if v and not v.startswith("http"):
            return _clean(v)
    return None


def date(tree: lxml.html.HtmlElement | None, sd: Structured) -> str | None:
    for n in article_nodes(sd):
        for k in ("datePublished", "dateCreated", "uploadDate"):
            d = norm_date(n.get(k))
            if d:
                return d
    if tree is not None:
        d = norm_date(meta(tree, "article:published_time", "og:published_time", "datepublished",
                           "date", "dc.date", "dc.date.issued", "dcterms.date", "publish-date",
                           "pubdate", "sailthru.date", "parsely-pub-date"))
        if d:
            return d
    return None


def categories(tree: lxml.html.HtmlElement | None, sd: Structured) -> list[str]:
    out: list[str] = []
    for n in article_nodes(sd):
        out.extend(_split_list(n.get("articleSection")))
    if tree is not None:
        out.extend(meta_all(tree, "article:section"))
    return _uniq(out)


def tags(tree: lxml.html.HtmlElement | None, sd: Structured) -> list[str]:
    out: list[str] = []
    for n in article_nodes(sd):
        out.extend(_split_list(n.get("keywords")))
    if tree is not None:
        out.extend(meta_all(tree, "article:tag"))
    return _uniq(out)


def _trafilatura(html: str | lxml.html.HtmlElement, url: str, fast: bool, text: bool) -> Any:
    import trafilatura
    from trafilatura.metadata import extract_metadata

    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          fast=fast)
        # trafilatura gives nothing when it finds no main text: keep the metadata anyway
        return doc if doc is not None else extract_metadata(html, default_url=url)
    except Exception:  # noqa: BLE001 - hostile markup must never stop a crawl
        return None


_BYLINE = re.compile(r"^(?:by|von|vom|par|por|di|door|af|av)\s+", re.I)


def clean_author(s: str | None) -> str | None:
    s = _clean(s)
    if not s:
        return None
    s = _BYLINE.sub("", s)
    return None if s.startswith(("http://", "https://")) else s


def extract_article(tree: lxml.html.HtmlElement | None, html: str, url: str, sd: Structured,
                    *, text: bool = True, fast: bool = True) -> Article:
    """Article fields of a page.

    Title, author and date: trafilatura first (it weighs JSON-LD, meta tags and bylines; on the
    trafilatura_eval set it beats structured data alone), then structured data for gaps.
    Categories and tags: structured data first (publishers state them there on purpose).
    """
    a = Article(categories=categories(tree, sd), tags=tags(tree, sd),
                is_article=bool(article_nodes(sd)) or sd.og("og:type") == "article")
    doc = _trafilatura(html, url, fast, text)
    if doc is not None:
        a.text = ((getattr(doc, "text", None) or "")[:_MAX_TEXT] or None) if text else None
        a.title = _clean(doc.title)
        a.author = clean_author(doc.author)
        a.date = norm_date(doc.date)
        if not a.categories:
            a.categories = _uniq(list(doc.categories or []))
        if not a.tags:
            a.tags = _uniq(list(doc.tags or []))
        if getattr(doc, "pagetype", None) == "article":
            a.is_article = True
    a.title = a.title or title(tree, sd)
    a.author = a.author or clean_author(author(tree, sd))
    a.date = a.date or date(tree, sd)
    return a
