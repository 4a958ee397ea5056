"""Cypher console ("/console"): saved queries with typed forms, a free-text editor with
``$parameters``, results as a table, a graph and CSV, the user's own saved queries and history
(kept per user under HOME by :mod:`app.user_queries`, never in the graph) and a schema browser.

Every query, saved or typed, goes through ``store.guarded_read``: the EXPLAIN plan is checked
against an allow-list, then the query runs read-only with the configured timeout and row cap.
The one exception is a saved query the backend cannot bound (``shortest_path`` on FalkorDB): it
runs as a bounded search of short reads, each with the time left as its timeout (:mod:`app.console_run`).
Refusals, timeouts and truncation are explained in plain words (:mod:`app.console_view`).
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.dash_table.DataTable import DataTable
from dash.exceptions import PreventUpdate

import cypher
from app import cache, console_run, explore_view, ids
from app import console_view as view
from app.access import current_user, require
from app.components import page_head
from app.helpers import split_counts
from app.state import current_state
from app.user_queries import UserQueries
from graph.errors import PartnerGraphError

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/console",
    name="Cypher console",
    title="Cypher console · PartnerGraph",
    description="Run saved or your own read-only Cypher queries; browse the schema.",
    order=3,
)

SCHEMA_LABEL = "console-schema-label"  # pattern-matching ids of the schema browser's entries
SCHEMA_REL = "console-schema-rel"
HISTORY_SHOWN = 25
_stores: dict[str, UserQueries] = {}


def user_queries() -> UserQueries:
    """The per-user query store of the app's HOME (one per HOME, so its lock is shared)."""
    home = str(current_state().settings.home)
    if home not in _stores:
        _stores[home] = UserQueries.under(current_state().settings.home)
    return _stores[home]


def _user_name() -> str:
    user = current_user()
    if user is None:  # the sign-in gate stops this before; be safe
        raise PreventUpdate
    return user.name


def layout(**_query: Any) -> html.Div:
    user = current_user()
    mine = user_queries()
    history = mine.history(user.name, HISTORY_SHOWN) if user else []
    saved = mine.saved(user.name) if user else []
    return html.Div(
        className="pg-page",
        children=[
            dcc.Store(id=ids.CONSOLE_HISTORY, data=history),
            dcc.Store(id=ids.CONSOLE_MINE, data=saved),
            dcc.Store(id=ids.CONSOLE_RESULT, data=None),
            dcc.Download(id=ids.CONSOLE_CSV),
            page_head("Cypher console", "Read-only queries over the graph: pick a saved query or write your own."),
            html.Div(
                className="pg-console",
                children=[
                    html.Div(
                        className="pg-console-main",
                        children=[
                            html.Section(
                                className="pg-card",
                                children=[
                                    html.H2("Saved queries"),
                                    dcc.Dropdown(
                                        id=ids.CONSOLE_SAVED,
                                        options=view.saved_options(),
                                        placeholder="Choose a saved query…",
                                        clearable=True,
                                        className="pg-dropdown",
                                    ),
                                    html.P(id=ids.CONSOLE_SAVED_PURPOSE, className="pg-muted"),
                                    html.Div(id=ids.CONSOLE_PARAMS, className="pg-form"),
                                    html.Button("Run saved query", id=ids.CONSOLE_RUN_SAVED, className="pg-button",
                                                n_clicks=0, disabled=True),
                                ],
                            ),
                            html.Section(
                                className="pg-card",
                                children=[
                                    html.H2("Editor"),
                                    dcc.Textarea(
                                        id=ids.CONSOLE_EDITOR,
                                        value="MATCH (p:Publisher)\nRETURN p.id AS id, p.name AS name\nORDER BY name\nLIMIT 25",
                                        className="pg-editor",
                                        spellCheck=False,
                                    ),
                                    html.Label(
                                        [html.Span("Parameters (JSON)", className="pg-field-name"),
                                         dcc.Textarea(id=ids.CONSOLE_EDITOR_PARAMS, value="{}",
                                                      className="pg-editor pg-editor-params", spellCheck=False)],
                                        className="pg-field",
                                    ),
                                    html.Div(
                                        className="pg-actions",
                                        children=[
                                            html.Button("Run", id=ids.CONSOLE_RUN, className="pg-button", n_clicks=0),
                                            html.Span("Read-only. Pass values as $parameters, never in the text.",
                                                      className="pg-muted"),
                                        ],
                                    ),
                                    html.Div(
                                        className="pg-actions pg-save-row",
                                        children=[
                                            dcc.Input(id=ids.CONSOLE_SAVE_NAME, placeholder="Name to save it under",
                                                      className="pg-input", maxLength=80, autoComplete="off"),
                                            html.Button("Save to my queries", id=ids.CONSOLE_SAVE, n_clicks=0,
                                                        className="pg-button pg-button-quiet"),
                                            html.Span("", id=ids.CONSOLE_SAVE_STATUS, className="pg-muted", role="status"),
                                        ],
                                    ),
                                ],
                            ),
                            html.Section(
                                className="pg-card",
                                children=[
                                    html.Div(
                                        className="pg-card-head",
                                        children=[
                                            html.H2("Results"),
                                            html.Button("Download CSV", id=ids.CONSOLE_CSV_BUTTON,
                                                        className="pg-button pg-button-quiet", n_clicks=0, disabled=True),
                                        ],
                                    ),
                                    html.P("Run a query to see its rows here.", id=ids.CONSOLE_STATUS,
                                           className="pg-status", role="status"),
                                    dcc.Loading(
                                        DataTable(
                                            id=ids.CONSOLE_TABLE,
                                            columns=[],
                                            data=[],
                                            page_size=20,
                                            sort_action="native",
                                            style_table={"overflowX": "auto"},
                                            style_cell={"fontFamily": "ui-monospace, SFMono-Regular, Menlo, monospace",
                                                        "fontSize": 12, "textAlign": "left", "maxWidth": 360,
                                                        "overflow": "hidden", "textOverflow": "ellipsis"},
                                            style_header={"fontWeight": 600, "background": "#f9fafb"},
                                            tooltip_duration=None,
                                        ),
                                        type="dot",
                                    ),
                                    html.Div(
                                        id=ids.CONSOLE_GRAPH_WRAP,
                                        hidden=True,
                                        children=[
                                            html.H3("As a graph"),
                                            cyto.Cytoscape(
                                                id=ids.CONSOLE_GRAPH,
                                                elements=[],
                                                layout=explore_view.LAYOUT,
                                                stylesheet=explore_view.stylesheet(),
                                                style={"width": "100%", "height": "420px"},
                                                minZoom=0.2,
                                                maxZoom=3,
                                            ),
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                    html.Aside(
                        className="pg-console-side",
                        children=[
                            html.Section(
                                id=ids.CONSOLE_SCHEMA,
                                className="pg-card",
                                children=[
                                    html.Div(className="pg-card-head", children=[
                                        html.H2("Schema"),
                                        html.Button("Refresh", id=ids.CONSOLE_SCHEMA_REFRESH,
                                                    className="pg-button pg-button-quiet", n_clicks=0),
                                    ]),
                                    html.H3("Labels"),
                                    html.Ul(id=ids.CONSOLE_SCHEMA_LABELS, className="pg-schema"),
                                    html.H3("Relationship types"),
                                    html.Ul(id=ids.CONSOLE_SCHEMA_RELS, className="pg-schema"),
                                ],
                            ),
                            html.Section(
                                className="pg-card",
                                children=[html.H2("My queries"), html.Ul(id=ids.CONSOLE_MINE_LIST, className="pg-history")],
                            ),
                            html.Section(
                                className="pg-card",
                                children=[html.H2("History"), html.Ul(id=ids.CONSOLE_HISTORY_LIST, className="pg-history")],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )


# ------------------------------------------------------------------------------- callbacks


@callback(
    Output(ids.CONSOLE_PARAMS, "children"),
    Output(ids.CONSOLE_SAVED_PURPOSE, "children"),
    Output(ids.CONSOLE_RUN_SAVED, "disabled"),
    Input(ids.CONSOLE_SAVED, "value"),
)
def show_form(name: str | None) -> tuple[Any, str, bool]:
    if not name:
        return [], "Each saved query has a form for its parameters.", True
    q = cypher.get(name)
    fields = [
        html.Label(
            [
                html.Span([f"${f.name}", html.Span(f" {f.kind}", className="pg-muted")], className="pg-field-name"),
                dcc.Input(
                    id={"type": ids.CONSOLE_PARAM, "index": f.name},
                    type=f.input_type,  # type: ignore[arg-type]
                    placeholder=f.placeholder,
                    step=f.step,
                    className="pg-input",
                    debounce=False,
                    autoComplete="off",
                ),
            ],
            className="pg-field",
        )
        for f in view.param_fields(q)
    ]
    return fields or [html.P("This query takes no parameters.", className="pg-muted")], f"{q.name}: {q.purpose}", False


@callback(
    Output(ids.CONSOLE_EDITOR, "value"),
    Output(ids.CONSOLE_EDITOR_PARAMS, "value"),
    Input(ids.CONSOLE_SAVED, "value"),
    Input({"type": ids.CONSOLE_HISTORY_ITEM, "index": ALL}, "n_clicks"),
    Input({"type": ids.CONSOLE_MINE_ITEM, "index": ALL}, "n_clicks"),
    Input({"type": SCHEMA_LABEL, "index": ALL}, "n_clicks"),
    Input({"type": SCHEMA_REL, "index": ALL}, "n_clicks"),
    State(ids.CONSOLE_HISTORY, "data"),
    State(ids.CONSOLE_MINE, "data"),
    prevent_initial_call=True,
)
def fill_editor(name: str | None, _h: list[int | None], _m: list[int | None], _l: list[int | None],
                _r: list[int | None], history: list[dict[str, Any]] | None,
                mine: list[dict[str, Any]] | None) -> tuple[str, str]:
    trigger = ctx.triggered_id
    if trigger == ids.CONSOLE_SAVED:
        if not name:
            raise PreventUpdate
        return cypher.load(name, current_state().store().backend), "{}"
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate  # components were drawn, not clicked
    if trigger["type"] == ids.CONSOLE_HISTORY_ITEM:
        entries = history or []
        i = int(trigger["index"])
        if i >= len(entries):
            raise PreventUpdate
        return str(entries[i].get("text", "")), view.params_text(entries[i].get("params"))
    if trigger["type"] == ids.CONSOLE_MINE_ITEM:
        found = [q for q in mine or [] if q.get("name") == trigger["index"]]
        if not found:
            raise PreventUpdate
        return str(found[0].get("text", "")), view.params_text(found[0].get("params"))
    if trigger["type"] == SCHEMA_LABEL:
        return view.label_query(str(trigger["index"])), "{}"
    return view.rel_query(str(trigger["index"])), "{}"


@callback(
    Output(ids.CONSOLE_STATUS, "children"),
    Output(ids.CONSOLE_STATUS, "className"),
    Output(ids.CONSOLE_TABLE, "columns"),
    Output(ids.CONSOLE_TABLE, "data"),
    Output(ids.CONSOLE_GRAPH, "elements"),
    Output(ids.CONSOLE_GRAPH_WRAP, "hidden"),
    Output(ids.CONSOLE_RESULT, "data"),
    Output(ids.CONSOLE_CSV_BUTTON, "disabled"),
    Output(ids.CONSOLE_HISTORY, "data"),
    Input(ids.CONSOLE_RUN, "n_clicks"),
    Input(ids.CONSOLE_RUN_SAVED, "n_clicks"),
    State(ids.CONSOLE_EDITOR, "value"),
    State(ids.CONSOLE_EDITOR_PARAMS, "value"),
    State(ids.CONSOLE_SAVED, "value"),
    State({"type": ids.CONSOLE_PARAM, "index": ALL}, "value"),
    State({"type": ids.CONSOLE_PARAM, "index": ALL}, "id"),
    prevent_initial_call=True,
)
def run_query(_run: int, _run_saved: int, text: str | None, editor_params: str | None, saved: str | None,
              values: list[Any], param_ids: list[dict[str, str]]) -> tuple[Any, ...]:
    user = require("console")  # the sign-in gate already refuses other roles; this says why, in the banner
    state = current_state()
    settings = state.settings
    saved_name = saved if ctx.triggered_id == ids.CONSOLE_RUN_SAVED and saved else None
    params: dict[str, Any] = {}
    shown_text = (text or "")[: view.MAX_QUERY_CHARS]
    try:
        store = state.store()
        if saved_name:
            q = cypher.get(saved_name)
            params = view.coerce_params(q, {p["index"]: v for p, v in zip(param_ids, values, strict=False)})
            query = q.text(store.backend)
            shown_text = query
        else:
            query = view.check_query_text(text)
            params = view.parse_params(editor_params)
        result, note = console_run.run(store, query, params, saved=saved_name, timeout=settings.query_timeout,
                                       limit=settings.row_cap)
    except PartnerGraphError as exc:
        log.info("console: query not run: %s", exc)
        entry = view.history_entry(text=shown_text, saved=saved_name, params=params, status="refused or failed", rows=None)
        return (view.explain_error(exc, timeout=settings.query_timeout), "pg-status pg-status-error", [], [], [], True,
                None, True, _remember(user.name, entry))
    columns, data = view.table(result)
    elements, not_drawn = view.graph_elements(result.rows)
    summary = view.result_summary(result, cap=settings.row_cap) if note is None else note
    if not_drawn:
        summary += f" The graph draws the first {view.GRAPH_NODES} nodes; {not_drawn:,} more are in the table."
    entry = view.history_entry(text=shown_text, saved=saved_name, params=params, status="ok", rows=len(result.rows))
    status_class = ("pg-status pg-status-warn" if result.truncated or (note is not None and not result.rows)
                    else "pg-status pg-status-ok")
    return (summary, status_class, columns, data, elements, not elements, view.to_csv(result), False,
            _remember(user.name, entry))


def _remember(user: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Record a run in ``user``'s history and return their recent history (newest first)."""
    mine = user_queries()
    mine.record(user, entry)
    return mine.history(user, HISTORY_SHOWN)


@callback(
    Output(ids.CONSOLE_SAVE_STATUS, "children"),
    Output(ids.CONSOLE_MINE, "data"),
    Input(ids.CONSOLE_SAVE, "n_clicks"),
    Input({"type": ids.CONSOLE_MINE_DELETE, "index": ALL}, "n_clicks"),
    State(ids.CONSOLE_SAVE_NAME, "value"),
    State(ids.CONSOLE_EDITOR, "value"),
    State(ids.CONSOLE_EDITOR_PARAMS, "value"),
    prevent_initial_call=True,
)
def save_or_delete(_save: int, _deletes: list[int | None], name: str | None, text: str | None,
                   params_text: str | None) -> tuple[str, Any]:
    """Save the editor's query (and parameters) to the user's own queries, or delete one."""
    user = require("console").name
    mine = user_queries()
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0].get("value"):
            raise PreventUpdate  # the list was drawn, not clicked
        gone = mine.delete(user, str(trigger["index"]))
        return (f"Deleted {trigger['index']}." if gone else "Already deleted."), mine.saved(user)
    try:
        params = view.parse_params(params_text)
        view.check_query_text(text)
        saved = mine.save(user, name or "", text or "", params)
    except PartnerGraphError as exc:
        return f"Not saved: {exc}.", dash.no_update
    return f"Saved as {saved['name']}.", mine.saved(user)


@callback(Output(ids.CONSOLE_MINE_LIST, "children"), Input(ids.CONSOLE_MINE, "data"))
def show_mine(mine: list[dict[str, Any]] | None) -> list[Any]:
    if not mine:
        return [html.Li("Queries you save (a name, the text and its parameters) appear here, for you only.",
                        className="pg-muted")]
    return [
        html.Li(className="pg-mine", children=[
            html.Button(q["name"], id={"type": ids.CONSOLE_MINE_ITEM, "index": q["name"]}, n_clicks=0,
                        className="pg-history-item", title=q["text"][:500]),
            html.Button("Delete", id={"type": ids.CONSOLE_MINE_DELETE, "index": q["name"]}, n_clicks=0,
                        className="pg-button pg-button-quiet pg-mine-delete", title=f"Delete {q['name']}"),
        ])
        for q in mine
    ]


@callback(
    Output(ids.CONSOLE_CSV, "data"),
    Input(ids.CONSOLE_CSV_BUTTON, "n_clicks"),
    State(ids.CONSOLE_RESULT, "data"),
    prevent_initial_call=True,
)
def download_csv(_clicks: int, csv_text: str | None) -> Any:
    if not csv_text:
        raise PreventUpdate
    return dcc.send_string(csv_text, "partnergraph-query.csv", type="text/csv")


@callback(Output(ids.CONSOLE_HISTORY_LIST, "children"), Input(ids.CONSOLE_HISTORY, "data"))
def show_history(history: list[dict[str, Any]] | None) -> list[Any]:
    if not history:
        return [html.Li("Queries you run appear here (your last 25, kept for you only).", className="pg-muted")]
    return [
        html.Li(html.Button(view.history_label(h), id={"type": ids.CONSOLE_HISTORY_ITEM, "index": i},
                            className="pg-history-item", n_clicks=0, title="Load into the editor"))
        for i, h in enumerate(history)
    ]


@callback(
    Output(ids.CONSOLE_SCHEMA_LABELS, "children"),
    Output(ids.CONSOLE_SCHEMA_RELS, "children"),
    Input(ids.CONSOLE_SCHEMA_REFRESH, "n_clicks"),
)
def show_schema(clicks: int) -> tuple[list[Any], list[Any]]:
    state = current_state()
    counts = cache.cached(("schema-counts", id(state)), state.store().counts, 15.0, fresh=bool(clicks))
    split = split_counts(counts)  # per-label/type counts, shared by the sessions for a few seconds
    labels, rels = view.schema_rows(split.nodes, split.relationships)

    def item(kind: str, row: dict[str, Any]) -> html.Li:
        return html.Li(
            html.Button(
                [html.Span(row["name"], className="pg-schema-name"), html.Span(f"{row['count']:,}", className="num")],
                id={"type": kind, "index": row["name"]},
                n_clicks=0,
                className="pg-schema-item" + ("" if row["count"] else " pg-schema-empty"),
                title=(row["doc"] + ("\nProperties: " + ", ".join(row["properties"]) if row["properties"] else "")).strip(),
            )
        )

    return [item(SCHEMA_LABEL, r) for r in labels], [item(SCHEMA_REL, r) for r in rels]

