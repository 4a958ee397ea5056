"""Link-prediction benchmark on a product graph built from a generator's observable sources.

    python bench/linkpred.py --home /work/home-med --gen /tmp/gmed [--build] [--load]

1. ``--build``: builds the graph under HOME as ``partnergraph demo`` does — schema and IAB
   taxonomies, ``import`` of every observable export, ``crawl`` of the partner sites (served
   from ``GEN/observable/sites`` on 127.0.0.1), ``embed``.
2. Trains (``gnn.train.train_linkpred``; or ``--load`` the latest artefact) and prints every
   model on validation and test, with the quality targets of issue 6:
   shipped Recall@20 >= 1.25x the best heuristic (popularity, Adamic-Adar, text cosine, profile
   cosine) and performance MAE <= 0.8x the partner-mean baseline, on TEST.
3. Evaluator-only (this script, not the product, reads ``GEN/truth/``): the production ranker,
   refitted on every observable partnership, is also scored on the generator's held-out months
   (truth partnerships starting at or after the manifest's T2, which the observable exports do
   not report), against the heuristics on the same production snapshot. Full rankings of every
   eligible partner per brand, excluding the brand's known partners.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEURISTIC_TARGETS = ("popularity", "adamic_adar", "text_cosine", "profile_cosine")


def build(home: Path, gen: Path) -> None:
    from app.demo import _run_crawl, _run_embed
    from graph.ingest.bundle import import_generator_exports
    from graph.settings import load_settings
    from graph.store import open_store
    from graph.taxonomy_load import load_taxonomies

    settings = load_settings(home=home)
    store = open_store(settings)
    try:
        for name, step in (("schema", lambda: (store.apply_schema(), load_taxonomies(store))),
                           ("import", lambda: import_generator_exports(store, settings, gen)),
                           ("crawl", lambda: _run_crawl(store, settings, gen)),
                           ("embed", lambda: _run_embed(store, settings, gen))):
            t0 = time.perf_counter()
            step()
            print(f"build {name}: {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        store.close()


def targets(meta_metrics: dict, shipped: str) -> dict[str, float]:
    test = meta_metrics["test"]
    best_name = max(HEURISTIC_TARGETS, key=lambda n: test[n]["recall@20"])
    perf = meta_metrics["performance"]["test"]
    out = {"shipped_recall@20": test[shipped]["recall@20"], "best_heuristic": best_name,
           "best_heuristic_recall@20": test[best_name]["recall@20"],
           "ratio": test[shipped]["recall@20"] / max(test[best_name]["recall@20"], 1e-12),
           "partner_mean_mae": perf["partner_mean"]["mae"]}
    for name in ("gnn", "gbm"):
        if name in perf:
            out[f"{name}_perf_mae"] = perf[name]["mae"]
            out[f"{name}_perf_ratio"] = perf[name]["mae"] / perf["partner_mean"]["mae"]
    return out


def truth_holdout(outcome: object, store: object, gen: Path) -> dict[str, dict[str, float]]:
    """Evaluator-side: the production ranker vs heuristics on truth partnerships after T2."""
    from gnn.baselines import HEURISTICS
    from gnn.metrics import RankingAccumulator

    ranker = outcome.ranker  # type: ignore[attr-defined]
    manifest = json.loads((gen / "manifest.json").read_text())
    t2 = manifest["T2"]
    truth = pd.read_csv(gen / "truth" / "partnerships.csv")
    ent = pd.read_csv(gen / "truth" / "entities.csv")
    crm = ent[ent["kind"] == "crm_id"]
    b_crm = crm[crm["entity_type"] == "brand"].groupby("entity_id")["value"].apply(list).to_dict()
    p_crm = crm[crm["entity_type"] != "brand"].groupby("entity_id")["value"].apply(list).to_dict()
    rows = store.read("MATCH (b:Brand) WHERE b.crm_id IS NOT NULL RETURN b.id AS id, b.crm_id AS crm",  # type: ignore[attr-defined]
                      limit=10_000_000).rows
    brand_of = {r["crm"]: r["id"] for r in rows}
    prow = store.read("MATCH (p) WHERE (p:Publisher OR p:Influencer) AND p.crm_id IS NOT NULL "  # type: ignore[attr-defined]
                      "RETURN p.id AS id, p.crm_id AS crm", limit=10_000_000).rows
    partner_of = {r["crm"]: r["id"] for r in prow}
    t = ranker.tables
    bidx = t.brand_index()
    held = truth[truth["start_date"] >= t2]
    pos: dict[int, set[int]] = {}
    for b, p in zip(held["brand_id"], held["partner_id"], strict=True):
        bi = next((bidx[brand_of[c]] for c in b_crm.get(b, []) if brand_of.get(c) in bidx), None)
        pi = next((t.alias[partner_of[c]] for c in p_crm.get(p, []) if partner_of.get(c) in t.alias), None)
        if bi is not None and pi is not None:
            pos.setdefault(bi, set()).add(pi)
    known = ranker.snapshot.known
    brands = np.array(sorted(b for b, ps in pos.items() if ps - set(known[b].indices.tolist())), np.int64)
    accs = {name: RankingAccumulator() for name in [*HEURISTICS, "shipped:" + ranker.name]}
    for i in range(0, len(brands), 64):
        chunk = brands[i:i + 64]
        cand = ~(known[chunk].toarray() > 0)
        pm = np.zeros(cand.shape, bool)
        for r, b in enumerate(chunk.tolist()):
            pm[r, list(pos[b])] = True
        for name, fn in HEURISTICS.items():
            accs[name].add(fn(ranker.ctx, chunk), cand, pm)
        accs["shipped:" + ranker.name].add(ranker._score_block(chunk), cand, pm)
    out = {k: v.result() for k, v in accs.items()}
    out["_info"] = {"T2": t2, "truth_pairs_after_T2": float(len(held)), "brands": float(len(brands)),
                    "mapped_pairs": float(sum(len(v) for v in pos.values()))}  # type: ignore[dict-item]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--gen", type=Path, help="generator output (observable/ and truth/)")
    ap.add_argument("--build", action="store_true")
    ap.add_argument("--load", action="store_true", help="use the latest artefact instead of training")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    if args.build:
        build(args.home, args.gen)
    from gnn.linkpred_cli import summary
    from gnn.train import load_linkpred, train_linkpred
    from graph.settings import load_settings
    from graph.store import open_store

    settings = load_settings(home=args.home)
    store = open_store(settings)
    try:
        t0 = time.perf_counter()
        out = load_linkpred(settings) if args.load else None
        if out is None:
            out = train_linkpred(store, settings, seed=args.seed, progress=False)
        print(f"train: {time.perf_counter() - t0:.0f} s; phases {out.meta.params.get('seconds')}")
        print(summary(out.meta.metrics, out.meta.shipped))
        print("targets:", json.dumps(targets(out.meta.metrics, out.meta.shipped), default=float))
        print(f"artefact {out.path}\nreport {out.report_path}")
        if args.gen and (args.gen / "truth").is_dir():
            res = truth_holdout(out, store, args.gen)
            print("truth hold-out (evaluator only):", json.dumps(res.pop("_info")))
            for name, m in sorted(res.items(), key=lambda kv: -kv[1].get("recall@20", 0)):
                print(f"  {name:<22} auc {m.get('auc', 0):.4f} mrr {m.get('mrr', 0):.4f} "
                      f"recall@20 {m.get('recall@20', 0):.4f} recall@50 {m.get('recall@50', 0):.4f} "
                      f"ndcg@20 {m.get('ndcg@20', 0):.4f} brands {m.get('queries', 0):.0f}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
