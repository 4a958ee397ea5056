"""Dashboards page: anomaly scoring and run summaries (pure), the reads on a real FalkorDB-lite
store with a hand-written graph (tests/app/graphs.py), and the page in a real browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import dashboards_view as dv
from app import ids
from graph.settings import Settings
from graph.store.base import GraphStore
from tests.app.graphs import IMG, MONTHS, seed_performance, seed_recommendations

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
falkordb_only = pytest.mark.parametrize("store", ["falkordb"], indirect=True)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    dv.clear_cache()  # the session store is reused across tests; cached reads must not leak
    yield
    dv.clear_cache()


def _series(pid: str, values: list[float]) -> list[dict[str, Any]]:
    return [{"id": pid, "name": pid, "kind": "Publisher", "period": p, "revenue": v, "cost": 100.0}
            for p, v in zip(MONTHS, values, strict=False)]


# ------------------------------------------------------------------------------- pure


def test_robust_z_flags_spikes_and_drops_but_not_noise() -> None:
    flat = [1000.0 + (i % 3) * 20 for i in range(12)]
    assert dv.anomalies(_series("pub:flat", flat)) == []
    spike = flat[:]
    spike[5] = 20_000.0
    drop = flat[:]
    drop[9] = 0.0
    found = dv.anomalies(_series("pub:spike", spike) + _series("pub:drop", drop))
    assert [(a["id"], a["period"], a["direction"]) for a in found] == [
        ("pub:drop", MONTHS[9], "under-performance"), ("pub:spike", MONTHS[5], "spike")]
    assert found[1]["z"] > dv.Z_THRESHOLD and found[0]["z"] < -dv.Z_THRESHOLD
    assert found[1]["median"] == 1020.0 and found[1]["roi"] == 200.0
    # too few months, or a jump of a few cents, is not an anomaly
    assert dv.anomalies(_series("pub:short", [10.0, 10.0, 5000.0])) == []
    assert dv.anomalies(_series("pub:cents", [1.0] * 11 + [60.0])) == []
    assert dv.robust_z([5.0] * 8) is None  # all equal: nothing to score
    # several facts of one partner-month are added up before scoring
    doubled = _series("pub:x", flat) + _series("pub:x", flat)
    assert dv.anomalies(doubled) == []


def test_run_rows_flatten_metrics_and_summarise_drift() -> None:
    runs: list[dict[str, Any]] = [
        {"id": "d2", "status": "complete", "finished_at": "2026-11-23T02:40:00Z", "model_version": "m2",
         "metrics": json.dumps({"v": 1, "ranker": "sage", "brands": {"scored": 1200}, "edges_written": 24000,
                                "model_metrics": {"test": {"recall@20": 0.4}}, "trained": True}),
         "drift": json.dumps({"features": {"a": {"psi": 0.3, "ks": 0.1}, "b": {"psi": float("nan"), "ks": 0.2}},
                              "drifted": True, "why": ["feature a PSI 0.30"]})},
        {"id": "d1", "status": "failed", "started_at": "2026-11-16T02:00:00Z", "metrics": '{"error": "out of memory"}'},
        {"id": "d0", "status": "complete", "finished_at": "2026-11-09T02:00:00Z", "metrics": "not json", "drift": None},
    ]
    rows = dv.run_rows(runs)
    assert rows[0] | {} == {**rows[0], "status": "complete", "model": "m2", "ranker": "sage", "drift": "drift",
                            "max_psi": "0.300", "max_ks": "0.200", "why": "feature a PSI 0.30",
                            "Brands scored": "1,200", "Edges written": "24,000", "Partners recommended": "—"}
    assert rows[1]["why"] == "out of memory" and rows[1]["drift"] == "—"
    assert rows[2]["model"] == "—" and rows[2]["max_psi"] == "—"
    assert dv.flatten({"v": 1, "a": {"b": 2, "c": True, "d": "x"}, "e": [1]}) == {"a.b": 2.0}
    assert dv.metric_options(runs) == []  # one complete run with metrics: nothing to draw a line through
    fig = dv.metric_figure(runs, None)
    assert [t.name for t in fig.data] == ["max PSI", "max KS"]


def test_import_and_crawl_rows_read_plainly() -> None:
    rows = dv.import_rows([{"file": "file:///x/y/crm%20export.csv", "status": "complete", "rows_in": 200,
                            "rows_imported": 190, "rows_quarantined": 10, "started_at": "2026-11-01T10:00:00Z",
                            "finished_at": "2026-11-01T10:03:00Z"}])
    assert rows == [{"file": "crm export.csv", "preset": "—", "status": "complete", "started": "2026-11-01 10:00",
                     "took": "3.0 min", "rows in": "200", "imported": "190", "quarantined": "10 (5.0%)"}]
    assert dv.period_range(["2024-01", "2024-05"], None, None) == ("2024-01", "2024-05")
    assert dv.period_range(["2024-01", "2024-05"], "2024-04", "2024-02") == ("2024-02", "2024-04")


# ------------------------------------------------------------------------------- real store


def test_portfolio_reads_on_a_real_store(store: GraphStore) -> None:
    seed_performance(store)
    periods = dv.periods(store)
    assert periods == MONTHS
    rows = dv.performance(store, periods[0], periods[-1])
    totals = dv.performance_totals(rows)
    steady = sum(9000.0 if p == "2025-06" else 1000.0 + 10 * i for i, p in enumerate(MONTHS))
    drop = sum(0.0 if p == "2025-07" else 800.0 + 5 * i for i, p in enumerate(MONTHS))
    assert totals["Publisher"]["revenue"] == pytest.approx(steady + 150.0)
    assert totals["Influencer"]["revenue"] == pytest.approx(drop)
    assert totals["All"]["cost"] == pytest.approx(12 * 400 + 3 * 20 + 12 * 300)
    fig = dv.performance_figure(rows)
    assert [t.name for t in fig.data] == ["Publisher revenue", "Influencer revenue", "Cost"]
    assert list(fig.data[0].x) == MONTHS

    topics = dv.topics(store, periods[0], periods[-1], [])
    assert [(t["name"], t["partners"]) for t in topics] == [("Sports", 2)]  # tier 1; the influencer counted once
    assert topics[0]["revenue"] == pytest.approx(steady + drop)
    only_inf = dv.topics(store, periods[0], periods[-1], ["Influencer"])
    assert only_inf[0]["revenue"] == pytest.approx(drop)

    months = dv.partner_months(store, periods[0], periods[-1], [])
    found = dv.anomalies(months)
    assert [(a["id"], a["period"], a["direction"]) for a in found] == [
        ("inf:drop", "2025-07", "under-performance"), ("pub:steady", "2025-06", "spike")]
    assert found[0]["name"] == IMG
    assert dv.anomalies(dv.partner_months(store, "2024-08", "2025-05", [])) == []  # range without either month

    imports = dv.import_runs(store)
    assert [r["file"] for r in imports] == ["clicks-2025-07.csv.gz", "partners.csv"]
    assert imports[0]["took"] == "—" and imports[1]["took"] == "42 s"
    assert dv.crawl_runs(store) == [{"run": "crawl-1", "status": "complete", "started": "2026-11-03 10:00",
                                     "took": "3.0 min", "sites": "12", "pages": "340", "requests": "410",
                                     "errors": "9", "write errors": "0"}]


def test_discovery_runs_on_a_real_store(store: GraphStore) -> None:
    seed_recommendations(store)
    runs = dv.discovery_runs(store)
    assert [r["id"] for r in runs] == ["disc-3", "disc-2", "disc-1", "disc-0"]
    rows = {r["id"]: r for r in dv.run_rows(runs)}
    assert rows["disc-2"]["drift"] == "drift" and rows["disc-2"]["max_psi"] == "0.250"
    assert rows["disc-2"]["max_ks"] == "0.300" and rows["disc-1"]["drift"] == "no drift"
    assert rows["disc-3"]["status"] == "running"
    options = dv.metric_options(runs)
    assert options[:2] == ["model_metrics.test.ndcg@20", "model_metrics.test.recall@20"]
    fig = dv.metric_figure(runs, "model_metrics.test.recall@20")
    assert list(fig.data[0].y) == [0.31, 0.35] and list(fig.data[1].y) == [0.05, 0.25]


# ------------------------------------------------------------------------------- browser


@pytest.mark.browser
@falkordb_only
def test_dashboards_page(dash_duo: Any, store: GraphStore, falkor_settings: Settings) -> None:
    from app.factory import create_app

    seed_performance(store)
    seed_recommendations(store)
    dash_duo.start_server(create_app(falkor_settings, store))
    dash_duo.driver.get(dash_duo.server_url + "/dashboards")
    dash_duo.wait_for_contains_text(f"#{ids.DSH_ANOMALY_SUMMARY}", "2 unusual partner-months", timeout=20)
    assert "1 spikes, 1 under-performance" in dash_duo.find_element(f"#{ids.DSH_ANOMALY_SUMMARY}").text
    table = dash_duo.find_element(f"#{ids.DSH_ANOMALY_TABLE}").text
    assert IMG in table and "under-performance" in table and "Steady Mag" in table  # names shown as text
    assert not dash_duo.find_elements(f"#{ids.DSH_ANOMALY_TABLE} img")
    dash_duo.wait_for_element(f"#{ids.DSH_PERIOD_CHART} .main-svg")
    dash_duo.wait_for_element(f"#{ids.DSH_TOPIC_CHART} .main-svg")
    revenue = dash_duo.find_element(f"#{ids.DSH_KPI_REVENUE}").text
    assert revenue != "–" and revenue.replace(",", "").isdigit()
    dash_duo.wait_for_contains_text(f"#{ids.DSH_RUN_TABLE}", "disc-2")
    assert "feature audience PSI 0.25" in dash_duo.find_element(f"#{ids.DSH_RUN_TABLE}").text
    dash_duo.wait_for_contains_text(f"#{ids.DSH_IMPORT_TABLE}", "partners.csv")
    assert "crawl-1" in dash_duo.find_element(f"#{ids.DSH_CRAWL_TABLE}").text

    # only influencers: the publisher's spike leaves the list
    dash_duo.find_element(f"#{ids.DSH_KINDS} input[value='Publisher']").click()
    dash_duo.wait_for_contains_text(f"#{ids.DSH_ANOMALY_SUMMARY}", "1 unusual partner-months")
    assert "Steady Mag" not in dash_duo.find_element(f"#{ids.DSH_ANOMALY_TABLE}").text
    dash_duo.find_element(f"#{ids.DSH_KINDS} input[value='Publisher']").click()
    dash_duo.wait_for_contains_text(f"#{ids.DSH_ANOMALY_SUMMARY}", "2 unusual partner-months")
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "dashboards.png"))
    assert dash_duo.get_logs() == []
