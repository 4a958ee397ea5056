"""CLI commands of the crawlers: ``partnergraph crawl`` and ``partnergraph extract``.

``register(group)`` adds them; Scrapy, trafilatura and the store load inside the commands.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import click


def register(group: click.Group) -> None:
    group.add_command(crawl)
    group.add_command(extract)


def _read_sites(sites: tuple[str, ...], sites_file: Path | None) -> list[str]:
    out = [s for s in sites if s.strip()]
    if sites_file is not None:
        for line in sites_file.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line.split(",")[0].strip())
    return out


def run_crawl(sites: list[str], settings: dict[str, Any], store: Any = None) -> dict[str, Any]:
    """Run the publisher spider to completion in this process; return Scrapy's stats.

    With ``store``, items go to the graph (one ``(:CrawlRun)`` per call). The Twisted reactor
    cannot restart, so call this once per process.
    """
    from scrapy.crawler import CrawlerProcess

    from crawlers.pipelines import STORES
    from crawlers.spiders.publisher import PublisherSpider

    settings = dict(settings)
    settings.setdefault("LOG_INSTALL_ROOT_HANDLER", False)
    if store is not None:
        from graph.writers import new_run_id

        run_id = settings.setdefault("PARTNERGRAPH_RUN_ID", new_run_id("crawl"))
        STORES[run_id] = store
    try:
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(PublisherSpider)
        process.crawl(crawler, sites=sites)
        process.start()
    finally:
        if store is not None:
            STORES.pop(settings["PARTNERGRAPH_RUN_ID"], None)
    return dict(crawler.stats.get_stats()) if crawler.stats is not None else {}


@click.command()
@click.argument("sites", nargs=-1)
@click.option("--sites-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with one site URL or domain per line (CSV: first column).")
@click.option("--max-pages", type=int, default=None, help="Pages per site (default 200).")
@click.option("--depth", type=int, default=None, help="Link depth limit (default 4).")
@click.option("--no-creators", is_flag=True, help="Do not follow links to creator pages.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="HTTP cache for incremental crawls (default: HOME/crawl/httpcache).")
@click.option("--mirror", help="Fetch every site from this local server (http://127.0.0.1:PORT/<host>/...); "
                               "for tests and benchmarks.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Processes that parse pages (default: cores - 1, at least 1; 0 = in the crawler's process).")
@click.option("--impolite", is_flag=True, help="No throttling or delays (local benchmarks only).")
@click.option("--dry-run", is_flag=True, help="Crawl and extract, but write nothing to the graph.")
@click.option("--stats-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Scrapy's stats of the crawl to this file.")
@click.pass_obj
def crawl(obj: Any, sites: tuple[str, ...], sites_file: Path | None, max_pages: int | None,
          depth: int | None, no_creators: bool, cache_dir: Path | None, mirror: str | None,
          workers: int | None, impolite: bool, dry_run: bool, stats_json: Path | None) -> None:
    """Crawl publisher and creator sites into the graph (articles, links, socials, ads.txt...)."""
    from graph.errors import InputError
    from graph.writers import new_run_id

    start = _read_sites(sites, sites_file)
    if not start:
        raise InputError("no sites to crawl", hint="pass site URLs/domains or --sites-file")
    if impolite and not (mirror and mirror.startswith(("http://127.0.0.1", "http://localhost"))):
        raise InputError("--impolite is only allowed with a local --mirror", hint="crawl real sites politely")
    from crawlers.settings import crawl_settings

    settings = obj.settings
    home = Path(getattr(settings, "home", Path.cwd()))
    run_id = new_run_id("crawl")
    overrides: dict[str, Any] = {"PARTNERGRAPH_RUN_ID": run_id}
    if max_pages is not None:
        overrides["PARTNERGRAPH_MAX_PAGES_PER_SITE"] = max_pages
    if depth is not None:
        overrides["DEPTH_LIMIT"] = depth
    if no_creators:
        overrides["PARTNERGRAPH_FOLLOW_CREATORS"] = False
    if workers is not None:
        overrides["PARTNERGRAPH_EXTRACT_WORKERS"] = workers
    s = crawl_settings(contact=getattr(settings, "crawl_contact", None), polite=not impolite,
                       cache_dir=str(cache_dir or home / "crawl" / "httpcache"), mirror=mirror, **overrides)
    stats = run_crawl(start, s, store=None if dry_run else obj.store())
    keys = ("downloader/response_count", "item_scraped_count", "partnergraph/pages/extracted",
            "partnergraph/pages/unchanged", "partnergraph/sites", "partnergraph/extract/workers",
            "elapsed_time_seconds", "finish_reason")
    click.echo(f"crawl {run_id}: " + ", ".join(f"{k.split('/')[-1]}={stats.get(k)}" for k in keys))
    errors = {k: v for k, v in stats.items() if k.startswith("partnergraph/errors/")}
    if errors:
        click.echo("errors (counted, not fatal): " + ", ".join(f"{k.rsplit('/', 1)[-1]}={v}"
                                                              for k, v in sorted(errors.items())))
    if stats_json is not None:
        stats_json.write_text(json.dumps(stats, default=str, indent=1, sort_keys=True))


def _load(src: str, timeout: float) -> tuple[bytes, str, str | None]:
    """(body, url, content-type) of a file (``.html``/``.html.gz``) or an http(s) URL."""
    if src.startswith(("http://", "https://")):
        import urllib.request

        from crawlers.settings import user_agent

        req = urllib.request.Request(src, headers={"User-Agent": user_agent(None)})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - http(s) only, checked above
            return r.read(20 * 1024 * 1024), r.geturl(), r.headers.get("Content-Type")
    p = Path(src)
    data = p.read_bytes()
    if p.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data, p.resolve().as_uri(), None


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines (one object per page).")
@click.option("--url", "base_url", help="Page URL to assume for a single file (resolves links, domain).")
@click.option("--no-text", is_flag=True, help="Skip the main text (faster).")
@click.option("--timeout", type=float, default=20.0, show_default=True, help="Seconds per URL fetch.")
def extract(sources: tuple[str, ...], as_json: bool, base_url: str | None, no_text: bool,
            timeout: float) -> None:
    """Extract every field of saved pages or URLs, without touching the graph (for debugging)."""
    from crawlers.extract.page import extract_page

    failed = 0
    for src in sources:
        try:
            body, url, ctype = _load(src, timeout)
        except (OSError, ValueError) as exc:
            failed += 1
            click.echo(f"error: {src}: {exc}", err=True)
            continue
        if base_url and len(sources) == 1:
            url = base_url
        rec = extract_page(body, url, content_type=ctype, text=not no_text).to_json()
        rec["source"] = src
        if as_json:
            click.echo(json.dumps(rec, ensure_ascii=False))
        else:
            click.echo(f"{src}\n  title: {rec['title']}\n  author: {rec['author']}  date: {rec['date']}  "
                       f"language: {rec['language']}\n  site: {rec['site_name']} ({rec['domain']})\n"
                       f"  outbound: {len(rec['outbound_links'])}  social: {len(rec['social_accounts'])}  "
                       f"affiliate: {len(rec['affiliate_links'])}  sponsored: {rec['sponsored']['is_sponsored']}"
                       f"  feeds: {len(rec['feeds'])}")
    if failed:
        sys.exit(1)
