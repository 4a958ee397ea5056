"""Pure helpers of the app, binding checks and the factory's wiring: no browser, no database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import helpers, ids
from app.helpers import (
    HAS_DATA,
    NO_RUNS,
    NOT_BUILT,
    UNKNOWN,
    banner_for,
    counts_figure,
    counts_table,
    split_counts,
    stage_status,
)
from app.server import check_binding, is_loopback
from graph.errors import (
    AuthError,
    ConfigError,
    InputError,
    QueryTimeout,
    SchemaVersionError,
    StoreUnavailable,
)
from graph.settings import load_settings

COUNTS = {
    ":Publisher": 3,
    ":Affiliate": 1,
    ":Brand": 2,
    ":SchemaInfo": 1,
    ":ImportRun": 1,
    "[:COVERS]": 4,
    "[:RAN]": 1,
}


# ------------------------------------------------------------------------------ counts


def test_split_counts_reads_store_keys_and_drops_internal_labels() -> None:
    split = split_counts(COUNTS)
    assert split.nodes == {"Publisher": 3, "Affiliate": 1, "Brand": 2, "ImportRun": 1}
    assert split.relationships == {"COVERS": 4, "RAN": 1}
    assert split.total_nodes == 6  # Affiliate is a role label on publishers: not added again
    assert split.total_relationships == 5


def test_split_counts_accepts_bare_names_told_apart_by_the_schema() -> None:
    split = split_counts({"Publisher": 2, "COVERS": 5, "FUTURE_REL": 1, "Widget": 4})
    assert split.nodes == {"Publisher": 2, "Widget": 4}
    assert split.relationships == {"COVERS": 5, "FUTURE_REL": 1}


def test_counts_table_orders_nodes_then_relationships_largest_first() -> None:
    rows = counts_table(COUNTS)
    assert rows == [
        {"kind": "node", "name": "Publisher", "count": 3},
        {"kind": "node", "name": "Brand", "count": 2},
        {"kind": "node", "name": "Affiliate", "count": 1},
        {"kind": "node", "name": "ImportRun", "count": 1},
        {"kind": "relationship", "name": "COVERS", "count": 4},
        {"kind": "relationship", "name": "RAN", "count": 1},
    ]


def test_counts_table_leaves_out_zero_counts_and_handles_empty() -> None:
    assert counts_table({":Publisher": 0, "[:COVERS]": 0}) == []
    assert counts_table({}) == []


def test_counts_figure_has_one_bar_trace_per_kind() -> None:
    fig = counts_figure(COUNTS)
    nodes, rels = fig.data
    assert list(nodes.y) == ["Publisher", "Brand", "Affiliate", "ImportRun"]
    assert list(nodes.x) == [3, 2, 1, 1]
    assert list(rels.y) == ["COVERS", "RAN"]
    assert not fig.layout.annotations[2:]  # only the two subplot titles


def test_counts_figure_of_an_empty_graph_says_so() -> None:
    fig = counts_figure({})
    assert any(a.text == "The graph is empty" for a in fig.layout.annotations)


def test_format_count() -> None:
    assert helpers.format_count(1234567) == "1,234,567"


# ------------------------------------------------------------------------------ stages


def _by_key(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["key"]: r for r in rows}


def test_stage_status_of_an_empty_graph_says_no_runs() -> None:
    rows = stage_status({}, {"embedded_nodes": 0})
    assert [r["key"] for r in rows] == ["import", "crawl", "embed", "discover", "fraud"]
    assert {r["state"] for r in rows} == {NO_RUNS}
    assert _by_key(rows)["import"]["summary"] == "No import runs yet."


def test_stage_status_reports_what_the_runs_left() -> None:
    counts = {
        ":ImportRun": 2,
        ":CrawlRun": 1,
        ":Article": 40,
        ":DiscoveryRun": 1,
        ":Model": 1,
        "[:RECOMMENDED]": 25,
        ":Ring": 3,
        ":Alert": 1,
    }
    rows = _by_key(stage_status(counts, {"embedded_nodes": 12}))
    assert {r["state"] for r in rows.values()} == {HAS_DATA}
    assert rows["import"]["summary"] == "2 import runs recorded."
    assert rows["crawl"]["summary"] == "1 crawl run, 40 articles."
    assert rows["embed"]["summary"] == "12 nodes carry a vector."
    assert rows["discover"]["summary"] == "1 discovery run, 1 model, 25 recommendations."
    assert rows["fraud"]["summary"] == "3 rings, 1 alert."


def test_stage_status_does_not_pretend_an_import_happened() -> None:
    rows = _by_key(stage_status({":Publisher": 5, ":Brand": 1}, {"embedded_nodes": 0}))
    assert rows["import"]["state"] == NO_RUNS
    assert "6 partner or brand nodes loaded another way" in rows["import"]["summary"]


def test_stage_status_unknown_embeddings_when_the_fact_is_missing() -> None:
    assert _by_key(stage_status({}))["embed"]["state"] == UNKNOWN


def test_stage_status_not_built_unless_the_graph_has_its_data() -> None:
    available = {"discover": False, "fraud": False}
    rows = _by_key(stage_status({":Ring": 1}, {"embedded_nodes": 0}, available))
    assert rows["discover"]["state"] == NOT_BUILT
    assert rows["discover"]["summary"] == "This installation does not ship this stage yet."
    assert rows["fraud"]["state"] == HAS_DATA  # data is reported, whoever wrote it


# ------------------------------------------------------------------------------ banner


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            StoreUnavailable("cannot reach bolt://db:7687", hint="is Neo4j running?"),
            "The graph store is unavailable: cannot reach bolt://db:7687 (is Neo4j running?)",
        ),
        (AuthError("login refused"), "The graph store refused the credentials: login refused"),
        (QueryTimeout("query timed out"), "A query took too long: query timed out"),
        (SchemaVersionError("graph has schema 9"), "The graph was written by a newer PartnerGraph: graph has schema 9"),
        (ConfigError("bad port"), "A setting needs attention: bad port"),
        (InputError("unknown label 'X'"), "unknown label 'X'"),
    ],
)
def test_banner_for_expected_errors_says_what_to_fix(exc: Exception, expected: str) -> None:
    assert banner_for(exc) == expected


def test_banner_for_bugs_hides_details() -> None:
    text = banner_for(KeyError("secret internal detail"))
    assert "secret" not in text
    assert text.startswith("Something went wrong on the server (KeyError)")


# ------------------------------------------------------------------------------ binding


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org", ""])
def test_non_loopback_hosts(host: str) -> None:
    assert not is_loopback(host)


def test_check_binding_refuses_a_public_host_without_users(tmp_path: Path) -> None:
    settings = load_settings(env={"PARTNERGRAPH_APP_HOST": "0.0.0.0"}, home=tmp_path)
    with pytest.raises(ConfigError) as err:
        check_binding(settings)
    assert "refusing to serve the app on 0.0.0.0" in str(err.value)
    assert "PARTNERGRAPH_APP_USERS" in str(err.value)


def test_check_binding_allows_loopback_and_configured_users(tmp_path: Path) -> None:
    check_binding(load_settings(env={}, home=tmp_path))
    users = tmp_path / "users.yaml"
    users.write_text("{}\n")
    check_binding(load_settings(env={"PARTNERGRAPH_APP_HOST": "0.0.0.0"}, home=tmp_path, app_users=users))
    missing = load_settings(env={"PARTNERGRAPH_APP_HOST": "0.0.0.0"}, home=tmp_path, app_users=tmp_path / "nope")
    with pytest.raises(ConfigError, match="does not exist"):
        check_binding(missing)


# ------------------------------------------------------------------------------ factory


class _Unreachable:
    """A store whose server is gone: every call fails the way a backend reports it."""

    backend = "neo4j"
    uri = "bolt://127.0.0.1:1"

    def schema_version(self) -> int | None:
        raise StoreUnavailable("cannot reach bolt://127.0.0.1:1", hint="is Neo4j running?")

    def counts(self) -> dict[str, int]:
        raise StoreUnavailable("cannot reach bolt://127.0.0.1:1")

    def close(self) -> None:
        pass


@pytest.fixture
def unreachable_app(tmp_path: Path) -> Iterator[object]:
    from app.factory import create_app

    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, home=tmp_path)
    app = create_app(settings, _Unreachable())  # type: ignore[arg-type]
    yield app


def test_factory_registers_the_overview_and_the_shared_layout(unreachable_app: object) -> None:
    import dash

    assert isinstance(unreachable_app, dash.Dash)
    pages = {p["path"]: p["name"] for p in dash.page_registry.values()}
    assert pages["/"] == "Overview"
    server = unreachable_app.server
    with server.test_request_context("/"):
        layout = unreachable_app.layout()
    text = str(layout)
    for component in (ids.NAVBAR, ids.BANNER, ids.BANNER_TEXT, ids.NAV_LINKS):
        assert component in text


def test_healthz_reports_503_when_the_store_is_unreachable(unreachable_app: object) -> None:
    client = unreachable_app.server.test_client()  # type: ignore[attr-defined]
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "unavailable"
    assert body["store_reachable"] is False
    assert body["backend"] == "neo4j"
    assert body["schema_version"] is None
    assert body["error"].startswith("The graph store is unavailable: cannot reach bolt://127.0.0.1:1")
    assert resp.headers["Cache-Control"] == "no-store"


def test_ids_are_unique() -> None:
    values = [v for k, v in vars(ids).items() if k.isupper()]
    assert len(values) == len(set(values))


def test_a_second_app_in_the_process_gets_each_page_callback_once(tmp_path: Path) -> None:
    from app.factory import create_app

    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, home=tmp_path)
    create_app(settings, _Unreachable())  # type: ignore[arg-type]  # built, never served
    app = create_app(settings, _Unreachable())  # type: ignore[arg-type]
    deps = app.server.test_client().get("/_dash-dependencies").get_json()
    outputs = [d["output"] for d in deps]
    assert len(outputs) == len(set(outputs))
    assert any(ids.OVERVIEW_KPI_NODES in o for o in outputs)


def test_run_app_refuses_a_public_host_before_opening_anything(tmp_path: Path) -> None:
    from app.server import run_app

    settings = load_settings(
        env={"PARTNERGRAPH_APP_HOST": "0.0.0.0", "PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"},
        home=tmp_path,
    )
    with pytest.raises(ConfigError, match="not a loopback address"):
        run_app(settings)
