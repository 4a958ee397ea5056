"""Baselines that run in the same process, on the same labels, as the GNN.

- ``rules``: the classic graph fraud-ring rule: how many other affiliates share a rare device, IP,
  payment account or tracking template with this one (rarity >= 0.5), no weighting by traffic;
- ``gbm``: LightGBM on the behaviour and per-node graph figures, trained on the known labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RULE_KINDS = ("device", "ip", "payment", "template")


def rule_scores(weighted: pd.DataFrame, ids: pd.Series, min_rarity: float = 0.5) -> pd.Series:
    """Number of distinct other affiliates sharing a rare identifier (log1p), per affiliate."""
    out = pd.Series(0.0, index=ids.to_numpy())
    if weighted.empty:
        return out
    u = weighted[weighted["kind"].isin(RULE_KINDS) & (weighted["weight"] >= min_rarity) & (weighted["degree"] >= 2)]
    if u.empty:
        return out
    m = u[["kind", "ident", "affiliate"]].merge(u[["kind", "ident", "affiliate"]], on=["kind", "ident"])
    m = m[m["affiliate_x"] != m["affiliate_y"]]
    cnt = m.groupby("affiliate_x")["affiliate_y"].nunique()
    return np.log1p(out.index.to_series().map(cnt).fillna(0.0)).astype(float)


def graph_figures(pairs: pd.DataFrame, ids: pd.Series, strong: float) -> pd.DataFrame:
    """Per-node figures of the link graph: strongest link, weighted degree, strong links."""
    cols = ["max_link", "sum_link", "strong_links", "max_traffic_link", "max_account_link"]
    out = pd.DataFrame(0.0, index=ids.to_numpy(), columns=cols)
    if pairs.empty:
        return out
    both = pd.concat([pairs.rename(columns={"a": "n"}), pairs.rename(columns={"b": "n"})])
    g = both.groupby("n")
    agg = pd.DataFrame({"max_link": g["strength"].max(), "sum_link": g["strength"].sum(),
                        "strong_links": g["strength"].apply(lambda s: float((s >= strong).sum())),
                        "max_traffic_link": g["traffic"].max(), "max_account_link": g["account"].max()})
    out.update(agg.reindex(out.index))
    return out.fillna(0.0)


def gbm_scores(x: np.ndarray, y: np.ndarray, train: np.ndarray, seed: int = 7) -> np.ndarray:
    """Fit LightGBM on the ``train`` rows (``y`` 0/1) and score every row."""
    import lightgbm as lgb

    pos = float(y[train].sum())
    neg = float(len(y[train]) - pos)
    model = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=5,
                               subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                               scale_pos_weight=neg / max(pos, 1.0), random_state=seed, n_jobs=1,
                               deterministic=True, force_col_wise=True, verbose=-1)
    model.fit(x[train], y[train])
    return np.asarray(model.predict_proba(x), dtype=float)[:, 1]
