"""Scrapy settings for the PartnerGraph crawlers: polite by default, bounded everywhere.

``crawl_settings(contact=...)`` returns the dict the ``crawl`` command and tests hand to
Scrapy; module-level names make this module a normal Scrapy settings module as well.
"""

from __future__ import annotations

from typing import Any

BOT_NAME = "partnergraph"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Politeness
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Limits
DEPTH_LIMIT = 4
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # bytes per response; bigger ones are dropped and counted
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 20
REDIRECT_MAX_TIMES = 5
PARTNERGRAPH_MAX_PAGES_PER_SITE = 200
PARTNERGRAPH_MAX_SITEMAPS_PER_SITE = 20
PARTNERGRAPH_MAX_SITES = 10_000
PARTNERGRAPH_FOLLOW_CREATORS = True  # creator pages (link-in-bio, hosted blogs) linked from sites
PARTNERGRAPH_FETCH_ADS_TXT = True
PARTNERGRAPH_FETCH_APP_ADS_TXT = True
PARTNERGRAPH_FETCH_SELLERS_JSON = True
PARTNERGRAPH_EXTRACT_TEXT = True

# Retries with exponential backoff (crawlers.middlewares.BackoffMiddleware)
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
PARTNERGRAPH_RETRY_BACKOFF = 1.0  # seconds; doubled per retry
PARTNERGRAPH_RETRY_BACKOFF_MAX = 30.0

# Incremental crawls: every cached page is revalidated with If-None-Match / If-Modified-Since;
# a 304 gives the cached body and the spider skips re-extraction.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawlers.middlewares.RevalidatePolicy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_GZIP = True
HTTPCACHE_IGNORE_HTTP_CODES = [301, 302, 303, 307, 308, 401, 403, 404, 408, 429, 500, 502, 503, 504]

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.BackoffMiddleware": 560,
}
EXTENSIONS = {
    "crawlers.middlewares.SkipNonText": 10,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.GraphPipeline": 300,
}
PARTNERGRAPH_BATCH_SIZE = 500  # items per graph write

# Throughput (no effect on what is fetched or how politely)
#: Processes that parse pages, feeds and sitemaps (crawlers.offload): None = cores - 1, at
#: least 1; 0 = in the reactor's process.
PARTNERGRAPH_EXTRACT_WORKERS: int | None = None
#: Scrapy starts this many asyncio tasks for every callback's output; items and requests are
#: handled synchronously here, so a few suffice (the default 100 costs more than extraction).
CONCURRENT_ITEMS = 8
#: Scrapy re-reads a callback's source (inspect + ast) on every response to warn about
#: ``return value`` in generators; bound methods defeat its cache. A development-time check.
WARN_ON_GENERATOR_RETURN_VALUE = False
#: Scrapy's downloader-aware queue (fewest active downloads first), without its scan of every
#: waiting site per request (crawlers/scheduling.py).
SCHEDULER_PRIORITY_QUEUE = "crawlers.scheduling.RoundRobinSlotQueue"

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"


def user_agent(contact: str | None) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("partnergraph")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "0"
    return f"PartnerGraph/{v} (+{contact})" if contact else f"PartnerGraph/{v}"


def crawl_settings(*, contact: str | None = None, polite: bool = True, cache_dir: str | None = None,
                   mirror: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Settings for one crawl. ``polite=False`` is for benchmarks on 127.0.0.1 only."""
    s: dict[str, Any] = {k: v for k, v in globals().items() if k.isupper()}
    s["USER_AGENT"] = user_agent(contact)
    s["ROBOTSTXT_USER_AGENT"] = "PartnerGraph"
    if cache_dir is not None:
        s["HTTPCACHE_DIR"] = cache_dir
    if mirror:
        s["PARTNERGRAPH_MIRROR"] = mirror.rstrip("/")
        s["DOWNLOAD_HANDLERS"] = {"http": "crawlers.middlewares.MirrorDownloadHandler",
                                  "https": "crawlers.middlewares.MirrorDownloadHandler"}
    if not polite:
        s.update(AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0, CONCURRENT_REQUESTS=64,
                 CONCURRENT_REQUESTS_PER_DOMAIN=8)
    s.update(overrides)
    return s
