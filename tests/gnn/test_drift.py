"""PSI and KS, snapshots, and the realised performance of past recommendations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnn.drift import KS_MAX, PSI_MAX, Snapshot, compare, ks, psi, realised, take_snapshot


def test_psi_and_ks_on_known_distributions() -> None:
    rng = np.random.default_rng(7)
    ref = rng.normal(0, 1, 5000)
    same = rng.normal(0, 1, 5000)
    moved = rng.normal(0.5, 1, 5000)
    assert psi(ref, ref) == pytest.approx(0.0, abs=1e-12) and ks(ref, ref) == 0.0
    assert psi(ref, same) < 0.02 and ks(ref, same) < 0.04
    # a half-sigma shift: PSI about 0.25, KS about 0.2 (Phi(0.25) - Phi(-0.25))
    assert 0.18 < psi(ref, moved) < 0.35 and ks(ref, moved) == pytest.approx(0.197, abs=0.03)
    assert ks([1, 2, 3], [4, 5, 6]) == 1.0
    assert ks([1, 2, 3, 4], [3, 4, 5, 6]) == 0.5


def test_non_finite_values_are_left_out_and_counted() -> None:
    ref = np.array([1.0, 2.0, 3.0, 4.0] * 50)
    cur = np.concatenate([ref, [np.nan, np.inf, -np.inf]])
    assert psi(ref, cur) == pytest.approx(0.0, abs=1e-9) and ks(ref, cur) == 0.0
    out = compare(Snapshot(features={"f": ref}), Snapshot(features={"f": cur}))
    assert out["features"]["f"] == {"psi": 0.0, "ks": 0.0, "non_finite": 3}
    assert np.isnan(psi([], ref)) and np.isnan(ks([np.nan], ref))


def test_constant_features_do_not_break_the_bins() -> None:
    assert psi(np.zeros(100), np.zeros(100)) == pytest.approx(0.0)
    assert psi(np.zeros(100), np.ones(100)) > PSI_MAX


def test_snapshots_compare_features_and_embeddings(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(400, 16))
    ref = take_snapshot({"partner.roi": rng.lognormal(0, 0.3, 400)}, {"partner_text": base})
    path = ref.save(tmp_path / "ref.npz")
    loaded = Snapshot.load(path)
    assert set(loaded.features) == {"partner.roi"} and loaded.embeddings["partner_text"][1].shape == (5, 16)
    calm = take_snapshot({"partner.roi": rng.lognormal(0, 0.3, 400)},
                         {"partner_text": base + 0.01 * rng.normal(size=base.shape)}, loaded)
    out = compare(loaded, calm)
    assert out["drifted"] is False and out["why"] == []
    assert out["embeddings"]["partner_text"]["psi_max"] < 0.05
    # the texts moved along the reference's first principal direction
    mean, basis, _ = loaded.embeddings["partner_text"]
    shifted = base + 1.0 * basis[0] * np.std(base @ basis[0])
    stormy = take_snapshot({"partner.roi": rng.lognormal(0.5, 0.3, 400)}, {"partner_text": shifted}, loaded)
    out = compare(loaded, stormy)
    assert out["drifted"] is True
    assert out["features"]["partner.roi"]["ks"] >= KS_MAX
    assert out["embeddings"]["partner_text"]["ks_max"] >= KS_MAX
    assert out["embeddings"]["partner_text"]["centroid_shift"] > 0.3
    assert any(w.startswith("partner_text embeddings: PSI") for w in out["why"])


def _hist(rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["brand", "partner", "cost", "revenue", "first_seen"])


def test_realised_performance_of_a_run() -> None:
    run = {"id": "run-1", "finished_at": "2026-01-05T00:00:00Z"}
    recs = pd.DataFrame([("A", "p1", 1, 0.9, 2.0), ("A", "p2", 2, 0.8, 1.0), ("B", "p3", 1, 0.7, None)],
                        columns=["brand", "partner", "rank", "score", "predicted_roi"])
    hist = _hist([("A", "p0", 10, 10, "2025-01-01T00:00:00Z"),  # old partnership
                  ("A", "p1", 100, 300, "2026-01-20T00:00:00Z"),  # new and recommended: ROI 3
                  ("B", "p9", 50, 10, "2026-01-21T00:00:00Z")])  # new, not recommended
    fb = pd.DataFrame([("A", "p2", "reject", "run-1"), ("B", "p3", "accept", "run-1"), ("B", "p3", "accept", "run-0")],
                      columns=["brand", "partner", "verdict", "run_id"])
    out = realised(run, recs, hist, fb, expected_recall=0.9)
    assert (out["new_pairs"], out["recommended_and_taken"], out["recall"]) == (2, 1, 0.5)
    assert out["realised_roi"] == 3.0
    assert out["log_roi_mae"] == pytest.approx(abs(np.log(3.0) - np.log(2.0)), abs=1e-4)
    assert (out["accepted"], out["rejected"]) == (1, 1)
    assert out["drifted"] is False  # too few new partnerships to judge (fewer than 20)


def test_realised_drift_when_recommendations_stop_working() -> None:
    run = {"id": "run-1", "finished_at": "2026-01-05T00:00:00Z"}
    recs = pd.DataFrame([("A", f"p{i}", i, 1.0, None) for i in range(5)],
                        columns=["brand", "partner", "rank", "score", "predicted_roi"])
    hist = _hist([("A", f"q{i}", 1, 1, "2026-02-01T00:00:00Z") for i in range(24)]
                 + [("A", "p0", 1, 1, "2026-02-01T00:00:00Z")])
    out = realised(run, recs, hist, pd.DataFrame(columns=["brand", "partner", "verdict", "run_id"]),
                   expected_recall=0.3)
    assert out["recall"] == 0.04 and out["drifted"] is True
    assert out["why"] == ["past recommendations: 1 of 25 new partnerships were recommended (recall 0.04, "
                          "model expected 0.30)"]
    assert realised(run, recs, hist, pd.DataFrame(columns=["brand", "partner", "verdict", "run_id"]),
                    expected_recall=None)["drifted"] is False
