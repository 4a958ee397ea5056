"""Embedding benchmark: the embed path against raw ``SentenceTransformer.encode``, same texts, same run.

1. Throughput: ``--n`` texts of the graph (articles first, then partners and brands) go through
   the stage's embed path (clean -> content hash -> cache lookup -> encode -> Parquet write) and
   through raw ``SentenceTransformer(MODEL_DIR).encode`` in the same process, alternating order.
   Target: stage >= 0.9x raw.
2. The whole stage on the graph, twice: the first run (cold cache under a fresh HOME) and a second
   run on the unchanged corpus, which must re-embed 0 texts and finish in seconds.
3. Search latency (p50/p95) over ``--queries`` queries with and without filters (type, country,
   language, audience size, brand safety; every hit is checked against its filter): the product
   path (``search()`` on the active backend's vector indexes, query encoder warmed as
   ``shared_encoder()`` does) and, in the same run on the same queries, the exact brute-force path
   (``search(..., exact=ExactVectors(home))`` over the cached vectors); recall@k of the product's
   partners against the exact ones, per filter. Retrieval alone: the index at k and at the
   product's breadth against a one-thread brute-force top-k over the same vectors.
   Target: search p95 <= 50 ms on ``medium``.
4. Tagging accuracy (top-1/top-3) against the generator truth when ``--truth`` names the
   generator output the graph was imported and crawled from, with the own-text zero-shot baseline
   and the held-out half; the self-trained article classifier against zero-shot on held-out
   articles. With ``--datasets``, accuracy on real labels (trafilatura_eval categories/tags,
   zero-shot; MUSAE Facebook page types, zero-shot and a calibrated classifier on a held-out split).

The graph must be built from observable sources (``partnergraph demo`` or import + crawl);
``--home`` is copied to a temp folder first, so the original is never changed (``--in-place`` uses
it as it is: for a large HOME that is already a private copy; ``--search-only`` skips 1-2).

    python bench/embed.py --home /tmp/demo-home2 --truth /tmp/demo-home2/demo/ci-seed-7 [--n 1000] \
        [--datasets ../shared/datasets]
    python bench/embed.py --home /work/home-embed --in-place --search-only --scale medium
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from common import save, summary_ms

from embeddings.cache import VectorCache
from embeddings.encoder import TextEncoder, prepare
from embeddings.evaluate import evaluate_graph, self_training_eval
from embeddings.queries import nearest
from embeddings.search import INDEX_CANDIDATES, ExactVectors, _passes, search, top_indices
from embeddings.stage import Embedder, EmbedReport, run_embed
from embeddings.texts import build_corpus
from graph.settings import Settings, load_settings
from graph.store import open_store
from graph.store.base import GraphStore
from graph.store.builders import with_names

QUERIES = ["eco-friendly family travel podcasts in France", "football news", "vegan recipes", "personal finance tips",
           "video game reviews", "luxury fashion", "pets and dog training", "home garden ideas", "car reviews",
           "healthy living and fitness", "wine tasting", "science news", "books and literature", "real estate"]
#: Filter sets the search benchmark cycles through (each hit is checked against its filter).
FILTERS: list[dict[str, Any]] = [{}, {"type": "influencer"}, {"type": "publisher"}, {"country": "FR"},
                                 {"language": "de"}, {"min_audience": 10_000}, {"safe_only": True},
                                 {"type": "publisher", "country": "US", "safe_only": True}]
SEARCH_LABELS = ("Publisher", "Influencer", "Article")
K = 20


def throughput(store: GraphStore, encoder: TextEncoder, work: Path, n: int) -> dict[str, Any]:
    """The stage's embed path against raw ``encode`` on the same texts, alternating order."""
    export = store.export(labels=["Article", "Publisher", "Influencer", "Brand"],
                          rel_types=["PUBLISHED", "PROMOTES", "MENTIONS"])
    corpus = build_corpus(export.nodes, export.edges)
    pairs = [(f"{label}:{i}", t) for label in ("Article", "Publisher", "Influencer", "Brand")
             for i, t in zip(corpus.ids[label], corpus.texts[label], strict=True) if t.strip()][:n]
    ids = [p[0] for p in pairs]
    clean, _, _ = prepare([p[1] for p in pairs], encoder.max_chars)
    model = encoder.model  # load once; both paths use the same weights and device
    model.encode(clean[:64], batch_size=encoder.batch_size)  # warm-up
    times: dict[str, list[float]] = {"raw": [], "stage": []}
    for rnd in range(2):
        for which in (("raw", "stage") if rnd == 0 else ("stage", "raw")):
            t0 = time.perf_counter()
            if which == "raw":
                model.encode(clean, batch_size=encoder.batch_size, convert_to_numpy=True,
                             normalize_embeddings=True, show_progress_bar=False)
            else:
                cache = VectorCache(work / f"bench-cache-{rnd}", encoder.model_id, encoder.dimension)
                report = EmbedReport()
                Embedder(encoder, cache, report)("Article", ids, [p[1] for p in pairs])
                assert report.embedded == len(ids)
            times[which].append(time.perf_counter() - t0)
    raw_tps, stage_tps = len(ids) / min(times["raw"]), len(ids) / min(times["stage"])
    return {"texts": len(ids), "raw_texts_per_s": round(raw_tps, 1), "stage_texts_per_s": round(stage_tps, 1),
            "ratio": round(stage_tps / raw_tps, 3), "target": ">= 0.9", "raw_s": times["raw"],
            "stage_s": times["stage"]}


def stage_runs(store: GraphStore, settings: Settings, encoder: TextEncoder) -> list[dict[str, Any]]:
    """The whole stage twice: the second run on the unchanged corpus must re-embed 0 texts."""
    runs = []
    for run in (1, 2):
        rep = run_embed(store, settings, encoder)
        runs.append({"run": run, "texts": rep.texts, "embedded": rep.embedded, "cached": rep.cached,
                     "written_vectors": rep.written_vectors, "seconds": round(rep.seconds, 2),
                     "embed_seconds": round(rep.embed_seconds, 2), "relationships": rep.relationships,
                     "flagged": rep.flagged, "text_report": rep.text_report.messages()})
        print("stage run", runs[-1], flush=True)
    return runs


def _hit_ok(hit: Any, kw: dict[str, Any]) -> bool:
    row = {"country": hit.country, "language": hit.language, "audience_size": hit.audience_size,
           "brand_safety_flag": hit.brand_safety_flag}
    if kw.get("type") and hit.type.lower() != kw["type"]:
        return False
    return _passes(row, kw.get("country"), kw.get("language"), kw.get("min_audience"), bool(kw.get("safe_only")))


def search_bench(store: GraphStore, encoder: TextEncoder, home: Path, n_queries: int) -> dict[str, Any]:
    """Search p50/p95 on the vector index (the product path) against the exact brute-force path over
    the vector cache in the same run, the same queries and filters; recall@k of the product's results
    against the exact ones; and vector retrieval alone: the index against numpy/torch brute force."""
    index_nodes: dict[str, int] = {}
    for label in SEARCH_LABELS:
        rows = store.read(with_names("MATCH (n:{label}) WHERE n.embedding IS NOT NULL RETURN count(n) AS n",
                                     label=label)).rows
        index_nodes[label] = int(rows[0]["n"]) if rows else 0
    t0 = time.perf_counter()
    fast = encoder.warm_queries()  # what a long-lived caller gets from shared_encoder()
    warm_s = time.perf_counter() - t0
    exact = ExactVectors(home)
    t0 = time.perf_counter()
    mats = {label: exact.snapshot(store, label) for label in SEARCH_LABELS}  # vectors + filter fields, once
    snapshot_s = time.perf_counter() - t0
    print("vectors in the graph", index_nodes, "in the cache", {k: len(v.ids) for k, v in mats.items()},
          f"query path {'traced' if fast else 'encode()'} (warm {warm_s:.1f}s), exact snapshot {snapshot_s:.1f}s",
          flush=True)
    for label in SEARCH_LABELS:  # the first query per index loads it
        store.vector_search(label, encoder(["warm-up"])[0], K)
    for kw in FILTERS:  # the exact path's filter masks are built once per filter set
        search(store, encoder, "warm-up", k=K, exact=exact, **kw)
        search(store, encoder, "warm-up", k=K, **kw)
    rng = random.Random(7)
    load_before = os.getloadavg()
    lat: list[float] = []
    lat_filtered: list[float] = []
    lat_exact: list[float] = []
    t_encode: list[float] = []
    t_index: list[float] = []
    t_product: list[float] = []
    t_brute: list[float] = []
    recall_search: list[float] = []
    recall_by_filter: dict[str, list[float]] = {}
    lat_by_filter: dict[str, list[float]] = {}
    recall_index: list[float] = []
    recall_product: list[float] = []
    bad_hits = 0
    results = 0
    for i in range(n_queries):
        q = QUERIES[i % len(QUERIES)]
        kw = FILTERS[i % len(FILTERS)] if i >= len(QUERIES) else rng.choice(FILTERS)
        runs: dict[str, tuple[list[Any], float]] = {}
        for path in (("index", "exact") if i % 2 == 0 else ("exact", "index")):
            t0 = time.perf_counter()
            hits = search(store, encoder, q, k=K, exact=exact if path == "exact" else None, **kw)
            runs[path] = (hits, time.perf_counter() - t0)
        hits, dt = runs["index"]
        (lat_filtered if kw else lat).append(dt)
        lat_exact.append(runs["exact"][1])
        bad_hits += sum(not _hit_ok(h, kw) for h in hits)
        results += len(hits)
        want = {h.id for h in runs["exact"][0]}
        rec = len({h.id for h in hits} & want) / len(want) if want else 1.0
        recall_search.append(rec)
        name = ",".join(f"{k}={v}" for k, v in kw.items()) or "none"
        recall_by_filter.setdefault(name, []).append(rec)
        lat_by_filter.setdefault(name, []).append(dt)
        t0 = time.perf_counter()
        vec = encoder([q])[0]
        t_encode.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        found = {label: {str(r["id"]) for r, _ in store.vector_search(label, vec, K)} for label in SEARCH_LABELS}
        t_index.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rows = nearest(store, SEARCH_LABELS, vec, INDEX_CANDIDATES, K)
        t_product.append(time.perf_counter() - t0)
        broad: dict[str, set[str]] = {}
        for r in rows:
            broad.setdefault("Article" if r["article"] is not None else str(r["label"]), set()).add(
                str(r["article"] if r["article"] is not None else r["id"]))
        t0 = time.perf_counter()
        top = {label: top_indices(snap.matrix, vec, K)[0] for label, snap in mats.items()}
        t_brute.append(time.perf_counter() - t0)
        for label, snap in mats.items():
            truth = {snap.ids[j] for j in top[label]}
            recall_index.append(len(found[label] & truth) / max(1, len(truth)))
            if label != "Article":  # article rows come per partner link: compare partners' own matches
                recall_product.append(len(broad.get(label, set()) & truth) / max(1, len(truth)))
    every = lat + lat_filtered
    load_after = os.getloadavg()
    t_idx, t_np = summary_ms(t_index), summary_ms(t_brute)
    out: dict[str, Any] = {
        "search": {**summary_ms(every), "target_p95_ms": 50}, "search_unfiltered": summary_ms(lat),
        "search_filtered": summary_ms(lat_filtered), "search_exact_bruteforce": summary_ms(lat_exact),
        "query_encoding": summary_ms(t_encode), "query_path": "traced one-text" if fast else "encode()",
        "search_recall_at_k_vs_exact": round(float(np.mean(recall_search)), 4),
        "search_recall_by_filter": {k: round(float(np.mean(v)), 4) for k, v in recall_by_filter.items()},
        "search_by_filter": {k: summary_ms(v) for k, v in lat_by_filter.items()},
        "filtered_hits_violating_filter": bad_hits, "hits_returned": results,
        "retrieval_index_k": t_idx, "retrieval_index_product_breadth": summary_ms(t_product),
        "retrieval_bruteforce_one_thread": t_np,
        "index_recall_at_k": round(float(np.mean(recall_index)), 4),
        "index_recall_at_k_product_breadth": round(float(np.mean(recall_product)), 4),
        "index_candidates": INDEX_CANDIDATES, "k": K, "vectors": index_nodes,
        "exact_snapshot_s": round(snapshot_s, 2), "query_path_warm_s": round(warm_s, 2),
        "load_average_1min": [round(load_before[0], 2), round(load_after[0], 2)], "cores": os.cpu_count()}
    out["retrieval_p95_ratio_index_over_bruteforce"] = round(t_idx["p95_ms"] / max(t_np["p95_ms"], 1e-6), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="HOME of a graph built from observable sources")
    ap.add_argument("--truth", type=Path, help="generator output folder (truth/) for accuracy")
    ap.add_argument("--n", type=int, default=1000, help="texts for the throughput comparison")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--scale", default="ci", help="label of the graph's scale, for the report")
    ap.add_argument("--datasets", type=Path, help="shared datasets folder (trafilatura_eval, musae_facebook_page_page)")
    ap.add_argument("--in-place", action="store_true", help="use --home as it is (it must be a private copy)")
    ap.add_argument("--search-only", action="store_true", help="skip throughput and the two stage runs")
    args = ap.parse_args()

    if args.in_place:
        work, tmp = args.home, None
    else:
        work = tmp = Path(tempfile.mkdtemp(prefix="pg-bench-embed-"))
        for name in ("graph.db", "graph.db.aof"):
            src = args.home / name
            if src.is_dir():
                shutil.copytree(src, work / name)
            elif src.exists():
                shutil.copy2(src, work / name)
        if args.search_only and (args.home / "vectors").is_dir():
            shutil.copytree(args.home / "vectors", work / "vectors")
    settings = load_settings(env={}, home=work)
    store = open_store(settings)
    result: dict[str, Any] = {"scale": args.scale, "graph": str(args.home)}
    try:
        encoder = TextEncoder.from_settings(settings)
        if not args.search_only:
            result["throughput"] = throughput(store, encoder, work, args.n)
            print("throughput", result["throughput"], flush=True)
            result["stage_runs"] = stage_runs(store, replace(settings, home=work), encoder)
        result.update(search_bench(store, encoder, work, args.queries))
        print("search", {k: v for k, v in result.items()
                         if k.startswith(("search", "retrieval", "index", "filtered", "query"))}, flush=True)
        if args.truth:
            result["accuracy"] = evaluate_graph(store, work, args.truth)
            for k, v in result["accuracy"].items():
                print("accuracy", k, v, flush=True)
            result["self_training"] = self_training_eval(store, work, args.truth)
            print("self-training", result["self_training"], flush=True)
        if args.datasets:
            from embeddings.evaluate import musae_classifier, musae_page_types, trafilatura_eval

            result["trafilatura_eval"] = trafilatura_eval(encoder, args.datasets / "trafilatura_eval")
            result["musae_page_types"] = musae_page_types(encoder, args.datasets / "musae_facebook_page_page")
            result["musae_classifier"] = musae_classifier(encoder, args.datasets / "musae_facebook_page_page")
            print("real data", result["trafilatura_eval"], result["musae_page_types"], result["musae_classifier"],
                  flush=True)
    finally:
        store.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print("saved", save(f"embed-{args.scale}" + ("-search" if args.search_only else ""), result))


if __name__ == "__main__":
    main()
