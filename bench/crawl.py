"""Crawl + extract the generator's site set from a local server vs a fetch-only crawl, same run.

    .venv/bin/python bench/crawl.py --generated OUT [--limit N] [--workers N] [--mode both]
    .venv/bin/python bench/crawl.py --scale medium --seed 7 --out /tmp/gen-medium

Politeness is off (no AutoThrottle, no delays) for this local benchmark only; robots.txt is
still obeyed. Each crawl runs in its own subprocess (the Twisted reactor does not restart).
Reports HTML pages/s end to end (fetch + all extractors + items, no graph writes) and the ratio
to a fetch-only crawl of the same URLs whose callback does nothing, plus the CPU seconds of the
crawl process, of its extraction workers and of the local web server (this process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
from crawlers.commands import run_crawl
from crawlers.settings import crawl_settings
mode, mirror, sites_file, out, extra = sys.argv[1:6]
sites = [s for s in open(sites_file).read().split() if s]
over = {"HTTPCACHE_ENABLED": False, "LOG_LEVEL": "WARNING", "PARTNERGRAPH_FETCH_SELLERS_JSON": False}
over.update(json.loads(extra))
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
ru, rc = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = {"crawler": ru.ru_utime + ru.ru_stime, "workers": rc.ru_utime + rc.ru_stime}
json.dump({"seconds": dt, "stats": stats, "cpu": cpu}, open(out, "w"), default=str)
"""


def run(mode: str, mirror: str, sites_file: Path, tmp: Path, extra: dict[str, Any]) -> dict[str, Any]:
    out = tmp / f"{mode}.json"
    t = time.process_time()
    subprocess.run([sys.executable, "-c", CHILD, mode, mirror, str(sites_file), str(out), json.dumps(extra)],
                   cwd=ROOT, check=True)
    res: dict[str, Any] = json.loads(out.read_text())
    res["cpu"]["server"] = time.process_time() - t  # this process only serves the sites meanwhile
    return res


def summary(r: dict[str, Any], pages_key: str) -> dict[str, Any]:
    st = r["stats"]
    pages, resp = st.get(pages_key, 0), st.get("downloader/response_count", 0)
    return {"pages": pages, "responses": resp, "seconds": round(r["seconds"], 2),
            "pages_per_s": round(pages / r["seconds"], 1), "responses_per_s": round(resp / r["seconds"], 1),
            "cpu_s": {k: round(v, 1) for k, v in r["cpu"].items()},
            "workers": st.get("partnergraph/extract/workers"),
            "stats": {k: v for k, v in st.items() if k.startswith(("partnergraph/", "downloader/response_status",
                                                                   "dupefilter", "robotstxt"))}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=Path, help="an existing `partnergraph generate` output")
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help="where to generate when --generated is not given")
    ap.add_argument("--limit", type=int, default=None, help="crawl only the first N sites")
    ap.add_argument("--workers", default=None,
                    help="PARTNERGRAPH_EXTRACT_WORKERS (default: the setting's, cores - 1; 0 = in-process)")
    ap.add_argument("--mode", choices=("both", "full", "fetch"), default="both")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    gen = args.generated
    if gen is None:
        from graph.generator import generate

        gen = args.out or Path(tempfile.mkdtemp(prefix=f"gen-{args.scale}-"))
        generate(args.scale, args.seed, gen, progress=False)
    from crawlers.localsites import SiteServer

    extra: dict[str, Any] = {}
    if args.workers is not None:
        extra["PARTNERGRAPH_EXTRACT_WORKERS"] = int(args.workers)
    sites_dir = gen / "observable" / "sites"
    sites = sorted(d.name for d in sites_dir.iterdir() if (d / "index.html").is_file())[: args.limit]
    res: dict[str, Any] = {"sites": len(sites), "cores": len(os.sched_getaffinity(0)),
                           "load_avg_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as td, SiteServer(sites_dir) as srv:
        tmp = Path(td)
        (tmp / "sites.txt").write_text("\n".join(sites))
        if args.mode in ("both", "full"):
            res["full"] = summary(run("full", srv.url, tmp / "sites.txt", tmp, extra), "partnergraph/pages/extracted")
        if args.mode in ("both", "fetch"):
            res["fetch_only"] = summary(run("fetch", srv.url, tmp / "sites.txt", tmp, extra),
                                        "partnergraph/pages/fetched")
    if "full" in res and "fetch_only" in res:
        res["ratio_pages_per_s"] = round(res["full"]["pages_per_s"] / max(res["fetch_only"]["pages_per_s"], 1e-9), 2)
    res["load_avg_after"] = os.getloadavg()[0]
    print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "stats"} if isinstance(v, dict) else v)
                      for k, v in res.items()}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
