"""Discovery benchmark: the whole weekly job on ``medium`` (export, train, score, explain, write
back), with the time of each phase. Target: at most 15 minutes on 2 cores.

The graph is built from observable sources, as a user builds it: ``--build GEN_OUT`` imports
``GEN_OUT/observable`` through the generator presets (``graph.ingest.bundle``) and embeds it
into ``--home`` when that HOME has no graph yet (timed, but not part of the weekly job). The
crawl is not run here (it is benchmarked in bench/crawl.py), so topics come from partner
names and the CRM, not from websites.

The job runs with ``--force-retrain`` (the expensive week: training included; the retrain is a
refit with the configuration of the last evaluated ``partnergraph train`` run, see
docs/discovery.md "Which ranker"). When
``gnn.train`` is not available, the content ranker ranks and the result says so.

    python bench/discover.py --home /work/home-med --build /tmp/gmed [--k 50] [--reuse-pass]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Any

from common import save

from gnn.discover import DiscoverOptions, run_discovery
from graph.settings import load_settings
from graph.store import open_store
from graph.store.base import GraphStore

TARGET_S = 15 * 60


def build(store: GraphStore, settings: Any, gen_out: Path) -> dict[str, Any]:
    from embeddings.stage import run_embed_stage
    from graph.ingest.bundle import import_generator_exports
    from graph.taxonomy_load import load_taxonomies

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    store.apply_schema()
    load_taxonomies(store)
    reports = import_generator_exports(store, settings, gen_out)
    out["import_s"] = round(time.perf_counter() - t0, 1)
    out["rows_in"] = sum(r.rows_in for r in reports)
    out["rows_imported"] = sum(r.rows_imported for r in reports)
    t0 = time.perf_counter()
    out["embed"] = run_embed_stage(store, settings)
    out["embed_s"] = round(time.perf_counter() - t0, 1)
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children, plus the embedded store's server
    (a child still running: read from /proc when available)."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            c = child.cpu_times()
            total += c.user + c.system
    except Exception:  # noqa: BLE001 - psutil is optional here
        pass
    return total


def model_seconds(home: Path) -> dict[str, Any]:
    """Seconds per training stage of the newest artefact (what the model phase spent)."""
    import json

    try:
        version = json.loads((home / "models" / "linkpred-latest.json").read_text())["version"]
        meta = json.loads((home / "models" / version / "meta.json").read_text())
    except (OSError, ValueError, KeyError):
        return {}
    out = dict(meta.get("params", {}).get("seconds", {}))
    out["frozen_from"] = meta.get("params", {}).get("frozen_from")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="HOME with the medium graph (built with --build)")
    ap.add_argument("--build", type=Path, help="generator output to import and embed when HOME has no graph")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--no-train", action="store_true", help="rank with the content ranker only")
    ap.add_argument("--reuse-pass", action="store_true", help="then a second, ordinary week (model reused)")
    ap.add_argument("--build-only", action="store_true", help="only build the graph (import + embed)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    settings = load_settings(env={}, home=args.home)
    fresh = not any(args.home.glob("graph.db*"))
    store = open_store(settings)
    payload: dict[str, Any] = {"home": str(args.home), "cores": os.cpu_count(), "target_s": TARGET_S}
    try:
        if fresh:
            if not args.build:
                raise SystemExit(f"{args.home} has no graph: pass --build GEN_OUT")
            payload["build"] = build(store, settings, args.build)
            print(f"built the graph: {payload['build']}", flush=True)
        payload["graph"] = store.counts()
        if args.build_only:
            return
        t0 = time.perf_counter()
        cpu0 = _cpu()
        report = run_discovery(store, settings, DiscoverOptions(k=args.k, force_retrain=not args.no_train,
                                                                allow_training=not args.no_train), progress=True)
        total = time.perf_counter() - t0
        cpu = _cpu() - cpu0
        payload["weekly_job"] = {"total_s": round(total, 1), "cpu_s": round(cpu, 1),
                                 "load_average": os.getloadavg(), "seconds": report.seconds,
                                 "cpu_seconds": report.cpu_seconds,
                                 "ranker": report.ranker,
                                 "model_version": report.model_version, "trained": report.trained,
                                 "why": report.why, "brands_scored": report.brands_scored, "modes": report.modes,
                                 "candidates": report.candidates, "excluded": report.excluded,
                                 "edges_written": report.edges_written,
                                 "superseded_deleted": report.superseded_deleted,
                                 "within_target": total <= TARGET_S}
        for line in report.lines():
            print(line, flush=True)
        inner = model_seconds(args.home) if report.trained else {}
        if inner:
            payload["weekly_job"]["model_seconds"] = inner
            print("model phase (training): " + ", ".join(f"{k} {v}" for k, v in inner.items()), flush=True)
        print(f"weekly job: {total:.1f} s wall, {cpu:.1f} s CPU (this process and its store server); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (target {TARGET_S} s)", flush=True)
        if args.reuse_pass:
            t0 = time.perf_counter()
            again = run_discovery(store, settings, DiscoverOptions(k=args.k), progress=False)
            payload["ordinary_week"] = {"total_s": round(time.perf_counter() - t0, 1), "seconds": again.seconds,
                                        "trained": again.trained, "why": again.why, "drift": again.drift}
            for line in again.lines():
                print(line, flush=True)
    finally:
        store.close()
    if args.build_only:
        print(f"graph: {payload.get('graph')}")
        return
    path = save("discover", payload)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
