"""The app against a real FalkorDB-lite store: the overview in a browser, and /healthz.

Browser tests need Chromium and chromedriver (see tests/browser.py, tests/conftest_browser.py);
they skip without them, and fail under PARTNERGRAPH_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from app import ids
from app.factory import create_app
from app.helpers import stage_status
from app.state import stages_available
from graph.errors import StoreUnavailable
from graph.schema import SCHEMA_VERSION
from graph.settings import Settings, load_settings
from graph.store.base import GraphStore

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "screenshots" / "overview.png"

#: Only the embedded backend: this test is about the app, and runs without a Neo4j server.
falkordb_only = pytest.mark.parametrize("store", ["falkordb"], indirect=True)

SOURCE = "generator://test-app"


def _seed(store: GraphStore) -> None:
    prov = {"source": SOURCE, "run_id": "test-app", "first_seen": "2026-01-05T09:00:00Z"}
    store.upsert_nodes("Publisher", [
        {"id": "pub-1", "name": "Trail Runner Weekly", "domain": "trailrunner.example", **prov},
        {"id": "pub-2", "name": "<script>alert('x')</script> Gear Lab", "domain": "gearlab.example", **prov},
        {"id": "pub-3", "name": "Summit Stories", "domain": "summit.example", **prov},
    ])
    store.upsert_nodes("Brand", [
        {"id": "brand-1", "name": "Northwind Outdoor", **prov},
        {"id": "brand-2", "name": "Alpine Fuel", **prov},
    ])
    store.upsert_nodes("Topic", [
        {"id": "iab-content-3.1:483", "name": "Running and Jogging", "taxonomy": "iab-content-3.1", **prov},
    ])
    store.upsert_nodes("ImportRun", [
        {"id": "import-1", "file": "crm.csv", "status": "complete", "rows_in": 6, **prov},
    ])
    store.upsert_relationships(
        "COVERS",
        [
            {"src": "pub-1", "dst": "iab-content-3.1:483", "score": 0.9, "method": "test", **prov},
            {"src": "pub-3", "dst": "iab-content-3.1:483", "score": 0.7, "method": "test", **prov},
        ],
        src_label="Publisher",
        dst_label="Topic",
    )


def _table(dash_duo: Any) -> dict[str, str]:
    rows = dash_duo.find_elements(f"#{ids.OVERVIEW_TABLE_BODY} tr")
    out = {}
    for row in rows:
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        out[cells[1]] = cells[2]
    return out


@pytest.mark.browser
@falkordb_only
def test_overview_shows_the_counts_of_a_real_graph(
    dash_duo: Any, store: GraphStore, falkor_settings: Settings
) -> None:
    _seed(store)
    app = create_app(falkor_settings, store)
    dash_duo.start_server(app)

    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_KPI_NODES}", "7", timeout=20)
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_KPI_RELS}", "2")
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_KPI_SCHEMA}", str(SCHEMA_VERSION))
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_KPI_BACKEND}", "FalkorDB-lite")
    assert _table(dash_duo) == {
        "Publisher": "3",
        "Brand": "2",
        "ImportRun": "1",
        "Topic": "1",
        "COVERS": "2",
    }
    dash_duo.wait_for_element(f"#{ids.OVERVIEW_CHART} .main-svg")
    assert dash_duo.find_element(f"#{ids.BACKEND_BADGE}").text == "FalkorDB-lite (embedded)"
    assert [a.text for a in dash_duo.find_elements(f"#{ids.NAV_LINKS} a")] == [
        "Overview", "Explore", "Partner profile", "Cypher console", "Recommendations", "Dashboards", "Investigations", "Jobs"]
    assert dash_duo.find_element(f"#{ids.USER_BADGE}").text == "Local mode · every role"

    imported = dash_duo.find_element("#stage-import")
    assert "has data" in imported.text
    assert "1 import run recorded." in imported.text
    expected = stage_status(store.counts(), {"embedded_nodes": 0}, stages_available())
    for stage in expected:
        shown = dash_duo.find_element(f"#stage-{stage['key']}").text
        assert stage["state"] in shown and stage["summary"] in shown
    assert {s["key"]: s["state"] for s in expected}["crawl"] in ("no runs yet", "not built yet")
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOT))
    assert dash_duo.get_logs() == []


class _LostStore:
    """A store whose server went away after the app started."""

    backend = "neo4j"
    uri = "bolt://127.0.0.1:1"

    def schema_version(self) -> int | None:
        raise StoreUnavailable("cannot reach bolt://127.0.0.1:1", hint="is Neo4j running?")

    def counts(self) -> dict[str, int]:
        raise StoreUnavailable("cannot reach bolt://127.0.0.1:1", hint="is Neo4j running?")

    def close(self) -> None:
        pass


@pytest.mark.browser
def test_overview_shows_a_banner_when_the_store_is_down(dash_duo: Any, tmp_path: Path) -> None:
    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, home=tmp_path)
    dash_duo.start_server(create_app(settings, _LostStore()))  # type: ignore[arg-type]

    dash_duo.wait_for_text_to_equal(
        f"#{ids.BANNER_TEXT}",
        "The graph store is unavailable: cannot reach bolt://127.0.0.1:1 (is Neo4j running?)",
        timeout=20,
    )
    assert dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    assert dash_duo.find_element(f"#{ids.OVERVIEW_KPI_NODES}").text == "–"  # nothing made up
    dash_duo.find_element(f"#{ids.BANNER_CLOSE}").click()
    dash_duo.wait_for_style_to_equal(f"#{ids.BANNER}", "display", "none")
    assert dash_duo.get_logs() == []


@falkordb_only
def test_healthz_is_200_on_a_reachable_store(store: GraphStore, falkor_settings: Settings) -> None:
    app = create_app(falkor_settings, store)
    resp = app.server.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "status": "ok",
        "backend": "falkordb",
        "store_reachable": True,
        "schema_version": SCHEMA_VERSION,
        "app_schema_version": SCHEMA_VERSION,
    }


def test_healthz_is_503_when_the_store_cannot_be_opened(tmp_path: Path) -> None:
    """No store handed in: the app opens the configured one lazily, and here it cannot."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the graph folder should be")
    settings = load_settings(
        env={"PARTNERGRAPH_GRAPH_URI": f"falkordb-lite://{blocker}/graph/graph.db"}, home=tmp_path
    )
    app = create_app(settings)
    client = app.server.test_client()
    for _ in range(2):  # a failed open is retried, and fails again the same way
        resp = client.get("/healthz")
        assert resp.status_code == 503
        body = resp.get_json()
        assert body["status"] == "unavailable"
        assert body["store_reachable"] is False
        assert body["backend"] == "falkordb"
        assert body["schema_version"] is None
        assert body["error"].startswith("The graph store is unavailable: cannot create the folder")
