"""Typed items: the contract between spiders, the pipeline and ``graph/crawl_writer.py``."""

from __future__ import annotations

from dataclasses import dataclass

from crawlers.extract.adstxt import AdsTxt
from crawlers.extract.page import PageExtract
from crawlers.extract.sellersjson import SellersJson


@dataclass
class PageItem:
    """One fetched HTML page and everything extracted from it."""

    url: str
    status: int
    fetched_at: str  # ISO-8601 UTC
    page: PageExtract
    depth: int = 0


@dataclass
class AdsTxtItem:
    """One /ads.txt or /app-ads.txt of a site."""

    url: str
    site: str  # site key of the publisher
    status: int
    fetched_at: str
    kind: str  # "ads.txt" | "app-ads.txt"
    parsed: AdsTxt
    creator: bool = False


@dataclass
class SellersJsonItem:
    """One /sellers.json of an advertising system."""

    url: str
    ad_system: str  # registrable domain of the ad system
    status: int
    fetched_at: str
    parsed: SellersJson


CrawlItem = PageItem | AdsTxtItem | SellersJsonItem
