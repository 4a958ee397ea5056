"""Embedding benchmark: the embed path against raw ``SentenceTransformer.encode``, same texts, same run.

1. Throughput: ``--n`` texts of the graph (articles first, then partners and brands) go through
   the stage's embed path (clean -> content hash -> cache lookup -> encode -> Parquet write) and
   through raw ``SentenceTransformer(MODEL_DIR).encode`` in the same process, alternating order.
   Target: stage >= 0.9x raw.
2. The whole stage on the graph, twice: the first run (cold cache under a fresh HOME) and a second
   run on the unchanged corpus, which must re-embed 0 texts and finish in seconds.
3. Search latency (p50/p95) over ``--queries`` queries; target p95 <= 50 ms on ``medium``.
4. Tagging accuracy (top-1/top-3) against the generator truth when ``--truth`` names the
   generator output the graph was imported and crawled from; with ``--datasets``, zero-shot
   accuracy on real labels (trafilatura_eval categories/tags, MUSAE Facebook page types).

The graph must be built from observable sources (``partnergraph demo`` or import + crawl);
``--home`` is copied to a temp folder first, so the original is never changed.

    python bench/embed.py --home /tmp/demo-home2 --truth /tmp/demo-home2/demo/ci-seed-7 [--n 1000] \
        [--datasets ../shared/datasets]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from common import save, summary_ms

from embeddings.cache import VectorCache
from embeddings.encoder import TextEncoder, prepare
from embeddings.evaluate import evaluate_graph
from embeddings.search import search
from embeddings.stage import Embedder, EmbedReport, run_embed
from embeddings.texts import build_corpus
from graph.settings import load_settings
from graph.store import open_store

QUERIES = ["eco-friendly family travel podcasts in France", "football news", "vegan recipes", "personal finance tips",
           "video game reviews", "luxury fashion", "pets and dog training", "home garden ideas", "car reviews",
           "healthy living and fitness", "wine tasting", "science news", "books and literature", "real estate"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="HOME of a graph built from observable sources")
    ap.add_argument("--truth", type=Path, help="generator output folder (truth/) for accuracy")
    ap.add_argument("--n", type=int, default=1000, help="texts for the throughput comparison")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--scale", default="ci", help="label of the graph's scale, for the report")
    ap.add_argument("--datasets", type=Path, help="shared datasets folder (trafilatura_eval, musae_facebook_page_page)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pg-bench-embed-"))
    for name in ("graph.db", "graph.db.aof"):
        src = args.home / name
        if src.is_dir():
            shutil.copytree(src, work / name)
        elif src.exists():
            shutil.copy2(src, work / name)
    settings = load_settings(env={}, home=work)
    store = open_store(settings)
    result: dict[str, Any] = {"scale": args.scale, "graph": str(args.home)}
    try:
        encoder = TextEncoder.from_settings(settings)
        export = store.export(labels=["Article", "Publisher", "Influencer", "Brand"],
                              rel_types=["PUBLISHED", "PROMOTES", "MENTIONS"])
        corpus = build_corpus(export.nodes, export.edges)
        pairs = [(f"{label}:{i}", t) for label in ("Article", "Publisher", "Influencer", "Brand")
                 for i, t in zip(corpus.ids[label], corpus.texts[label], strict=True) if t.strip()][: args.n]
        ids = [p[0] for p in pairs]
        clean, _, _ = prepare([p[1] for p in pairs], encoder.max_chars)
        model = encoder.model  # load once; both paths use the same weights and device
        model.encode(clean[:64], batch_size=encoder.batch_size)  # warm-up

        times: dict[str, list[float]] = {"raw": [], "stage": []}
        for rnd in range(2):
            order = ("raw", "stage") if rnd == 0 else ("stage", "raw")
            for which in order:
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
        raw_tps = len(ids) / min(times["raw"])
        stage_tps = len(ids) / min(times["stage"])
        result["throughput"] = {"texts": len(ids), "raw_texts_per_s": round(raw_tps, 1),
                                "stage_texts_per_s": round(stage_tps, 1), "ratio": round(stage_tps / raw_tps, 3),
                                "target": ">= 0.9", "raw_s": times["raw"], "stage_s": times["stage"]}
        print("throughput", result["throughput"], flush=True)

        runs = []
        for run in (1, 2):
            rep = run_embed(store, replace(settings, home=work), encoder)
            runs.append({"run": run, "texts": rep.texts, "embedded": rep.embedded, "cached": rep.cached,
                         "written_vectors": rep.written_vectors, "seconds": round(rep.seconds, 2),
                         "embed_seconds": round(rep.embed_seconds, 2), "relationships": rep.relationships,
                         "flagged": rep.flagged, "text_report": rep.text_report.messages()})
            print("stage run", runs[-1], flush=True)
        result["stage_runs"] = runs

        rng = random.Random(7)
        lat = []
        for i in range(args.queries):
            q = QUERIES[i % len(QUERIES)]
            kw: dict[str, Any] = rng.choice([{}, {"type": "influencer"}, {"country": "FR"}, {"safe_only": True}])
            t0 = time.perf_counter()
            search(store, encoder, q, k=20, **kw)
            lat.append(time.perf_counter() - t0)
        result["search"] = {**summary_ms(lat[5:]), "target_p95_ms": 50}
        print("search", result["search"], flush=True)

        if args.truth:
            result["accuracy"] = evaluate_graph(store, work, args.truth)
            for k, v in result["accuracy"].items():
                print("accuracy", k, v, flush=True)
        if args.datasets:
            from embeddings.evaluate import musae_page_types, trafilatura_eval

            result["trafilatura_eval"] = trafilatura_eval(encoder, args.datasets / "trafilatura_eval")
            result["musae_page_types"] = musae_page_types(encoder, args.datasets / "musae_facebook_page_page")
            print("real data", result["trafilatura_eval"], result["musae_page_types"], flush=True)
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)
    print("saved", save(f"embed-{args.scale}", result))


if __name__ == "__main__":
    main()
