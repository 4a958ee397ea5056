"""Registrable domains (bundled public suffix list) and the site key of a URL.

Link-in-bio and hosted-blog services give each creator a subdomain (``anna.bio.link``) or a
path (``linktr.ee/anna``); for those the site is the creator, not the service.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()

#: Services where each subdomain is a different creator.
CREATOR_SUBDOMAIN_HOSTS = frozenset({
    "bio.link", "carrd.co", "substack.com", "wordpress.com", "blogspot.com", "tumblr.com",
    "medium.com", "ghost.io", "podbean.com", "buzzsprout.com", "mystrikingly.com", "wixsite.com",
    "start.page", "bio.site", "linkr.bio", "hoo.be", "campsite.bio", "tap.bio",
})
#: Services where the first path segment is the creator.
CREATOR_PATH_HOSTS = frozenset({
    "linktr.ee", "beacons.ai", "lnk.bio", "linkin.bio", "allmylinks.com", "bio.fm", "solo.to",
    "msha.ke", "snipfeed.co", "stan.store", "withkoji.com", "koji.to", "flowcode.com",
    "komi.io", "later.com", "taplink.cc", "direct.me", "lnk.to", "heylink.me", "biolinky.co",
})


@lru_cache(maxsize=65536)
def registrable_domain(host: str | None) -> str | None:
    """``www.bbc.co.uk`` -> ``bbc.co.uk``; ``None`` for IPs, ``localhost`` and junk."""
    if not host:
        return None
    host = host.strip().strip(".").lower()
    if ":" in host:
        host = host.split(":", 1)[0]
    if not host or host.replace(".", "").isdigit() or "." not in host:
        return None
    return _PSL.privatesuffix(host)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


@lru_cache(maxsize=65536)
def _site_key(host: str, first_segment: str) -> str | None:
    reg = registrable_domain(host)
    if reg is None:
        return None
    base = _strip_www(host)
    if reg in CREATOR_PATH_HOSTS or base in CREATOR_PATH_HOSTS:
        return f"{base}/{first_segment.lower()}" if first_segment else base
    for svc in CREATOR_SUBDOMAIN_HOSTS:
        if base.endswith("." + svc):
            return base
    return reg


def site_key(url: str) -> str | None:
    """The partner a URL belongs to: a registrable domain, or a creator's page on a service."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    seg = parts.path.strip("/").split("/", 1)[0]
    return _site_key(host, seg)


def is_creator_site(key: str | None) -> bool:
    """True when a site key names a creator page on a link-in-bio or hosted-blog service."""
    if not key:
        return False
    if "/" in key:
        return True
    return any(key.endswith("." + s) for s in CREATOR_SUBDOMAIN_HOSTS)


#: Link-in-bio services: a page of buttons, not articles.
LINK_IN_BIO_HOSTS = frozenset({
    "bio.link", "carrd.co", "linktr.ee", "beacons.ai", "lnk.bio", "linkin.bio", "allmylinks.com",
    "bio.fm", "solo.to", "msha.ke", "snipfeed.co", "stan.store", "withkoji.com", "koji.to", "komi.io",
    "taplink.cc", "direct.me", "heylink.me", "biolinky.co", "start.page", "bio.site", "linkr.bio",
    "hoo.be", "campsite.bio", "tap.bio", "later.com", "flowcode.com", "lnk.to",
})


def is_link_in_bio(key: str | None) -> bool:
    if not key:
        return False
    base = key.split("/", 1)[0]
    return any(base == s or base.endswith("." + s) for s in LINK_IN_BIO_HOSTS)


def same_site(a: str, b: str) -> bool:
    ka, kb = site_key(a), site_key(b)
    return ka is not None and ka == kb
