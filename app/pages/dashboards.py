"""Dashboards ("/dashboards"): portfolio performance by partner type, topic and period; revenue
anomalies per partner; discovery model metrics and drift per run; import and crawl run history.

Every section reads through :mod:`app.dashboards_view` (queries in :mod:`app.queries`, figures
and tables built by pure functions, heavy reads cached for a minute; "Refresh" re-reads).
"""

from __future__ import annotations

import math
from typing import Any

import dash
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.dash_table.DataTable import DataTable

from app import dashboards_view as view
from app import ids
from app.components import page_head
from app.state import current_state

dash.register_page(
    __name__,
    path="/dashboards",
    name="Dashboards",
    title="Dashboards · PartnerGraph",
    description="Portfolio performance, anomalies, discovery model health and pipeline runs.",
    order=5,
)

KINDS = ("Publisher", "Influencer")
GRAPH_CONFIG: Any = {"displayModeBar": False, "responsive": True}
TABLE_STYLE: dict[str, Any] = {
    "style_table": {"overflowX": "auto"},
    "style_cell": {"fontFamily": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "fontSize": 12,
                   "textAlign": "left", "maxWidth": 320, "overflow": "hidden", "textOverflow": "ellipsis",
                   "padding": "4px 8px"},
    "style_header": {"fontWeight": 600, "background": "#f9fafb"},
}


def _kpi(label: str, value_id: str) -> html.Div:
    return html.Div(className="pg-kpi", children=[
        html.Div(label, className="pg-kpi-label"), html.Div("–", id=value_id, className="pg-kpi-value")])


def _table(table_id: str, columns: list[str], **kw: Any) -> DataTable:
    return DataTable(id=table_id, columns=[{"name": c, "id": c} for c in columns], data=[], page_size=10,
                     sort_action="native", **TABLE_STYLE, **kw)


def layout(**_query: Any) -> html.Div:
    return html.Div(
        className="pg-page",
        children=[
            page_head(
                "Dashboards",
                "How the portfolio performs, what looks unusual, and how the pipeline and models are doing.",
                [
                    dcc.Dropdown(id=ids.DSH_FROM, options=[], placeholder="From", clearable=True, className="pg-period"),
                    dcc.Dropdown(id=ids.DSH_TO, options=[], placeholder="To", clearable=True, className="pg-period"),
                    dcc.Checklist(id=ids.DSH_KINDS, options=[{"label": f" {k}s", "value": k} for k in KINDS],
                                  value=list(KINDS), className="pg-inline-check", inputClassName="pg-check"),
                    html.Button("Refresh", id=ids.DSH_REFRESH, className="pg-button", n_clicks=0),
                ],
            ),
            html.Section(className="pg-kpis", children=[
                _kpi("Revenue", ids.DSH_KPI_REVENUE), _kpi("Cost", ids.DSH_KPI_COST),
                _kpi("ROI", ids.DSH_KPI_ROI), _kpi("Conversions", ids.DSH_KPI_CONVERSIONS),
            ]),
            html.Div(className="pg-grid", children=[
                html.Section(className="pg-card pg-span-2", children=[
                    html.H2("Performance by period and partner type"),
                    dcc.Loading(dcc.Graph(id=ids.DSH_PERIOD_CHART, config=GRAPH_CONFIG,
                                          figure=view.empty_figure("Loading…")), type="dot"),
                ]),
                html.Section(className="pg-card pg-span-2", children=[
                    html.H2("By topic (IAB tier 1)"),
                    html.P("A partner counts under every tier-1 topic it covers, so topics overlap.", className="pg-muted"),
                    dcc.Loading(dcc.Graph(id=ids.DSH_TOPIC_CHART, config=GRAPH_CONFIG,
                                          figure=view.empty_figure("Loading…")), type="dot"),
                ]),
                html.Section(className="pg-card pg-span-2", children=[
                    html.H2("Anomalies: spikes and under-performance"),
                    html.P(id=ids.DSH_ANOMALY_SUMMARY, className="pg-muted", role="status"),
                    html.Div(className="pg-two", children=[
                        dcc.Loading(_table(ids.DSH_ANOMALY_TABLE, ["partner", "kind", "period", "direction", "revenue",
                                                                   "median", "z", "roi"],
                                           style_data_conditional=[
                                               {"if": {"filter_query": '{direction} = "spike"', "column_id": "direction"},
                                                "color": "#15803d", "fontWeight": 600},
                                               {"if": {"filter_query": '{direction} = "under-performance"',
                                                       "column_id": "direction"}, "color": "#b91c1c", "fontWeight": 600},
                                           ]), type="dot"),
                        dcc.Graph(id=ids.DSH_ANOMALY_CHART, config=GRAPH_CONFIG,
                                  figure=view.empty_figure("Pick an anomaly to see that partner's months.")),
                    ]),
                ]),
                html.Section(className="pg-card pg-span-2", children=[
                    html.Div(className="pg-card-head", children=[
                        html.H2("Discovery runs: model metrics and drift"),
                        dcc.Dropdown(id=ids.DSH_RUN_METRIC, options=[], placeholder="Metric to plot",
                                     clearable=True, className="pg-metric"),
                    ]),
                    html.P(id=ids.DSH_RUN_NOTE, className="pg-muted"),
                    dcc.Loading(dcc.Graph(id=ids.DSH_RUN_CHART, config=GRAPH_CONFIG,
                                          figure=view.empty_figure("Loading…")), type="dot"),
                    _table(ids.DSH_RUN_TABLE, ["id", "status", "finished", "model", "ranker", "Brands scored",
                                               "Partners recommended", "Edges written", "drift", "max_psi", "max_ks",
                                               "why"]),
                ]),
                html.Section(className="pg-card", children=[html.H2("Import runs"), _table(
                    ids.DSH_IMPORT_TABLE, ["file", "preset", "status", "started", "took", "rows in", "imported",
                                           "quarantined"])]),
                html.Section(className="pg-card", children=[html.H2("Crawl runs"), _table(
                    ids.DSH_CRAWL_TABLE, ["run", "status", "started", "took", "sites", "pages", "requests", "errors",
                                          "write errors"])]),
            ]),
        ],
    )


# ------------------------------------------------------------------------------- callbacks


def _range(since: str | None, until: str | None) -> tuple[str, str]:
    return view.period_range(view.periods(current_state().store()), since, until)


@callback(
    Output(ids.DSH_FROM, "options"),
    Output(ids.DSH_TO, "options"),
    Input(ids.DSH_REFRESH, "n_clicks"),
)
def load_periods(clicks: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    if clicks:
        view.clear_cache()
    options = [{"label": p, "value": p} for p in view.periods(current_state().store())]
    return options, options


@callback(
    Output(ids.DSH_KPI_REVENUE, "children"),
    Output(ids.DSH_KPI_COST, "children"),
    Output(ids.DSH_KPI_ROI, "children"),
    Output(ids.DSH_KPI_CONVERSIONS, "children"),
    Output(ids.DSH_PERIOD_CHART, "figure"),
    Output(ids.DSH_TOPIC_CHART, "figure"),
    Input(ids.DSH_FROM, "value"),
    Input(ids.DSH_TO, "value"),
    Input(ids.DSH_KINDS, "value"),
    Input(ids.DSH_FROM, "options"),
)
def portfolio(since: str | None, until: str | None, kinds: list[str] | None, _opts: Any) -> tuple[Any, ...]:
    store = current_state().store()
    lo, hi = _range(since, until)
    kinds = [k for k in kinds or [] if k in KINDS]
    rows = [r for r in view.performance(store, lo, hi) if r.get("kind") in kinds]
    totals = view.performance_totals(rows).get("All", {"revenue": 0.0, "cost": 0.0, "conversions": 0.0,
                                                        "roi": float("nan")})
    roi = "—" if math.isnan(totals["roi"]) else f"{totals['roi']:.2f}×"
    topic_rows = view.topics(store, lo, hi, kinds) if kinds else []
    return (f"{totals['revenue']:,.0f}", f"{totals['cost']:,.0f}", roi, f"{totals['conversions']:,.0f}",
            view.performance_figure(rows, kinds), view.topic_figure(topic_rows))


@callback(
    Output(ids.DSH_ANOMALY_TABLE, "data"),
    Output(ids.DSH_ANOMALY_SUMMARY, "children"),
    Output(ids.DSH_ANOMALY_TABLE, "active_cell"),
    Input(ids.DSH_FROM, "value"),
    Input(ids.DSH_TO, "value"),
    Input(ids.DSH_KINDS, "value"),
    Input(ids.DSH_FROM, "options"),
)
def anomaly_list(since: str | None, until: str | None, kinds: list[str] | None, _opts: Any) -> tuple[Any, ...]:
    lo, hi = _range(since, until)
    kinds = [k for k in kinds or [] if k in KINDS]
    months = view.partner_months(current_state().store(), lo, hi, kinds) if kinds else []
    found = view.anomalies(months)
    spikes = sum(1 for a in found if a["direction"] == "spike")
    partners = len({r["id"] for r in months})
    if not months:
        summary = "No monthly revenue in this range."
    else:
        summary = (f"{len(found):,} unusual partner-months ({spikes:,} spikes, {len(found) - spikes:,} "
                   f"under-performance) among {partners:,} partners, {lo} to {hi}: robust z-score of monthly "
                   f"log revenue against the partner's own median, |z| ≥ {view.Z_THRESHOLD}, "
                   f"at least {view.MIN_MONTHS} months and {view.MIN_DELTA:,.0f} off the median.")
        if len(found) >= view.MAX_ANOMALIES:
            summary += f" The strongest {view.MAX_ANOMALIES} are listed."
    return view.anomaly_table(found), summary, ({"row": 0, "column": 0, "column_id": "partner"} if found else None)


@callback(
    Output(ids.DSH_ANOMALY_CHART, "figure"),
    Input(ids.DSH_ANOMALY_TABLE, "active_cell"),
    State(ids.DSH_ANOMALY_TABLE, "derived_viewport_data"),
    State(ids.DSH_ANOMALY_TABLE, "data"),
    State(ids.DSH_FROM, "value"),
    State(ids.DSH_TO, "value"),
    State(ids.DSH_KINDS, "value"),
)
def anomaly_chart(cell: dict[str, Any] | None, viewport: list[dict[str, Any]] | None, data: list[dict[str, Any]] | None,
                  since: str | None, until: str | None, kinds: list[str] | None) -> Any:
    rows = viewport if (viewport and ctx.triggered_id == ids.DSH_ANOMALY_TABLE and cell) else data
    if not cell or not rows or cell.get("row", 0) >= len(rows):
        return view.empty_figure("Pick an anomaly to see that partner's months.")
    partner = rows[int(cell["row"])]["id"]
    lo, hi = _range(since, until)
    kinds = [k for k in kinds or [] if k in KINDS]
    months = view.partner_months(current_state().store(), lo, hi, kinds)
    return view.partner_series_figure(months, partner, view.anomalies(months))


@callback(
    Output(ids.DSH_RUN_TABLE, "data"),
    Output(ids.DSH_RUN_METRIC, "options"),
    Output(ids.DSH_RUN_METRIC, "value"),
    Output(ids.DSH_RUN_NOTE, "children"),
    Output(ids.DSH_IMPORT_TABLE, "data"),
    Output(ids.DSH_CRAWL_TABLE, "data"),
    Input(ids.DSH_REFRESH, "n_clicks"),
    State(ids.DSH_RUN_METRIC, "value"),
)
def runs(_clicks: int, metric: str | None) -> tuple[Any, ...]:
    store = current_state().store()
    found = view.discovery_runs(store)
    options = view.metric_options(found)
    chosen = metric if metric in options else (options[0] if options else None)
    if not found:
        note = "No discovery runs yet — run `partnergraph discover`."
    else:
        complete = sum(1 for r in found if r.get("status") == "complete")
        note = (f"{len(found)} runs ({complete} complete). Drift: PSI or KS of features and embeddings against "
                f"the model's reference; {view.PSI_LIMIT} or more is drift.")
    return (view.run_rows(found), [{"label": o, "value": o} for o in options], chosen, note,
            view.import_runs(store), view.crawl_runs(store))


@callback(
    Output(ids.DSH_RUN_CHART, "figure"),
    Input(ids.DSH_RUN_METRIC, "value"),
    Input(ids.DSH_RUN_TABLE, "data"),
)
def run_chart(metric: str | None, _rows: Any) -> Any:
    return view.metric_figure(view.discovery_runs(current_state().store()), metric)
