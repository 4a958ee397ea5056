"""Heuristic baselines and pair features on a hand-made brand–partner–topic graph."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gnn.baselines import HEURISTICS, GBMRanker, adamic_adar, common_neighbours, popularity
from gnn.data import month_start_day, snapshot, tables_from_export
from gnn.features import PAIR_FEATURES, PairContext
from tests.gnn.linkpred_world import bipartite_export


@pytest.fixture
def ctx() -> PairContext:
    # known: b0-p0, b1-p0, b1-p1; topics: p0 {t0}, p1 {t1}, p2 {t0}, p3 {t0, t1}
    exp = bipartite_export([(0, 0, "2024-01-10"), (1, 0, "2024-01-11"), (1, 1, "2024-02-03")],
                           {0: [0], 1: [1], 2: [0], 3: [0, 1]}, brands=2, partners=4, topics=2)
    t = tables_from_export(exp)
    return PairContext.build(t, snapshot(t, month_start_day(2024 * 12 + 5)))


def test_popularity_counts_brands(ctx: PairContext) -> None:
    s = popularity(ctx, np.array([0]))
    assert s.shape == (1, 4)
    assert np.argsort(-s[0]).tolist()[:2] == [0, 1]
    assert s[0, 2] == s[0, 3] == 0.0


def test_common_neighbours_are_length_3_paths(ctx: PairContext) -> None:
    cn = common_neighbours(ctx, np.array([0]))[0]
    # b0's only partner p0 has neighbours {b0, b1, t0}:
    # p1 shares b1 -> 1; p2 shares t0 -> 1; p3 shares t0 -> 1
    assert cn[1:].tolist() == [1.0, 1.0, 1.0]


def test_adamic_adar_weights_by_degree(ctx: PairContext) -> None:
    aa = adamic_adar(ctx, np.array([0]))[0]
    # deg(b1) = 2 partners; deg(t0) = 3 partners (p0, p2, p3)
    assert aa[1] == pytest.approx(1 / math.log(2))
    assert aa[2] == pytest.approx(1 / math.log(3))
    assert aa[3] == pytest.approx(1 / math.log(3))


def test_pair_feature_block_matches_pairs(ctx: PairContext) -> None:
    blk = ctx.block(np.array([0, 1]))
    assert blk.shape == (2, 4, len(PAIR_FEATURES))
    assert np.isfinite(blk).all()
    rows = ctx.pairs(np.array([1, 0, 1]), np.array([3, 2, 2]))
    assert np.allclose(rows, np.stack([blk[1, 3], blk[0, 2], blk[1, 2]]))
    j = PAIR_FEATURES.index("country_share")
    # b1's partners p0 (FR) and p1 (DE): half of them in each country
    assert blk[1, 2, j] == pytest.approx(0.5) and blk[1, 3, j] == pytest.approx(0.5)
    assert set(HEURISTICS) >= {"popularity", "common_neighbours", "adamic_adar", "text_cosine"}


def test_z_features_are_standardised_within_each_brand(ctx: PairContext) -> None:
    blk = ctx.block(np.array([0, 1]))
    for name, src in (("z_topic", "topic_cos"), ("z_country", "country_share"), ("z_text_profile", "text_profile_cos")):
        z, raw = blk[:, :, PAIR_FEATURES.index(name)], blk[:, :, PAIR_FEATURES.index(src)]
        for b in (0, 1):
            if raw[b].std() > 1e-6:  # computed from moments, equal to the direct standardisation
                assert np.allclose(z[b], (raw[b] - raw[b].mean()) / raw[b].std(), atol=1e-4), name
    # b1 works with p0 and p1, whose brands are b0 and b1: every partner with brands scores > 0
    c = blk[1, :, PAIR_FEATURES.index("collab_root_cos")]
    assert c[0] > 0 and c[1] > 0 and c[2] == c[3] == 0.0


def test_gbm_learns_a_separable_signal() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(float)
    m = GBMRanker(["a", "b", "c"], seed=1).fit(X, y, rounds=30)
    p = m.predict(X)
    assert ((p > 0.5) == (y > 0)).mean() > 0.95
    contrib = m.contributions(X[0])
    assert set(contrib) == {"a", "b", "c", "bias"} and abs(contrib["a"]) > abs(contrib["c"])
    again = GBMRanker.from_string(m.to_string(), ["a", "b", "c"], 30)
    assert np.allclose(again.predict(X), p)


def test_most_specific_topics_drop_tagged_ancestors() -> None:
    import scipy.sparse as sp

    from gnn.features import _most_specific

    # topics: 0 root, 1 child of 0, 2 child of 1, 3 another root
    parent = sp.csr_matrix((np.ones(2, np.float32), ([1, 2], [0, 1])), shape=(4, 4))
    T = sp.csr_matrix(np.array([[1, 1, 1, 0],  # a leaf with its inherited ancestors: the leaf
                                [1, 0, 0, 1],  # two roots: both
                                [1, 1, 0, 1]], np.float32))  # a Tier-2 tag and its root, another root
    assert _most_specific(T, parent).toarray().tolist() == [[0, 0, 1, 0], [1, 0, 0, 1], [0, 1, 0, 1]]


def test_fine_features_use_the_most_specific_topics(ctx: PairContext) -> None:
    blk = ctx.block(np.array([0, 1]))
    fine = blk[:, :, PAIR_FEATURES.index("fine_cos")]
    # flat topics (no hierarchy): the fine profile is the topic profile
    assert np.allclose(fine, blk[:, :, PAIR_FEATURES.index("topic_cos")])
    z, raw = blk[1, :, PAIR_FEATURES.index("z_fine")], fine[1]
    assert np.allclose(z, (raw - raw.mean()) / raw.std(), atol=1e-4)
