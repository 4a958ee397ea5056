"""Shared plumbing for the benchmarks: data, stores on both backends, timing, reporting."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PARTNERGRAPH_NEO4J_HEAP", "4g")  # the benchmark server gets more heap than tests

from graph.settings import Settings, load_settings  # noqa: E402
from graph.store import open_store  # noqa: E402
from graph.store.base import GraphStore  # noqa: E402

CACHE = Path(os.environ.get("PARTNERGRAPH_BENCH_CACHE", ROOT / ".bench-cache"))
RESULTS = ROOT / "docs" / "bench-results"
#: Neo4j memory for benchmarks: docker-compose.yml's defaults (the tests' server has 1g / 256 MB)
NEO4J_HEAP = os.environ.get("NEO4J_HEAP", "2g")
NEO4J_PAGECACHE_MB = int(os.environ.get("NEO4J_PAGECACHE_MB", "1024"))


def canonical(scale: str, seed: int = 7) -> Path:
    """Generator canonical files for ``scale`` (cached between runs)."""
    from graph.generator import config_hash, generate

    out = CACHE / f"{scale}-seed-{seed}"
    manifest = out / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("config_hash") == config_hash(scale, seed):
        return out
    if out.exists():
        import shutil

        shutil.rmtree(out)
    t0 = time.perf_counter()
    generate(scale, seed, out, only={"canonical"}, progress=True)
    print(f"generated {scale} canonical files in {time.perf_counter() - t0:.1f}s", flush=True)
    return out


@contextmanager
def backends(names: list[str]) -> Iterator[list[tuple[str, GraphStore, Settings]]]:
    """Open each requested backend on a fresh database; Neo4j uses NEO4J_URI or the test server."""
    opened: list[tuple[str, GraphStore, Settings]] = []
    cleanups: list[Callable[[], None]] = []
    tmp = Path(tempfile.mkdtemp(prefix="pg-bench-"))
    try:
        for name in names:
            if name == "falkordb":
                settings = load_settings(env={}, home=tmp / "falkor")
            else:
                uri = os.environ.get("NEO4J_URI")
                if not uri:
                    from tests.neo4j_server import start_server

                    # the memory of docker-compose.yml's neo4j service (heap 2G, page cache 1G)
                    server = start_server(tmp / "neo4j", heap=NEO4J_HEAP, pagecache_mb=NEO4J_PAGECACHE_MB)
                    cleanups.append(server.stop)
                    uri = server.uri
                settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": uri}, home=tmp / "neo4j-home")
            store = open_store(settings)
            cleanups.append(store.close)
            store.clear()
            store.apply_schema()
            opened.append((name, store, settings))
        yield opened
    finally:
        for fn in reversed(cleanups):
            try:
                fn()
            except Exception as exc:  # report and go on closing the others
                print(f"cleanup failed: {exc}", file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def summary_ms(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {"p50_ms": round(statistics.median(ms), 3), "p95_ms": round(percentile(ms, 95), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "n": len(ms)}


def save(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}", "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return path
