"""Downloader pieces: cache revalidation, retry backoff, non-HTML skipping, local mirror."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import StopDownload
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

HTML_TYPES = ("text/html", "application/xhtml+xml")


class RevalidatePolicy(RFC2616Policy):
    """Store every cacheable response, and always revalidate it (ETag / Last-Modified).

    RFC 2616 heuristics would serve a page without asking the server; an incremental crawl
    wants the server's word, which a conditional request gets cheaply (304 Not Modified).
    """

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)  # If-None-Match / If-Modified-Since
        return False

    def should_cache_response(self, response: Response, request: Request) -> bool:
        return response.status == 200 and super().should_cache_response(response, request)


class BackoffMiddleware:
    """Waits ``base * 2**(n-1)`` seconds before the n-th retry of a request (capped)."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        s = crawler.settings
        return cls(s.getfloat("PARTNERGRAPH_RETRY_BACKOFF", 1.0), s.getfloat("PARTNERGRAPH_RETRY_BACKOFF_MAX", 30.0))

    async def process_request(self, request: Request) -> None:
        n = int(request.meta.get("retry_times", 0))
        if n and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (n - 1)))


class SkipNonText:
    """Stops downloads of non-HTML bodies for page requests as soon as headers arrive."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipNonText:
        return cls(crawler)

    def headers_received(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        if request.meta.get("pg_kind") != "page":
            return
        raw = headers.get(b"Content-Type") or b""
        ctype = raw.decode("latin-1").split(";")[0].strip().lower()
        if ctype and ctype not in HTML_TYPES:
            if self.stats is not None:
                self.stats.inc_value("partnergraph/skipped/non_html")
            raise StopDownload(fail=True)


class MirrorDownloadHandler(BaseDownloadHandler):
    """Fetch ``https://host/path`` from ``$PARTNERGRAPH_MIRROR/host/path`` (a local server).

    Everything above the download handler (robots.txt, redirects, cache, stats, slots per
    domain) sees the real URLs, so a crawl of mirrored sites behaves as the real one would.
    For tests and benchmarks on 127.0.0.1 only.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

        self.mirror = crawler.settings.get("PARTNERGRAPH_MIRROR", "").rstrip("/")
        self._mirror_host = urlsplit(self.mirror).netloc
        self._inner = HTTP11DownloadHandler(crawler)
        # Every site shares the mirror's one host:port. Keep as many connections alive as there
        # are requests in flight, as a real crawl does across its hosts, instead of the per-host
        # CONCURRENT_REQUESTS_PER_DOMAIN (the rest would be closed after every response).
        self._inner._pool.maxPersistentPerHost = crawler.settings.getint("CONCURRENT_REQUESTS")

    async def download_request(self, request: Request) -> Response:
        p = urlsplit(request.url)
        if not self.mirror or p.netloc == self._mirror_host:
            return await self._inner.download_request(request)
        local = f"{self.mirror}/{p.hostname}{p.path or '/'}" + (f"?{p.query}" if p.query else "")
        response = await self._inner.download_request(request.replace(url=local))
        return response.replace(url=request.url)

    async def close(self) -> None:
        await self._inner.close()
