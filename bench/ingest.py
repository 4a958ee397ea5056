"""Ingest benchmark: our batched loader against a naive per-row MERGE loop and a raw
``UNWIND $rows CREATE``, over the same rows, in one run, on each backend.

Targets (issue 2): ours >= 30x naive, ours >= 0.8x raw. Also the rows/s curve over scales.
At ``large`` (11.5M rows) only our loader runs, for the curve: the ratios come from ci and medium.

    python bench/ingest.py [--scales ci,medium,large] [--backends falkordb,neo4j] [--naive-rows 2000]
                           [--large-dir DIR]   # an existing `generate --scale large` output
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from common import backends, canonical, save

from graph.bulk import frame_rows, read_canonical, write_frames
from graph.schema import check_identifier, check_label
from graph.store.base import GraphExport, GraphStore, batched

RAW_NODES = "UNWIND $rows AS row CREATE (n:{label}) SET n = row"
RAW_RELS = ("UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) MATCH (b:{dst} {{id: row.dst}}) "
            "CREATE (a)-[r:{rel}]->(b) SET r = row.props")
NAIVE_NODE = "MERGE (n:{label} {{id: $id}}) SET n += $props"
NAIVE_REL = ("MATCH (a:{src} {{id: $src}}) MATCH (b:{dst} {{id: $dst}}) "
             "MERGE (a)-[r:{rel}]->(b) SET r += $props")


def rows_in(export: GraphExport) -> int:
    return sum(len(v) for v in export.nodes.values()) + sum(len(v) for v in export.edges.values())


def raw_load(store: GraphStore, export: GraphExport, batch: int) -> None:
    for label, df in export.nodes.items():
        q = RAW_NODES.format(label=check_label(label))
        for rows in batched(frame_rows(df), batch):
            store.write(q, {"rows": rows})
    for rel, df in export.edges.items():
        for (s, d), part in df.groupby(["src_label", "dst_label"]):
            q = RAW_RELS.format(src=check_label(str(s)), dst=check_label(str(d)), rel=check_identifier(rel))
            for rows in batched(frame_rows(part), batch):
                store.write(q, {"rows": [{"src": r.pop("src"), "dst": r.pop("dst"), "props": r} for r in rows]})


def naive_load(store: GraphStore, export: GraphExport, n: int) -> int:
    """One transaction per row (MERGE), over the first n node rows then n edge rows."""
    done = 0
    for label, df in export.nodes.items():
        for row in frame_rows(df.head(n - done)):
            props = {k: v for k, v in row.items() if v is not None and k != "id"}
            store.write(NAIVE_NODE.format(label=check_label(label)), {"id": row["id"], "props": props})
            done += 1
        if done >= n:
            break
    edges_done = 0
    for rel, df in export.edges.items():
        for row in frame_rows(df.head(n - edges_done), drop={"element_id"}):
            s, d = row.pop("src_label"), row.pop("dst_label")
            src, dst = row.pop("src"), row.pop("dst")
            props = {k: v for k, v in row.items() if v is not None}
            store.write(NAIVE_REL.format(src=check_label(s), dst=check_label(d), rel=check_identifier(rel)),
                        {"src": src, "dst": dst, "props": props})
            edges_done += 1
        if edges_done >= n:
            break
    return done + edges_done


def slice_export(export: GraphExport, n: int) -> GraphExport:
    """The rows the naive loop writes, for a like-for-like ratio."""
    nodes: dict[str, Any] = {}
    left = n
    for label, df in export.nodes.items():
        if left <= 0:
            break
        nodes[label] = df.head(left)
        left -= len(nodes[label])
    edges: dict[str, Any] = {}
    left = n
    for rel, df in export.edges.items():
        if left <= 0:
            break
        edges[rel] = df.head(left)
        left -= len(edges[rel])
    return GraphExport(nodes=nodes, edges=edges)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="ci,medium")
    ap.add_argument("--backends", default="falkordb,neo4j")
    ap.add_argument("--naive-rows", type=int, default=2000)
    ap.add_argument("--large-dir", type=Path, default=None, help="reuse this `generate --scale large` output")
    args = ap.parse_args()
    results: list[dict[str, Any]] = []
    with backends(args.backends.split(",")) as stores:
        for scale in args.scales.split(","):
            export = read_canonical(args.large_dir if scale == "large" and args.large_dir else canonical(scale))
            n_rows = rows_in(export)
            for name, store, settings in stores:
                rec: dict[str, Any] = {"scale": scale, "backend": name, "rows": n_rows}
                if scale != "large":
                    # naive loop vs ours on the same small slice, each on an empty graph
                    small = slice_export(export, args.naive_rows)
                    store.clear()
                    store.apply_schema()
                    t0 = time.perf_counter()
                    k = naive_load(store, export, args.naive_rows)
                    naive_s = time.perf_counter() - t0
                    store.clear()
                    store.apply_schema()
                    t0 = time.perf_counter()
                    write_frames(store, small, progress=False)
                    ours_small_s = time.perf_counter() - t0
                    rec.update(naive_rows=k, naive_rows_per_s=round(k / naive_s),
                               ours_slice_rows_per_s=round(rows_in(small) / ours_small_s))
                if scale != "large":
                    store.clear()
                    store.apply_schema()
                    t0 = time.perf_counter()
                    raw_load(store, export, settings.batch_size)
                    raw_s = time.perf_counter() - t0
                    rec.update(raw_s=round(raw_s, 2), raw_rows_per_s=round(n_rows / raw_s))
                store.clear()
                store.apply_schema()
                t0 = time.perf_counter()
                write_frames(store, export, progress=scale == "large")
                ours_s = time.perf_counter() - t0
                rec.update(ours_s=round(ours_s, 2), ours_rows_per_s=round(n_rows / ours_s))
                if "raw_s" in rec:
                    rec["ratio_vs_raw"] = round(rec["raw_s"] / ours_s, 3)
                if "naive_rows_per_s" in rec:
                    rec["ratio_vs_naive"] = round(rec["ours_rows_per_s"] / rec["naive_rows_per_s"], 1)
                print(rec, flush=True)
                results.append(rec)
                _save(results, args.scales)
                store.clear()
    print(f"wrote {_save(results, args.scales)}")


def _save(results: list[dict[str, Any]], scales: str) -> Any:
    name = "ingest" if scales == "ci,medium" else "ingest-" + scales.replace(",", "-")
    return save(name, {"targets": {"ratio_vs_naive": ">= 30", "ratio_vs_raw": ">= 0.8"},
                           "note": "naive = one transaction per row (MERGE); raw = UNWIND $rows CREATE, "
                                   "same batch size; ratio_vs_naive compares ours on all rows with naive "
                                   "on a fixed slice", "results": results})


if __name__ == "__main__":
    main()
