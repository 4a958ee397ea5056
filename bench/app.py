"""App benchmark: server time of the explore page's expand callback and of saved console
queries (p50/p95) on `medium`, on each backend.

- expand: what the callback runs on the server for a click (``explore_expand`` query plus the
  pure aggregation/merge helpers), for a partner or brand picked at random and then for one of
  its neighbours; targets p95 <= 300 ms.
- console: every saved query in cypher/, with parameters drawn from the graph, through
  ``store.guarded_read`` (EXPLAIN allow-list, read-only, timeout, row cap) plus the table and
  CSV helpers, as the console runs it; target p95 <= 500 ms.

    python bench/app.py [--scale medium] [--backends falkordb,neo4j] [--samples 200]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from common import backends, canonical, save, summary_ms

import cypher
from graph.bulk import read_canonical, write_frames
from graph.errors import PartnerGraphError


def _console_params(q: cypher.SavedQuery, ids: dict[str, list[str]], names: list[str], rng: random.Random) -> dict[str, Any]:
    partners = ids["Publisher"] + ids["Influencer"]
    out: dict[str, Any] = {}
    for name, kind in q.params.items():
        if kind == "int":
            out[name] = 25
        elif kind == "list":
            out[name] = []
        elif name == "brand":
            out[name] = rng.choice(ids["Brand"])
        elif name == "topic" or (name == "id" and q.name == "taxonomy_children"):
            out[name] = rng.choice(ids["Topic"]) if ids["Topic"] else "none"
        elif name == "text":
            out[name] = rng.choice(names)[:4]
        else:  # id, a, b
            out[name] = rng.choice(partners)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--backends", default="falkordb")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--console-rounds", type=int, default=20, help="samples per saved query")
    ap.add_argument("--skip", default="", help="saved queries to leave out, comma-separated (recorded)")
    args = ap.parse_args()
    export = read_canonical(canonical(args.scale))
    ids = {label: export.nodes[label]["id"].astype(str).tolist() if label in export.nodes else []
           for label in ("Publisher", "Influencer", "Brand", "Topic")}
    names = [str(n) for n in export.nodes["Publisher"]["name"].dropna().tolist() if len(str(n)) >= 4]
    rng = random.Random(7)
    starts = [rng.choice(ids["Publisher"] + ids["Influencer"] + ids["Brand"]) for _ in range(args.samples)]

    from app import console_view
    from app import explore_view as view
    from app.factory import create_app

    results: list[dict[str, Any]] = []
    with backends(args.backends.split(",")) as stores:
        for name, store, settings in stores:
            t0 = time.perf_counter()
            write_frames(store, export, progress=False)
            load_s = time.perf_counter() - t0
            create_app(settings, store)  # registers the pages
            from app.pages import explore as page

            types = list(view.DEFAULT_TYPES)
            for sid in starts[:10]:  # warm-up
                page.root_elements(store, sid, types)
            first, second, sizes = [], [], []
            for sid in starts:
                t = time.perf_counter()
                state = page.root_elements(store, sid, types)
                first.append(time.perf_counter() - t)
                members = [el["data"] for el in state["elements"]
                           if view.is_node(el) and el["data"]["id"] != sid and el["data"].get("type") != "more"]
                if members:
                    t = time.perf_counter()
                    state = page.expand(store, state, rng.choice(members), types)
                    second.append(time.perf_counter() - t)
                sizes.append(len(state["elements"]))
            expand_all = first + second

            rec: dict[str, Any] = {
                "backend": name, "scale": args.scale, "load_s": round(load_s, 1),
                "expand": summary_ms(expand_all), "expand_root": summary_ms(first),
                "expand_neighbour": summary_ms(second),
                "elements_after_two_clicks": {"mean": round(sum(sizes) / len(sizes), 1), "max": max(sizes)},
            }
            print(rec, flush=True)

            console: dict[str, Any] = {}
            failures: dict[str, list[str]] = {}
            all_console: list[float] = []
            skipped = sorted(s for s in args.skip.split(",") if s)
            for qname, q in sorted(cypher.catalog().items()):
                if qname in skipped:
                    continue
                text = q.text(store.backend)
                samples = []
                for _ in range(args.console_rounds):
                    params = _console_params(q, ids, names, rng)
                    t = time.perf_counter()
                    try:
                        res = store.guarded_read(text, q.coerce(params), timeout=settings.query_timeout,
                                                 limit=settings.row_cap)
                        console_view.table(res)
                        console_view.to_csv(res)
                    except PartnerGraphError as exc:  # counted as a failure, timed as what it cost
                        failures.setdefault(qname, []).append(f"{type(exc).__name__}: {exc} {params}")
                    samples.append(time.perf_counter() - t)
                console[qname] = summary_ms(samples)
                print(qname, console[qname], len(failures.get(qname, [])), "failures", flush=True)
                all_console += samples
            rec.update({"console_saved_queries": summary_ms(all_console), "console_by_query": console,
                        "console_failures": failures, "console_skipped": skipped})
            results.append(rec)
    path = save("app", {"targets": {"expand_p95_ms": 300, "console_saved_p95_ms": 500}, "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
