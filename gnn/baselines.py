"""Baselines that run in every training run, on the same split as the models.

Heuristics (no training), each scoring a chunk of brands against every partner:

- ``popularity``: number of brands the partner worked with before the cutoff;
- ``common_neighbours`` and ``adamic_adar`` on the brand–partner–topic graph (length-3 paths,
  see :mod:`gnn.features`);
- ``text_cosine``: cosine of the brand's and the partner's sentence vectors;
- ``profile_cosine``: cosine of the partner's vector and the mean vector of the brand's known
  partners (a stronger content baseline than the brand's own short text).

And the learned baseline/candidate: a LightGBM model on the pair features
(:data:`gnn.features.PAIR_FEATURES`), :class:`GBMRanker`, plus LightGBM regressors for the
performance targets, :class:`GBMRegressor`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gnn.features import PairContext

HeuristicFn = Callable[[PairContext, np.ndarray], np.ndarray]


def popularity(ctx: PairContext, brands: np.ndarray) -> np.ndarray:
    return ctx.popularity(brands)


def common_neighbours(ctx: PairContext, brands: np.ndarray) -> np.ndarray:
    a, b = ctx.cn_parts(brands)
    return a + b


def adamic_adar(ctx: PairContext, brands: np.ndarray) -> np.ndarray:
    a, b = ctx.aa_parts(brands)
    return a + b


def text_cosine(ctx: PairContext, brands: np.ndarray) -> np.ndarray:
    return ctx.text_cos(brands)


def profile_cosine(ctx: PairContext, brands: np.ndarray) -> np.ndarray:
    return ctx.text_profile_cos(brands)


HEURISTICS: dict[str, HeuristicFn] = {
    "popularity": popularity,
    "common_neighbours": common_neighbours,
    "adamic_adar": adamic_adar,
    "text_cosine": text_cosine,
    "profile_cosine": profile_cosine,
}
#: The heuristic baselines the quality target compares against ("best heuristic baseline").
TARGET_HEURISTICS = ("popularity", "adamic_adar", "text_cosine", "profile_cosine")

#: One thread: on 2 shared cores LightGBM trained 14x faster with 1 thread than with 2 (measured).
#: Small, randomised trees (15 leaves of at least 200 rows, random split thresholds), chosen on
#: the validation windows of `ci` and `medium` together with
#: :data:`gnn.split.GBM_RANDOM_PER_POSITIVE` (docs/evaluation.md): the rows are many and noisy,
#: and 31 leaves of 20 rows fitted the noise. ``min_data_in_leaf`` is a cap: small graphs get
#: one row in 1,000, at least 20 (:func:`leaf_rows`).
GBM_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 200,
    "extra_trees": True, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
    "lambda_l2": 1.0, "verbose": -1, "num_threads": 1,
}
GBM_MAX_ROUNDS = 400
GBM_CHECK_EVERY = 50
REG_PARAMS: dict[str, Any] = {
    "objective": "huber", "alpha": 1.0, "learning_rate": 0.05, "num_leaves": 15,
    "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
    "lambda_l2": 1.0, "verbose": -1, "num_threads": 1,
}
REG_ROUNDS = 300
#: Cascade (at scale): the first CASCADE_TREES trees of a ranker score every candidate; the
#: CASCADE_TOP best per brand are re-scored by the whole model. Every candidate still gets a
#: score (the rest keep the first stage's order, below the re-scored ones), so rankings stay
#: full; with CASCADE_TOP >= partners (the `ci` graph) it is the plain model.
CASCADE_TOP = 1000
CASCADE_TREES = 25


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def cascade_predict(booster: Any, X: np.ndarray, checkpoints: list[int], *, top: int = CASCADE_TOP,
                    first: int = CASCADE_TREES) -> tuple[dict[int, np.ndarray], np.ndarray | None]:
    """Scores of a ``[brands, P, F]`` block at each number of trees in ``checkpoints`` (one pass
    over the trees). Returns ``({trees: [brands, P]}, kept)``; ``kept`` is the ``[brands, P]``
    mask of pairs the whole model scored, or ``None`` when it scored them all.

    Re-scored pairs get probabilities in [0, 1]; the others ``sigmoid(first stage) - 2``, so they
    rank below, in the first stage's order."""
    nb, P, F = X.shape
    cks = sorted(checkpoints)
    if top >= P or not cks or cks[0] <= first:
        flat = X.reshape(-1, F)
        raw = np.zeros(len(flat))
        out: dict[int, np.ndarray] = {}
        start = 0
        for c in cks:
            raw = raw + booster.predict(flat, start_iteration=start, num_iteration=c - start, raw_score=True)
            start = c
            out[c] = _sigmoid(raw).reshape(nb, P)
        return out, None
    raw1 = np.asarray(booster.predict(X.reshape(-1, F), num_iteration=first, raw_score=True)).reshape(nb, P)
    idx = np.argpartition(-raw1, top - 1, axis=1)[:, :top]
    rows = np.arange(nb)[:, None]
    sub = X[rows, idx].reshape(-1, F)
    raw = raw1[rows, idx].ravel()
    tail = _sigmoid(raw1) - 2.0
    kept = np.zeros((nb, P), bool)
    kept[rows, idx] = True
    out = {}
    start = first
    for c in cks:
        raw = raw + booster.predict(sub, start_iteration=start, num_iteration=c - start, raw_score=True)
        start = c
        sc = tail.copy()
        sc[rows, idx] = _sigmoid(raw).reshape(nb, top)
        out[c] = sc
    return out, kept


def leaf_rows(n_rows: int, cap: int) -> int:
    """Rows per leaf for ``n_rows`` training rows: one in 1,000, between 20 and ``cap``."""
    return int(min(cap, max(20, n_rows // 1000)))


@dataclass
class GBMRanker:
    """LightGBM binary classifier over pair features; scores are probabilities."""

    feature_names: list[str]
    seed: int = 7
    booster: Any = None
    rounds: int = GBM_MAX_ROUNDS
    params: dict[str, Any] = field(default_factory=lambda: dict(GBM_PARAMS))

    def fit(self, X: np.ndarray, y: np.ndarray, rounds: int | None = None,
            group: np.ndarray | None = None) -> GBMRanker:
        """Fit on rows ``X``; with ``group`` (sizes of contiguous per-query lists) and a ranking
        objective in ``params``, LambdaRank; otherwise the binary objective."""
        import lightgbm as lgb

        params = {**self.params, "seed": self.seed, "deterministic": True}
        params["min_data_in_leaf"] = leaf_rows(len(y), int(params.get("min_data_in_leaf", 20)))
        if group is None or params.get("objective") != "lambdarank":
            params["objective"] = "binary"
            group = None
        ds = lgb.Dataset(X, label=y, group=group, feature_name=list(self.feature_names), free_raw_data=False)
        self.booster = lgb.train(params, ds, num_boost_round=rounds or self.rounds)
        if rounds:
            self.rounds = rounds
        return self

    def predict(self, X: np.ndarray, rounds: int | None = None) -> np.ndarray:
        """Probabilities; a ``[brands, P, F]`` block with many partners goes through the
        cascade (:func:`cascade_predict`)."""
        r = rounds or self.rounds
        if X.ndim == 3:
            return cascade_predict(self.booster, X, [r])[0][r]
        flat = X.reshape(-1, X.shape[-1])
        out = self.booster.predict(flat, num_iteration=rounds or self.rounds)
        return np.asarray(out, np.float64).reshape(X.shape[:-1])

    def contributions(self, x: np.ndarray) -> dict[str, float]:
        """SHAP contributions (log-odds) of one pair's features, plus ``bias``."""
        c = np.asarray(self.booster.predict(x.reshape(1, -1), num_iteration=self.rounds, pred_contrib=True))[0]
        out = {n: float(v) for n, v in zip(self.feature_names, c[:-1], strict=True)}
        out["bias"] = float(c[-1])
        return out

    def to_string(self) -> str:
        return str(self.booster.model_to_string(num_iteration=self.rounds))

    @classmethod
    def from_string(cls, text: str, feature_names: list[str], rounds: int) -> GBMRanker:
        import lightgbm as lgb

        return cls(list(feature_names), booster=lgb.Booster(model_str=text), rounds=rounds)


@dataclass
class GBMRegressor:
    """LightGBM regressor (Huber loss) of one performance target over pair features."""

    feature_names: list[str]
    seed: int = 7
    booster: Any = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> GBMRegressor:
        import lightgbm as lgb

        params = {**REG_PARAMS, "seed": self.seed, "deterministic": True}
        ds = lgb.Dataset(X, label=y, feature_name=list(self.feature_names))
        self.booster = lgb.train(params, ds, num_boost_round=REG_ROUNDS)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        flat = X.reshape(-1, X.shape[-1])
        return np.asarray(self.booster.predict(flat), np.float64).reshape(X.shape[:-1])

    def to_string(self) -> str:
        return str(self.booster.model_to_string())

    @classmethod
    def from_string(cls, text: str, feature_names: list[str]) -> GBMRegressor:
        import lightgbm as lgb

        return cls(list(feature_names), booster=lgb.Booster(model_str=text))
