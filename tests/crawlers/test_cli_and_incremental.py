"""``partnergraph extract`` on saved pages, and incremental crawls through the HTTP cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.localsites import SiteServer

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"url", "site_name", "title", "author", "date", "text", "language", "categories", "tags", "outbound_links",
        "social_accounts", "sponsored", "affiliate_links", "feeds"}


def _cli():  # noqa: ANN202 - the click group
    from tests.crawlers._cli import main

    return main


def test_extract_json_lines_on_many_files(datasets: Path, tmp_path: Path) -> None:
    files = sorted((datasets / "trafilatura_eval" / "eval").glob("*.gz"))[:5]
    html = tmp_path / "page.html"
    html.write_text('<html lang="fr"><head><title>Titre</title></head><body><p class="disclosure">Article sponsorisé</p>'
                    '<a href="https://www.amazon.fr/dp/B1?tag=moi-21">x</a></body></html>')
    res = CliRunner().invoke(_cli(), ["extract", "--json", str(html), *map(str, files)])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in res.output.splitlines()]
    assert len(recs) == 6 and all(set(r) >= KEYS for r in recs)
    assert recs[0]["sponsored"]["is_sponsored"] and recs[0]["affiliate_links"][0]["affiliate_id"] == "moi-21"
    assert recs[0]["language"] == "fr"


def test_extract_missing_file_is_an_error_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(_cli(), ["extract", "--json", str(tmp_path / "nope.html")])
    assert res.exit_code == 1


CHILD = r"""
import json, sys
from crawlers.commands import run_crawl
from crawlers.settings import crawl_settings
mirror, cache, out = sys.argv[1:4]
s = crawl_settings(polite=False, mirror=mirror, cache_dir=cache, LOG_LEVEL="ERROR", PARTNERGRAPH_FETCH_SELLERS_JSON=False)
json.dump(run_crawl(["blog.test"], s), open(out, "w"), default=str)
"""


@pytest.mark.slow
def test_incremental_crawl_reextracts_only_changed_pages(tmp_path: Path) -> None:
    site = tmp_path / "sites" / "blog.test"
    (site / "p").mkdir(parents=True)
    links = "".join(f'<a href="/p/{i}.html">{i}</a>' for i in range(5))
    (site / "index.html").write_text(f"<html><head><title>Blog</title></head><body>{links}</body></html>")
    for i in range(5):
        (site / "p" / f"{i}.html").write_text(f"<html><head><title>Post {i}</title></head><body><p>{'w ' * 50}</p></body></html>")
    cache = tmp_path / "cache"

    def run(tag: str) -> dict:
        out = tmp_path / f"{tag}.json"
        subprocess.run([sys.executable, "-c", CHILD, srv.url, str(cache), str(out)], cwd=ROOT, check=True,
                       timeout=120, env=dict(os.environ))
        return json.loads(out.read_text())

    with SiteServer(tmp_path / "sites") as srv:
        first = run("first")
        second = run("second")
        time.sleep(0.01)
        (site / "p" / "3.html").write_text("<html><head><title>Post 3 edited</title></head><body>new</body></html>")
        third = run("third")
        not_modified = srv.httpd.not_modified
    assert first["partnergraph/pages/extracted"] == 6
    assert second.get("partnergraph/pages/extracted", 0) == 0 and second["partnergraph/pages/unchanged"] == 6
    assert third["partnergraph/pages/extracted"] == 1 and third["partnergraph/pages/unchanged"] == 5
    assert not_modified >= 11
