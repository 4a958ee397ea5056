"""Ranking and regression metrics, over full candidate rankings (no sampled negatives).

Per-query ranking (the product: one query per brand) — :func:`ranking_metrics`:
every eligible candidate of the query is ranked; ties are broken by one fixed random order
(seeded, the same for every model), so a model cannot gain from ties.

- ``auc``: probability that a positive outranks a negative of the same query (ties count 1/2);
- ``recall@K``: share of the query's positives in its top K;
- ``ndcg@K``: binary-relevance NDCG of the top K;
- ``mrr``: 1 / rank of the query's first positive.

Each is averaged over queries with at least one positive and one negative.

Per-positive ranking (OGB-style, the generic evaluation) — :func:`per_positive_metrics`:
each held-out edge is ranked against every negative candidate of its source; other positives
of the same source are not counted as negatives (the filtered setting). ``hits@K`` is the share
of positives ranked within the top K, ``mrr`` the mean reciprocal rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

KS = (10, 20, 50)


def _tiebreak(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n) * 1e-9


def query_metrics(scores: np.ndarray, positive: np.ndarray, ks: Sequence[int] = KS,
                  tiebreak: np.ndarray | None = None) -> dict[str, float] | None:
    """Metrics of one query: ``scores`` and ``positive`` over its candidates only.

    One sort per query (AUC's average ranks); the top-K order and the first positive's rank
    come from a partition and a count, not from a second full sort (evaluation ranks ~10k
    partners per brand for ~20 models on `medium`)."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n = len(scores)
    n_pos = int(positive.sum())
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    s = np.nan_to_num(scores, nan=-np.inf)
    # AUC with ties = 1/2 (Mann-Whitney on the raw scores): average 1-based rank per tie group
    order = np.argsort(s)
    ss = s[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = ss[1:] != ss[:-1]
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, n))
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat(starts + (counts + 1) / 2.0, counts)
    auc = (ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    # a strict order for top-K metrics: score, then a fixed random tie-breaker
    tb = (tiebreak if tiebreak is not None else _tiebreak(n, 0))[:n]
    kmax = max(ks) if len(ks) else 1
    if n > kmax:
        thr = np.partition(s, n - kmax)[n - kmax]  # the kmax-th largest score
        sub = np.flatnonzero(s >= thr)
    else:
        sub = np.arange(n)
    top = sub[np.lexsort((-tb[sub], -s[sub]))][:kmax]
    rel = positive[top]
    out: dict[str, float] = {"auc": float(auc)}
    pos_idx = np.flatnonzero(positive)
    best = pos_idx[np.lexsort((tb[pos_idx], s[pos_idx]))[-1]]  # the first positive of the strict order
    ahead = int(((s > s[best]) | ((s == s[best]) & (tb > tb[best]))).sum())
    out["mrr"] = 1.0 / (ahead + 1)
    for k in ks:
        topk = rel[:k]
        out[f"recall@{k}"] = float(topk.sum() / n_pos)
        disc = 1.0 / np.log2(np.arange(2, len(topk) + 2))
        dcg = float((topk * disc).sum())
        idcg = float(disc[: min(n_pos, k)].sum())
        out[f"ndcg@{k}"] = dcg / idcg if idcg else 0.0
    return out


def ranking_metrics(scores: np.ndarray, candidates: np.ndarray, positives: np.ndarray,
                    ks: Sequence[int] = KS, seed: int = 0) -> dict[str, float]:
    """Mean per-query metrics. All arguments are ``[Q, N]``: scores, candidate mask, positive mask
    (positives outside the candidate mask are ignored)."""
    scores = np.asarray(scores)
    rows: list[dict[str, float]] = []
    tb = _tiebreak(scores.shape[1], seed)
    for q in range(scores.shape[0]):
        cand = np.asarray(candidates[q], dtype=bool)
        m = query_metrics(scores[q][cand], np.asarray(positives[q], dtype=bool)[cand], ks, tb[cand])
        if m is not None:
            rows.append(m)
    return mean_metrics(rows)


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {"queries": 0.0}
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    # standard error of each mean over queries (brands), for selection rules that weigh noise
    out.update({f"se:{k}": float(np.std([r[k] for r in rows], ddof=1) / np.sqrt(len(rows))) if len(rows) > 1
                else 0.0 for k in rows[0]})
    out["queries"] = float(len(rows))
    return out


class RankingAccumulator:
    """Collects per-query metrics chunk by chunk (brands in chunks), then averages."""

    def __init__(self, ks: Sequence[int] = KS, seed: int = 0) -> None:
        self.ks = tuple(ks)
        self.seed = seed
        self.rows: list[dict[str, float]] = []

    def add(self, scores: np.ndarray, candidates: np.ndarray, positives: np.ndarray) -> None:
        tb = _tiebreak(scores.shape[1], self.seed)
        for q in range(scores.shape[0]):
            cand = np.asarray(candidates[q], dtype=bool)
            m = query_metrics(scores[q][cand], np.asarray(positives[q], dtype=bool)[cand], self.ks, tb[cand])
            if m is not None:
                self.rows.append(m)

    def result(self) -> dict[str, float]:
        return mean_metrics(self.rows)


def per_positive_metrics(pos_scores: np.ndarray, neg_scores: list[np.ndarray],
                         ks: Sequence[int] = (20, 50, 100)) -> dict[str, float]:
    """OGB-style: positive ``i`` is ranked against ``neg_scores[i]`` (every negative candidate of
    its source). Rank = 1 + #negatives scoring higher + 1/2 #ties (ties shared)."""
    ranks = np.empty(len(pos_scores), dtype=np.float64)
    for i, (p, negs) in enumerate(zip(pos_scores, neg_scores, strict=True)):
        negs = np.nan_to_num(np.asarray(negs, float), nan=-np.inf)
        pv = -np.inf if np.isnan(p) else float(p)
        ranks[i] = 1.0 + float((negs > pv).sum()) + 0.5 * float((negs == pv).sum())
    out = {"mrr": float(np.mean(1.0 / ranks)) if len(ranks) else 0.0}
    for k in ks:
        out[f"hits@{k}"] = float(np.mean(ranks <= k)) if len(ranks) else 0.0
    out["positives"] = float(len(ranks))
    return out


def auc_score(pos: np.ndarray, neg: np.ndarray) -> float:
    """Global AUC of positive vs negative scores (ties 1/2)."""
    pos = np.asarray(pos, float)
    neg = np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    uniq, inv, counts = np.unique(allv[order], return_inverse=True, return_counts=True)
    avg = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = np.empty(len(allv))
    ranks[order] = avg[inv]
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg)))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    y_true = np.asarray(y_true, float)
    y_pred = np.asarray(y_pred, float)
    ok = np.isfinite(y_true) & np.isfinite(y_pred)
    if not ok.any():
        return {"mae": float("nan"), "rmse": float("nan"), "n": 0.0}
    err = y_pred[ok] - y_true[ok]
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean())), "n": float(ok.sum())}
