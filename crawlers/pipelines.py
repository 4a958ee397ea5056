"""Item pipeline: typed items -> graph facts -> batched writes through ``graph.crawl_writer``.

The store is built once by the caller (``partnergraph crawl``) and handed in through
:data:`STORES` under the crawl's ``PARTNERGRAPH_RUN_ID`` (Scrapy deep-copies settings, so a live
connection cannot travel in them); without one, items are only counted (benchmarks, dry runs).
Items are plain dataclasses, so the pipeline also runs unchanged behind scrapy-redis or Scrapyd
workers that each hold their own store connection.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawlers.extract.domains import is_creator_site, registrable_domain, site_key
from crawlers.extract.mentions import MentionFinder
from crawlers.items import AdsTxtItem, PageItem, SellersJsonItem
from graph.crawl_writer import (
    AdsLineFact,
    AdsTxtFacts,
    CrawlWriter,
    Facts,
    PageFacts,
    PromoFact,
    SellerFact,
    SellersFacts,
    SocialFact,
)
from graph.ingest.queries import BRANDS, read_all

log = logging.getLogger(__name__)

#: Stores handed in by the caller, by run id (see :func:`crawlers.commands.run_crawl`).
STORES: dict[str, Any] = {}

#: Outbound links to these never make a LINKS_TO edge (platforms, shorteners, infrastructure).
NOT_PARTNERS = frozenset({
    "google.com", "youtube.com", "facebook.com", "instagram.com", "x.com", "twitter.com", "tiktok.com",
    "linkedin.com", "pinterest.com", "twitch.tv", "apple.com", "spotify.com", "wikipedia.org",
    "wikimedia.org", "bit.ly", "t.co", "goo.gl", "amzn.to", "doubleclick.net", "googletagmanager.com",
    "w3.org", "schema.org", "wordpress.org", "gravatar.com", "cloudflare.com", "addtoany.com",
    "whatsapp.com", "telegram.org", "t.me", "reddit.com", "threads.net", "bsky.app", "mailchimp.com",
})


def to_facts(item: Any) -> Facts | None:
    """Convert a crawler item into the graph's typed facts (``None`` for foreign items)."""
    if isinstance(item, PageItem):
        p = item.page
        site = p.identity.site
        if site is None:
            return None
        promos = [PromoFact(kind="affiliate", url=a.url, brand_id=a.brand_id, brand_domain=a.brand_domain,
                            brand_name=a.brand_hint, network=a.network, affiliate_id=a.affiliate_id or "")
                  for a in p.affiliate_links]
        for u in p.sponsored.sponsor_links:
            dom = registrable_domain(u.split("/")[2]) if "//" in u else None
            if dom:
                promos.append(PromoFact(kind="sponsored", url=u, brand_id=f"brand:{dom}", brand_domain=dom))
        skip = {lk for lk in p.sponsored.sponsor_links} | {a.url for a in p.affiliate_links}
        outbound: set[tuple[str, bool]] = set()
        for lk in p.outbound_links:
            if lk.url in skip:
                continue
            k = site_key(lk.url)
            if k and k not in NOT_PARTNERS and registrable_domain(k.split("/")[0]) not in NOT_PARTNERS:
                outbound.add((k, is_creator_site(k)))
        a, i = p.article, p.identity
        return PageFacts(
            url=item.url, site=site, creator=p.is_creator, fetched_at=item.fetched_at, status=item.status,
            is_home=p.is_home, is_article=a.is_article and not p.is_home, site_name=i.name, domain=i.domain,
            language=i.language, country=i.country, handle=p.handle,
            # a creator page's bio (only creator pages have one) before the page's meta description
            description=p.bio or i.description,
            title=a.title, author=a.author, date=a.date, text=a.text, categories=list(a.categories),
            tags=list(a.tags), sponsored=p.sponsored.is_sponsored,
            disclosure=p.sponsored.disclosure, outbound_sites=sorted(outbound),
            socials=[SocialFact(s.platform, s.handle, s.url) for s in p.social_accounts], promos=promos)
    if isinstance(item, AdsTxtItem):
        return AdsTxtFacts(url=item.url, site=item.site, creator=item.creator, fetched_at=item.fetched_at,
                           status=item.status, invalid=item.parsed.invalid,
                           lines=[AdsLineFact(r.ad_system, r.seller_id, r.relationship, r.cert_authority)
                                  for r in item.parsed.records])
    if isinstance(item, SellersJsonItem):
        return SellersFacts(url=item.url, ad_system=item.ad_system, fetched_at=item.fetched_at,
                            status=item.status, cert_authority=item.parsed.identifiers.get("TAG-ID"),
                            sellers=[SellerFact(s.seller_id, s.seller_type, s.name, s.domain)
                                     for s in item.parsed.sellers])
    return None


class GraphPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        s = crawler.settings
        self.run_id: str = s.get("PARTNERGRAPH_RUN_ID") or _new_run_id()
        self.store = STORES.get(self.run_id)
        self.batch_size = s.getint("PARTNERGRAPH_BATCH_SIZE", 500)
        self.buffer: list[Facts] = []
        self.writer: CrawlWriter | None = None
        self.mentions: MentionFinder | None = None
        self.write_errors = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GraphPipeline:
        pipe = cls(crawler)
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        return pipe

    def open_spider(self) -> None:
        if self.store is not None:
            self.writer = CrawlWriter(self.store, self.run_id)
            self.writer.start()
            self.mentions = MentionFinder(read_all(self.store, BRANDS))
            log.info("looking for mentions of %d known brands", len(self.mentions))

    def process_item(self, item: Any) -> Any:
        facts = to_facts(item)
        stats = self.crawler.stats
        if facts is None:
            return item
        if stats is not None:
            stats.inc_value(f"partnergraph/items/{type(item).__name__}")
        if self.mentions is not None and isinstance(facts, PageFacts):
            facts.mentions = sorted(self.mentions.find(facts.text).items())
        if self.writer is not None:
            self.buffer.append(facts)
            if len(self.buffer) >= self.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        if self.writer is None or not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        try:
            self.writer.write(batch)
        except Exception:  # a store hiccup loses one batch, counted, never the crawl
            self.write_errors += len(batch)
            log.exception("graph write failed for %d items", len(batch))

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Aggregates and the (:CrawlRun) with the crawl's stats, once everything is in."""
        if self.writer is None:
            return
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats is not None else {}
        stats["partnergraph/write_errors"] = self.write_errors
        stats["finish_reason"] = reason
        try:
            self.writer.finish(stats, status="complete" if reason == "finished" else "failed")
        except Exception:
            log.exception("could not record the crawl run %s", self.run_id)


def _new_run_id() -> str:
    from graph.writers import new_run_id

    return new_run_id("crawl")
