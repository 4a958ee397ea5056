"""Publisher spider: home page, then sitemap(s), feeds and internal links within per-site limits;
creator pages linked from publishers; /ads.txt, /app-ads.txt and the ad systems' sellers.json.

The spider decides what to fetch. Every field comes from a pure extractor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.extract.adstxt import parse_adstxt
from crawlers.extract.domains import is_creator_site, registrable_domain, site_key
from crawlers.extract.feeds import parse_feed
from crawlers.extract.html import looks_binary
from crawlers.extract.page import extract_page, page_links
from crawlers.extract.robots import parse_robots
from crawlers.extract.sellersjson import parse_sellers_json
from crawlers.extract.sitemaps import MAX_DEPTH, parse_sitemap
from crawlers.items import AdsTxtItem, PageItem, SellersJsonItem
from crawlers.offload import Offload, WorkerCrashed, resolve_workers

_SKIP_EXT = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".zip", ".gz", ".mp3", ".mp4",
             ".mov", ".avi", ".css", ".js", ".ico", ".woff", ".woff2", ".ttf", ".xml", ".json", ".txt")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_start(s: str) -> str:
    s = s.strip()
    if "://" not in s:
        s = "https://" + s
    p = urlsplit(s)
    return f"{p.scheme}://{p.netloc.lower()}{p.path or '/'}"


class PublisherSpider(scrapy.Spider):
    name = "publishers"

    def __init__(self, sites: Iterable[str] | str = (), **kw: Any) -> None:
        super().__init__(**kw)
        if isinstance(sites, str):
            sites = [x for x in sites.split(",") if x.strip()]
        self.start_sites = [normalise_start(s) for s in sites]
        self.pages_per_site: Counter[str] = Counter()
        self.sitemaps_per_site: Counter[str] = Counter()
        self.sites_seen: set[str] = set()
        self.ad_systems_seen: set[str] = set()
        self.pages_requested: set[str] = set()  # page URLs already scheduled: a repeat is no page
        self.offload = Offload(0)
        #: Sites whose robots.txt Scrapy's RobotsTxtMiddleware fetches anyway: their Sitemap lines
        #: come from its ``robots_parsed`` signal instead of a second download (netloc -> meta).
        self.robots_via_middleware = False
        self.robots_wanted: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PublisherSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        st = crawler.settings
        if st.getbool("ROBOTSTXT_OBEY") and st.get("ROBOTSTXT_PARSER") == "scrapy.robotstxt.ProtegoRobotParser":
            spider.robots_via_middleware = True
            crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider._open_offload, signal=signals.spider_opened)
        crawler.signals.connect(spider._close_offload, signal=signals.spider_closed)
        return spider

    def _open_offload(self) -> None:
        workers = resolve_workers(self.settings.get("PARTNERGRAPH_EXTRACT_WORKERS"))
        self.offload = Offload(workers)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("partnergraph/extract/workers", workers)

    def _close_offload(self) -> None:
        self.offload.close()
        if self.offload.restarts:
            self._inc("extract/worker_restarts", self.offload.restarts)

    # ---- settings -------------------------------------------------------------------------

    def _s(self, name: str, default: Any) -> Any:
        v = self.settings.get(name)
        return default if v is None else v

    def _inc(self, key: str, n: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"partnergraph/{key}", n)

    # ---- scheduling -----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_sites:
            for req in self._site_requests(url, creator=False):
                yield req

    def _site_requests(self, url: str, *, creator: bool) -> Iterator[scrapy.Request]:
        key = site_key(url)
        if key is None or key in self.sites_seen:
            return
        if len(self.sites_seen) >= int(self._s("PARTNERGRAPH_MAX_SITES", 10_000)):
            self._inc("limits/max_sites")
            return
        self.sites_seen.add(key)
        self._inc("sites")
        p = urlsplit(url)
        root = f"{p.scheme}://{p.netloc}"
        meta = {"pg_site": key, "pg_creator": creator}
        home = url if creator else root + "/"
        self.pages_per_site[key] += 1
        self.pages_requested.add(home)
        yield scrapy.Request(home, callback=self.parse_page, errback=self.on_error,
                             meta=meta | {"pg_kind": "page"}, priority=10)
        if creator and "/" in key:
            return  # a path on a shared service: no robots.txt, ads.txt or sitemap of its own
        if self.robots_via_middleware:
            self.robots_wanted.setdefault(p.netloc, meta)
        else:
            yield scrapy.Request(root + "/robots.txt", callback=self.parse_robots, errback=self.on_error,
                                 meta=meta | {"pg_kind": "robots", "dont_obey_robotstxt": True}, priority=5)
        if self._s("PARTNERGRAPH_FETCH_ADS_TXT", True):
            yield scrapy.Request(root + "/ads.txt", callback=self.parse_adstxt, errback=self.on_error,
                                 meta=meta | {"pg_kind": "ads.txt"}, priority=5)
        if self._s("PARTNERGRAPH_FETCH_APP_ADS_TXT", True):
            yield scrapy.Request(root + "/app-ads.txt", callback=self.parse_adstxt, errback=self.on_error,
                                 meta=meta | {"pg_kind": "app-ads.txt"}, priority=4)

    def _page_request(self, url: str, meta: dict[str, Any], *, depth_from: Response | None = None,
                      priority: int = 0) -> scrapy.Request | None:
        key = meta["pg_site"]
        if url in self.pages_requested:
            return None
        if site_key(url) != key:
            return None
        if urlsplit(url).path.lower().endswith(_SKIP_EXT):
            return None
        if self.pages_per_site[key] >= int(self._s("PARTNERGRAPH_MAX_PAGES_PER_SITE", 200)):
            self._inc("limits/pages_per_site")
            return None
        self.pages_per_site[key] += 1
        self.pages_requested.add(url)
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                              meta={"pg_site": key, "pg_creator": meta.get("pg_creator", False),
                                    "pg_kind": "page"}, priority=priority)

    def _sitemap_request(self, url: str, meta: dict[str, Any], depth: int) -> scrapy.Request | None:
        key = meta["pg_site"]
        if depth > MAX_DEPTH:
            self._inc("limits/sitemap_depth")
            return None
        if self.sitemaps_per_site[key] >= int(self._s("PARTNERGRAPH_MAX_SITEMAPS_PER_SITE", 20)):
            self._inc("limits/sitemaps_per_site")
            return None
        self.sitemaps_per_site[key] += 1
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                              meta={"pg_site": key, "pg_creator": meta.get("pg_creator", False),
                                    "pg_kind": "sitemap", "pg_sitemap_depth": depth}, priority=6)

    # ---- callbacks ------------------------------------------------------------------------

    def _robots_sitemaps(self, sitemaps: list[str], root: str, meta: dict[str, Any]) -> Iterator[Any]:
        for sm in (sitemaps or [root + "/sitemap.xml"])[:5]:
            if site_key(sm) == meta["pg_site"]:
                req = self._sitemap_request(sm, meta, 0)
                if req is not None:
                    yield req

    def parse_robots(self, response: Response) -> Iterator[Any]:
        robots = parse_robots(response.body if response.status == 200 else b"")
        yield from self._robots_sitemaps(robots.sitemaps, response.urljoin("/")[:-1], response.meta)

    def _robots_parsed(self, robotparser: Any, request: scrapy.Request) -> None:
        """Scrapy's robots.txt middleware parsed a site's robots.txt (Protego): schedule the
        sitemaps it names (else /sitemap.xml), as :meth:`parse_robots` would."""
        p = urlsplit(request.url)
        meta = self.robots_wanted.pop(p.netloc, None)
        if meta is None or self.crawler.engine is None:
            return
        self._inc("robots/parsed")
        found = getattr(getattr(robotparser, "rp", None), "sitemaps", None) or []
        sitemaps = [s for s in found if isinstance(s, str) and s.startswith(("http://", "https://"))]
        for req in self._robots_sitemaps(sitemaps, f"{p.scheme}://{p.netloc}", meta):
            self.crawler.engine.crawl(req)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Any]:
        if response.status != 200:
            return
        try:
            sm = await self.offload.call(parse_sitemap, response.body)
        except WorkerCrashed:
            self._inc("errors/worker_crashed")
            return
        self._inc(f"sitemaps/{sm.kind}")
        if sm.truncated:
            self._inc("sitemaps/truncated")
        depth = int(response.meta.get("pg_sitemap_depth", 0))
        for child in sm.sitemaps:
            req = self._sitemap_request(child, response.meta, depth + 1)
            if req is not None:
                yield req
        for loc, _lastmod in sm.urls:
            preq = self._page_request(loc, response.meta, priority=1)
            if preq is not None:
                yield preq

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        if response.status != 200:
            return
        try:
            feed = await self.offload.call(parse_feed, response.body)
        except WorkerCrashed:
            self._inc("errors/worker_crashed")
            return
        self._inc(f"feeds/{feed.kind}")
        for e in feed.entries:
            if e.url:
                req = self._page_request(response.urljoin(e.url), response.meta, priority=1)
                if req is not None:
                    yield req

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """Extraction runs in a worker process (``PARTNERGRAPH_EXTRACT_WORKERS``); the spider
        only turns its result into an item and follow-up requests."""
        meta = response.meta
        if response.status != 200:
            self._inc(f"http/{response.status}")
            return
        try:
            if "cached" in response.flags:
                # 304 revalidated: nothing new to extract, but its links still lead to changed pages
                self._inc("pages/unchanged")
                for u in await self.offload.call(page_links, response.body, response.url):
                    req = self._page_request(u, meta)
                    if req is not None:
                        yield req
                return
            ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            if looks_binary(response.body):
                self._inc("pages/binary")
                return
            clang = (response.headers.get(b"Content-Language") or b"").decode("latin-1") or None
            page = await self.offload.call(extract_page, response.body, response.url, content_type=ctype,
                                           content_language=clang,
                                           text=bool(self._s("PARTNERGRAPH_EXTRACT_TEXT", True)))
        except WorkerCrashed:
            self._inc("errors/worker_crashed")
            return
        if page.error:
            self._inc(f"pages/{page.error}")
            return
        self._inc("pages/extracted")
        yield PageItem(url=response.url, status=response.status, fetched_at=_now(), page=page,
                       depth=int(meta.get("depth", 0)))
        if page.is_home or meta.get("pg_follow_feeds", True):
            for f in page.feeds[:3]:
                if site_key(f.url) == meta["pg_site"]:
                    yield scrapy.Request(f.url, callback=self.parse_feed, errback=self.on_error,
                                         meta={"pg_site": meta["pg_site"], "pg_kind": "feed",
                                               "pg_creator": meta.get("pg_creator", False)}, priority=6)
        for u in page.internal_links:
            req = self._page_request(u, meta)
            if req is not None:
                yield req
        if self._s("PARTNERGRAPH_FOLLOW_CREATORS", True) and not meta.get("pg_creator"):
            for lk in page.outbound_links:
                if is_creator_site(site_key(lk.url)):
                    for sreq in self._site_requests(lk.url, creator=True):
                        yield sreq

    def parse_adstxt(self, response: Response) -> Iterator[Any]:
        kind = response.meta["pg_kind"]
        if response.status != 200:
            self._inc(f"{kind}/missing")
            return
        parsed = parse_adstxt(response.text if hasattr(response, "text") else response.body)
        self._inc(f"{kind}/records", len(parsed.records))
        self._inc(f"{kind}/invalid_lines", parsed.invalid)
        yield AdsTxtItem(url=response.url, site=response.meta["pg_site"], status=response.status,
                         fetched_at=_now(), kind=kind, parsed=parsed,
                         creator=bool(response.meta.get("pg_creator")))
        if self._s("PARTNERGRAPH_FETCH_SELLERS_JSON", True):
            for rec in parsed.records:
                dom = registrable_domain(rec.ad_system)
                if dom and dom not in self.ad_systems_seen:
                    self.ad_systems_seen.add(dom)
                    yield scrapy.Request(f"https://{dom}/sellers.json", callback=self.parse_sellers,
                                         errback=self.on_error,
                                         meta={"pg_site": dom, "pg_kind": "sellers.json", "ad_system": dom})

    def parse_sellers(self, response: Response) -> Iterator[Any]:
        if response.status != 200:
            self._inc("sellers.json/missing")
            return
        parsed = parse_sellers_json(response.body)
        self._inc("sellers.json/sellers", len(parsed.sellers))
        self._inc("sellers.json/invalid", parsed.invalid + (1 if parsed.error else 0))
        yield SellersJsonItem(url=response.url, ad_system=response.meta["ad_system"], status=response.status,
                              fetched_at=_now(), parsed=parsed)

    def on_error(self, failure: Failure) -> None:
        """Count every failure by kind; a crawl never stops for one page."""
        exc = failure.value
        name = type(exc).__name__
        if isinstance(exc, HttpError):
            name = f"http_{exc.response.status}"
        kind = getattr(failure, "request", None)
        self._inc(f"errors/{name}")
        self.logger.debug("fetch failed (%s): %s", name, getattr(kind, "url", "?"))
