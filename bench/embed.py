"""Embedding benchmark: the embed path against raw ``SentenceTransformer.encode``, same texts, same run.

1. Throughput: ``--n`` texts of the graph (articles first, then partners and brands) go through
   the stage's embed path (clean -> content hash -> cache lookup -> encode -> Parquet write) and
   through raw ``SentenceTransformer(MODEL_DIR).encode`` in the same process, alternating order.
   Target: stage >= 0.9x raw.
2. The whole stage on the graph, twice: the first run (cold cache under a fresh HOME) and a second
   run on the unchanged corpus, which must re-embed 0 texts and finish in seconds.
3. Search latency (p50/p95) over ``--queries`` queries with and without filters (type, country,
   language, audience size, brand safety; every hit is checked against its filter), on the active
   backend's vector index; in the same run a brute-force numpy top-k over the same cached vectors
   (partners and articles) gives the baseline, and the index's recall@k against it is reported.
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

from embeddings.cache import VectorCache, read_vectors
from embeddings.encoder import TextEncoder, prepare
from embeddings.evaluate import evaluate_graph, self_training_eval
from embeddings.search import _passes, search
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
    """Search p50/p95 on the vector index, and retrieval against brute-force numpy on the same vectors."""
    vectors: dict[str, tuple[list[str], np.ndarray]] = {}
    index_nodes: dict[str, int] = {}
    for label in SEARCH_LABELS:
        ids, v, _ = read_vectors(home, label)
        keep = np.flatnonzero(np.any(v, axis=1))  # empty texts have zero vectors and are not indexed
        vectors[label] = ([ids[i] for i in keep], v[keep])
        rows = store.read(with_names("MATCH (n:{label}) WHERE n.embedding IS NOT NULL RETURN count(n) AS n",
                                     label=label)).rows
        index_nodes[label] = int(rows[0]["n"]) if rows else 0
    print("vectors in the graph", index_nodes, "in the cache", {k: len(v[0]) for k, v in vectors.items()}, flush=True)
    encoder(["warm-up"])
    for label in SEARCH_LABELS:  # the first query per index loads it
        store.vector_search(label, encoder(["warm-up"])[0], K)
    rng = random.Random(7)
    load_before = os.getloadavg()
    lat: list[float] = []
    lat_filtered: list[float] = []
    t_index: list[float] = []
    t_brute: list[float] = []
    recall: list[float] = []
    bad_hits = 0
    results = 0
    for i in range(n_queries):
        q = QUERIES[i % len(QUERIES)]
        kw = FILTERS[i % len(FILTERS)] if i >= len(QUERIES) else rng.choice(FILTERS)
        t0 = time.perf_counter()
        hits = search(store, encoder, q, k=K, **kw)
        dt = time.perf_counter() - t0
        (lat_filtered if kw else lat).append(dt)
        bad_hits += sum(not _hit_ok(h, kw) for h in hits)
        results += len(hits)
        vec = encoder([q])[0]
        t0 = time.perf_counter()
        found = {label: {str(r["id"]) for r, _ in store.vector_search(label, vec, K)} for label in SEARCH_LABELS}
        t_index.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        exact: dict[str, set[str]] = {}
        for label, (ids, mat) in vectors.items():
            s = mat @ vec
            top = np.argpartition(-s, min(K, len(s) - 1))[:K]
            exact[label] = {ids[j] for j in top}
        t_brute.append(time.perf_counter() - t0)
        recall.extend(len(found[lb] & exact[lb]) / max(1, len(exact[lb])) for lb in SEARCH_LABELS)
    every = lat + lat_filtered
    load_after = os.getloadavg()
    t_idx, t_np = summary_ms(t_index), summary_ms(t_brute)
    out: dict[str, Any] = {"search": {**summary_ms(every), "target_p95_ms": 50},
           "search_unfiltered": summary_ms(lat), "search_filtered": summary_ms(lat_filtered),
           "filtered_hits_violating_filter": bad_hits, "hits_returned": results,
           "retrieval_index": t_idx, "retrieval_numpy_bruteforce": t_np,
           "index_recall_at_k": round(float(np.mean(recall)), 4), "k": K, "vectors": index_nodes,
                           "load_average_1min": [round(load_before[0], 2), round(load_after[0], 2)], "cores": os.cpu_count()}
    out["retrieval_p95_ratio_index_over_numpy"] = round(t_idx["p95_ms"] / max(t_np["p95_ms"], 1e-6), 2)
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
        print("search", {k: v for k, v in result.items() if k.startswith(("search", "retrieval", "index", "filtered"))},
              flush=True)
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
