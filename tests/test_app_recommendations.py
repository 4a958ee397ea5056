"""Recommendations page: data access on a real FalkorDB-lite store with a hand-written graph
(tests/app/graphs.py), pure shaping, and the page's main flow in a real browser."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from app import ids
from app import recommendations_view as rv
from graph.errors import InputError
from graph.settings import Settings
from graph.store.base import GraphStore
from tests.app.graphs import BRAND, IMG, SCRIPT, TOPIC, seed_recommendations
from tests.browser import wait_until as _wait

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
falkordb_only = pytest.mark.parametrize("store", ["falkordb"], indirect=True)


# ------------------------------------------------------------------------------- pure


def test_documents_of_another_version_or_malformed_are_empty() -> None:
    assert rv.parse_doc('{"v": 1, "items": []}') == {"v": 1, "items": []}
    assert rv.parse_doc('{"v": 2, "items": []}') == {}
    assert rv.parse_doc("not json") == {} and rv.parse_doc(None) == {} and rv.parse_doc("[1]") == {}
    assert rv.reasons_text('{"v":1,"items":[{"text":"  a  b "},{"kind":"x"},"junk"]}') == ["a b"]
    doc = '{"v":1,"nodes":["a","b"],"edges":[["a","R","c"],["bad"],["b","R","a"]]}'
    assert rv.evidence_ids(doc) == ["a", "b", "c"]


def test_evidence_becomes_cytoscape_elements_with_names_and_a_cap() -> None:
    doc = json.dumps({"v": 1, "nodes": ["brand:a", "pub:p"], "edges": [["pub:p", "COVERS", "t:1"], ["brand:a", "RAN", "pub:p"]]})
    names = {"pub:p": {"label": "Publisher", "name": SCRIPT}, "t:1": {"label": "Topic", "name": "Running"}}
    els, left_out = rv.evidence_elements(doc, names, brand="brand:a", partner="pub:p")
    nodes = {e["data"]["id"]: e for e in els if "source" not in e["data"]}
    assert set(nodes) == {"brand:a", "pub:p", "t:1"} and left_out == 0
    assert nodes["pub:p"]["data"]["name"] == SCRIPT  # carried as data, drawn as text
    assert nodes["brand:a"]["data"]["type"] == "Unknown" and "root" in nodes["brand:a"]["classes"]
    assert {(e["data"]["source"], e["data"]["rel"], e["data"]["target"]) for e in els if "source" in e["data"]} == {
        ("pub:p", "COVERS", "t:1"), ("brand:a", "RAN", "pub:p")}
    big = json.dumps({"v": 1, "edges": [["hub", "R", f"n{i}"] for i in range(500)]})
    els, left_out = rv.evidence_elements(big, {}, cap=100)
    assert len(els) <= 100 and left_out > 0


def test_shortlist_csv_drops_rejected_and_defuses_formulas() -> None:
    rows = [
        {"rank": 1, "id": "pub:a", "name": "=HYPERLINK(\"x\")", "kind": "Publisher", "country": "FR", "score": 0.9,
         "roi": 2.0, "verdict": "accept", "reasons": ["a", "b"]},
        {"rank": 2, "id": "pub:b", "name": "B", "kind": "Publisher", "country": "DE", "score": 0.8, "roi": None,
         "verdict": "reject", "reasons": []},
    ]
    got = list(csv.reader(io.StringIO(rv.shortlist_csv(rows))))
    assert got[0] == list(rv.CSV_COLUMNS)
    assert got[1] == ["1", "pub:a", "'=HYPERLINK(\"x\")", "Publisher", "FR", "0.9000", "2.0000", "accept", "a | b"]
    assert len(got) == 2


def test_preferences_form_is_checked_by_the_discovery_contract() -> None:
    doc = rv.preferences_from_form(["fr", "FR", "de"], ["FR"], "1500", ["publisher"], ["pub:x", "pub:x"])
    assert doc == {"v": 1, "countries": ["FR", "DE"], "languages": ["fr"], "budget": 1500.0,
                   "partner_types": ["publisher"], "exclusions": ["pub:x"]}
    assert rv.preferences_from_form([], None, None, ["publisher", "influencer"], []) == {"v": 1}
    assert rv.preferences_summary({"v": 1}) == "No preferences: every partner is eligible."
    assert rv.preferences_summary(doc) == ("Countries FR, DE; languages fr; budget <= 1,500 EUR per partner and "
                                           "campaign; types publisher; 1 excluded partner(s).")
    for bad, match in (((["<script>"], None, None, None, None), "not an ISO 3166 country code"),
                       ((None, ["french"], None, None, None), "not an ISO 639-1 language code"),
                       ((None, None, "-5", None, None), "non-negative"),
                       ((None, None, "lots", None, None), "is not a number"),
                       ((None, None, None, ["podcast"], None), "unknown partner type 'podcast'"),
                       ((None, None, None, [], None), "at least one partner type")):
        with pytest.raises(InputError, match=match):
            rv.preferences_from_form(*bad)


# ------------------------------------------------------------------------------- real store


def test_latest_complete_run_and_its_recommendations(store: GraphStore) -> None:
    assert rv.latest_run(store) is None
    seed_recommendations(store)
    run = rv.latest_run(store)
    assert run is not None and run["id"] == "disc-2"  # not the running disc-3, not the older disc-1
    rows = rv.recommendations(store, BRAND, run["id"])
    assert [(r["rank"], r["id"]) for r in rows] == [(1, "pub:trail"), (2, "pub:xss"), (3, "inf:alpine")]
    top = rows[0]
    assert top["score_text"] == "0.910" and top["roi_text"] == "2.40×" and top["kind"] == "Publisher"
    assert top["reasons"] == ["shares 3 topics with your best partners", "audience in FR"]
    assert rows[1]["name"] == SCRIPT and rows[1]["roi_text"] == "—" and rows[1]["reasons"] == [IMG + " is a look-alike"]
    assert rows[2]["kind"] == "Influencer · creator" and rows[2]["reasons"] == []  # malformed reasons: none
    assert rv.run_summary(run, 3).startswith("Run disc-2 · finished 2026-11-23 02:40 · model sage-2 · 3 recommended")
    assert rv.run_summary(None) == "No discovery run yet — run `partnergraph discover`."

    options = rv.brand_options(store, run["id"])
    assert options[0] == {"label": "Acme Outdoor (3)", "value": BRAND}
    assert options[1] == {"label": "Other Brand", "value": "brand:other"}  # disc-3 is not complete

    names = rv.node_names(store, rv.evidence_ids(top["evidence"]) + ["missing:id"])
    assert names[TOPIC] == {"label": "Topic", "name": "Running and Jogging"}
    assert names[BRAND]["name"] == "Acme Outdoor" and "missing:id" not in names
    els, _ = rv.evidence_elements(top["evidence"], names, brand=BRAND, partner="pub:trail")
    assert {e["data"]["name"] for e in els if "source" not in e["data"]} == {
        "Acme Outdoor", "Trail Runner Weekly", "Summit Stories", "Running and Jogging"}

    history = rv.history_rows(rv.runs(store), BRAND, rv.node_names(store, ["inf:alpine", "pub:old", "pub:trail"]))
    assert [h["id"] for h in history] == ["disc-3", "disc-2", "disc-1", "disc-0"]
    assert history[1]["new"] == ["Alpine Annie"] and history[1]["dropped"] == ["Old Partner"]
    assert history[2]["new"] == ["Old Partner", "Trail Runner Weekly"]
    assert rv.facet_values(store) == (["CH", "DE", "FR"], ["de", "fr"])


def test_feedback_is_one_edge_per_partner_and_the_latest_verdict_wins(store: GraphStore) -> None:
    seed_recommendations(store)
    got = rv.record_feedback(store, brand=BRAND, partner="pub:trail", verdict="reject", user="mia", run_id="disc-2")
    assert got["verdict"] == "reject" and got["by"] == "mia" and got["run_id"] == "disc-2"
    rv.record_feedback(store, brand=BRAND, partner="pub:trail", verdict="accept", user="ann", run_id="disc-2",
                       label="Publisher", note="great fit")
    rows = store.read("MATCH (:Brand {id: $b})-[f:FEEDBACK]->(p) RETURN p.id AS p, f.verdict AS v, f.by AS by, "
                      "f.at AS at, f.run_id AS run, f.note AS note, f.source AS source", {"b": BRAND}).rows
    assert len(rows) == 1
    assert rows[0]["v"] == "accept" and rows[0]["by"] == "ann" and rows[0]["run"] == "disc-2"
    assert rows[0]["note"] == "great fit" and rows[0]["source"] == rv.FEEDBACK_SOURCE
    assert rows[0]["at"].endswith("Z") and len(rows[0]["at"]) == 20
    shown = rv.recommendations(store, BRAND, "disc-2")[0]
    assert shown["verdict"] == "accept" and rv.verdict_text(shown).startswith("Accepted by ann on 20")
    rv.record_feedback(store, brand=BRAND, partner="inf:alpine", verdict="reject", user="mia", run_id="disc-2")
    assert store.read("MATCH (:Brand)-[f:FEEDBACK]->(:Influencer) RETURN count(f) AS n").rows[0]["n"] == 1
    with pytest.raises(InputError, match="unknown verdict"):
        rv.record_feedback(store, brand=BRAND, partner="pub:trail", verdict="maybe", user="mia", run_id="disc-2")
    with pytest.raises(InputError, match="is not a partner recommended"):
        rv.record_feedback(store, brand=BRAND, partner="pub:nobody", verdict="accept", user="mia", run_id="disc-2")


def test_preferences_round_trip_through_the_brand(store: GraphStore) -> None:
    seed_recommendations(store)
    assert rv.load_preferences(store, BRAND) == ({"v": 1}, None)
    doc = rv.preferences_from_form(["FR"], ["fr"], 2000, ["influencer"], ["pub:old"])
    assert rv.save_preferences(store, BRAND, doc) == doc
    assert rv.load_preferences(store, BRAND) == (doc, None)
    stored = store.read("MATCH (b:Brand {id: $b}) RETURN b.preferences AS p", {"b": BRAND}).rows[0]["p"]
    assert json.loads(stored) == doc
    with pytest.raises(InputError, match="no brand"):
        rv.save_preferences(store, "brand:nope", doc)
    # preferences the job cannot read are shown as none, with the reason
    store.write("MATCH (b:Brand {id: $b}) SET b.preferences = 'not json'", {"b": BRAND})
    shown, problem = rv.load_preferences(store, BRAND)
    assert shown == {"v": 1} and problem is not None and "not valid JSON" in problem


# ------------------------------------------------------------------------------- browser


def _cy_names(dash_duo: Any) -> list[str]:
    """Names of the nodes drawn by the page's Cytoscape graph (dash-cytoscape sets window.cy)."""
    return dash_duo.driver.execute_script("return window.cy ? window.cy.nodes().map(n => n.data('name')) : []")


@pytest.mark.browser
@falkordb_only
def test_recommendations_show_why_then_accept(dash_duo: Any, store: GraphStore, falkor_settings: Settings) -> None:
    from app.factory import create_app

    seed_recommendations(store)
    dash_duo.start_server(create_app(falkor_settings, store))
    dash_duo.driver.get(dash_duo.server_url + "/recommendations")
    dash_duo.wait_for_contains_text(f"#{ids.REC_RUN}", "Run disc-2", timeout=20)
    dash_duo.wait_for_contains_text(f"#{ids.REC_TABLE}", "Trail Runner Weekly")
    table = dash_duo.find_element(f"#{ids.REC_TABLE}")
    assert SCRIPT in table.text and IMG in table.text  # markup in names and reasons is shown as text
    assert not dash_duo.find_elements(f"#{ids.REC_TABLE} script, #{ids.REC_TABLE} img")
    assert "3 recommended partners for this brand" in dash_duo.find_element(f"#{ids.REC_RUN}").text

    dash_duo.find_element(".rec-why-button[data-partner='pub:trail']").click()
    dash_duo.wait_for_contains_text(f"#{ids.REC_WHY_TITLE}", "#1 Trail Runner Weekly")
    assert "shares 3 topics with your best partners" in dash_duo.find_element(f"#{ids.REC_WHY_REASONS}").text
    dash_duo.wait_for_contains_text(f"#{ids.REC_WHY_STATUS}", "4 nodes and 3 links of evidence")
    _wait(lambda: {"Summit Stories", "Running and Jogging"} <= set(_cy_names(dash_duo)),
          what="the evidence graph")

    dash_duo.find_element(".pg-accept[data-partner='pub:trail']").click()
    dash_duo.wait_for_contains_text(f"#{ids.REC_FEEDBACK_STATUS}", "Accepted Trail Runner Weekly")
    dash_duo.wait_for_contains_text(f"#{ids.REC_TABLE}", "Accepted by local on")
    rows = store.read("MATCH (:Brand {id: $b})-[f:FEEDBACK]->(p) RETURN p.id AS p, f.verdict AS v, f.by AS by, "
                      "f.run_id AS run", {"b": BRAND}).rows
    assert rows == [{"p": "pub:trail", "v": "accept", "by": "local", "run": "disc-2"}]

    # preferences: a budget, saved through the discovery job's contract
    dash_duo.find_element(f"#{ids.REC_PREFS_BUDGET}").send_keys("2500")
    dash_duo.find_element(f"#{ids.REC_PREFS_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.REC_PREFS_STATUS}", "Saved.")
    assert "Budget <= 2,500 EUR" in dash_duo.find_element(f"#{ids.REC_PREFS_SUMMARY}").text
    stored = store.read("MATCH (b:Brand {id: $b}) RETURN b.preferences AS p", {"b": BRAND}).rows[0]["p"]
    assert json.loads(stored) == {"v": 1, "budget": 2500.0}

    # the run history says what changed this week, by name
    history = dash_duo.find_element(f"#{ids.REC_HISTORY}").text
    assert "Alpine Annie" in history and "Old Partner" in history and "disc-1" in history
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "recommendations.png"))
    assert dash_duo.get_logs() == []


@pytest.mark.browser
@falkordb_only
def test_recommendations_without_a_run_say_so(dash_duo: Any, store: GraphStore, falkor_settings: Settings) -> None:
    from app.factory import create_app

    store.upsert_nodes("Brand", [{"id": BRAND, "name": "Acme Outdoor"}])
    dash_duo.start_server(create_app(falkor_settings, store))
    dash_duo.driver.get(dash_duo.server_url + "/recommendations")
    dash_duo.wait_for_text_to_equal(f"#{ids.REC_RUN}", "No discovery run yet — run `partnergraph discover`.", timeout=20)
    assert "No discovery run yet" in dash_duo.find_element(f"#{ids.REC_TABLE}").text
    assert dash_duo.find_element(f"#{ids.REC_CSV_BUTTON}").get_attribute("disabled")
    assert dash_duo.get_logs() == []
