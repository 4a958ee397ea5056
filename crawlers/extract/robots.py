"""robots.txt through Protego (Scrapy's parser): permissions, sitemaps, crawl delay."""

from __future__ import annotations

from dataclasses import dataclass, field

from protego import Protego

MAX_ROBOTS_BYTES = 512 * 1024  # Google reads the first 500 KiB


@dataclass
class Robots:
    sitemaps: list[str] = field(default_factory=list)
    crawl_delay: float | None = None
    allows_root: bool = True
    error: str | None = None
    _parser: Protego | None = None

    def can_fetch(self, url: str, user_agent: str) -> bool:
        return True if self._parser is None else bool(self._parser.can_fetch(url, user_agent))


def parse_robots(body: bytes | str, user_agent: str = "PartnerGraph") -> Robots:
    """Parse robots.txt; undecodable or broken files allow everything, as crawlers do."""
    if isinstance(body, bytes):
        body = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    try:
        p = Protego.parse(body)
    except Exception as exc:  # noqa: BLE001 - a third-party parser on arbitrary files
        return Robots(error=f"{exc.__class__.__name__}")
    delay = p.crawl_delay(user_agent)
    return Robots(sitemaps=[s for s in p.sitemaps if s.startswith(("http://", "https://"))],
                  crawl_delay=float(delay) if delay is not None else None,
                  allows_root=bool(p.can_fetch("/", user_agent)), _parser=p)
