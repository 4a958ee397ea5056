"""Quality gates with floors that can fail: planted rings on the ci world (built by the demo from
observable sources), the real Bitcoin OTC trust graph (REV2 labels), the real TalkingData clicks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gnn.fraud.detect import SHIPPED, FraudConfig, analyse
from gnn.fraud.evaluate import click_log, generic, planted
from graph.store import open_store
from tests.conftest import CiWorld

#: floors of the ci gate (measured 1.0 / 1.0 / 1.0 / 0.0 when set; docs/evaluation.md)
RING_PRECISION, RING_RECALL, NODE_ROC_AUC, NODE_PR_AUC, HARD_NEGATIVE_FPR = 0.9, 0.9, 0.95, 0.9, 0.05


@pytest.mark.slow
def test_ci_planted_rings_gate(ci_world: CiWorld) -> None:
    assert ci_world.returncode == 0, ci_world.stderr[-2000:]
    settings = ci_world.settings()
    store = open_store(settings)
    try:
        run = analyse(store, settings, FraudConfig())  # read-only: the shared world is not changed
        truth = settings.home / "demo" / "ci-seed-7" / "truth"
        res = planted(run, truth, folds=3)
        if "fraud (rings, alerts)" in ci_world.stdout and "not built" not in next(
                ln for ln in ci_world.stdout.splitlines() if "fraud (rings, alerts)" in ln):
            alerts = store.read("MATCH (a:Alert) RETURN a.evidence AS e, size([(a)-[:FLAGGED]->() | 1]) AS f").rows
            assert alerts and all(json.loads(a["e"])["summary"] and a["f"] > 0 for a in alerts)
            assert store.read("MATCH (r:Ring {status: 'flagged'}) RETURN count(r) AS n").rows[0]["n"] >= 1
    finally:
        store.close()
    assert res["rings"]["precision"] >= RING_PRECISION and res["rings"]["recall"] >= RING_RECALL, res["rings"]
    shipped = res["nodes"][SHIPPED]
    assert shipped["roc_auc"] >= NODE_ROC_AUC and shipped["pr_auc"] >= NODE_PR_AUC, res["nodes"]
    assert shipped["roc_auc"] > res["nodes"]["rules"]["roc_auc"]  # beats the classic shared-identifier rule
    assert res["hard_negatives"]["n"] > 0 and res["hard_negatives"]["fpr"] <= HARD_NEGATIVE_FPR
    # honest sites sharing a popular link tool's tracking template are not flagged either
    assert res["template_sharers"]["n"] > 0 and res["template_sharers"]["fpr"] <= HARD_NEGATIVE_FPR
    # supervised models on observable labels are scored on held-out folds only, next to the baselines
    assert {"gnn", "gnn_standard", "gbm", SHIPPED, "rules"} <= set(res["cv_observable_labels"])
    assert res["observable_labels"]["positive"] > 0  # refunds give some known labels ...
    assert res["cv_truth_labels"]["gnn"]["roc_auc"] >= 0.9  # ... and the GNN learns from good ones


@pytest.mark.slow
def test_bitcoin_otc_rev2(shared_dir: Path) -> None:
    d = shared_dir / "datasets" / "bitcoin_otc_rev2"
    full = generic(d / "otc_network.csv", d / "otc_gt.csv", folds=3)
    assert full["labels"]["labelled"] == 316 and full["labels"]["fraud"] == 180
    assert full["models"]["gnn"]["roc_auc"] >= 0.95  # labels come from received ratings: easy here
    own = generic(d / "otc_network.csv", d / "otc_gt.csv", folds=5, hide_incoming=True)
    m = own["models"]
    assert m["gnn"]["roc_auc"] >= 0.8 and m["gnn"]["roc_auc"] > m["rev2"]["roc_auc"]
    assert m["rules"]["roc_auc"] == pytest.approx(0.5)  # no received ratings left to count


@pytest.mark.slow
def test_talkingdata_click_log(shared_dir: Path) -> None:
    res = click_log(shared_dir / "datasets" / "talkingdata_adtracking_sample" / "train_sample.csv",
                    "talkingdata-clicks")
    assert res["clicks"] == 100_000 and res["conversions"] == 227 and res["sources"] == 161
    assert res["top"] and all(t["evidence"] for t in res["top"][:5])
    top_rate = sum(t["conversions"] for t in res["top"]) / sum(t["clicks"] for t in res["top"])
    assert top_rate < res["conversion_rate"]  # the most anomalous sources convert less than the rest
