"""Benchmark: 1M generator click rows to the event store plus graph aggregates.

    python bench/import_clicks.py [--rows 1000000] [--backends falkordb,neo4j] [--naive-rows 2000]

Both figures come from the same run, on the same machine:
- ``pipeline``: ``partnergraph import`` of the generator's click logs (preset ``generator-clicks``):
  chunked reading, validation, pseudonymisation, day-partitioned Parquet, aggregates to the graph
  (Device / IPNetwork nodes, USED_DEVICE / SEEN_FROM edges per affiliate and month, behaviour);
- ``naive``: ``pandas.read_csv`` plus one graph write per row (MERGE affiliate, device, network
  and the two edges), timed on ``--naive-rows`` rows and extrapolated to the same row count.
Target: <= 60 s for 1M rows on the embedded default.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

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


def click_files(rows: int, seed: int = 7) -> list[Path]:
    """Generator click logs (ci scale, cached) covering at least ``rows`` rows, trimmed into one file."""
    from graph.generator import config_hash, generate

    out = CACHE / f"ci-seed-{seed}-observable"
    stamp = out / "manifest.json"
    if not (stamp.exists() and config_hash("ci", seed) in stamp.read_text()):
        generate("ci", seed, out, only={"observable"}, progress=True)
    files = sorted((out / "observable" / "clicks").glob("clicks-*.csv.gz"))
    target = CACHE / f"clicks-{rows}.csv.gz"
    if not target.exists():
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
            print(f"note: the generator has only {written:,} click rows", flush=True)
    return [target]


def run(rows: int, names: list[str], naive_rows: int) -> dict[str, object]:
    import pandas as pd

    from graph.ingest.mapping import load_mapping
    from graph.ingest.pipeline import Importer
    from graph.ingest.pseudonym import Pseudonymizer

    files = click_files(rows)
    results: dict[str, object] = {"rows": rows}
    with backends(names) as opened:
        for name, store, settings in opened:
            settings = settings.with_overrides(home=Path(tempfile.mkdtemp(prefix="pg-clicks-")),
                                               pseudonym_key="b" * 32)
            t0 = time.perf_counter()
            rep = Importer(store, settings).run(files[0], load_mapping("generator-clicks"))
            pipe_s = time.perf_counter() - t0
            # naive baseline on the same store, same machine, same run
            store.clear()
            store.apply_schema()
            pseudo = Pseudonymizer("b" * 32)
            t1 = time.perf_counter()
            df = pd.read_csv(files[0], dtype=str, nrows=naive_rows, keep_default_na=False)
            for r in df.itertuples(index=False):
                net = pseudo.network_token(r.ip)
                store.write(NAIVE_WRITE, {"aff": f"affiliate:gen-net:{r.publisher_id}",
                                          "device": pseudo.token("device", r.device_id),
                                          "net": net[0] if net else "none", "period": r.timestamp[:7]})
            naive_s = (time.perf_counter() - t1) * rows / max(len(df), 1)
            results[name] = {
                "pipeline_s": round(pipe_s, 1), "rows_per_s": round(rep.rows_in / pipe_s),
                "rows_in": rep.rows_in, "rows_imported": rep.rows_imported,
                "rows_quarantined": rep.rows_quarantined, "written": rep.written,
                "naive_s_extrapolated": round(naive_s, 1), "naive_rows_timed": len(df),
                "speedup_vs_naive": round(naive_s / pipe_s, 1), "target_s": 60,
            }
            print(name, results[name], flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--backends", default="falkordb")
    ap.add_argument("--naive-rows", type=int, default=2000)
    args = ap.parse_args()
    res = run(args.rows, args.backends.split(","), args.naive_rows)
    print(f"saved {save('import_clicks', res)}")


if __name__ == "__main__":
    main()
