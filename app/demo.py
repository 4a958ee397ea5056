"""``partnergraph demo``: generate the ``ci`` ecosystem and run every stage that exists.

Stages: generate, schema and taxonomies, import, crawl, embed, train + discover, fraud. A stage
whose module is missing from an installation is listed as "not built"; nothing is faked. Without
the importers, the graph is bulk-loaded from the generator's canonical files, and the summary
says so.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.settings import Settings
from graph.store.base import GraphStore

log = logging.getLogger(__name__)
DEMO_SCALE, DEMO_SEED = "ci", 7


@dataclass
class StageResult:
    name: str
    status: str  # "done" | "not built" | "failed"
    detail: str
    seconds: float = 0.0


@dataclass
class Stage:
    name: str
    module: str  # the module that implements it; absent means not built
    run: Callable[[GraphStore, Settings, Path], str] | None = None


def _run_import(store: GraphStore, settings: Settings, out: Path) -> str:
    from graph.ingest.bundle import import_generator_exports

    reports = import_generator_exports(store, settings, out)
    rows_in = sum(r.rows_in for r in reports)
    imported = sum(r.rows_imported for r in reports)
    quarantined = sum(r.rows_quarantined for r in reports)
    return (f"{len(reports)} files: rows_in {rows_in:,} = imported {imported:,} + quarantined "
            f"{quarantined:,}")


def _run_crawl(store: GraphStore, settings: Settings, out: Path) -> str:
    """Crawl the known partners' websites, served from the generated site folder on 127.0.0.1.

    Scrapy's reactor runs once per process, so the crawl runs as ``partnergraph crawl`` in a
    child process that shares the store (FalkorDB-lite attaches to the same server).
    """
    import os
    import subprocess
    import sys
    import tempfile

    from crawlers.localsites import SiteServer
    from graph.explore import partner_websites

    domains = partner_websites(store)
    if not domains:
        return "no partner websites known yet"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(domains) + "\n")
        sites_file = f.name
    try:
        with SiteServer(out / "observable" / "sites") as server:
            cmd = [sys.executable, "-m", "app.cli", "--home", str(settings.home), "--graph-uri",
                   settings.graph_uri, "crawl", "--sites-file", sites_file, "--mirror", server.url,
                   "--impolite"]
            res = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), timeout=3600)
    finally:
        os.unlink(sites_file)
    if res.returncode != 0:
        raise RuntimeError(f"crawl failed: {(res.stderr or res.stdout).strip().splitlines()[-1:]}")
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith(("crawl ", "errors"))]
    return f"{len(domains)} partner sites; " + " ".join(lines)


def _run_embed(store: GraphStore, settings: Settings, out: Path) -> str:
    from embeddings.stage import run_embed_stage

    return run_embed_stage(store, settings)


def _run_discover(store: GraphStore, settings: Settings, out: Path) -> str:
    from gnn.discover import run_discovery

    return run_discovery(store, settings, progress=False).summary()  # trains first when gnn.train exists


def _run_fraud(store: GraphStore, settings: Settings, out: Path) -> str:
    from gnn.fraud.stage import run_fraud_stage

    return run_fraud_stage(store, settings)


def _stages() -> list[Stage]:
    return [
        Stage("import (CRM, network exports, click logs)", "graph.ingest.bundle", _run_import),
        Stage("crawl (partner websites)", "crawlers.spiders.publisher", _run_crawl),
        Stage("embed (texts -> IAB topics, search)", "embeddings.stage", _run_embed),
        Stage("train + discover (GNN partner recommendations)", "gnn.discover", _run_discover),
        Stage("fraud (rings, alerts)", "gnn.fraud.stage", _run_fraud),
    ]


def ensure_generated(settings: Settings, progress: bool = True) -> Path:
    """The demo ecosystem under HOME, generated once per generator config."""
    from graph.generator import config_hash, generate

    out = settings.home / "demo" / f"{DEMO_SCALE}-seed-{DEMO_SEED}"
    manifest = out / "manifest.json"
    want = config_hash(DEMO_SCALE, DEMO_SEED)
    if manifest.exists() and json.loads(manifest.read_text()).get("config_hash") == want:
        log.info("reusing generated ecosystem in %s", out)
        return out
    if out.exists():
        import shutil

        shutil.rmtree(out)
    generate(DEMO_SCALE, DEMO_SEED, out, progress=progress)
    return out


def run_demo(store: GraphStore, settings: Settings, *, progress: bool = True) -> list[StageResult]:
    from graph.bulk import read_canonical, summarize, write_frames
    from graph.taxonomy_load import load_taxonomies

    results: list[StageResult] = []
    t0 = time.perf_counter()
    out = ensure_generated(settings, progress)
    results.append(StageResult("generate (ci scale, seed 7)", "done", str(out), time.perf_counter() - t0))

    t0 = time.perf_counter()
    report = store.apply_schema()
    tax = load_taxonomies(store)
    results.append(StageResult("schema + IAB taxonomies", "done",
                               f"schema v{report.version}; {tax.get('Topic', 0)} topics, "
                               f"{tax.get('Audience', 0)} audiences, {tax.get('ProductCategory', 0)} "
                               "product categories", time.perf_counter() - t0))
    stages = _stages()
    built = {s.name: s.run is not None and _has_module(s.module) for s in stages}
    if not built[stages[0].name]:
        t0 = time.perf_counter()
        written = write_frames(store, read_canonical(out), progress=progress)
        results.append(StageResult(
            "bulk load of canonical files", "done",
            "development path used until the importers exist: " + summarize(written),
            time.perf_counter() - t0))
    for stage in stages:
        if not built[stage.name] or stage.run is None:
            results.append(StageResult(stage.name, "not built", "this version does not ship it yet"))
            continue
        t0 = time.perf_counter()
        try:
            detail = stage.run(store, settings, out)
            results.append(StageResult(stage.name, "done", detail, time.perf_counter() - t0))
        except Exception as exc:  # a failing stage is reported, the demo goes on
            log.exception("stage %s failed", stage.name)
            results.append(StageResult(stage.name, "failed", str(exc), time.perf_counter() - t0))
    return results


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def summary_text(results: list[StageResult], counts: dict[str, Any]) -> str:
    lines = ["", "Stages:"]
    for r in results:
        lines.append(f"  {r.status:<10} {r.name:<48} {r.seconds:6.1f}s  {r.detail}")
    lines += ["", "Graph:"]
    for key, value in sorted(counts.items(), key=lambda kv: (not kv[0].startswith(":"), -kv[1])):
        lines.append(f"  {key:<24} {value:>10,}")
    return "\n".join(lines)
