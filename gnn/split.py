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
    """Negatives per positive (b, p): ``rand`` uniform partners and ``hard`` partners that share
    a topic with ``p`` (same topics, never partnered with ``b``). Known partners of ``b`` and its
    positives of the window are never negatives; ``share`` is :func:`topic_neighbours`.
    Returns ``(b, p, is_hard)``."""
    P = known.shape[1]
    taken = (known + positives).tocsr()
    out_b: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    out_h: list[np.ndarray] = []
    for b, p in zip(pos_b.tolist(), pos_p.tolist(), strict=True):
        excl = set(taken.indices[taken.indptr[b]:taken.indptr[b + 1]].tolist())
        r = rng.integers(0, P, size=rand * 2)
        r = np.array([x for x in r.tolist() if x not in excl][:rand], np.int64)
        cand = share.indices[share.indptr[p]:share.indptr[p + 1]]
        cand = np.array([x for x in cand.tolist() if x not in excl and x != p], np.int64)
        h = rng.choice(cand, size=min(hard, len(cand)), replace=False) if len(cand) else np.zeros(0, np.int64)
        out_b += [np.full(len(r), b), np.full(len(h), b)]
        out_p += [r, h]
        out_h += [np.zeros(len(r), bool), np.ones(len(h), bool)]
    if not out_b:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    return np.concatenate(out_b).astype(np.int64), np.concatenate(out_p).astype(np.int64), np.concatenate(out_h)


def candidate_mask(known: sp.csr_matrix, brands: np.ndarray) -> np.ndarray:
    """[len(brands), P] bool: eligible candidates (every partner not already known)."""
    return ~(known[brands].toarray() > 0)
