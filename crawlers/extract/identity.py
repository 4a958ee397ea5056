"""Publisher identity: name, registrable domain / site key, language, country, description."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html

from crawlers.extract.domains import registrable_domain, site_key
from crawlers.extract.html import meta
from crawlers.extract.structured import Structured, types_of

#: country-code TLDs that say little about a publisher's country
_GENERIC_CC = {"io", "co", "tv", "me", "ai", "fm", "ly", "to", "cc", "gg", "ws", "app", "link", "bio"}
_TITLE_SPLIT = re.compile(r"\s+[|\u2013\u2014\-:·•»]\s+")


@dataclass
class Identity:
    site: str | None
    domain: str | None
    name: str | None
    language: str | None
    country: str | None
    description: str | None


def language(tree: lxml.html.HtmlElement | None, sd: Structured | None = None,
             content_language: str | None = None) -> str | None:
    """Primary language subtag (``fr``) from <html lang>, og:locale, JSON-LD or the header."""
    cands: list[str | None] = []
    if tree is not None:
        cands.append(tree.get("lang") or tree.get("xml:lang"))
        cands.append(meta(tree, "og:locale", "content-language", "language", "dc.language"))
    if sd is not None:
        cands.append(sd.og("og:locale"))
        for n in sd.jsonld:
            v = n.get("inLanguage")
            if isinstance(v, str):
                cands.append(v)
    cands.append(content_language)
    for c in cands:
        if c:
            m = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_]|\s|$|,)", c)
            if m:
                return m.group(1).lower()
    return None


def country(tree: lxml.html.HtmlElement | None, url: str, sd: Structured | None = None) -> str | None:
    """ISO country from a regional locale (``fr_BE``) or a country-code TLD (``.de``)."""
    loc = None
    if tree is not None:
        loc = tree.get("lang") or meta(tree, "og:locale")
    if not loc and sd is not None:
        loc = sd.og("og:locale")
    if loc:
        m = re.match(r"^[A-Za-z]{2,3}[-_]([A-Za-z]{2})\b", loc.strip())
        if m:
            return m.group(1).upper()
    dom = registrable_domain(url.split("/")[2] if "//" in url else url) or ""
    tld = dom.rsplit(".", 1)[-1]
    if len(tld) == 2 and tld not in _GENERIC_CC:
        return "GB" if tld == "uk" else tld.upper()
    return None


def site_name(tree: lxml.html.HtmlElement | None, sd: Structured | None = None,
              *, is_home: bool = False) -> str | None:
    """og:site_name, JSON-LD Organization/WebSite name, application-name, or the home title."""
    if sd is not None:
        v = sd.og("og:site_name")
        if v:
            return v
        for n in sd.jsonld:
            if types_of(n) & {"WebSite", "NewsMediaOrganization", "Organization"} and isinstance(n.get("name"), str):
                return n["name"].strip()
        for n in sd.jsonld:
            pub = n.get("publisher")
            if isinstance(pub, dict) and isinstance(pub.get("name"), str):
                return pub["name"].strip()
    if tree is not None:
        v = meta(tree, "application-name")
        if v:
            return v
        if is_home:
            t = tree.findtext(".//title")
            if t and t.strip():
                return _TITLE_SPLIT.split(t.strip())[0].strip()
    return None


def description(tree: lxml.html.HtmlElement | None, sd: Structured | None = None) -> str | None:
    if tree is not None:
        v = meta(tree, "description", "og:description", "twitter:description")
        if v:
            return v[:1000]
    return None


_BIO_ATTR = re.compile(r"(?:^|[\s_-])(?:bio|biography|tagline|profilebio|user-description)(?:$|[\s_-])", re.I)
_BIO_TAGS = ("p", "div", "span", "h2", "h3", "section", "header")


def creator_bio(tree: lxml.html.HtmlElement | None, sd: Structured | None = None) -> str | None:
    """A creator's own words about themselves: the element a link-in-bio or profile page marks
    as the bio (class, id or data-testid ``bio``, ``tagline``...), else a JSON-LD Person or
    ProfilePage ``description``. At most 1,000 characters."""
    if tree is not None:
        for el in tree.iter(*_BIO_TAGS):
            attrs = " ".join(el.get(a) or "" for a in ("class", "id", "data-testid"))
            if attrs.strip() and _BIO_ATTR.search(attrs):
                text = " ".join((el.text_content() or "").split())
                if len(text) >= 3:
                    return text[:1000]
    if sd is not None:
        for n in sd.jsonld:
            d = n.get("description")
            if types_of(n) & {"Person", "ProfilePage"} and isinstance(d, str) and d.strip():
                return " ".join(d.split())[:1000]
    return None


def extract_identity(tree: lxml.html.HtmlElement | None, url: str, sd: Structured | None = None,
                     *, is_home: bool = False, content_language: str | None = None) -> Identity:
    key = site_key(url)
    host = url.split("/")[2] if "//" in url else url
    return Identity(site=key, domain=registrable_domain(host), name=site_name(tree, sd, is_home=is_home),
                    language=language(tree, sd, content_language), country=country(tree, url, sd),
                    description=description(tree, sd))


__all__ = ["Identity", "country", "creator_bio", "description", "extract_identity", "language", "site_name"]
