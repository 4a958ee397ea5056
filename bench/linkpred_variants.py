"""GBM variants on the link-prediction validation window: what a feature or a setting is worth.

A tool for choosing, on validation only (never the test window). Each variant of the shipped GBM
is fitted on the training windows before T1 (the rows ``partnergraph train`` builds), then every
eligible partner of each validation brand is ranked, with the product's feature code and cascade.
It prints Recall@20, Recall@50 and the selection blend at every ``every`` trees, the best
checkpoint by the blend, and Adamic-Adar from the same run.

A variant is ``NAME=JSON``: the JSON overrides :data:`gnn.baselines.GBM_PARAMS`, plus

- ``"drop": [feature, ...]``: fit without these pair features;
- ``"add": [term, ...]``: **evaluator only**: add a hidden term of the generator as a feature
  (``topic``, ``fine_topic``, ``audience``, ``country``, ``quality``, ``size``, ``pool_prior``),
  replayed from ``--scale``/``--gen-seed`` and matched to the home's ids through
  ``<--truth>/truth/entities.csv``. It measures what knowing that term would be worth; the
  product never sees it;
- ``"rounds_max"`` (400), ``"every"`` (50), ``"seeds"`` (1: GBMs averaged).

    python bench/linkpred_variants.py --home H --seed 7 'shipped={}' 'no_fine={"drop":["fine_cos","z_fine"]}'
    python bench/linkpred_variants.py --home H --truth /tmp/gmed --scale medium 'fine={"add":["fine_topic"]}'
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gnn.baselines import GBM_PARAMS, HEURISTICS, GBMRanker, cascade_predict  # noqa: E402
from gnn.data import GraphTables, load_tables  # noqa: E402
from gnn.features import BRAND_CHUNK, PAIR_FEATURES  # noqa: E402
from gnn.metrics import RankingAccumulator  # noqa: E402
from gnn.split import temporal_split, training_windows, window  # noqa: E402
from gnn.train import SnapshotCache, build_rows, selection_score  # noqa: E402
from graph.settings import load_settings  # noqa: E402
from graph.store import open_store  # noqa: E402

HIDDEN = ("topic", "fine_topic", "audience", "country", "quality", "size", "pool_prior")


def hidden_terms(t: GraphTables, truth: Path, scale: str, seed: int, names: set[str]) -> dict[str, np.ndarray]:
    """``{term: [B, P]}`` hidden generator terms in the home's brand and partner order."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from linkpred_ceiling import _pool_prior, replay

    from graph.generator import entities

    with open(truth / "truth" / "entities.csv", newline="") as fh:
        by_crm = {r["value"]: r["entity_id"] for r in csv.DictReader(fh) if r["kind"] == "crm_id"}
    w = replay(scale, seed)
    p, b = w.p, w.b

    def index(ids: list[str], gen_ids: list[str]) -> np.ndarray:
        pos = {x: i for i, x in enumerate(gen_ids)}
        return np.array([pos.get(by_crm.get(x.rsplit(":", 1)[-1], ""), -1) for x in ids])

    gp, gb = index(list(t.partner_ids), p.ids), index(list(t.brand_ids), b.ids)
    ok = gp >= 0
    print(f"hidden terms: {ok.sum():,} of {len(gp):,} partners and {(gb >= 0).sum()} of {len(gb)} brands matched",
          flush=True)
    out = {k: np.zeros((len(gb), len(gp)), np.float32) for k in names}
    for i, bi in enumerate(gb.tolist()):
        if bi < 0:
            continue
        comp = entities.affinity_components(p, b, bi, gp[ok], w.t)
        comp["size"] = w.dp.size_z[gp[ok]]
        comp["pool_prior"] = _pool_prior(p.vertical, b.pref[bi], w.cfg.candidate_pool)[gp[ok]]
        for k in names:
            out[k][i, ok] = comp[k]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--truth", type=Path, help="generator output directory (for \"add\" terms)")
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--gen-seed", type=int, default=7)
    ap.add_argument("variants", nargs="+", metavar="NAME=JSON")
    a = ap.parse_args(argv)
    variants: dict[str, dict[str, Any]] = {}
    for arg in a.variants:
        name, _, spec = arg.partition("=")
        variants[name] = json.loads(spec or "{}")
    adds = {x for v in variants.values() for x in v.get("add", [])}
    if bad := adds - set(HIDDEN):
        ap.error(f"unknown hidden terms {sorted(bad)}; known: {', '.join(HIDDEN)}")
    if adds and not a.truth:
        ap.error("\"add\" needs --truth (the generator output directory)")
    bad_drop = {x for v in variants.values() for x in v.get("drop", [])} - set(PAIR_FEATURES)
    if bad_drop:
        ap.error(f"unknown pair features {sorted(bad_drop)}")
    settings = load_settings(home=a.home)
    store = open_store(settings)
    try:
        t = load_tables(store, settings.home)
    finally:
        store.close()
    hidden = hidden_terms(t, a.truth, a.scale, a.gen_seed, adds) if adds else {}
    split = temporal_split(t)
    cache = SnapshotCache(t)
    val = window(t, split.t1_day, split.t2_day)
    t0 = time.perf_counter()
    rows = build_rows(cache, training_windows(t, split, split.t1), a.seed)
    print(f"{len(rows.y):,} training rows in {time.perf_counter() - t0:.0f} s", flush=True)
    models = {}
    for name, spec in variants.items():
        spec = dict(spec)
        top, every, k = int(spec.pop("rounds_max", 400)), int(spec.pop("every", 50)), int(spec.pop("seeds", 1))
        drop, add = set(spec.pop("drop", [])), list(spec.pop("add", []))
        keep = [j for j, f in enumerate(PAIR_FEATURES) if f not in drop]
        X = np.concatenate([rows.X[:, keep]] + [hidden[h][rows.b, rows.p][:, None] for h in add], axis=1)
        t0 = time.perf_counter()
        gbms = [GBMRanker([PAIR_FEATURES[j] for j in keep] + add, seed=a.seed + 1000 * i,
                          params={**GBM_PARAMS, **spec}).fit(X, rows.y, rounds=top) for i in range(k)]
        models[name] = (gbms, list(range(every, top + 1, every)), keep, add)
        print(f"fitted {name} in {time.perf_counter() - t0:.0f} s", flush=True)
    snap, ctx = cache.snap(val.start_day), cache.ctx(val.start_day)
    posm = val.positives_matrix(t.num_brands, t.num_partners)
    accs: dict[str, RankingAccumulator] = {}
    for i in range(0, len(val.brands), BRAND_CHUNK):
        chunk = val.brands[i:i + BRAND_CHUNK]
        cand, pos = ~(snap.known[chunk].toarray() > 0), posm[chunk].toarray() > 0
        accs.setdefault("adamic_adar", RankingAccumulator()).add(
            np.asarray(HEURISTICS["adamic_adar"](ctx, chunk)), cand, pos)
        block = ctx.block(chunk)
        for name, (gbms, cks, keep, add) in models.items():
            Xb = np.concatenate([block[:, :, keep]] + [hidden[h][chunk][:, :, None] for h in add], axis=2)
            parts = [cascade_predict(g.booster, Xb, cks)[0] for g in gbms]
            for c in cks:
                accs.setdefault(f"{name}@{c}", RankingAccumulator()).add(
                    np.mean([pp[c] for pp in parts], axis=0), cand, pos)
    res = {k: acc.result() for k, acc in accs.items()}
    print(f"validation, {len(val.brands)} brands, GBM seed {a.seed}: Recall@20, Recall@50, blend")
    for key, m in res.items():
        print(f"{key:32s} {m['recall@20']:.4f} {m['recall@50']:.4f} {selection_score(m):.4f}")
    for name in models:
        best = max((k for k in res if k.startswith(name + "@")), key=lambda k: selection_score(res[k]))
        print(f"best {name}: {best} Recall@20 {res[best]['recall@20']:.4f} blend {selection_score(res[best]):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
