"""Crawl + extract the generator's site set from a local server vs a fetch-only crawl, same run.

    .venv/bin/python bench/crawl.py --generated OUT [--limit N]
    .venv/bin/python bench/crawl.py --scale medium --seed 7 --out /tmp/gen-medium

Politeness is off (no AutoThrottle, no delays) for this local benchmark only; robots.txt is
still obeyed. Each crawl runs in its own subprocess (the Twisted reactor does not restart).
Reports HTML pages/s end to end (fetch + all extractors + items, no graph writes) and the ratio
to a fetch-only crawl of the same URLs whose callback does nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, time
from crawlers.commands import run_crawl
from crawlers.settings import crawl_settings
mode, mirror, sites_file, out = sys.argv[1:5]
sites = [s for s in open(sites_file).read().split() if s]
over = {"HTTPCACHE_ENABLED": False, "LOG_LEVEL": "WARNING", "PARTNERGRAPH_FETCH_SELLERS_JSON": False}
if mode == "fetch":
    import crawlers.spiders.publisher as P
    def noop(self, response):
        self._inc("pages/fetched")  # article URLs still come from sitemaps and feeds
        return iter(())
    P.PublisherSpider.parse_page = noop
s = crawl_settings(polite=False, mirror=mirror, **over)
t = time.perf_counter()
stats = run_crawl(sites, s)
dt = time.perf_counter() - t
json.dump({"seconds": dt, "stats": stats}, open(out, "w"), default=str)
"""


def run(mode: str, mirror: str, sites_file: Path, tmp: Path) -> dict:
    out = tmp / f"{mode}.json"
    subprocess.run([sys.executable, "-c", CHILD, mode, mirror, str(sites_file), str(out)], cwd=ROOT, check=True)
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=Path, help="an existing `partnergraph generate` output")
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help="where to generate when --generated is not given")
    ap.add_argument("--limit", type=int, default=None, help="crawl only the first N sites")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    gen = args.generated
    if gen is None:
        from graph.generator import generate

        gen = args.out or Path(tempfile.mkdtemp(prefix=f"gen-{args.scale}-"))
        generate(args.scale, args.seed, gen, progress=False)
    from crawlers.localsites import SiteServer

    sites_dir = gen / "observable" / "sites"
    sites = sorted(d.name for d in sites_dir.iterdir() if (d / "index.html").is_file())[: args.limit]
    with tempfile.TemporaryDirectory() as td, SiteServer(sites_dir) as srv:
        tmp = Path(td)
        (tmp / "sites.txt").write_text("\n".join(sites))
        full = run("full", srv.url, tmp / "sites.txt", tmp)
        fetch = run("fetch", srv.url, tmp / "sites.txt", tmp)
    pages = full["stats"].get("partnergraph/pages/extracted", 0)
    resp = full["stats"].get("downloader/response_count", 0)
    fpages = fetch["stats"].get("partnergraph/pages/fetched", 0)
    fresp = fetch["stats"].get("downloader/response_count", 0)
    res = {
        "sites": len(sites),
        "full": {"pages": pages, "responses": resp, "seconds": full["seconds"], "pages_per_s": pages / full["seconds"],
                 "responses_per_s": resp / full["seconds"]},
        "fetch_only": {"pages": fpages, "responses": fresp, "seconds": fetch["seconds"],
                       "pages_per_s": fpages / fetch["seconds"], "responses_per_s": fresp / fetch["seconds"]},
    }
    res["ratio_pages_per_s"] = res["full"]["pages_per_s"] / max(res["fetch_only"]["pages_per_s"], 1e-9)
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
