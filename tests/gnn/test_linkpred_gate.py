"""CI gate on the ``ci`` product graph (built by ``partnergraph demo`` from observable sources):
the shipped ranker beats popularity and Adamic-Adar on the TEST window (Recall@20, full
rankings of every eligible partner per brand)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _outcome(ci_world, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN202
    """The demo's artefact when the demo trained one; else train on a copy of the home."""
    from gnn.train import load_linkpred, train_linkpred
    from graph.settings import load_settings
    from graph.store import open_store

    assert ci_world.returncode == 0, ci_world.stderr[-2000:]
    out = load_linkpred(ci_world.settings())
    if out is not None:
        return out
    home = Path(tmp_path_factory.mktemp("ci-linkpred")) / "home"
    shutil.copytree(ci_world.home, home, ignore=shutil.ignore_patterns("*.settings", "*.sock", "*.pid"))
    settings = load_settings(home=home, graph_uri=None)
    store = open_store(settings)
    try:
        return train_linkpred(store, settings, progress=False)
    finally:
        store.close()


def test_shipped_ranker_beats_popularity_and_adamic_adar_on_test(ci_world, tmp_path_factory) -> None:  # noqa: ANN001
    out = _outcome(ci_world, tmp_path_factory)
    test = out.meta.metrics["test"]
    shipped = out.meta.shipped
    assert shipped in {"gnn", "gbm", "hybrid"}
    assert out.meta.metrics["counts"]["test_brands"] >= 20  # enough brands for the gate to mean something
    for baseline in ("popularity", "adamic_adar"):
        assert test[shipped]["recall@20"] > test[baseline]["recall@20"], (shipped, baseline, test)
    # the performance model beats the partner-mean baseline on test
    perf = out.meta.metrics["performance"]["test"]
    chosen = out.meta.metrics["performance"]["shipped"]
    assert perf[chosen]["mae"] < perf["partner_mean"]["mae"]
    # the shipped artefact scores the real graph
    brands = out.ranker.tables.brand_ids[:3]
    scores = out.ranker.score(brands, out.ranker.tables.partner_ids)
    assert scores.shape == (3, len(out.ranker.tables.partner_ids))
