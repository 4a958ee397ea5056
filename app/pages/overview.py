"""Overview ("/"): the graph at a glance.

Counts per label and relationship type, the schema version, the backend, and which pipeline
stages have put data into the graph. The callback reads through the shared store and hands the
numbers to pure helpers in :mod:`app.helpers`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import dash
from dash import Input, Output, callback, dcc, html, set_props

import cypher
from app import cache, ids
from app.components import page_head
from app.helpers import (
    HAS_DATA,
    NO_RUNS,
    NOT_BUILT,
    counts_figure,
    counts_table,
    format_count,
    split_counts,
    stage_status,
)
from app.state import current_state, stages_available
from graph.errors import PartnerGraphError
from graph.schema import NODES, RELS, SCHEMA_VERSION
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/",
    name="Overview",
    title="Overview · PartnerGraph",
    description="The graph at a glance: counts, schema version, backend and pipeline stages.",
    order=0,
)

BACKEND_NAMES = {"falkordb": "FalkorDB-lite", "neo4j": "Neo4j"}
FRESH_SECONDS = 15.0
STATE_CLASS = {HAS_DATA: "ok", NO_RUNS: "idle", NOT_BUILT: "off"}


def _kpi(label: str, value_id: str, hint_id: str | None = None) -> html.Div:
    return html.Div(
        className="pg-kpi",
        children=[
            html.Div(label, className="pg-kpi-label"),
            html.Div("–", id=value_id, className="pg-kpi-value"),
            html.Div("", id=hint_id, className="pg-kpi-hint") if hint_id else None,
        ],
    )


layout = html.Div(
    className="pg-page",
    children=[
        page_head(
            "Graph overview",
            "What the partnership graph holds right now, and which stages have filled it.",
            [
                html.Span("", id=ids.OVERVIEW_UPDATED, className="pg-muted"),
                html.Button("Refresh", id=ids.OVERVIEW_REFRESH, className="pg-button", n_clicks=0),
            ],
        ),
        html.Section(
            id=ids.OVERVIEW_KPIS,
            className="pg-kpis",
            children=[
                _kpi("Nodes", ids.OVERVIEW_KPI_NODES, f"{ids.OVERVIEW_KPI_NODES}-hint"),
                _kpi("Relationships", ids.OVERVIEW_KPI_RELS, f"{ids.OVERVIEW_KPI_RELS}-hint"),
                _kpi("Schema version", ids.OVERVIEW_KPI_SCHEMA, f"{ids.OVERVIEW_KPI_SCHEMA}-hint"),
                _kpi("Backend", ids.OVERVIEW_KPI_BACKEND, f"{ids.OVERVIEW_KPI_BACKEND}-hint"),
            ],
        ),
        html.Div(
            className="pg-grid",
            children=[
                html.Section(
                    className="pg-card pg-span-2",
                    children=[
                        html.H2("Counts"),
                        dcc.Loading(
                            dcc.Graph(
                                id=ids.OVERVIEW_CHART,
                                config={"displayModeBar": False, "responsive": True},
                                figure=counts_figure({}),
                            ),
                            type="dot",
                        ),
                    ],
                ),
                html.Section(
                    className="pg-card",
                    children=[
                        html.H2("Pipeline stages"),
                        html.Ul(id=ids.OVERVIEW_STAGES, className="pg-stages"),
                    ],
                ),
                html.Section(
                    className="pg-card",
                    children=[
                        html.H2("By label and type"),
                        html.Table(
                            id=ids.OVERVIEW_TABLE,
                            className="pg-table",
                            children=[
                                html.Thead(html.Tr([html.Th("Kind"), html.Th("Name"), html.Th("Count", className="num")])),
                                html.Tbody(id=ids.OVERVIEW_TABLE_BODY),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ],
)


def _embedded_nodes(store: GraphStore) -> int | None:
    """Nodes carrying a vector, or ``None`` when the query fails (the stage then says unknown)."""
    try:
        result = store.read(cypher.load("overview_embedded_nodes", store.backend), {})
    except PartnerGraphError as exc:
        log.warning("overview: could not count embedded nodes: %s", exc)
        return None
    if not result.rows:
        return None
    return int(result.rows[0].get("embedded_nodes") or 0)


def _table_rows(counts: dict[str, int]) -> list[Any]:
    rows = counts_table(counts)
    if not rows:
        return [html.Tr(html.Td("The graph is empty.", colSpan=3, className="pg-muted"))]
    return [
        html.Tr(
            className=f"pg-row-{row['kind']}",
            children=[
                html.Td(html.Span("node" if row["kind"] == "node" else "rel", className=f"pg-tag pg-tag-{row['kind']}")),
                html.Td(row["name"], className="pg-name"),
                html.Td(format_count(row["count"]), className="num"),
            ],
        )
        for row in rows
    ]


def _stage_items(stages: list[dict[str, str]]) -> list[Any]:
    return [
        html.Li(
            className="pg-stage",
            id=f"stage-{s['key']}",
            children=[
                html.Div([
                    html.Span(s["stage"], className="pg-stage-name"),
                    html.Span(s["state"], className=f"pg-pill pg-pill-{STATE_CLASS.get(s['state'], 'unknown')}"),
                ], className="pg-stage-head"),
                html.Div(s["summary"], className="pg-stage-summary"),
            ],
        )
        for s in stages
    ]


@callback(
    Output(ids.OVERVIEW_KPI_NODES, "children"),
    Output(f"{ids.OVERVIEW_KPI_NODES}-hint", "children"),
    Output(ids.OVERVIEW_KPI_RELS, "children"),
    Output(f"{ids.OVERVIEW_KPI_RELS}-hint", "children"),
    Output(ids.OVERVIEW_KPI_SCHEMA, "children"),
    Output(f"{ids.OVERVIEW_KPI_SCHEMA}-hint", "children"),
    Output(ids.OVERVIEW_KPI_BACKEND, "children"),
    Output(f"{ids.OVERVIEW_KPI_BACKEND}-hint", "children"),
    Output(ids.OVERVIEW_CHART, "figure"),
    Output(ids.OVERVIEW_TABLE_BODY, "children"),
    Output(ids.OVERVIEW_STAGES, "children"),
    Output(ids.OVERVIEW_UPDATED, "children"),
    Input(ids.OVERVIEW_REFRESH, "n_clicks"),
)
def refresh_overview(clicks: int) -> tuple[Any, ...]:
    state = current_state()
    store = state.store()

    def read() -> tuple[dict[str, int], int | None, dict[str, int | None], datetime]:
        return store.counts(), store.schema_version(), {"embedded_nodes": _embedded_nodes(store)}, datetime.now(UTC)

    # every session shares one read for a few seconds; "Refresh" reads again
    counts, version, facts, read_at = cache.cached(("overview", id(state)), read, FRESH_SECONDS, fresh=bool(clicks))
    split = split_counts(counts)

    labels_used = sum(1 for v in split.nodes.values() if v > 0)
    types_used = sum(1 for v in split.relationships.values() if v > 0)
    if version is None:
        schema, schema_hint = "not applied", "no stage has written to this graph yet"
    elif version > SCHEMA_VERSION:
        schema, schema_hint = str(version), f"newer than this app ({SCHEMA_VERSION}): upgrade PartnerGraph"
    else:
        schema, schema_hint = str(version), "current" if version == SCHEMA_VERSION else f"app expects {SCHEMA_VERSION}"

    set_props(ids.BANNER, {"hidden": True})
    return (
        format_count(split.total_nodes),
        f"in {labels_used} of {len(NODES) - 1} labels",
        format_count(split.total_relationships),
        f"in {types_used} of {len(RELS)} types",
        schema,
        schema_hint,
        BACKEND_NAMES.get(state.backend, state.backend),
        "embedded, on this machine" if state.backend == "falkordb" else "server",
        counts_figure(counts),
        _table_rows(counts),
        _stage_items(stage_status(counts, facts, stages_available())),
        f"Updated {read_at.strftime('%H:%M:%S')} UTC",
    )
