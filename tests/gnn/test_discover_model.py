"""Reuse, retrain or fall back: the model choice of the discovery job, and the job with a model.

``gnn.train`` is replaced by a small stand-in (its real training is tested by the linkpred
tests; here only the job's decisions are): it loads a given outcome, or raises, and counts
trainings. The stand-in ranker speaks the ``gnn.ranker.Ranker`` protocol."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gnn import discover as D
from gnn import discover_runs as R
from gnn.coldstart import ContentRanker
from gnn.discover_data import FEEDBACK_COLUMNS, HISTORY_COLUMNS, BrandInfo, PartnerInfo, World
from gnn.drift import take_snapshot
from gnn.ranker import ModelMeta
from graph.errors import InputError, SchemaVersionError
from graph.settings import Settings, load_settings
from graph.store.base import GraphStore
from tests.gnn import discover_world as W


class FakeRanker:
    name = "gbm"

    def __init__(self, version: str) -> None:
        self.model_version = version

    def score(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> np.ndarray:
        # prefers partners by id, knows no brand "brand:gen:C"
        out = np.array([[float(len(p)) + (i % 7) / 10 for i, p in enumerate(partner_ids)] for _ in brand_ids])
        out[[i for i, b in enumerate(brand_ids) if b == "brand:gen:C"]] = np.nan
        return out

    def predict_performance(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {"log_roi": np.full((len(brand_ids), len(partner_ids)), np.log(1.5)),
                "conversion_rate": np.full((len(brand_ids), len(partner_ids)), 0.02)}

    def partner_embeddings(self) -> dict[str, np.ndarray]:
        return {f"p{i}": np.array([i, 1.0, 0.0]) for i in range(5)}

    def attributions(self, brand_id: str, partner_id: str) -> dict[str, float]:
        return {"adamic_adar": 0.42, "popularity": 0.1, "degree": -0.3}


def outcome(version: str, days_old: float = 1.0) -> SimpleNamespace:
    trained = (datetime.now(UTC) - timedelta(days=days_old)).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = ModelMeta(kind="linkpred", version=version, shipped="gbm", snapshot_hash="h", schema_version=1,
                     trained_at=trained, metrics={"validation": {"gbm": {"recall@20": 0.3}}})
    return SimpleNamespace(ranker=FakeRanker(version), meta=meta, path=Path("/nowhere"), report_path=None)


class FakeTrain:
    def __init__(self, loaded: Any = None, load_error: BaseException | None = None,
                 train_error: BaseException | None = None) -> None:
        self.loaded, self.load_error, self.train_error = loaded, load_error, train_error
        self.trained: list[int] = []

    def load_linkpred(self, settings: Settings) -> Any:
        if self.load_error:
            raise self.load_error
        return self.loaded

    def train_linkpred(self, store: Any, settings: Settings, *, seed: int = 7, progress: bool = True) -> Any:
        if self.train_error:
            raise self.train_error
        self.trained.append(seed)
        return outcome("linkpred-new", 0.0)


def small_world(n_partners: int = 5, cost: float = 100.0) -> World:
    partners = {f"p{i}": PartnerInfo(f"p{i}", "Publisher", f"P{i}", "FR", "fr", "publisher", False, (f"p{i}",))
                for i in range(n_partners)}
    brands = {"A": BrandInfo("A", "Alpha", "FR", ("A",))}
    hist = pd.DataFrame([{"brand": "A", "brand_record": "A", "partner": f"p{i}", "record": f"p{i}",
                          "campaign": f"c{i}", "campaign_name": f"C{i}", "start": "2025-01-01", "cost": cost * (i + 1),
                          "revenue": 2 * cost, "conversions": 1.0, "clicks": 10.0, "impressions": 100.0,
                          "first_seen": "2025-01-01T00:00:00Z"} for i in range(2)], columns=HISTORY_COLUMNS)
    return World(brands, partners, {p: p for p in partners}, {"A": "A"}, {}, hist, set(), {}, {}, {}, {},
                 {}, pd.DataFrame(columns=FEEDBACK_COLUMNS))


def content() -> ContentRanker:
    rng = np.random.default_rng(0)
    return ContentRanker({"A": rng.standard_normal(4)}, {f"p{i}": rng.standard_normal(4) for i in range(5)},
                         model_id="m")


def choose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeTrain | None, *,
           features: dict[str, np.ndarray] | None = None, previous: dict[str, Any] | None = None,
           pairs: pd.DataFrame | None = None, world: World | None = None, env: dict[str, str] | None = None,
           **opts: Any) -> D.ModelChoice:
    monkeypatch.setattr(D, "_train_module", lambda: fake)
    settings = load_settings(env=env or {}, home=tmp_path)
    w = world or small_world()
    feats = features if features is not None else {"partner.x": np.linspace(0, 1, 200)}
    return D.choose_model(None, settings, D.DiscoverOptions(**opts), w, content(), feats, previous,  # type: ignore[arg-type]
                          pairs if pairs is not None else pd.DataFrame(
                              columns=["brand", "partner", "rank", "score", "predicted_roi"]), False)


def test_a_fresh_model_without_drift_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTrain(loaded=outcome("linkpred-1", days_old=2))
    c = choose(tmp_path, monkeypatch, fake)
    assert (c.name, c.version, c.trained, c.why) == ("gbm", "linkpred-1", False, [])
    assert c.age_days is not None and 1.9 < c.age_days < 2.1 and not fake.trained


def test_old_missing_refused_or_forced_models_are_retrained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1", days_old=40)), max_age_days=30)
    assert c.trained and c.version == "linkpred-new" and c.why == ["model is 40.0 days old (max 30)"]
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=None))
    assert c.trained and c.why == ["no trained model yet"]
    err = SchemaVersionError("model artefact needs schema v2, the graph is v1", hint="retrain")
    c = choose(tmp_path, monkeypatch, FakeTrain(load_error=err))
    assert c.trained and c.why[0].startswith("model artefact refused (model artefact needs schema v2")
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1")), force_retrain=True)
    assert c.trained and "forced" in c.why[0]
    fake = FakeTrain(loaded=outcome("linkpred-1", days_old=40))
    c = choose(tmp_path, monkeypatch, fake, max_age_days=30, allow_training=False)
    assert not c.trained and c.version == "linkpred-1" and not fake.trained  # --no-train keeps it


def test_the_max_age_comes_from_the_settings_unless_the_run_gives_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PARTNERGRAPH_DISCOVER_MAX_AGE_DAYS": "10"}  # the app's /jobs runs use the setting too
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1", days_old=20)), env=env)
    assert c.trained and c.why == ["model is 20.0 days old (max 10)"]
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1", days_old=20)), env=env, max_age_days=30)
    assert not c.trained and c.why == []
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1", days_old=20)))  # default 30
    assert not c.trained


def test_drift_against_the_models_reference_triggers_retraining(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    ref_feats = {"partner.roi": rng.normal(1.0, 0.2, 500)}
    cr = content()
    ref = take_snapshot(ref_feats, D._vectors_for_drift(cr, FakeRanker("linkpred-1")))
    ref.save(D.reference_path(tmp_path, "linkpred-1"))
    same = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1")),
                  features={"partner.roi": rng.normal(1.0, 0.2, 500)})
    assert not same.trained and same.drift["drifted"] is False
    assert same.drift["features"]["partner.roi"]["psi"] < 0.1
    assert same.drift["embeddings"]["partner_text"]["psi_max"] == 0.0  # the same vectors
    moved = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1")),
                   features={"partner.roi": rng.normal(1.6, 0.2, 500)})
    assert moved.trained and moved.why[0].startswith("feature partner.roi: PSI")
    assert moved.drift["features"]["partner.roi"]["ks"] > 0.8


def test_realised_performance_of_the_last_run_can_trigger_retraining(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    w = small_world()
    w.feedback = pd.DataFrame([{"brand": "A", "partner": f"p{i % 5}", "record": "", "verdict": "reject" if i < 9 else
                                "accept", "by": "x", "at": "2026-01-01", "run_id": "run-1", "note": None}
                               for i in range(12)], columns=FEEDBACK_COLUMNS)
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1")), world=w,
               previous={"id": "run-1", "finished_at": "2026-01-01T00:00:00Z"})
    assert c.trained and c.why == ["managers rejected 9 of 12 recommendations of run run-1"]
    assert c.drift["realised"]["new_pairs"] == 0  # no partnership imported since the run


def test_training_that_fails_or_is_missing_falls_back_with_a_reason(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    one = InputError("only one brand: link prediction needs at least two", hint="import more brands")
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=None, train_error=one))
    assert c.ranker is None and c.name == "content" and "training refused (only one brand" in c.why[-1]
    c = choose(tmp_path, monkeypatch, FakeTrain(loaded=outcome("linkpred-1", days_old=90), train_error=one))
    assert c.ranker is not None and c.version == "linkpred-1" and "kept model linkpred-1" in c.why[-1]
    c = choose(tmp_path, monkeypatch, FakeTrain(load_error=ModuleNotFoundError("No module named 'gnn.artefact'")))
    assert c.ranker is None and "not available" in c.why[0]
    c = choose(tmp_path, monkeypatch, None)
    assert c.ranker is None and "not available" in c.why[0]


def test_the_job_with_a_model_writes_its_outputs(store: GraphStore, request: pytest.FixtureRequest,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = request.getfixturevalue("falkor_settings" if store.backend == "falkordb" else "neo4j_settings")
    settings = base.with_overrides(home=tmp_path)
    W.build(store, tmp_path)
    fake = FakeTrain(loaded=None)
    monkeypatch.setattr(D, "_train_module", lambda: fake)
    report = D.run_discovery(store, settings, D.DiscoverOptions(k=10, attribution_k=1), progress=False)
    assert fake.trained == [7] and report.trained and report.model_version == "linkpred-new"
    assert report.modes == {"model": 2, "content": 0, "cold_start": 1}  # C has no history
    a = R.recommendations(store, "brand:gen:A", k=10)
    assert a[0]["predicted_roi"] == pytest.approx(1.5)
    kinds = [i["kind"] for i in a[0]["reasons"]["items"]]
    assert "model_signals" in kinds and "predicted_roi" in kinds
    sig = next(i for i in a[0]["reasons"]["items"] if i["kind"] == "model_signals")
    assert sig["text"] == "strongest signals: partners in common (+0.42), popularity with other brands (+0.10)"
    assert "model_signals" not in [i["kind"] for i in a[1]["reasons"]["items"]]  # attribution_k=1
    c = R.recommendations(store, "brand:gen:C", k=10)
    assert c[0]["predicted_roi"] is None and c[0]["reasons"]["items"][0]["kind"] == "cold_start"
    produced = store.read("MATCH (r:DiscoveryRun)-[:PRODUCED]->(m:Model) RETURN r.id AS run, m.id AS model").rows
    assert produced == [{"run": report.run_id, "model": "model:linkpred-new"}]
    run = R.latest_complete_run(store)
    assert run is not None and run["model_version"] == "linkpred-new" and run["metrics"]["trained"] is True
    assert D.reference_path(tmp_path, "linkpred-new").exists()  # drift is measured against it next week
    # next week: the model is reused, drift measured against the reference this run recorded
    fake.loaded = outcome("linkpred-new", 1.0)
    again = D.run_discovery(store, settings, D.DiscoverOptions(k=10), progress=False)
    assert not again.trained and again.why == [] and again.drift["reference"] is not None
    assert again.drift["drifted"] is False and "partner_performance" in again.drift["embeddings"]
    assert json.loads(store.read("MATCH (r:DiscoveryRun {id: $id}) RETURN r.drift AS d",
                                 {"id": again.run_id}).rows[0]["d"])["drifted"] is False


class RefitTrain(FakeTrain):
    """A training module with the weekly refit (``refresh_linkpred``)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.previous: list[Any] = []

    def refresh_linkpred(self, store: Any, settings: Settings, previous: Any, *, seed: int = 7,
                         progress: bool = True) -> Any:
        self.previous.append(previous)
        out = outcome("linkpred-refit", 0.0)
        out.meta.metrics["evaluation"] = {"run": "linkpred-1", "stages": ["selection", "test", "refit"],
                                          "note": "weekly refit"}
        return out


def test_the_weekly_retrain_refits_the_loaded_models_configuration(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old = outcome("linkpred-1", days_old=40)
    fake = RefitTrain(loaded=old)
    c = choose(tmp_path, monkeypatch, fake, max_age_days=30)
    assert c.trained and c.version == "linkpred-refit" and fake.previous == [old] and not fake.trained
    # the run's metrics say which run measured the model's figures
    assert D._metrics_origin(c.outcome.meta) == {"run": "linkpred-1", "model_version": "linkpred-refit",
                                                 "stages": ["selection", "test", "refit"], "note": "weekly refit"}
    own = D._metrics_origin(outcome("linkpred-2").meta)
    assert own is not None and own["run"] == "linkpred-2"  # its own evaluation
    # nothing to refit from: the refit is still asked (it runs the full evaluation itself)
    fake = RefitTrain(loaded=None)
    c = choose(tmp_path, monkeypatch, fake)
    assert c.trained and fake.previous == [None]
