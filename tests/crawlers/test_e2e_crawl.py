"""End to end: the generator's websites served on 127.0.0.1, crawled by the real Scrapy engine in a
subprocess (``partnergraph crawl --mirror``), checked against truth/sites.jsonl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.localsites import SiteServer
from graph.settings import load_settings
from graph.store import open_store
from tests.crawlers.e2e_eval import blocked_sites, graph_sets, score, truth_sets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pre = os.environ.get("PARTNERGRAPH_TEST_GENERATED")  # reuse a `generate ci 7` output while developing
    if pre and (Path(pre) / "truth" / "sites.jsonl").exists():
        return Path(pre)
    from graph.generator import generate

    out = tmp_path_factory.mktemp("gen-ci")
    generate("ci", 7, out, progress=False)
    return out


def crawl_cli(home: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARTNERGRAPH_HOME": str(home), "PARTNERGRAPH_CRAWL_CONTACT": "https://example.org/bot"}
    env.pop("PARTNERGRAPH_GRAPH_URI", None)
    return subprocess.run([sys.executable, "-m", "tests.crawlers._cli", "crawl", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_crawl_generated_sites_against_truth(generated: Path, tmp_path: Path) -> None:
    sites_dir = generated / "observable" / "sites"
    sites = sorted(d.name for d in sites_dir.iterdir() if (d / "index.html").is_file())
    (tmp_path / "sites.txt").write_text("\n".join(sites))
    home = tmp_path / "home"
    with SiteServer(sites_dir) as srv:
        res = crawl_cli(home, "--sites-file", str(tmp_path / "sites.txt"), "--mirror", srv.url, "--impolite",
                        "--stats-json", str(tmp_path / "stats.json"))
    assert res.returncode == 0, res.stderr[-3000:]
    stats = json.loads((tmp_path / "stats.json").read_text())
    store = open_store(load_settings(env={}, home=home))
    try:
        got = graph_sets(store)
        runs = store.read("MATCH (c:CrawlRun) RETURN c.status AS s, c.stats AS st").rows
    finally:
        store.close()
    assert len(runs) == 1 and runs[0]["s"] == "complete" and json.loads(runs[0]["st"])["v"] == 1
    blocked = blocked_sites(sites_dir)
    truth_all = truth_sets(generated / "truth" / "sites.jsonl")
    truth_ok = truth_sets(generated / "truth" / "sites.jsonl", skip=blocked)
    crawled = set(sites) - blocked
    s_all, s_ok = score(truth_all, got), score(truth_ok, got, crawled)
    report = {"blocked_by_robots": len(blocked), "sites": len(sites), "all": s_all, "robots_allowed": s_ok,
              "pages_extracted": stats.get("partnergraph/pages/extracted"),
              "elapsed": stats.get("elapsed_time_seconds")}
    print(json.dumps(report, indent=1))  # shown with -s / on failure: the precision/recall report
    (tmp_path / "e2e_report.json").write_text(json.dumps(report, indent=1))
    for kind in ("ads_txt", "social", "affiliate", "sponsored", "sponsored_pages"):
        assert s_ok[kind]["recall"] >= 0.99, (kind, s_ok[kind])
        assert s_ok[kind]["precision"] >= 0.99, (kind, s_ok[kind])
    assert s_ok["links"]["recall"] >= 0.95 and s_ok["links"]["precision"] >= 0.9, s_ok["links"]
