"""Benchmark: 1M generator click rows to the event store plus graph aggregates.

    python bench/import_clicks.py [--rows 1000000] [--backends falkordb,neo4j] [--naive-rows 2000]
                                  [--source GENERATOR_OUT]

The rows are the synthetic generator's click logs: the ``ci`` scale has only ~126k clicks, so
1M rows come from the ``medium`` scale (generated once into the bench cache, or ``--source``, a
generator output directory such as ``partnergraph generate medium`` wrote). They are joined into
one gzipped CSV of exactly ``--rows`` rows.

Figures from the same run, on the same machine and store:
- ``pipeline``: ``partnergraph import`` of that file (preset ``generator-clicks``): validation,
  HMAC pseudonyms, day-partitioned Parquet, aggregates to the graph (Device / IPNetwork nodes,
  USED_DEVICE / SEEN_FROM edges per affiliate and month, behaviour JSON), with its phases;
- ``reimport``: the same file again (the file ledger finds it unchanged: 0 rows written);
- ``naive`` (run first, on the empty store): ``pandas.read_csv`` plus one graph write per row
  (MERGE affiliate, device, network and the two edges), timed on ``--naive-rows`` rows and
  extrapolated to the same row count.
Wall time depends on what else runs on the machine, so the CPU seconds of this process and of the
graph server during the import are reported next to it (``load_avg`` when it started).
Target: <= 60 s for 1M rows on the embedded default.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CACHE, backends, save  # noqa: E402

NAIVE_WRITE = """MERGE (a:Publisher {id: $aff})
SET a:Affiliate
MERGE (d:Device {id: $device})
MERGE (n:IPNetwork {id: $net})
MERGE (a)-[u:USED_DEVICE {period: $period}]->(d)
SET u.count = coalesce(u.count, 0) + 1
MERGE (a)-[s:SEEN_FROM {period: $period}]->(n)
SET s.count = coalesce(s.count, 0) + 1"""


def generator_clicks(source: Path | None, seed: int = 7) -> list[Path]:
    """Monthly click logs of a generator output (``medium``, generated into the cache if needed)."""
    if source is None:
        from graph.generator import config_hash, generate

        source = CACHE / f"medium-seed-{seed}-observable"
        stamp = source / "manifest.json"
        if not (stamp.exists() and config_hash("medium", seed) in stamp.read_text()):
            generate("medium", seed, source, only={"observable"}, progress=True)
    files = sorted((source / "observable" / "clicks").glob("clicks-*.csv.gz"))
    if not files:
        sys.exit(f"no click logs under {source / 'observable' / 'clicks'}")
    return files


def click_file(rows: int, source: Path | None) -> tuple[Path, int]:
    """One gzipped CSV with the first ``rows`` click rows of the generator's logs, in time order."""
    files = generator_clicks(source)
    target = CACHE / f"clicks-medium-{rows}.csv.gz"
    written = 0
    if target.exists():
        with gzip.open(target, "rt", encoding="utf-8") as fh:
            written = sum(1 for _ in fh) - 1
        if written == rows:
            return target, written
    CACHE.mkdir(parents=True, exist_ok=True)
    written = 0
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=1) as dst:
        for i, f in enumerate(files):
            with gzip.open(f, "rt", encoding="utf-8") as src:
                header = src.readline()
                if i == 0:
                    dst.write(header)
                for line in src:
                    if written >= rows:
                        break
                    dst.write(line)
                    written += 1
            if written >= rows:
                break
    if written < rows:
        print(f"note: the generator output has only {written:,} click rows", flush=True)
    return target, written


def _server_processes(store: Any) -> list[Any]:
    """The graph server's process(es): the embedded Redis, or the Neo4j JVM we started."""
    import psutil

    pid = getattr(getattr(getattr(store, "_db", None), "client", None), "pid", None)
    if pid:
        return [psutil.Process(int(pid))]
    return [p for p in psutil.Process().children(recursive=True) if "java" in p.name()]


def _cpu(procs: list[Any]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(rows: int, names: list[str], naive_rows: int, source: Path | None) -> dict[str, object]:
    import pandas as pd

    from graph.ingest.mapping import load_mapping
    from graph.ingest.pipeline import Importer
    from graph.ingest.pseudonym import Pseudonymizer

    path, have = click_file(rows, source)
    results: dict[str, object] = {"rows": have, "file": path.name, "source": str(source or "medium generator")}
    with backends(names) as opened:
        for name, store, settings in opened:
            settings = settings.with_overrides(home=Path(tempfile.mkdtemp(prefix="pg-clicks-")),
                                               pseudonym_key="b" * 32)
            # naive baseline first, on the empty store (clearing 2M entities afterwards is slow on Neo4j)
            pseudo = Pseudonymizer("b" * 32)
            t2 = time.perf_counter()
            df = pd.read_csv(path, dtype=str, nrows=naive_rows, keep_default_na=False)
            for r in df.itertuples(index=False):
                net = pseudo.network_token(r.ip)
                store.write(NAIVE_WRITE, {"aff": f"affiliate:gen-net:{r.publisher_id}",
                                          "device": pseudo.token("device", r.device_id),
                                          "net": net[0] if net else "none", "period": r.timestamp[:7]})
            naive_s = (time.perf_counter() - t2) * have / max(len(df), 1)
            store.clear()
            store.apply_schema()
            servers = _server_processes(store)
            load = os.getloadavg()[0]
            c0, s0, t0 = _self_cpu(), _cpu(servers), time.perf_counter()
            rep = Importer(store, settings).run(path, load_mapping("generator-clicks"))
            pipe_s = time.perf_counter() - t0
            client_cpu, server_cpu = _self_cpu() - c0, _cpu(servers) - s0
            t1 = time.perf_counter()
            again = Importer(store, settings).run(path, load_mapping("generator-clicks"))
            reimport_s = time.perf_counter() - t1
            results[name] = {
                "pipeline_s": round(pipe_s, 1), "rows_per_s": round(rep.rows_in / pipe_s), "mode": rep.mode,
                "phases_s": rep.timings, "client_cpu_s": round(client_cpu, 1),
                "server_cpu_s": round(server_cpu, 1), "load_avg_at_start": round(load, 1),
                "rows_in": rep.rows_in, "rows_imported": rep.rows_imported,
                "rows_quarantined": rep.rows_quarantined, "written": rep.written,
                "reimport_s": round(reimport_s, 2), "reimport_written": again.written,
                "reimport_unchanged": again.rows_unchanged,
                "naive_s_extrapolated": round(naive_s, 1), "naive_rows_timed": len(df),
                "speedup_vs_naive": round(naive_s / pipe_s, 1), "target_s": 60,
            }
            print(name, results[name], flush=True)
    return results


def main() -> None:
    import logging

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--backends", default="falkordb")
    ap.add_argument("--naive-rows", type=int, default=2000)
    ap.add_argument("--source", type=Path, default=None,
                    help="a generator output directory with observable/clicks (default: generate medium)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    res = run(args.rows, args.backends.split(","), args.naive_rows, args.source)
    print(f"saved {save('import_clicks', res)}")


if __name__ == "__main__":
    main()
