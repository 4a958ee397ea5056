"""Investigations page: reads of alerts, rings, cases and paths on a real FalkorDB-lite store with
a hand-written ring (tests/app/graphs.py), the evidence pack, and the page in a real browser."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app import ids
from app import investigations_view as iv
from graph.settings import Settings
from graph.store.base import GraphStore
from tests.app.graphs import IMG, RING, SCRIPT, seed_fraud
from tests.browser import wait_until as _wait

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
falkordb_only = pytest.mark.parametrize("store", ["falkordb"], indirect=True)


# ------------------------------------------------------------------------------- pure


def test_alert_rows_and_summaries() -> None:
    rows = iv.alert_rows([
        {"id": "a1", "kind": "new_ring", "score": 0.912, "status": "open", "created_at": "2026-11-20T03:00:00Z",
         "evidence": '{"v": 1, "summary": "3 affiliates  share\\na device"}',
         "flagged": [{"id": RING, "name": RING, "labels": ["Ring"]}], "cases": []},
        {"id": "a2", "kind": "odd_kind", "score": None, "status": "open", "evidence": "junk",
         "flagged": [{"id": "aff:d", "name": SCRIPT, "labels": ["Publisher", "Affiliate"]}, {"id": None}], "cases": ["c1"]},
    ])
    assert rows[0]["kind"] == "New ring" and rows[0]["score_text"] == "0.91" and rows[0]["rank"] == 1
    assert rows[0]["summary"] == "3 affiliates share a device"
    assert rows[1]["kind"] == "Odd kind" and rows[1]["score_text"] == "—"
    assert rows[1]["summary"] == f"Flags {SCRIPT}." and rows[1]["flagged"] == [
        {"id": "aff:d", "name": SCRIPT, "label": "Publisher"}]


def test_case_log_reads_json_or_lines() -> None:
    entries = iv.parse_log('[{"at": "2026-10-02T09:00:00Z", "by": "ivy", "action": "dismissed", "reason": "NAT"}]')
    assert entries == [{"at": "2026-10-02 09:00", "by": "ivy", "action": "dismissed", "detail": "reason NAT"}]
    assert iv.parse_log("opened by ivy\n\nassigned to bob") == [
        {"at": "", "by": "", "action": "opened by ivy", "detail": ""},
        {"at": "", "by": "", "action": "assigned to bob", "detail": ""}]
    assert iv.parse_log(None) == [] and iv.parse_log("[not json") == [
        {"at": "", "by": "", "action": "[not json", "detail": ""}]


# ------------------------------------------------------------------------------- real store


def test_ranked_alerts_ring_view_and_cases(store: GraphStore) -> None:
    seed_fraud(store)
    open_alerts = iv.alerts(store)
    assert [a["id"] for a in open_alerts] == ["alert:ring-1", "alert:risk-d"]  # by score; dismissed left out
    assert [a["id"] for a in iv.alerts(store, open_only=False)] == ["alert:ring-1", "alert:risk-d", "alert:old"]
    ring_alert = iv.alert(store, "alert:ring-1")
    assert ring_alert is not None and ring_alert["flagged"] == [{"id": RING, "name": RING, "label": "Ring"}]
    assert iv.rings_for(store, ring_alert["flagged"]) == [RING]
    risk_alert = iv.alert(store, "alert:risk-d")
    assert risk_alert is not None and risk_alert["summary"] == f"risk of {IMG} jumped from 0.1 to 0.62"
    assert iv.rings_for(store, risk_alert["flagged"]) == []  # aff:d is in no ring
    assert iv.rings_for(store, [{"id": "aff:b", "label": "Publisher"}]) == [RING]
    assert iv.alert(store, "alert:none") is None

    ring = iv.ring(store, RING)
    assert ring is not None and ring["size"] == 3 and ring["status"] == "flagged" and ring["score"] == "0.90"
    assert [m["name"] for m in ring["members"]] == ["Deal Hunter", "Coupon Corner", "Promo Planet"]
    assert ring["members"][0]["risk"] == "0.91" and ring["members"][0]["share"] == "0.90"
    assert [(i["kind"], i["id"], i["members"]) for i in ring["identifiers"]] == [
        ("payment", "pay_1", "Deal Hunter, Promo Planet"), ("device", "dev_1", "Deal Hunter, Coupon Corner"),
        ("ip", "net_1", "Coupon Corner, Promo Planet")]
    assert ("Shared accounts", "1.00") in ring["figures"]
    # the timeline holds only identifiers two or more members share (aff:e's own device is not there)
    assert {(t["affiliate"], t["ident"], t["period"], t["n"]) for t in ring["timeline"]} == {
        ("aff:a", "dev_1", "2025-06", 40), ("aff:b", "dev_1", "2025-06", 35), ("aff:b", "dev_1", "2025-07", 50),
        ("aff:b", "net_1", "2025-07", 60), ("aff:c", "net_1", "2025-07", 45),
        ("aff:a", "pay_1", "2025-07", 1), ("aff:c", "pay_1", "2025-07", 1)}
    fig = iv.timeline_figure(ring["timeline"], ring["names"])
    assert {t.name for t in fig.data} == {"USED_DEVICE", "SEEN_FROM", "PAID_TO"}
    els = iv.ring_elements(RING, ring["members"], ring["identifiers"])
    assert len([e for e in els if "source" not in e["data"]]) == 1 + 3 + 3
    assert len([e for e in els if "source" in e["data"]]) == 3 + 6
    assert iv.ring(store, "ring:none") is None

    [case] = iv.cases(store)
    assert case["status"] == "dismissed" and case["alerts"] == ["alert:old"]
    assert [e["action"] for e in case["log"]] == ["opened", "dismissed"]


def test_trace_between_affiliates_names_each_hop_with_its_source(store: GraphStore) -> None:
    seed_fraud(store)
    path = iv.trace(store, "aff:a", "aff:c")
    assert [n["id"] for n in path["nodes"]] == ["aff:a", "pay_1", "aff:c"]
    assert iv.hop_text(path) == [
        "Deal Hunter —PAID_TO→ pay_1 in 2025-07, 1 uses (source: file:///data/net/payouts.csv#row=4)",
        "Promo Planet —PAID_TO→ pay_1 in 2025-07, 1 uses (source: file:///data/net/payouts.csv#row=5)"]
    assert {e["data"]["id"] for e in iv.path_elements(path) if "source" not in e["data"]} == {"aff:a", "pay_1", "aff:c"}
    assert iv.trace(store, "aff:a", "aff:e") == {"nodes": [], "hops": [], "paths": [], "method": "graph"}  # nothing shared
    assert iv.trace(store, "aff:a", "aff:a")["same"] is True
    assert [o["value"] for o in iv.affiliate_options(store, "  PROMO ")] == ["aff:c"]
    assert iv.affiliate_options(store, "p") == []  # too short to search
    assert iv.affiliate_options(store, "104") == [{"label": f"{SCRIPT} (gen-net)", "value": "aff:d"}]


def test_evidence_pack_cites_sources_and_defuses_formulas(store: GraphStore) -> None:
    seed_fraud(store)
    store.upsert_nodes("Publisher", [{"id": "aff:a", "name": "=cmd|' /C calc'!A0"}])
    ring = iv.ring(store, RING)
    data = iv.evidence_pack(iv.alert(store, "alert:ring-1"), ring, iv.cases(store), user="ivy")
    z = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(z.namelist()) == ["evidence.json", "identifiers.csv", "members.csv", "timeline.csv"]
    doc = json.loads(z.read("evidence.json"))
    assert doc["alert"]["id"] == "alert:ring-1" and doc["generated_by"] == "ivy"
    assert doc["ring"]["id"] == RING and len(doc["timeline"]) == 7
    timeline = list(csv.DictReader(io.StringIO(z.read("timeline.csv").decode())))
    assert {r["source"] for r in timeline} >= {"file:///data/net/payouts.csv#row=4", "file:///data/clicks/clicks-2025-07.csv.gz#row=10"}
    members = list(csv.DictReader(io.StringIO(z.read("members.csv").decode())))
    assert members[0]["name"] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it, never runs it


# ------------------------------------------------------------------------------- browser


def _cy_names(dash_duo: Any, graph_id: str) -> list[str]:
    """Names of the nodes one Cytoscape graph draws (cytoscape.js keeps its instance on the container)."""
    return dash_duo.driver.execute_script(
        "const root = document.getElementById(arguments[0]); if (!root) return [];"
        "const el = [root, ...root.querySelectorAll('div')].find(e => e._cyreg && e._cyreg.cy);"
        "return el ? el._cyreg.cy.nodes().map(n => n.data('name')) : [];", graph_id)


@pytest.mark.browser
@falkordb_only
def test_investigations_open_an_alert_then_trace_a_path(dash_duo: Any, store: GraphStore,
                                                        falkor_settings: Settings) -> None:
    from app.factory import create_app

    seed_fraud(store)
    dash_duo.start_server(create_app(falkor_settings, store))
    dash_duo.driver.get(dash_duo.server_url + "/investigations")
    dash_duo.wait_for_contains_text(f"#{ids.INV_ALERTS}", "New ring", timeout=20)
    alerts = dash_duo.find_element(f"#{ids.INV_ALERTS}").text
    assert SCRIPT in alerts and IMG in alerts and "alert:old" not in alerts  # markup as text; dismissed hidden
    assert not dash_duo.find_elements(f"#{ids.INV_ALERTS} script, #{ids.INV_ALERTS} img")

    # open the ring alert: its ring, members, shared identifiers, graph and timeline
    dash_duo.find_element(".pg-open-alert[data-alert='alert:ring-1']").click()
    dash_duo.wait_for_contains_text(f"#{ids.INV_ALERT_BODY}", "3 affiliates share a payment account")
    dash_duo.wait_for_contains_text(f"#{ids.INV_RING_BODY}", "Deal Hunter")
    ring_text = dash_duo.find_element(f"#{ids.INV_RING_BODY}").text
    assert "pay_1" in ring_text and "Coupon Corner, Promo Planet" in ring_text
    _wait(lambda: {"Deal Hunter", "payment pay_1"} <= set(_cy_names(dash_duo, ids.INV_RING_GRAPH)), what="the ring graph")
    dash_duo.wait_for_element(f"#{ids.INV_TIMELINE} .main-svg")

    # open a case from the alert: it is assigned to the user, and its audit trail starts
    dash_duo.find_element(f"#{ids.INV_OPEN_CASE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.INV_ACTION_STATUS}", "Case case:2 opened and assigned to local.")
    dash_duo.wait_for_contains_text(f"#{ids.INV_CASE_LOG}", "opened")
    assert "new ring: 3 affiliates share" in dash_duo.find_element(f"#{ids.INV_CASE_TITLE}").text
    dash_duo.wait_for_contains_text(f"#{ids.INV_ALERT_BODY}", "case:2")
    dash_duo.find_element(f"#{ids.INV_CASE_NOTE}").send_keys("Same payout account as last quarter's ring.")
    dash_duo.find_element(f"#{ids.INV_CASE_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.INV_CASE_NOTES}", "Same payout account")
    assert "note" in dash_duo.find_element(f"#{ids.INV_CASE_LOG}").text
    # dismissing needs a reason: the banner says so, and nothing changes
    dash_duo.find_element(f"#{ids.INV_CASE_DISMISS}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BANNER_TEXT}", "dismissing a case needs a reason")
    dash_duo.find_element(f"#{ids.BANNER_CLOSE}").click()
    stored = store.read("MATCH (c:Case {id: 'case:2'}) RETURN c.status AS s, c.assignee AS a").rows
    assert stored == [{"s": "open", "a": "local"}]

    # trace a path: the ring's first and last members are preselected
    dash_duo.find_element(f"#{ids.INV_TRACE_GO}").click()
    dash_duo.wait_for_contains_text(f"#{ids.INV_TRACE_RESULT}", "2 hops through shared identifiers")
    assert "payouts.csv#row=4" in dash_duo.find_element(f"#{ids.INV_TRACE_RESULT}").text
    _wait(lambda: set(_cy_names(dash_duo, ids.INV_TRACE_GRAPH)) == {"Deal Hunter", "pay_1", "Promo Planet"},
          what="the path graph")

    # the evidence pack downloads (the server builds the zip; the browser saves it)
    dash_duo.find_element(f"#{ids.INV_PACK_BUTTON}").click()
    time.sleep(1.0)

    # the cases list shows the past case and its audit trail
    dash_duo.find_element(".pg-linkbutton[data-case='case:1']").click()
    dash_duo.wait_for_contains_text(f"#{ids.INV_CASE_LOG}", "dismissed")
    assert "reason office NAT" in dash_duo.find_element(f"#{ids.INV_CASE_LOG}").text
    assert "office IP" in dash_duo.find_element(f"#{ids.INV_CASE_NOTES}").text
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    dash_duo.driver.save_screenshot(str(SHOTS / "investigations.png"))
    assert dash_duo.get_logs() == []


# ------------------------------------------------------------------------------- the fraud stage's tools


def test_cases_go_through_the_fraud_case_workflow(store: GraphStore) -> None:
    tools = iv.case_tools()
    assert tools is not None, "gnn.fraud.cases ships with this installation"
    seed_fraud(store)
    case = tools.open_case(store, ["alert:ring-1"], by="ivy", assignee="ivy", note="looks like one operator")
    tools.update(store, case.id, by="ivy", status="investigating", assignee="bob")
    tools.update(store, case.id, by="bob", status="dismissed", reason="agency's shared payment account")
    shown = next(c for c in iv.cases(store) if c["id"] == case.id)
    assert shown["status"] == "dismissed" and shown["assignee"] == "bob" and shown["alerts"] == ["alert:ring-1"]
    assert [n["text"] for n in shown["notes"]] == ["looks like one operator"]
    assert [e["action"] for e in shown["log"]] == [
        "opened", "status open → investigating", "assignee ivy → bob", "status investigating → dismissed"]
    assert "reason agency's shared payment account" in shown["log"][-1]["detail"]
    assert "allowlisted dev_1, net_1, pay_1" in shown["log"][-1]["detail"]  # the workflow allow-lists them
    assert iv.cases(store)[0]["id"] == case.id  # newest first
    assert [a["id"] for a in iv.alerts(store)] == ["alert:risk-d"]  # the dismissed case closed its alert


def test_trace_uses_the_fraud_runs_index_when_there_is_one(store: GraphStore, tmp_path: Path) -> None:
    import pandas as pd

    from graph.settings import load_settings

    seed_fraud(store)
    settings = load_settings(env={}, home=tmp_path)
    cache = tmp_path / "fraud" / "cache"
    cache.mkdir(parents=True)
    from gnn.fraud.trace import prepare

    pairs = pd.DataFrame({"a": ["aff:a", "aff:b"], "b": ["aff:b", "aff:c"], "strength": [0.8, 0.5]})
    evidence = pd.DataFrame({"a": ["aff:a", "aff:b"], "b": ["aff:b", "aff:c"], "kind": ["device", "ip_network"],
                             "ident": ["dev_1", "net_1"], "weight": [0.95, 0.9], "degree": [2, 2],
                             "contribution": [0.8, 0.5], "n_a": [40, 60], "n_b": [85, 45]})
    uses = pd.DataFrame({"affiliate": ["aff:a", "aff:b", "aff:b", "aff:c"],
                         "kind": ["device", "device", "ip_network", "ip_network"],
                         "ident": ["dev_1", "dev_1", "net_1", "net_1"], "n": [40, 85, 60, 45],
                         "first": ["2025-06-01"] * 4, "last": ["2025-07-31"] * 4,
                         "source": [f"file:///clicks.csv#row={i}" for i in range(4)]})
    trace_pairs, trace_evidence = prepare(pairs, evidence, uses)
    trace_pairs.to_parquet(cache / "trace_pairs.parquet")
    trace_evidence.to_parquet(cache / "trace_evidence.parquet")
    path = iv.trace(store, "aff:a", "aff:c", settings)
    assert path["method"] == "fraud-index"
    assert [n["id"] for n in path["nodes"]] == ["aff:a", "aff:b", "aff:c", "dev_1", "net_1"]
    assert [n["name"] for n in path["nodes"][:3]] == ["Deal Hunter", "Coupon Corner", "Promo Planet"]
    text = iv.hop_text(path)
    assert text[0] == ("Deal Hunter —device→ device dev_1, 40 uses, rarity 0.95, used by 2 affiliates "
                       "(source: file:///clicks.csv#row=0)")
    assert len(text) == 4 and path["paths"][0]["hops"] == 2
    ends = [e["data"]["id"] for e in iv.path_elements(path) if "root" in e.get("classes", "")]
    assert ends == ["aff:a", "aff:c"]
    # without the index (another HOME) the graph's identifier edges are walked
    assert iv.trace(store, "aff:a", "aff:c", load_settings(env={}, home=tmp_path / "other"))["method"] == "graph"


def test_evidence_pack_without_a_fraud_run_is_the_graphs_own(store: GraphStore, tmp_path: Path) -> None:
    from graph.settings import load_settings

    seed_fraud(store)
    assert iv.fraud_ring_pack(store, load_settings(env={}, home=tmp_path), RING) == {}  # no fraud cache here
    data = iv.evidence_pack(None, iv.ring(store, RING), ring_pack={"facts.csv": b"fact,source\n"})
    assert "ring/facts.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
