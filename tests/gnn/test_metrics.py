"""Ranking and regression metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gnn.metrics import (
    auc_score,
    per_positive_metrics,
    query_metrics,
    ranking_metrics,
    regression_metrics,
)


def test_query_metrics_hand_computed() -> None:
    # order by score: c(0.9, pos), a(0.8), d(0.5, pos), b(0.1)
    scores = np.array([0.8, 0.1, 0.9, 0.5])
    pos = np.array([False, False, True, True])
    m = query_metrics(scores, pos, ks=(1, 2, 3))
    assert m is not None
    # AUC: pairs (pos, neg): c>a, c>b, d<a, d>b -> 3/4
    assert m["auc"] == pytest.approx(0.75)
    assert m["mrr"] == pytest.approx(1.0)
    assert m["recall@1"] == pytest.approx(0.5)
    assert m["recall@2"] == pytest.approx(0.5)
    assert m["recall@3"] == pytest.approx(1.0)
    # NDCG@3: DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    assert m["ndcg@3"] == pytest.approx(1.5 / (1 + 1 / math.log2(3)))


def test_mrr_of_a_late_positive_and_ties_count_half() -> None:
    m = query_metrics(np.array([3.0, 2.0, 1.0, 0.0]), np.array([False, False, False, True]), ks=(2,))
    assert m is not None and m["mrr"] == pytest.approx(0.25) and m["auc"] == 0.0
    tie = query_metrics(np.array([1.0, 1.0]), np.array([True, False]), ks=(1,))
    assert tie is not None and tie["auc"] == pytest.approx(0.5)


def test_ranking_metrics_skip_queries_without_positives_and_respect_candidates() -> None:
    scores = np.array([[0.9, 0.8, 0.1], [0.5, 0.4, 0.3]])
    # brand 0: partner 0 is already known (not a candidate) -> the positive (1) ranks first
    cand = np.array([[False, True, True], [True, True, True]])
    pos = np.array([[False, True, False], [False, False, False]])
    m = ranking_metrics(scores, cand, pos, ks=(1,))
    assert m["queries"] == 1.0
    assert m["recall@1"] == 1.0 and m["mrr"] == 1.0


def test_per_positive_metrics_ogb_style() -> None:
    m = per_positive_metrics(np.array([0.5, 0.9]), [np.array([0.9, 0.1, 0.2]), np.array([0.1, 0.2])], ks=(1, 2))
    # ranks: 2 and 1
    assert m["mrr"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["hits@1"] == pytest.approx(0.5) and m["hits@2"] == pytest.approx(1.0)


def test_auc_and_regression() -> None:
    assert auc_score(np.array([0.9, 0.4]), np.array([0.5, 0.1])) == pytest.approx(0.75)
    r = regression_metrics(np.array([1.0, 2.0, np.nan]), np.array([2.0, 0.0, 5.0]))
    assert r["mae"] == pytest.approx(1.5) and r["rmse"] == pytest.approx(math.sqrt(2.5)) and r["n"] == 2


def _reference(scores: np.ndarray, positive: np.ndarray, ks: tuple[int, ...], tb: np.ndarray) -> dict[str, float]:
    """Brute force: average ranks for AUC, one full strict sort for the rest."""
    s = np.nan_to_num(scores, nan=-np.inf)
    n_pos = int(positive.sum())
    ranks = np.array([(s < v).sum() + ((s == v).sum() + 1) / 2.0 for v in s])
    out = {"auc": (ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * (len(s) - n_pos))}
    rel = positive[np.lexsort((-tb, -s))]
    out["mrr"] = 1.0 / (int(np.argmax(rel)) + 1)
    for k in ks:
        disc = 1.0 / np.log2(np.arange(2, len(rel[:k]) + 2))
        out[f"recall@{k}"] = rel[:k].sum() / n_pos
        out[f"ndcg@{k}"] = float((rel[:k] * disc).sum()) / float(disc[: min(n_pos, k)].sum())
    return out


def test_query_metrics_match_a_brute_force_reference_with_ties() -> None:
    rng = np.random.default_rng(5)
    for trial in range(40):
        n = int(rng.integers(2, 400))
        scores = np.round(rng.normal(size=n), int(rng.integers(0, 3)))  # many ties
        if trial % 5 == 0:
            scores[rng.random(n) < 0.3] = np.nan
        pos = rng.random(n) < 0.1
        pos[0], pos[-1] = True, False
        tb = rng.random(n) * 1e-9
        got = query_metrics(scores, pos, (1, 10, 50), tb)
        want = _reference(scores, pos, (1, 10, 50), tb)
        assert got is not None
        for key, value in want.items():
            assert abs(got[key] - value) < 1e-9, (trial, key, got[key], value)


def test_one_standard_error_rule_prefers_the_simpler_candidate_within_noise() -> None:
    from gnn.train import choose_shipped

    def met(v: float, se: float) -> dict[str, float]:
        return {"recall@20": v, "recall@50": v, "ndcg@20": v, "se:recall@20": se, "se:recall@50": se,
                "se:ndcg@20": se}

    close = {"gbm": met(0.21, 0.03), "gnn": met(0.22, 0.03), "hybrid": met(0.215, 0.03)}
    assert choose_shipped(close) == "gbm"  # within one SE of the best: the simplest ships
    clear = {"gbm": met(0.15, 0.01), "gnn": met(0.10, 0.01), "hybrid": met(0.20, 0.01)}
    assert choose_shipped(clear) == "hybrid"  # a clear win ships the complex model


def test_mean_metrics_carry_standard_errors() -> None:
    from gnn.metrics import mean_metrics

    out = mean_metrics([{"recall@20": 0.0}, {"recall@20": 1.0}])
    assert out["recall@20"] == 0.5 and abs(out["se:recall@20"] - 0.5) < 1e-9
