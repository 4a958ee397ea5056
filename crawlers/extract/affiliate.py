"""Affiliate links of the major networks and programmes, with the affiliate (publisher) id.

Each rule reads the network's own URL shape; ``brand_domain`` is the merchant's registrable
domain when the link carries its destination (``ued=``, ``murl=``, ``url=``...) or the merchant
is the host itself (Amazon, eBay).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from crawlers.extract.domains import registrable_domain


@dataclass(frozen=True)
class AffiliateLink:
    url: str
    network: str  # awin, amazon, impact, cj, rakuten, shareasale, skimlinks, ...
    affiliate_id: str | None  # the publisher's id at the network
    merchant_id: str | None = None  # the advertiser's id at the network
    destination: str | None = None
    brand_domain: str | None = None
    brand_hint: str | None = None  # a merchant name seen in the URL (impact vanity hosts)

    @property
    def brand_id(self) -> str:
        """Graph id of the promoted brand: by domain when known, else by network programme."""
        if self.brand_domain:
            return f"brand:{self.brand_domain}"
        if self.brand_hint:
            return f"brand:{self.network}:{self.brand_hint}"
        return f"brand:{self.network}:{self.merchant_id or 'unknown'}"


_CJ_HOSTS = frozenset({
    "anrdoezrs.net", "tkqlhce.com", "jdoqocy.com", "dpbolvw.net", "kqzyfj.com", "qksrv.net",
    "emjcd.com", "ftjcfx.com", "lduhtrp.net", "tqlkg.com", "awltovhc.com", "yceml.net",
    "afcyhf.com", "vofzpwh.com", "mjbpab.com", "cj.com",
})
_IMPACT_SUFFIXES = ("sjv.io", "pxf.io", "evyy.net", "7eer.net", "ojrq.net", "r7pn.net", "mvvb.net",
                    "uymp.net", "ztk5.net", "bvvn.net", "impactradius-go.com")
_IMPACT_NUMBERED = re.compile(r"^imp\.i\d+\.net$")
_IMPACT_PATH = re.compile(r"^/c/(\d+)/(\d+)/(\d+)")
_CJ_CLICK = re.compile(r"^/click-(\d+)-(\d+)")
_CJ_LINKS = re.compile(r"^/links/(\d+)/")
_AMAZON = re.compile(r"^(?:www\.|smile\.)?amazon\.(?:com|ca|com\.mx|com\.br|co\.uk|de|fr|it|es|nl|se|pl|com\.be|co\.jp|in|com\.au|sg|ae|sa|com\.tr|eg)$")
_EBAY = re.compile(r"^(?:www\.)?ebay\.[a-z.]+$")


def _q(query: str) -> dict[str, str]:
    return {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=False).items() if v}


def _dest(q: dict[str, str], *names: str) -> tuple[str | None, str | None]:
    for n in names:
        v = q.get(n)
        if v:
            u = unquote(v) if "%3a" in v.lower() else v
            if u.startswith("//"):
                u = "https:" + u
            if not u.startswith(("http://", "https://")):
                u = "https://" + u
            try:
                return u, registrable_domain(urlsplit(u).hostname)
            except ValueError:
                return u, None
    return None, None


def parse_affiliate(url: str) -> AffiliateLink | None:
    """The affiliate programme behind ``url``, or ``None`` for an ordinary link."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    q = _q(parts.query)
    path = parts.path
    reg = registrable_domain(host) or host
    if reg == "awin1.com":
        dest, dom = _dest(q, "ued", "p")
        aff = q.get("awinaffid") or q.get("id")
        return AffiliateLink(url, "awin", aff, q.get("awinmid") or q.get("mid"), dest, dom)
    if _AMAZON.match(host) and "tag" in q:
        return AffiliateLink(url, "amazon", q["tag"], None, None, reg)
    if host in ("amzn.to", "amzn.eu"):
        return AffiliateLink(url, "amazon", None, None, None, "amazon.com")
    if reg in ("linksynergy.com",):
        dest, dom = _dest(q, "murl", "rd")
        return AffiliateLink(url, "rakuten", q.get("id"), q.get("mid") or q.get("offerid"), dest, dom)
    if reg == "shareasale.com" and (path.endswith("r.cfm") or path.endswith("m-pr.cfm")):
        dest, dom = _dest(q, "urllink")
        return AffiliateLink(url, "shareasale", q.get("u") or q.get("userid"),
                             q.get("m") or q.get("merchantid"), dest, dom)
    if reg in ("skimresources.com", "redirectingat.com"):
        dest, dom = _dest(q, "url")
        return AffiliateLink(url, "skimlinks", q.get("id"), None, dest, dom)
    if reg in _CJ_HOSTS:
        m = _CJ_CLICK.match(path)
        if m:
            return AffiliateLink(url, "cj", m.group(1), m.group(2))
        m2 = _CJ_LINKS.match(path)
        if m2:
            dest, dom = _dest(q, "url")
            return AffiliateLink(url, "cj", m2.group(1), None, dest, dom)
        return None
    m = _IMPACT_PATH.match(path)
    if m and (reg in _IMPACT_SUFFIXES or _IMPACT_NUMBERED.match(host)):
        dest, dom = _dest(q, "u")
        hint = host.split(".")[0] if reg in ("sjv.io", "pxf.io") or host.endswith((".sjv.io", ".pxf.io")) else None
        return AffiliateLink(url, "impact", m.group(1), m.group(2), dest, dom, hint)
    if reg == "prf.hn":  # Partnerize: /click/camref:XXXX/destination:URL
        cam = re.search(r"camref:([A-Za-z0-9]+)", path)
        d = re.search(r"destination:(.+)$", path)
        dest = unquote(d.group(1)) if d else None
        return AffiliateLink(url, "partnerize", cam.group(1) if cam else None, None, dest,
                             registrable_domain(urlsplit(dest).hostname) if dest else None)
    if reg == "tradedoubler.com":
        dest, dom = _dest(q, "url")
        return AffiliateLink(url, "tradedoubler", q.get("a"), q.get("p"), dest, dom)
    if reg == "webgains.com":
        dest, dom = _dest(q, "wgtarget")
        return AffiliateLink(url, "webgains", q.get("wgcampaignid"), q.get("wgprogramid"), dest, dom)
    if reg == "viglink.com":
        dest, dom = _dest(q, "u")
        return AffiliateLink(url, "sovrn", q.get("key"), None, dest, dom)
    if reg == "avantlink.com":
        dest, dom = _dest(q, "url")
        return AffiliateLink(url, "avantlink", q.get("pw"), q.get("mi"), dest, dom)
    if reg == "clickbank.net":
        return AffiliateLink(url, "clickbank", q.get("affiliate") or host.split(".")[0], q.get("vendor"))
    if reg == "admitad.com" and path.startswith("/g/"):
        dest, dom = _dest(q, "ulp")
        return AffiliateLink(url, "admitad", path.split("/")[2] if len(path.split("/")) > 2 else None,
                             None, dest, dom)
    if (reg == "ebay.com" and host.startswith("rover.")) or (_EBAY.match(host) and "campid" in q):
        return AffiliateLink(url, "ebay", q.get("campid"), None, None, reg if not host.startswith("rover.") else "ebay.com")
    return None


def extract_affiliate(links: list[str]) -> list[AffiliateLink]:
    seen: dict[str, AffiliateLink] = {}
    for u in links:
        try:
            a = parse_affiliate(u)
        except ValueError:  # hostile URLs (bad IPv6 hosts, ports) are just not affiliate links
            a = None
        if a is not None and a.url not in seen:
            seen[a.url] = a
    return list(seen.values())
