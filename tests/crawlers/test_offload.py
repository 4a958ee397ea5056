"""Extraction in worker processes (crawlers/offload.py), robots.txt fetched once per site, and the
text a crawl now leaves behind (article categories/tags; creator bios, written as the creator's description)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.extract.identity import creator_bio
from crawlers.extract.page import extract_page, page_links
from crawlers.extract.structured import extract_structured
from crawlers.items import PageItem
from crawlers.localsites import SiteServer
from crawlers.offload import Offload, WorkerCrashed, default_workers, resolve_workers
from crawlers.pipelines import to_facts
from graph.crawl_writer import CrawlWriter, PageFacts, items_to_rows
from graph.store.base import GraphStore

ROOT = Path(__file__).resolve().parents[2]


def test_worker_count_setting() -> None:
    assert default_workers() == max(1, len(os.sched_getaffinity(0)) - 1)
    assert resolve_workers(None) == default_workers() == resolve_workers("auto")
    assert resolve_workers(0) == 0 and resolve_workers("3") == 3
    with pytest.raises(ValueError):
        resolve_workers(-1)


def test_offload_runs_in_a_worker_and_survives_a_crash() -> None:
    async def go() -> tuple[int, int, int]:
        off = Offload(1)
        try:
            pid = await off.call(os.getpid)
            with pytest.raises(WorkerCrashed):
                await off.call(os._exit, 3)  # the worker dies, twice: given up, not fatal
            again = await off.call(os.getpid)  # a fresh pool serves the next call
            return pid, again, off.restarts
        finally:
            off.close()

    pid, again, restarts = asyncio.run(go())
    assert pid != os.getpid() and again != os.getpid() and again != pid
    assert restarts == 2

    inline = Offload(0)
    assert asyncio.run(inline.call(os.getpid)) == os.getpid() and inline.pool is None


def test_extract_results_cross_processes_unchanged() -> None:
    html = ('<html lang="fr"><head><title>T</title><meta property="article:section" content="Cuisine">'
            '<meta property="article:tag" content="pain"><meta property="og:type" content="article"></head>'
            '<body><p>' + "Du pain et du vin. " * 40 + '</p><a href="/b.html">b</a>'
            '<a href="https://www.amazon.fr/dp/B1?tag=moi-21">x</a></body></html>').encode()
    url = "https://mag.fr/a.html"

    async def go() -> object:
        off = Offload(1)
        try:
            return await off.call(extract_page, html, url, content_type="text/html")
        finally:
            off.close()

    remote = asyncio.run(go())
    assert remote == extract_page(html, url, content_type="text/html")
    assert page_links(html, url) == ["https://mag.fr/b.html"]


BIO_PAGE = ('<html><head><title>Tom Cooking | Links</title><meta name="description" content="Linktree. Make '
            'your link do more."></head><body><main class="lnk-wrap"><h1 class="lnk-name">@tomcooking</h1>'
            '<p class="lnk-bio">Cooking, Food &amp; Drink — Tom Cooking</p>'
            '<a href="https://www.instagram.com/tomcooking/">IG</a></main></body></html>')


@pytest.mark.parametrize(("html", "bio"), [
    (BIO_PAGE, "Cooking, Food & Drink — Tom Cooking"),
    ('<div data-testid="ProfileBio"><h2> Runner,  coffee </h2></div>', "Runner, coffee"),
    ('<h2 id="user-description">Podcast about jazz</h2>', "Podcast about jazz"),
    ('<script type="application/ld+json">{"@type":"ProfilePage","description":"Vegan recipes"}</script>',
     "Vegan recipes"),
    ('<p class="biography-link"><a href="/x">x</a></p><p class="footer">nothing here</p>', None),
    ('<p class="symbiotic">not a bio</p>', None),
])
def test_creator_bio(html: str, bio: str | None) -> None:
    from crawlers.extract.html import parse

    tree = parse(f"<html><head></head><body>{html}</body></html>")
    assert creator_bio(tree, extract_structured(tree, "https://x.bio.link/")) == bio


def test_creator_bio_and_article_terms_reach_the_graph_rows() -> None:
    creator = extract_page(BIO_PAGE.encode(), "https://tomcooking.bio.link/")
    assert creator.is_creator and creator.bio == "Cooking, Food & Drink — Tom Cooking"
    assert creator.to_json()["bio"] == creator.bio
    cf = to_facts(PageItem(url=creator.url, status=200, fetched_at="t", page=creator))
    # a creator page's bio is the creator's description in the graph
    assert isinstance(cf, PageFacts) and cf.description == creator.bio != creator.identity.description

    html = ('<html><head><script type="application/ld+json">{"@type":"BlogPosting","headline":"H",'
            '"articleSection":["Travel","Food"],"keywords":"rome, pasta"}</script></head><body><p>'
            + "Rome and pasta. " * 40 + "</p></body></html>")
    art = extract_page(html.encode(), "https://mag.fr/articles/a.html")
    af = to_facts(PageItem(url=art.url, status=200, fetched_at="t", page=art))
    assert isinstance(af, PageFacts) and af.categories == ["Travel", "Food"] and af.tags == ["rome", "pasta"]
    rows = items_to_rows([cf, af])
    assert rows.nodes["Influencer"]["inf:tomcooking.bio.link"].get("description") == creator.bio
    row = rows.nodes["Article"]["art:https://mag.fr/articles/a.html"]
    assert row["categories"] == ["Travel", "Food"] and row["tags"] == ["rome", "pasta"]


@pytest.mark.parametrize("store", ["falkordb"], indirect=True)
def test_article_terms_are_list_properties_in_the_store(store: GraphStore) -> None:
    fact = PageFacts(url="https://mag.fr/a", site="mag.fr", creator=False, fetched_at="t", status=200,
                     is_article=True, title="A", categories=["Travel", "Food"], tags=["rome"])
    w = CrawlWriter(store, "crawl-terms", batch_size=10)
    w.start()
    w.write([fact])
    w.finish({})
    res = store.read("MATCH (a:Article {id: $id}) RETURN a.categories AS c, a.tags AS t",
                     {"id": "art:https://mag.fr/a"})
    assert res.rows[0]["c"] == ["Travel", "Food"] and res.rows[0]["t"] == ["rome"]


CHILD = r"""
import json, sys
from crawlers.commands import run_crawl
from crawlers.settings import crawl_settings
mirror, workers, out = sys.argv[1:4]
s = crawl_settings(polite=False, mirror=mirror, HTTPCACHE_ENABLED=False, LOG_LEVEL="ERROR",
                   PARTNERGRAPH_FETCH_SELLERS_JSON=False, PARTNERGRAPH_EXTRACT_WORKERS=int(workers))
json.dump(run_crawl(["mag.test", "blog.test"], s), open(out, "w"), default=str)
"""


def _site(root: Path, host: str, n: int) -> None:
    d = root / host / "p"
    d.mkdir(parents=True)
    nav = "".join(f'<a href="/p/{i}.html">{i}</a>' for i in range(n))
    (root / host / "index.html").write_text(
        f'<html><head><title>{host}</title><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        f'</head><body>{nav}<a href="https://anna.bio.link/">Anna</a></body></html>')
    for i in range(n):
        (d / f"{i}.html").write_text(
            f'<html><head><title>Post {i}</title><meta property="og:type" content="article"></head><body>'
            f'{nav}<p>{"words " * 60}</p></body></html>')
    (root / host / "robots.txt").write_text(f"User-agent: *\nDisallow: /private\nSitemap: https://{host}/sm.xml\n")
    (root / host / "sm.xml").write_text(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>https://{host}/p/{i}.html</loc></url>" for i in range(n)) + "</urlset>")
    (root / host / "feed.xml").write_text(
        "<rss version=\"2.0\"><channel><title>f</title>"
        + "".join(f"<item><link>https://{host}/p/{i}.html</link></item>" for i in range(n)) + "</channel></rss>")
    (root / host / "ads.txt").write_text("google.com, pub-1, DIRECT, f08c47fec0942fa0\n")


def test_crawl_with_workers_matches_in_process_and_fetches_robots_once(tmp_path: Path) -> None:
    root = tmp_path / "sites"
    _site(root, "mag.test", 6)
    _site(root, "blog.test", 4)
    (root / "anna.bio.link").mkdir()
    (root / "anna.bio.link" / "index.html").write_text(BIO_PAGE)
    robots_hits: list[str] = []

    def count_robots(h: object, host: str, path: str) -> bool:
        if path == "/robots.txt":
            robots_hits.append(host)
        return False

    stats: dict[int, dict[str, object]] = {}
    with SiteServer(root, routes=[count_robots]) as srv:
        for workers in (0, 1):
            out = tmp_path / f"w{workers}.json"
            subprocess.run([sys.executable, "-c", CHILD, srv.url, str(workers), str(out)], cwd=ROOT,
                           check=True, timeout=180)
            stats[workers] = json.loads(out.read_text())
    inproc, pooled = stats[0], stats[1]
    assert inproc["partnergraph/extract/workers"] == 0 and pooled["partnergraph/extract/workers"] == 1
    keys = ("partnergraph/pages/extracted", "item_scraped_count", "partnergraph/sitemaps/urlset",
            "partnergraph/feeds/rss", "partnergraph/ads.txt/records", "partnergraph/robots/parsed",
            "partnergraph/sites")
    assert {k: inproc.get(k) for k in keys} == {k: pooled.get(k) for k in keys}
    assert pooled["partnergraph/pages/extracted"] == 1 + 6 + 1 + 4 + 1  # homes, posts, the creator page
    assert pooled["partnergraph/robots/parsed"] == 3 and pooled["partnergraph/sitemaps/urlset"] == 2
    # robots.txt once per site and crawl (Scrapy's middleware), not a second time for its Sitemap lines
    assert sorted(robots_hits) == sorted(["mag.test", "blog.test", "anna.bio.link"] * 2)


def test_crawl_command_takes_a_worker_count() -> None:
    from click.testing import CliRunner

    from tests.crawlers._cli import main

    res = CliRunner().invoke(main, ["crawl", "--help"])
    assert res.exit_code == 0 and "--workers" in res.output
    bad = CliRunner().invoke(main, ["crawl", "x.test", "--workers", "-1"])
    assert bad.exit_code == 2 and "-1" in bad.output


class _Slot:
    def __init__(self) -> None:
        self.active: set[object] = set()


class _Downloader:
    """Only what the queue reads: each request's slot key and the slots' active downloads."""

    def __init__(self) -> None:
        self.slots: dict[str, _Slot] = {}

    def get_slot_key(self, request: object) -> str:
        from urllib.parse import urlsplit

        return urlsplit(request.url).netloc  # type: ignore[attr-defined]


def test_round_robin_slot_queue_prefers_idle_sites_and_counts() -> None:
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.settings import Settings
    from scrapy.squeues import FifoMemoryQueue

    from crawlers.scheduling import RoundRobinSlotQueue

    dl = _Downloader()
    crawler = SimpleNamespace(settings=Settings(), engine=SimpleNamespace(downloader=dl), stats=None)
    q = RoundRobinSlotQueue(crawler, FifoMemoryQueue, "", start_queue_cls=None)
    for host in ("a.test", "b.test", "c.test"):
        for i in range(2):
            q.push(Request(f"https://{host}/{i}"))
    assert len(q) == 6
    dl.slots["a.test"] = _Slot()
    dl.slots["a.test"].active.add(object())  # a.test is downloading: the others go first
    first = [q.pop().url for _ in range(4)]  # type: ignore[union-attr]
    assert all("a.test" not in u for u in first) and len(q) == 2
    assert {u.split("/")[2] for u in first[:2]} == {"b.test", "c.test"}  # round-robin, not site by site
    rest = [q.pop().url for _ in range(2)]  # type: ignore[union-attr]  # only busy sites left: full scan
    assert rest == ["https://a.test/0", "https://a.test/1"] and len(q) == 0 and q.pop() is None
    q.push(Request("https://b.test/again"))  # a site whose queue ran empty comes back
    assert len(q) == 1 and q.pop().url == "https://b.test/again"  # type: ignore[union-attr]
