"""Honest temporal splits of brand -> partner partnerships, and training windows.

The time range comes from the data: the last month in which a partnership started closes the
timeline (``end`` = first day of the following month). The last :data:`TEST_MONTHS` months are
the test window, the :data:`VALID_MONTHS` before it the validation window, everything before
``T1`` is training:

    train: start < T1        validation: T1 <= start < T2        test: T2 <= start < end

A window ``[a, b)`` is evaluated on the snapshot at ``a`` (``gnn.data.snapshot``): message
passing, features and "known partners" only use partnerships that started before ``a`` and
performance of months that ended before ``a``. Its positives are the pairs whose *first*
campaign starts in the window; its brands are those with at least one such pair; candidates
are every eligible partner the brand had not partnered with before ``a``.

Training mirrors that: for every month ``c`` between ``WARMUP_MONTHS`` after the first month
and the stage's cutoff, a training window ``[c, min(c + HORIZON_MONTHS, cutoff))`` on the
snapshot at ``c``. So no label is ever seen by message passing in its own window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gnn.data import GraphTables, month_start_day, month_str
from graph.errors import InputError

VALID_MONTHS = 3
TEST_MONTHS = 4
HORIZON_MONTHS = 3
WARMUP_MONTHS = 6
HARD_PER_POSITIVE = 5
RANDOM_PER_POSITIVE = 10
#: The GBM's training rows take more random negatives than the GNN's batches: a full ranking
#: meets ~10,000 candidates per brand, and with 10 per positive the trees never saw enough of
#: the crowd just below the positives (validation Recall@20 on `medium` 0.151 -> 0.166 with 50,
#: together with the smaller trees of :data:`gnn.baselines.GBM_PARAMS`; 100 was worse, 0.153).
GBM_RANDOM_PER_POSITIVE = 50


@dataclass(frozen=True)
class TemporalSplit:
    first_month: int
    t1: int  # first validation month
    t2: int  # first test month
    end: int  # first month after the data

    @property
    def t1_day(self) -> int:
        return month_start_day(self.t1)

    @property
    def t2_day(self) -> int:
        return month_start_day(self.t2)

    @property
    def end_day(self) -> int:
        return month_start_day(self.end)

    def describe(self) -> dict[str, str]:
        return {"first": month_str(self.first_month), "T1": month_str(self.t1) + "-01",
                "T2": month_str(self.t2) + "-01", "end": month_str(self.end) + "-01"}


MIN_PARTNERSHIPS = 30


def temporal_split(t: GraphTables, *, valid_months: int = VALID_MONTHS,
                   test_months: int = TEST_MONTHS) -> TemporalSplit:
    """T1/T2 from the time range of the partnership starts (deterministic). Refuses graphs a
    model cannot learn from, with the reason: no partnerships, a single brand, too short a
    history."""
    if t.pairs.empty:
        raise InputError("no partnerships in the graph: nothing to learn from (cold start)",
                         hint="import campaigns with partner performance (crm/performance.csv); "
                              "until then discovery ranks partners by content similarity")
    n_brands = int(t.pairs["b"].nunique())
    if n_brands < 2 or len(t.pairs) < MIN_PARTNERSHIPS:
        raise InputError(f"too little history to learn from: {len(t.pairs)} partnerships of {n_brands} brand(s)",
                         hint=f"link prediction needs at least 2 brands and {MIN_PARTNERSHIPS} partnerships; "
                              "until then discovery ranks partners by content similarity")
    first = int(t.pairs["start_month"].min())
    end = int(t.pairs["start_month"].max()) + 1
    t2 = end - test_months
    t1 = t2 - valid_months
    if t1 - first < WARMUP_MONTHS + 1:
        raise InputError(
            f"partnership history spans {end - first} months ({month_str(first)}..{month_str(end - 1)}); "
            f"a temporal split needs at least {WARMUP_MONTHS + 1 + valid_months + test_months}",
            hint="import a longer campaign history")
    return TemporalSplit(first, t1, t2, end)


@dataclass
class Window:
    """Positives of ``[start_day, end_day)`` against the snapshot at ``start_day``."""

    start_day: int
    end_day: int
    pos_b: np.ndarray
    pos_p: np.ndarray

    @property
    def brands(self) -> np.ndarray:
        return np.unique(self.pos_b)

    def positives_matrix(self, num_brands: int, num_partners: int) -> sp.csr_matrix:
        return sp.csr_matrix((np.ones(len(self.pos_b)), (self.pos_b, self.pos_p)),
                             shape=(num_brands, num_partners))


def window(t: GraphTables, start_day: int, end_day: int) -> Window:
    sel = (t.pairs["start_day"] >= start_day) & (t.pairs["start_day"] < end_day)
    w = t.pairs[sel]
    return Window(start_day, end_day, w["b"].to_numpy(np.int64), w["p"].to_numpy(np.int64))


def training_windows(t: GraphTables, split: TemporalSplit, cutoff_month: int) -> list[Window]:
    """Monthly training windows whose labels all lie before ``cutoff_month``."""
    out = []
    for c in range(split.first_month + WARMUP_MONTHS, cutoff_month):
        e = min(c + HORIZON_MONTHS, cutoff_month)
        w = window(t, month_start_day(c), month_start_day(e))
        if len(w.pos_b):
            out.append(w)
    return out


def topic_neighbours(partner_topic: sp.csr_matrix) -> sp.csr_matrix:
    """P x P: partners that share at least one topic (the pool of hard negatives)."""
    tb = (partner_topic > 0).astype(np.float32).tocsr()
    return (tb @ tb.T).tocsr()


def sample_negatives(known: sp.csr_matrix, positives: sp.csr_matrix, pos_b: np.ndarray,
                     pos_p: np.ndarray, share: sp.csr_matrix, rng: np.random.Generator,
                     *, hard: int = HARD_PER_POSITIVE, rand: int = RANDOM_PER_POSITIVE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Negatives per positive (b, p): up to ``rand`` uniform partners and up to ``hard`` partners
    that share a topic with ``p`` (same topics, never partnered with ``b``), all distinct per
    positive. Known partners of ``b`` and its positives of the window are never negatives;
    ``share`` is :func:`topic_neighbours`. Vectorised (no Python loop per positive): draws
    twice (random) / three times (hard) as many as needed and keeps the first valid ones.
    Returns ``(b, p, is_hard)``."""
    P = known.shape[1]
    n = len(pos_b)
    pos_b = np.asarray(pos_b, np.int64)
    pos_p = np.asarray(pos_p, np.int64)
    if n == 0 or P == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    taken = (known + positives).tocoo()
    taken_keys = np.unique(taken.row.astype(np.int64) * P + taken.col.astype(np.int64))

    def pick(cand: np.ndarray, valid: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row, partner) of the first ``k`` valid, distinct candidates of each row."""
        rows = np.broadcast_to(np.arange(n)[:, None], cand.shape)
        keys = pos_b[rows] * P + cand
        valid = valid & ~np.isin(keys, taken_keys) & (cand != pos_p[:, None])
        r, c = rows[valid], cand[valid]
        if not len(r):
            return r, c
        # distinct per row, in draw order
        pair = r * P + c
        _, first = np.unique(pair, return_index=True)
        first.sort()
        r, c = r[first], c[first]
        rank = np.arange(len(r)) - np.searchsorted(r, r)  # position within its row
        keep = rank < k
        return r[keep], c[keep]

    out_r: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    out_h: list[np.ndarray] = []
    if rand > 0:
        cand = rng.integers(0, P, size=(n, rand * 2))
        r, c = pick(cand, np.ones(cand.shape, bool), rand)
        out_r.append(r)
        out_p.append(c)
        out_h.append(np.zeros(len(r), bool))
    if hard > 0:
        start = share.indptr[pos_p].astype(np.int64)
        deg = share.indptr[pos_p + 1].astype(np.int64) - start
        u = rng.random((n, hard * 3))
        idx = start[:, None] + np.floor(u * deg[:, None]).astype(np.int64)
        has = deg[:, None] > 0
        cand = np.where(has, share.indices[np.minimum(idx, max(len(share.indices) - 1, 0))] if len(share.indices)
                        else 0, 0).astype(np.int64)
        r, c = pick(cand, np.broadcast_to(has, cand.shape), hard)
        out_r.append(r)
        out_p.append(c)
        out_h.append(np.ones(len(r), bool))
    r = np.concatenate(out_r) if out_r else np.zeros(0, np.int64)
    order = np.argsort(r, kind="stable")  # negatives of a positive together (random, then hard)
    p_all = np.concatenate(out_p)[order] if out_p else np.zeros(0, np.int64)
    h_all = np.concatenate(out_h)[order] if out_h else np.zeros(0, bool)
    return pos_b[r[order]].astype(np.int64), p_all.astype(np.int64), h_all


def candidate_mask(known: sp.csr_matrix, brands: np.ndarray) -> np.ndarray:
    """[len(brands), P] bool: eligible candidates (every partner not already known)."""
    return ~(known[brands].toarray() > 0)
