"""Backtest of the "brands like yours saw 2.1× ROI here" reason: does it say what the new pair returns?

An evaluator's tool on the link-prediction windows of a home (validation ``[T1, T2)`` and test
``[T2, end)``). For every new partnership of a window with realised performance, the reason is
computed by the product's code (:func:`gnn.explain.explain`) from what was known when the window
started: the campaigns' months before it, and the contracts signed before it. Two rules for
"brands like yours" are compared:

- ``payout`` (shipped): brands on the same payout model as the brand (most of its contracts);
- ``similar`` (the rule before; still the fallback without a payout model): the 10 brands with
  history whose text vectors are closest (same IAB product category first).

The reason's figure (``exp`` of a mean log ROI) is compared, in logs, with the pair's realised log
ROI in the window (:func:`gnn.data.pair_performance`, the performance head's target), next to the
brand-mean and partner-mean baselines on the same pairs (:func:`gnn.data.snapshot`).

    python bench/reasons_roi.py --home H
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import save  # noqa: E402

from gnn import discover_queries as Q  # noqa: E402
from gnn.data import GraphTables, load_tables, pair_performance, snapshot  # noqa: E402
from gnn.discover_data import payout_models  # noqa: E402
from gnn.explain import ExplainContext, explain, similar_brands  # noqa: E402
from gnn.split import temporal_split, window  # noqa: E402
from gnn.train import _month  # noqa: E402
from graph.settings import load_settings  # noqa: E402
from graph.store import open_store  # noqa: E402

#: Contracts with their start, so that a window sees only those signed before it.
CONTRACTS = """MATCH (b:Brand)-[:SIGNED]->(k:Contract)
WHERE k.model IS NOT NULL
RETURN b.id AS brand, k.model AS model, k.start AS start"""


def _context(t: GraphTables, cutoff_day: int, contracts: pd.DataFrame, rule: str) -> ExplainContext:
    """The reason's facts at ``cutoff_day``: campaigns and contracts known then."""
    cm = _month(cutoff_day)
    ev = t.events[(t.events["month"] < cm) & (t.events["start_day"] < cutoff_day)]
    agg = ev.groupby(["b", "p", "campaign"], as_index=False)[["cost", "revenue"]].sum()
    pairs: dict[tuple[str, str], list[tuple[str, str, str, float, float]]] = defaultdict(list)
    for b, p, c, cost, rev in agg[["b", "p", "campaign", "cost", "revenue"]].itertuples(index=False):
        bid, pid = t.brand_ids[int(b)], t.partner_ids[int(p)]
        pairs[(bid, pid)].append((bid, str(c), pid, float(cost), float(rev)))
    ctx = ExplainContext(brand_names={}, partner_names={}, topics={}, topic_names={}, audiences={}, links={},
                         best={}, pairs=dict(pairs), campaigns={}, campaign_names={}, campaign_partners={},
                         campaign_brand={})
    if rule == "payout":
        known = contracts[contracts["day"] < cutoff_day]
        ctx.payout = payout_models(({"brand": b, "model": m, "n": 1} for b, m in
                                    zip(known["brand"], known["model"], strict=True)),
                                   {b: b for b in t.brand_ids})
    else:
        vecs = {b: t.vectors["brand"][i] for i, b in enumerate(t.brand_ids)} if "brand" in t.vectors else {}
        cats = t.brand_category.tocsr()
        categories = {b: {str(j) for j in cats.indices[cats.indptr[i]:cats.indptr[i + 1]]}
                      for i, b in enumerate(t.brand_ids)}
        with_history = sorted({b for b, _ in pairs})
        ctx.similar = similar_brands(list(t.brand_ids), with_history, vecs, categories)
    return ctx


def backtest(t: GraphTables, contracts: pd.DataFrame, lo: int, hi: int) -> dict[str, Any]:
    w = window(t, lo, hi)
    roi, _ = pair_performance(t, w.pos_b, w.pos_p, _month(lo), _month(hi))
    ok = np.isfinite(roi)
    b, p, y = w.pos_b[ok], w.pos_p[ok], roi[ok]
    s = snapshot(t, lo)
    out: dict[str, Any] = {"new_pairs": int(len(y))}
    for rule in ("payout", "similar"):
        ctx = _context(t, lo, contracts, rule)
        got = np.full(len(y), np.nan)
        for i, (bi, pi) in enumerate(zip(b.tolist(), p.tolist(), strict=True)):
            items = explain(ctx, t.brand_ids[bi], t.partner_ids[pi], mode="model").reasons["items"]
            item = next((x for x in items if x["kind"] == "similar_brands_roi"), None)
            if item is not None and item["value"] > 0:
                got[i] = math.log(item["value"])
        have = np.isfinite(got) & np.isfinite(s.brand_mean_roi[b]) & np.isfinite(s.partner_mean_roi[p])
        out[rule] = {
            "shown_for": round(float(np.isfinite(got).mean()), 4),
            "pairs_compared": int(have.sum()),
            "mae_log_roi": round(float(np.abs(got[have] - y[have]).mean()), 4) if have.any() else None,
            "brand_mean_mae": round(float(np.abs(s.brand_mean_roi[b][have] - y[have]).mean()), 4)
            if have.any() else None,
            "partner_mean_mae": round(float(np.abs(s.partner_mean_roi[p][have] - y[have]).mean()), 4)
            if have.any() else None,
            "same_side_of_1x": round(float(((got[have] > 0) == (y[have] > 0)).mean()), 4) if have.any() else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    a = ap.parse_args(argv)
    settings = load_settings(home=a.home)
    t0 = time.perf_counter()
    store = open_store(settings)
    try:
        t = load_tables(store, settings.home)
        rows = Q.read_all(store, CONTRACTS)
    finally:
        store.close()
    contracts = pd.DataFrame(rows, columns=["brand", "model", "start"])
    contracts["day"] = (pd.to_datetime(contracts["start"].astype(str).str[:10], errors="coerce")
                        - pd.Timestamp("1970-01-01")).dt.days.fillna(np.inf)
    split = temporal_split(t)
    res = {"validation": backtest(t, contracts, split.t1_day, split.t2_day),
           "test": backtest(t, contracts, split.t2_day, split.end_day),
           "contracts": len(contracts), "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(res, indent=1))
    print(f"saved {save('reasons_roi', res)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
