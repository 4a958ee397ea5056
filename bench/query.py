"""Query benchmark: 2-hop neighbourhood latency (p50/p95) on `medium`, on each backend.

The baseline, in the same process and on the same publishers, is an index point lookup of the
publisher by id; the ratio says what the neighbourhood costs on top of a round trip.
Target (issue 2): 2-hop p95 <= 50 ms.

    python bench/query.py [--scale medium] [--backends falkordb,neo4j] [--samples 300]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from common import backends, canonical, save, summary_ms

import cypher
from graph.bulk import read_canonical, write_frames

LOOKUP = "MATCH (p:Publisher {id: $id}) RETURN p.id AS id, p.name AS name"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--backends", default="falkordb,neo4j")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--limit", type=int, default=500)
    args = ap.parse_args()
    export = read_canonical(canonical(args.scale))
    ids = export.nodes["Publisher"]["id"].astype(str).tolist()
    rng = random.Random(7)
    sample = [rng.choice(ids) for _ in range(args.samples)]
    q = cypher.get("publisher_two_hop")
    results: list[dict[str, Any]] = []
    with backends(args.backends.split(",")) as stores:
        for name, store, _ in stores:
            t0 = time.perf_counter()
            write_frames(store, export, progress=False)
            load_s = time.perf_counter() - t0
            text = q.text(store.backend)
            for pid in sample[:20]:  # warm-up
                store.read(text, {"id": pid, "limit": args.limit})
            hop2, lookup, sizes = [], [], []
            for pid in sample:
                t = time.perf_counter()
                res = store.read(text, {"id": pid, "limit": args.limit})
                hop2.append(time.perf_counter() - t)
                sizes.append(len(res.rows))
                t = time.perf_counter()
                store.read(LOOKUP, {"id": pid})
                lookup.append(time.perf_counter() - t)
            rec = {"backend": name, "scale": args.scale, "load_s": round(load_s, 1),
                   "two_hop": summary_ms(hop2), "lookup_baseline": summary_ms(lookup),
                   "mean_rows": round(sum(sizes) / len(sizes), 1)}
            rec["p95_ratio_vs_lookup"] = round(rec["two_hop"]["p95_ms"] / rec["lookup_baseline"]["p95_ms"], 2)
            print(rec, flush=True)
            results.append(rec)
    path = save("query", {"target": "two_hop p95 <= 50 ms", "query": "cypher/publisher_two_hop.cypher",
                          "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
