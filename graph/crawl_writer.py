"""Crawl facts -> graph rows -> batched writes. No Cypher here: rows go through ``GraphWriter``.

The crawler's item pipeline converts its items into the typed facts below (graph/ never imports
crawlers/). Pure row builders (:func:`items_to_rows`, :func:`aggregate_rows`) are tested
without a database; :class:`CrawlWriter` writes them and records the ``(:CrawlRun)``.

Ids: ``pub:<site>`` (registrable domain), ``inf:<site>`` (creator page: ``anna.bio.link``,
``linktr.ee/anna``), ``art:<url>``, ``brand:<domain>`` (or ``brand:<network>:<programme>`` when an
affiliate link does not name the merchant), ``social:<platform>:<handle>``, ``platform:<name>``,
``adsys:<domain>``, ``seller:<ad system>:<seller id>``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance, now_iso

Row = dict[str, Any]
MAX_TEXT = 20_000  # characters of article text kept in the graph

PLATFORM_DOMAINS = {
    "Instagram": "instagram.com", "YouTube": "youtube.com", "TikTok": "tiktok.com", "X": "x.com",
    "Twitch": "twitch.tv", "LinkedIn": "linkedin.com", "Facebook": "facebook.com",
    "Pinterest": "pinterest.com", "Threads": "threads.net", "Bluesky": "bsky.app",
    "Snapchat": "snapchat.com", "Apple Podcasts": "podcasts.apple.com", "Spotify": "open.spotify.com",
    "SoundCloud": "soundcloud.com", "Vimeo": "vimeo.com", "Patreon": "patreon.com", "Telegram": "t.me",
}


# ---- typed facts (the contract with crawlers/) ---------------------------------------------

@dataclass(frozen=True)
class SocialFact:
    platform: str
    handle: str
    url: str


@dataclass(frozen=True)
class PromoFact:
    """A link promoting a brand: ``kind`` is ``sponsored`` (rel=sponsored / disclosed) or ``affiliate``."""

    kind: str
    url: str
    brand_id: str
    brand_domain: str | None = None
    brand_name: str | None = None
    network: str = ""
    affiliate_id: str = ""


@dataclass
class PageFacts:
    url: str
    site: str
    creator: bool
    fetched_at: str
    status: int
    is_home: bool = False
    is_article: bool = False
    site_name: str | None = None
    domain: str | None = None
    language: str | None = None
    country: str | None = None
    description: str | None = None
    handle: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    text: str | None = None
    categories: list[str] = field(default_factory=list)  # the article's sections, as published
    tags: list[str] = field(default_factory=list)  # its keywords / article:tag
    sponsored: bool = False
    disclosure: str | None = None
    outbound_sites: list[tuple[str, bool]] = field(default_factory=list)  # (site key, creator)
    socials: list[SocialFact] = field(default_factory=list)
    promos: list[PromoFact] = field(default_factory=list)
    mentions: list[tuple[str, int]] = field(default_factory=list)  # (brand id, times named in the text)


@dataclass(frozen=True)
class AdsLineFact:
    ad_system: str
    seller_id: str
    relationship: str  # DIRECT | RESELLER
    cert_authority: str | None = None


@dataclass
class AdsTxtFacts:
    url: str
    site: str
    creator: bool
    fetched_at: str
    status: int
    lines: list[AdsLineFact] = field(default_factory=list)
    invalid: int = 0


@dataclass(frozen=True)
class SellerFact:
    seller_id: str
    seller_type: str
    name: str | None = None
    domain: str | None = None


@dataclass
class SellersFacts:
    url: str
    ad_system: str
    fetched_at: str
    status: int
    sellers: list[SellerFact] = field(default_factory=list)
    cert_authority: str | None = None


Facts = PageFacts | AdsTxtFacts | SellersFacts


# ---- rows ----------------------------------------------------------------------------------

@dataclass
class RelRows:
    type: str
    src_label: str
    dst_label: str
    key: tuple[str, ...]
    rows: list[Row]


@dataclass
class CrawlRows:
    """Node rows by label (merged by id, first non-null value wins) and relationship rows."""

    nodes: dict[str, dict[str, Row]] = field(default_factory=dict)
    rels: dict[tuple[str, str, str, tuple[str, ...]], dict[tuple[Any, ...], Row]] = field(default_factory=dict)

    def node(self, label: str, row: Row) -> None:
        cur = self.nodes.setdefault(label, {}).setdefault(row["id"], {})
        for k, v in row.items():
            if v is not None and (cur.get(k) is None or k in ("last_fetched", "http_status")):
                cur[k] = v

    def rel(self, rel_type: str, src_label: str, dst_label: str, row: Row, key: tuple[str, ...] = ()) -> None:
        bucket = self.rels.setdefault((rel_type, src_label, dst_label, key), {})
        ident = (row["src"], row["dst"], *(row.get(k) for k in key))
        bucket[ident] = {**bucket.get(ident, {}), **{k: v for k, v in row.items() if v is not None}}

    def node_batches(self) -> list[tuple[str, list[Row]]]:
        return [(label, list(rows.values())) for label, rows in self.nodes.items()]

    def rel_batches(self) -> list[RelRows]:
        return [RelRows(t, s, d, k, list(rows.values())) for (t, s, d, k), rows in self.rels.items()]

    def counts(self) -> dict[str, int]:
        out = {f":{k}": len(v) for k, v in self.nodes.items()}
        for (t, _s, _d, _k), rows in self.rels.items():
            out[f"[:{t}]"] = out.get(f"[:{t}]", 0) + len(rows)
        return out


def partner_label(creator: bool) -> str:
    return "Influencer" if creator else "Publisher"


def partner_id(site: str, creator: bool) -> str:
    return f"{'inf' if creator else 'pub'}:{site}"


def platform_id(platform: str) -> str:
    return "platform:" + "-".join(platform.lower().split())


def _prov(url: str, fetched_at: str, status: int) -> Row:
    return {"source": url, "fetched_at": fetched_at, "http_status": status}


def page_rows(p: PageFacts, out: CrawlRows) -> None:
    prov = _prov(p.url, p.fetched_at, p.status)
    plabel, pid = partner_label(p.creator), partner_id(p.site, p.creator)
    partner: Row = {"id": pid, "domain": p.site if p.creator else (p.domain or p.site), **prov}
    if p.is_home or p.creator:
        partner |= {"name": p.site_name, "url": p.url, "description": p.description,
                    "language": p.language, "country": p.country}
        if p.creator:
            partner["handle"] = p.handle
    else:  # article pages only fill what the home page did not give
        partner |= {"language": p.language, "country": p.country}
    out.node(plabel, partner)
    src_label, src_id = plabel, pid
    if p.is_article and not p.creator:
        aid = f"art:{p.url}"
        out.node("Article", {"id": aid, "url": p.url, "title": p.title, "author": p.author, "date": p.date,
                             "language": p.language, "text": (p.text or "")[:MAX_TEXT] or None,
                             "sponsored": p.sponsored, "disclosure": p.disclosure,
                             "categories": p.categories[:50] or None, "tags": p.tags[:50] or None, **prov})
        out.rel("PUBLISHED", plabel, "Article", {"src": pid, "dst": aid, **prov})
        src_label, src_id = "Article", aid
    for s in p.socials:
        sid = f"social:{platform_id(s.platform).split(':', 1)[1]}:{s.handle}"
        out.node("SocialAccount", {"id": sid, "platform": s.platform, "handle": s.handle, "url": s.url, **prov})
        out.node("Platform", {"id": platform_id(s.platform), "name": s.platform,
                              "domain": PLATFORM_DOMAINS.get(s.platform), **prov})
        out.rel("HAS_ACCOUNT", plabel, "SocialAccount", {"src": pid, "dst": sid, **prov})
        out.rel("ON_PLATFORM", "SocialAccount", "Platform", {"src": sid, "dst": platform_id(s.platform), **prov})
    for pr in p.promos:
        out.node("Brand", {"id": pr.brand_id, "domain": pr.brand_domain, "name": pr.brand_name, **prov})
        out.rel("PROMOTES", src_label, "Brand",
                {"src": src_id, "dst": pr.brand_id, "evidence_url": pr.url, "network": pr.network,
                 "affiliate_id": pr.affiliate_id, "kind": pr.kind, **prov}, key=("network", "affiliate_id"))
    for brand, n in p.mentions:
        out.rel("MENTIONS", src_label, "Brand", {"src": src_id, "dst": brand, "evidence_url": p.url, "count": n,
                                                 **prov})


def adstxt_rows(a: AdsTxtFacts, out: CrawlRows) -> None:
    prov = _prov(a.url, a.fetched_at, a.status)
    plabel, pid = partner_label(a.creator), partner_id(a.site, a.creator)
    out.node(plabel, {"id": pid, "domain": a.site, **prov})
    for ln in a.lines:
        sys_id, sel_id = f"adsys:{ln.ad_system}", f"seller:{ln.ad_system}:{ln.seller_id}"
        out.node("AdSystem", {"id": sys_id, "domain": ln.ad_system, **prov})
        out.node("SellerAccount", {"id": sel_id, "seller_id": ln.seller_id, "ad_system": ln.ad_system,
                                   "cert_authority": ln.cert_authority, **prov})
        out.rel("SELLS_VIA", plabel, "SellerAccount", {"src": pid, "dst": sel_id, "relationship": ln.relationship,
                                                       "cert_authority": ln.cert_authority, **prov},
                key=("relationship",))
        out.rel("OF", "SellerAccount", "AdSystem", {"src": sel_id, "dst": sys_id, **prov})


def sellers_rows(s: SellersFacts, out: CrawlRows) -> None:
    prov = _prov(s.url, s.fetched_at, s.status)
    sys_id = f"adsys:{s.ad_system}"
    out.node("AdSystem", {"id": sys_id, "domain": s.ad_system, "cert_authority": s.cert_authority, **prov})
    for x in s.sellers:
        sel_id = f"seller:{s.ad_system}:{x.seller_id}"
        out.node("SellerAccount", {"id": sel_id, "seller_id": x.seller_id, "ad_system": s.ad_system,
                                   "seller_type": x.seller_type, "name": x.name, "seller_domain": x.domain,
                                   **prov})
        out.rel("OF", "SellerAccount", "AdSystem", {"src": sel_id, "dst": sys_id, **prov})


def items_to_rows(items: Iterable[Facts]) -> CrawlRows:
    """Rows for a batch of facts (per-page facts; crawl-wide aggregates come from :class:`Aggregates`)."""
    out = CrawlRows()
    for it in items:
        if isinstance(it, PageFacts):
            page_rows(it, out)
        elif isinstance(it, AdsTxtFacts):
            adstxt_rows(it, out)
        elif isinstance(it, SellersFacts):
            sellers_rows(it, out)
        else:  # pragma: no cover - the pipeline only hands these
            raise TypeError(f"not a crawl fact: {type(it).__name__}")
    return out


@dataclass
class Aggregates:
    """Crawl-wide counts: LINKS_TO {count} between partners, partner-level PROMOTES {count} and
    MENTIONS {count}."""

    links: Counter[tuple[str, bool, str, bool]] = field(default_factory=Counter)
    promos: Counter[tuple[str, bool, str, str, str]] = field(default_factory=Counter)
    promo_evidence: dict[tuple[str, bool, str, str, str], str] = field(default_factory=dict)
    brand_domains: dict[str, str | None] = field(default_factory=dict)
    mentions: Counter[tuple[str, bool, str]] = field(default_factory=Counter)
    mention_evidence: dict[tuple[str, bool, str], str] = field(default_factory=dict)

    def add(self, it: Facts) -> None:
        if not isinstance(it, PageFacts):
            return
        for site, creator in set(it.outbound_sites):
            if site != it.site:
                self.links[(it.site, it.creator, site, creator)] += 1
        for pr in it.promos:
            k = (it.site, it.creator, pr.brand_id, pr.network, pr.affiliate_id)
            self.promos[k] += 1
            self.promo_evidence.setdefault(k, pr.url)
            self.brand_domains.setdefault(pr.brand_id, pr.brand_domain)
        for brand, n in it.mentions:
            self.mentions[(it.site, it.creator, brand)] += n
            self.mention_evidence.setdefault((it.site, it.creator, brand), it.url)


def aggregate_rows(agg: Aggregates, source: str) -> CrawlRows:
    out = CrawlRows()
    for (a, ac, b, bc), n in agg.links.items():
        out.node(partner_label(bc), {"id": partner_id(b, bc), "domain": b, "source": source})
        out.rel("LINKS_TO", partner_label(ac), partner_label(bc),
                {"src": partner_id(a, ac), "dst": partner_id(b, bc), "count": n, "source": source})
    for (site, creator, brand, network, affid), n in agg.promos.items():
        out.node("Brand", {"id": brand, "domain": agg.brand_domains.get(brand), "source": source})
        out.rel("PROMOTES", partner_label(creator), "Brand",
                {"src": partner_id(site, creator), "dst": brand, "network": network, "affiliate_id": affid,
                 "count": n, "evidence_url": agg.promo_evidence[(site, creator, brand, network, affid)],
                 "source": source}, key=("network", "affiliate_id"))
    for (site, creator, brand), n in agg.mentions.items():
        out.rel("MENTIONS", partner_label(creator), "Brand",
                {"src": partner_id(site, creator), "dst": brand, "count": n,
                 "evidence_url": agg.mention_evidence[(site, creator, brand)], "source": source})
    return out


def crawl_run_row(run_id: str, status: str, started_at: str, stats: Mapping[str, Any],
                  finished_at: str | None = None) -> Row:
    clean = {k: v for k, v in stats.items() if isinstance(v, int | float | str | bool)}
    return {"id": run_id, "status": status, "started_at": started_at, "finished_at": finished_at,
            "stats": json.dumps({"v": 1, **clean}, sort_keys=True, default=str)}


class CrawlWriter:
    """Writes crawl facts in batches; keeps crawl-wide aggregates for :meth:`finish`."""

    def __init__(self, store: GraphStore, run_id: str, *, batch_size: int | None = None) -> None:
        self.run_id = run_id
        self.source = f"crawl://{run_id}"
        self.writer = GraphWriter(store, Provenance(source=self.source, run_id=run_id), batch_size=batch_size)
        self.agg = Aggregates()
        self.started_at = now_iso()

    def start(self) -> None:
        self.writer.nodes("CrawlRun", [crawl_run_row(self.run_id, "running", self.started_at, {})])

    def write(self, facts: Iterable[Facts]) -> dict[str, int]:
        facts = list(facts)
        for f in facts:
            self.agg.add(f)
        return self._write_rows(items_to_rows(facts))

    def _write_rows(self, rows: CrawlRows) -> dict[str, int]:
        for label, nrows in rows.node_batches():
            self.writer.nodes(label, nrows)
        for r in rows.rel_batches():
            self.writer.relationships(r.type, r.rows, src_label=r.src_label, dst_label=r.dst_label, key=r.key)
        return rows.counts()

    def finish(self, stats: Mapping[str, Any], status: str = "complete") -> None:
        self._write_rows(aggregate_rows(self.agg, self.source))
        full = dict(stats) | {f"written{k}": v for k, v in self.writer.written.items()}
        self.writer.nodes("CrawlRun", [crawl_run_row(self.run_id, status, self.started_at, full,
                                                     finished_at=now_iso())])
