"""The fast paths of link prediction: pair features computed pair by pair equal the block ones,
the cascade keeps full rankings, negatives are sampled without a Python loop, and the weekly
refit reuses the last evaluated configuration (and says which run measured its metrics)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gnn.data import GraphTables, snapshot, tables_from_export
from gnn.features import PAIR_FEATURES, PairContext, structure_inputs
from gnn.split import sample_negatives, temporal_split, topic_neighbours, window
from graph.settings import load_settings
from graph.store.base import GraphStore
from tests.gnn.linkpred_world import bipartite_export


def _tables() -> GraphTables:
    rng = np.random.default_rng(1)
    pairs = []
    for m in range(18):
        y, mm = divmod(m, 12)
        for b in range(6):
            for p in rng.choice(40, 3, replace=False).tolist():
                pairs.append((b, p, f"{2024 + y}-{mm + 1:02d}-{1 + (b * 5 + p) % 27:02d}"))
    topics = {p: [p % 4, (p // 4) % 4] for p in range(40)}
    return tables_from_export(bipartite_export(pairs, topics, brands=6, partners=40, topics=4))


def test_pair_features_equal_the_block() -> None:
    t = _tables()
    split = temporal_split(t)
    ctx = PairContext.build(t, snapshot(t, split.t2_day))
    rng = np.random.default_rng(0)
    b = rng.integers(0, t.num_brands, 300)
    p = rng.integers(0, t.num_partners, 300)
    X = ctx.pairs(b, p)
    brands = np.unique(b)
    Y = ctx.block(brands)[np.searchsorted(brands, b), p]
    assert X.shape == (300, len(PAIR_FEATURES))
    assert np.abs(X - Y).max() < 1e-4
    assert X[:, PAIR_FEATURES.index("cn_brand")].max() > 0  # the collaborative features are not all zero
    # the GNN's structural inputs: computed alone, they equal those of the full block and of pairs
    S = ctx.structure_block(brands)
    assert S.shape == (len(brands), t.num_partners, 4)
    assert np.allclose(S, structure_inputs(ctx.block(brands)), atol=1e-5)
    assert np.allclose(structure_inputs(X), S[np.searchsorted(brands, b), p], atol=1e-4)
    assert S[..., 0].max() > 0 and S[..., 1].max() > 0  # Adamic-Adar through brands and through topics


def test_vectorised_negatives_are_distinct_and_never_partners() -> None:
    t = _tables()
    split = temporal_split(t)
    s = snapshot(t, split.t1_day)
    w = window(t, split.t1_day, split.t2_day)
    posm = w.positives_matrix(t.num_brands, t.num_partners)
    nb, npp, hard = sample_negatives(s.known, posm, w.pos_b, w.pos_p, topic_neighbours(t.partner_topic),
                                     np.random.default_rng(3), hard=3, rand=5)
    taken = (s.known + posm).toarray() > 0
    assert len(nb) and not taken[nb, npp].any()
    assert hard.any() and (~hard).any()
    # at most 5 random and 3 hard per positive (a brand has several positives: bound per brand)
    per_brand = np.bincount(nb, minlength=t.num_brands)
    assert (per_brand <= 8 * np.bincount(w.pos_b, minlength=t.num_brands)).all()
    share = topic_neighbours(t.partner_topic).toarray() > 0
    assert all(share[npp[i], w.pos_p[w.pos_b == nb[i]]].any() for i in np.flatnonzero(hard))


def test_cascade_ranks_every_candidate() -> None:
    import lightgbm as lgb

    from gnn.baselines import cascade_predict

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.5, 3000) > 0).astype(float)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 1},
                        lgb.Dataset(X, label=y), num_boost_round=60)
    block = rng.normal(size=(4, 200, 4)).astype(np.float32)
    plain, kept0 = cascade_predict(booster, block, [60], top=500, first=10)  # top >= P: the plain model
    assert kept0 is None
    full = np.asarray(booster.predict(block.reshape(-1, 4), num_iteration=60)).reshape(4, 200)
    assert np.allclose(plain[60], full)
    scores, kept = cascade_predict(booster, block, [30, 60], top=20, first=10)
    assert kept is not None and (kept.sum(1) == 20).all()
    s = scores[60]
    assert np.isfinite(s).all() and s.shape == (4, 200)
    assert np.allclose(s[kept], full[kept])  # the re-scored pairs get the whole model's score
    for i in range(4):
        assert s[i, kept[i]].min() > s[i, ~kept[i]].max()  # and rank above every other candidate
        first = np.asarray(booster.predict(block[i], num_iteration=10, raw_score=True))
        assert set(np.argsort(-first)[:20]) == set(np.flatnonzero(kept[i]))


@pytest.mark.slow
def test_weekly_refit_reuses_the_evaluated_configuration(store: GraphStore, tmp_path: Path) -> None:
    from gnn.model import GNNConfig
    from gnn.train import frozen_from, refresh_linkpred, train_linkpred
    from tests.gnn.test_linkpred_train import write_world

    write_world(store)
    settings = load_settings(env={}, home=tmp_path, graph_uri=store.uri if store.backend == "neo4j" else None)
    first = train_linkpred(store, settings, seed=7, progress=False,
                           cfg=GNNConfig(hidden=16, max_epochs=4, node_ids=1, conv="hgt"))
    assert first.meta.metrics["evaluation"]["stages"] == ["selection", "test", "refit"]
    again = refresh_linkpred(store, settings, first, seed=7, progress=False)
    meta = again.meta
    assert meta.version != first.meta.version and meta.shipped == first.meta.shipped
    assert meta.metrics["evaluation"]["run"] == first.meta.version
    assert meta.metrics["test"] == first.meta.metrics["test"]  # that run's figures, said as such
    assert "selection" not in meta.params["seconds"] and "test" not in meta.params["seconds"]
    assert meta.params["gnn_epochs"] == first.meta.params["gnn_epochs"]
    assert meta.params["frozen_from"] == first.meta.version
    assert meta.params["gnn"]["conv"] == "hgt"  # the evaluated encoder is the one refitted
    # a refit of a refit still names the evaluated run
    third = refresh_linkpred(store, settings, again, seed=7, progress=False)
    assert third.meta.metrics["evaluation"]["run"] == first.meta.version
    # aligned pairs give what the block gives
    r = again.ranker
    brands, partners = ["brand:0", "brand:1", "brand:0"], ["partner:3", "partner:5", "partner:nope"]
    pp = r.predict_pairs(brands, partners)
    block = r.predict_performance(["brand:0", "brand:1"], ["partner:3", "partner:5"])
    assert np.allclose(pp["log_roi"][:2], np.diag(block["log_roi"]), atol=1e-5)
    assert np.isnan(pp["log_roi"][2])
    # ... through the GNN's performance head too, which reads the pairs' structure on both paths
    r.perf_model = "gnn"
    gp = r.predict_pairs(brands, partners)
    gblock = r.predict_performance(["brand:0", "brand:1"], ["partner:3", "partner:5"])
    assert np.allclose(gp["log_roi"][:2], np.diag(gblock["log_roi"]), atol=1e-4)
    assert np.isfinite(gp["log_roi"][:2]).all() and not np.allclose(gp["log_roi"][:2], pp["log_roi"][:2])
    # a configuration for other features is not reused: selection runs again, without a test stage
    doc = json.loads((again.path / "meta.json").read_text())
    doc["params"]["pair_features"] = ["pop"]
    from gnn.ranker import ModelMeta

    assert frozen_from(ModelMeta(**doc)) is None
    # nor one evaluated with other GBM parameters or negatives (an artefact of an older version)
    doc = json.loads((again.path / "meta.json").read_text())
    assert frozen_from(ModelMeta(**doc)) is not None
    doc["params"]["gbm_negatives"]["random"] += 1
    assert frozen_from(ModelMeta(**doc)) is None
    doc = json.loads((again.path / "meta.json").read_text())
    del doc["params"]["gbm_params"]
    assert frozen_from(ModelMeta(**doc)) is None
    assert frozen_from(None) is None
