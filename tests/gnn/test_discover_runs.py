"""The discovery job on a real store (FalkorDB-lite, and Neo4j with ``-m neo4j``), on a small
hand-built graph: run lifecycle, exclusions, preferences, feedback, cold start, the lock.

GNN training is switched off here (``gnn.discover._train_module`` -> ``None``): these tests
are about the job, ranked by the content ranker; the model-choice logic has its own tests in
test_discover_model.py, and the product graph gate in test_discover_ci.py."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gnn import discover_runs as R
from gnn.discover import DiscoverOptions, feedback_pairs, run_discovery
from gnn.lock import LOCK_NAME, DiscoveryLock, DiscoveryLocked
from gnn.preferences import read_preferences, write_preferences
from graph.errors import InputError
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance
from tests.gnn import discover_world as W

CURRENT = {"brand:gen:A": {"partner:gen:p1", "partner:gen:p3"},
           "brand:gen:B": {"partner:gen:p2", "partner:gen:p5"}}
NEVER = {"pub:veggie.de", "affiliate:net:9", "partner:gen:p4"}  # records, and the flagged partner
OPTS = DiscoverOptions(k=10)


@pytest.fixture
def world(store: GraphStore, request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GraphStore, Settings]]:
    base = request.getfixturevalue("falkor_settings" if store.backend == "falkordb" else "neo4j_settings")
    settings = base.with_overrides(home=tmp_path)
    monkeypatch.setattr("gnn.discover._train_module", lambda: None)
    W.build(store, tmp_path)
    yield store, settings


def _recs(store: GraphStore, brand: str) -> list[str]:
    return [r["partner"] for r in R.recommendations(store, brand, k=100)]


def _edge_runs(store: GraphStore) -> dict[str, int]:
    rows = store.read("MATCH ()-[r:RECOMMENDED]->() RETURN r.run_id AS run, count(*) AS n").rows
    return {str(r["run"]): int(r["n"]) for r in rows}


def test_run_writes_a_complete_run_with_exclusions_and_reasons(world: tuple[GraphStore, Settings]) -> None:
    store, settings = world
    report = run_discovery(store, settings, OPTS, progress=False)
    assert report.status == "complete" and report.brands_scored == 3  # the crawled brand is not a customer
    assert report.modes == {"model": 0, "content": 2, "cold_start": 1}
    run = R.latest_complete_run(store)
    assert run is not None and run["id"] == report.run_id and run["metrics"]["edges_written"] == report.edges_written
    assert report.candidates["partners"] == 7
    for brand in ("brand:gen:A", "brand:gen:B", "brand:gen:C"):
        recs = R.recommendations(store, brand, k=100)
        ids = {r["partner"] for r in recs}
        assert ids and not ids & NEVER, ids
        assert not ids & CURRENT.get(brand, set())
        assert [r["rank"] for r in recs] == list(range(1, len(recs) + 1))
        assert all(a["score"] >= b["score"] for a, b in zip(recs, recs[1:], strict=False))
        for r in recs:
            assert r["reasons"]["v"] == 1 and r["evidence"]["v"] == 1
            assert brand in r["evidence"]["nodes"] and r["partner"] in r["evidence"]["nodes"]
    assert report.excluded["brand_safety"] == 3 and report.excluded["current_partners"] == 4
    # A (sport) is offered the sport partners first, with reasons computed from the graph
    a = R.recommendations(store, "brand:gen:A", k=100)
    assert a[0]["partner"] in {"partner:gen:p2", "partner:gen:p6"}
    gabi = next(r for r in a if r["partner"] == "partner:gen:p6")
    texts = [i["text"] for i in gabi["reasons"]["items"]]
    # p6 covers Soccer like A's best partner p1 (ROI 3.0); tier-1 "Sports" does not count
    assert "shares 1 topic with your best partners (Soccer)" in texts
    # p6 reaches segments 1, 2, 4; campaign A1's partner p1 reaches 1, 2: 2 of 3 = 67%
    assert "audience 67% overlapping with Alpha Cup 2025" in texts
    assert ["partner:gen:p1", "COVERS", "iab-content-3.1:484"] in gabi["evidence"]["edges"]
    assert ["camp:A1", "WITH", "partner:gen:p1"] in gabi["evidence"]["edges"]
    # B pays per action like A, and returned (1500 + 1) / (500 + 1) with p2
    but = next(r for r in a if r["partner"] == "partner:gen:p2")
    assert "brands on CPA deals like yours (Beta Foods) saw 3.0× ROI here" in [i["text"] for i in
                                                                               but["reasons"]["items"]]
    assert ["camp:B1", "WITH", "partner:gen:p2"] in but["evidence"]["edges"]
    # the cold-start brand says how it was ranked
    c = R.recommendations(store, "brand:gen:C", k=100)
    assert c[0]["partner"] == "partner:gen:p7"  # travel brand -> beach publisher
    assert all(r["reasons"]["items"][0]["text"] == "no campaign history yet: ranked by content similarity"
               for r in c)
    # the content ranker has no performance head: no predicted ROI is made up
    assert all(r["predicted_roi"] is None for r in a + c)


def test_interrupted_run_is_invisible_and_cleaned_up_by_the_next(world: tuple[GraphStore, Settings]) -> None:
    store, settings = world
    first = run_discovery(store, settings, OPTS, progress=False)
    before = _recs(store, "brand:gen:A")
    # a second run dies after writing part of its edges: it left its lock file and a running node
    dead = "discovery-20990101T000000-dead00"
    R.start_run(store, dead, "2099-01-01T00:00:00Z")
    R.write_recommendations(store, dead, [
        {"brand": "brand:gen:A", "partner": "partner:gen:p7", "score": 9.0, "rank": 1, "predicted_roi": None,
         "reasons": "{}", "evidence": "{}"}], {"partner:gen:p7": "Publisher"})
    (settings.home / LOCK_NAME).write_text(json.dumps({"run_id": dead, "pid": 2**22 + 12345, "host": os.uname()[1],
                                                       "started_at": "2099-01-01T00:00:00Z"}))
    assert R.latest_complete_run(store)["id"] == first.run_id  # type: ignore[index]
    assert _recs(store, "brand:gen:A") == before  # readers never see the half run
    third = run_discovery(store, settings, OPTS, progress=False)
    status = {r["id"]: r["status"] for r in R.runs(store)}
    assert status == {first.run_id: "complete", dead: "failed", third.run_id: "complete"}
    assert _edge_runs(store) == {third.run_id: third.edges_written}  # superseded and dead edges gone
    assert R.latest_complete_run(store)["id"] == third.run_id  # type: ignore[index]
    assert third.superseded_deleted == first.edges_written


def test_a_failing_run_is_marked_failed_and_the_last_complete_one_stays(
        world: tuple[GraphStore, Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    store, settings = world
    first = run_discovery(store, settings, OPTS, progress=False)
    real_write = R.write_recommendations

    def write_then_fail(*a: object, **kw: object) -> int:
        real_write(*a, **kw)  # type: ignore[arg-type]
        raise RuntimeError("disk full")

    monkeypatch.setattr(R, "write_recommendations", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        run_discovery(store, settings, OPTS, progress=False)
    runs = R.runs(store)
    failed = [r for r in runs if r["status"] == "failed"]
    assert len(failed) == 1 and R.latest_complete_run(store)["id"] == first.run_id  # type: ignore[index]
    assert _edge_runs(store) == {first.run_id: first.edges_written}  # the failed run's edges are gone
    assert not (settings.home / LOCK_NAME).read_text()  # the lock was released


def test_a_second_run_is_refused_naming_the_running_one(world: tuple[GraphStore, Settings]) -> None:
    store, settings = world
    with DiscoveryLock(settings.home, "discovery-running-1", "2026-01-05T03:00:00Z"), \
            pytest.raises(DiscoveryLocked, match="discovery-running-1"):
        run_discovery(store, settings, OPTS, progress=False)
    assert R.runs(store) == []  # nothing was written by the refused run
    # a run recorded as running in the graph, by a job on another machine, is refused too
    R.start_run(store, "discovery-elsewhere", "2999-01-01T00:00:00Z")
    with pytest.raises(DiscoveryLocked, match="discovery-elsewhere"):
        run_discovery(store, settings, OPTS, progress=False)
    report = run_discovery(store, settings, DiscoverOptions(k=10, force_unlock=True), progress=False)
    assert {r["id"]: r["status"] for r in R.runs(store)} == {"discovery-elsewhere": "failed",
                                                             report.run_id: "complete"}


def _feedback(store: GraphStore, rows: list[dict[str, object]]) -> None:
    """As the app writes verdicts: provenance ``run_id`` is the discovery run they judge."""
    for r in rows:
        w = GraphWriter(store, Provenance("app://feedback", str(r["run_id"])))
        w.relationships("FEEDBACK", [r], src_label="Brand", dst_label=W.label_of(str(r["dst"])))


def test_feedback_is_kept_across_runs_and_excludes(world: tuple[GraphStore, Settings]) -> None:
    store, settings = world
    first = run_discovery(store, settings, OPTS, progress=False)
    assert "partner:gen:p6" in _recs(store, "brand:gen:A") and "partner:gen:p2" in _recs(store, "brand:gen:A")
    _feedback(store, [
        {"src": "brand:gen:A", "dst": "partner:gen:p6", "verdict": "reject", "by": "ana", "at": "2026-01-02T10:00:00Z",
         "run_id": first.run_id, "note": "too small"},
        {"src": "brand:gen:A", "dst": "partner:gen:p2", "verdict": "accept", "by": "ana", "at": "2026-01-02T10:01:00Z",
         "run_id": first.run_id},
    ])
    for _ in range(2):
        report = run_discovery(store, settings, OPTS, progress=False)
        assert report.excluded["rejected"] == 1
        recs = _recs(store, "brand:gen:A")
        assert "partner:gen:p6" not in recs  # rejected: never proposed again
        assert "partner:gen:p2" in recs  # accepted: stays on the shortlist
    n = store.read("MATCH (:Brand)-[f:FEEDBACK]->() RETURN count(f) AS n").rows[0]["n"]
    assert n == 2  # the app's verdicts survive every run
    fb = feedback_pairs(store).set_index("partner_id")
    assert fb.loc["partner:gen:p6", "label"] == 0 and fb.loc["partner:gen:p2", "label"] == 1
    assert fb.loc["partner:gen:p6", "run_id"] == first.run_id
    changes = R.latest_complete_run(store)["changes"]  # type: ignore[index]
    assert changes["brands"] == {}  # nothing changed between the last two runs


def test_preferences_are_honoured_and_changes_recorded(world: tuple[GraphStore, Settings]) -> None:
    store, settings = world
    run_discovery(store, settings, OPTS, progress=False)
    before = set(_recs(store, "brand:gen:C"))
    assert {"partner:gen:p5", "partner:gen:p3", "partner:gen:p2"} <= before
    stored = write_preferences(store, "brand:gen:C", {"countries": ["fr"], "partner_types": ["publisher"],
                                                      "budget": 5000, "exclusions": ["affiliate:net:9"]})
    assert read_preferences(store, "brand:gen:C") == stored and stored.countries == ("FR",)
    report = run_discovery(store, settings, OPTS, progress=False)
    after = _recs(store, "brand:gen:C")
    assert after == ["partner:gen:p7", "partner:gen:p1"]  # FR publishers, minus p2 (excluded by its
    # affiliate record's id); the travel publisher first
    assert report.excluded["preferences"] > 0
    item = next(i for i in R.recommendations(store, "brand:gen:C")[0]["reasons"]["items"] if i["kind"] == "cost")
    assert item["text"].startswith("no cost history")
    changes = R.latest_complete_run(store)["changes"]["brands"]["brand:gen:C"]  # type: ignore[index]
    assert changes["new"] == [] and set(changes["dropped"]) == before - set(after)
    # budget: p5 costs 8,000 EUR per campaign (median), over a 5,000 budget
    write_preferences(store, "brand:gen:A", {"budget": 5000})
    run_discovery(store, settings, OPTS, progress=False)
    assert "partner:gen:p5" not in _recs(store, "brand:gen:A")
    write_preferences(store, "brand:gen:A", {"budget": 9000})
    run_discovery(store, settings, OPTS, progress=False)
    p5 = next(r for r in R.recommendations(store, "brand:gen:A", k=100) if r["partner"] == "partner:gen:p5")
    assert any(i["text"] == "typical cost 8,000 EUR per campaign, within your 9,000 EUR budget"
               for i in p5["reasons"]["items"])
    with pytest.raises(InputError, match="not an ISO 3166"):
        write_preferences(store, "brand:gen:A", {"countries": ["France"]})
    with pytest.raises(InputError, match="no brand"):
        write_preferences(store, "brand:nope", {"budget": 1})


def test_partial_run_rescores_one_brand_and_keeps_the_others(world: tuple[GraphStore, Settings]) -> None:
    store, settings = world
    run_discovery(store, settings, OPTS, progress=False)
    b_before = _recs(store, "brand:gen:B")
    write_preferences(store, "brand:gen:A", {"partner_types": ["influencer"]})
    report = run_discovery(store, settings, DiscoverOptions(k=10, brands=("brand:gen:A",)), progress=False)
    assert report.brands_scored == 1 and report.edges_carried == len(b_before) + len(_recs(store, "brand:gen:C"))
    assert _recs(store, "brand:gen:B") == b_before
    assert _recs(store, "brand:gen:A") == ["partner:gen:p6"]
    with pytest.raises(InputError, match="no brand with id 'brand:nope'"):
        run_discovery(store, settings, DiscoverOptions(brands=("brand:nope",)), progress=False)


def test_no_partnerships_at_all_is_cold_start_for_everyone(store: GraphStore, request: pytest.FixtureRequest,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr("gnn.discover._train_module", lambda: called.append(1))
    base = request.getfixturevalue("falkor_settings" if store.backend == "falkordb" else "neo4j_settings")
    settings = base.with_overrides(home=tmp_path)
    W.build(store, tmp_path, with_history=False, brands=["brand:gen:A"])
    report = run_discovery(store, settings, OPTS, progress=False)
    assert not called  # no partnership: nothing to train on, not even tried
    assert report.modes["cold_start"] == 1 and report.brands_scored == 1
    assert "no partnerships in the graph at all" in report.why[0]
    recs = R.recommendations(store, "brand:gen:A", k=100)
    assert len(recs) == 6 and recs[0]["reasons"]["items"][0]["kind"] == "cold_start"


def test_unusable_graphs_give_one_line_errors(store: GraphStore, request: pytest.FixtureRequest, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gnn.discover._train_module", lambda: None)
    base = request.getfixturevalue("falkor_settings" if store.backend == "falkordb" else "neo4j_settings")
    settings = base.with_overrides(home=tmp_path)
    with pytest.raises(InputError, match="no brands in the graph"):
        run_discovery(store, settings, OPTS, progress=False)
    assert [r["status"] for r in R.runs(store)] == ["failed"]
    W.build(store, tmp_path)
    (tmp_path / "vectors" / "Brand.parquet").unlink()
    (tmp_path / "vectors" / "Publisher.parquet").unlink()
    (tmp_path / "vectors" / "Influencer.parquet").unlink()
    with pytest.raises(InputError, match="run `partnergraph embed` first"):
        run_discovery(store, settings, OPTS, progress=False)


def test_nan_vectors_are_left_out_with_a_warning(world: tuple[GraphStore, Settings],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    store, settings = world
    W.write_vectors(settings.home, poison="partner:gen:p6")
    report = run_discovery(store, settings, OPTS, progress=False)
    assert report.status == "complete"
    assert "1 :Influencer vector(s) hold NaN or infinite values and are ignored (e.g. partner:gen:p6)" in caplog.text
    assert report.excluded["unscored"] == 3  # p6 has no usable vector: not ranked, for any of 3 brands
    for brand in ("brand:gen:A", "brand:gen:B", "brand:gen:C"):
        assert "partner:gen:p6" not in _recs(store, brand)


def test_a_failure_after_publishing_keeps_the_run_complete(world: tuple[GraphStore, Settings],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store, settings = world
    first = run_discovery(store, settings, OPTS, progress=False)
    real_delete = R.delete_superseded

    def boom(*a: object, **kw: object) -> int:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(R, "delete_superseded", boom)
    with pytest.raises(RuntimeError, match="connection lost"):
        run_discovery(store, settings, OPTS, progress=False)
    second = R.latest_complete_run(store)
    assert second is not None and second["id"] != first.run_id  # published before the failure
    assert sorted(_edge_runs(store)) == sorted([first.run_id, second["id"]])  # old edges left, unread
    monkeypatch.setattr(R, "delete_superseded", real_delete)
    third = run_discovery(store, settings, OPTS, progress=False)
    assert _edge_runs(store) == {third.run_id: third.edges_written}  # the next run cleans up
