"""Investigations ("/investigations", investigators and admins): the ranked alert list, the ring
behind an alert (members, shared identifiers, timeline), cases with their audit trail, path
tracing between two affiliates, and the evidence pack.

Reads and shaping are in :mod:`app.investigations_view`; case changes go through the fraud
stage's case workflow (``gnn.fraud.cases``), which owns them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import dash
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from app import explore_view, ids
from app import investigations_view as view
from app.access import require
from app.components import page_head
from app.state import current_state
from graph.errors import InputError, NotBuilt

dash.register_page(
    __name__,
    path="/investigations",
    name="Investigations",
    title="Investigations · PartnerGraph",
    description="Fraud alerts, rings, cases, path tracing and evidence packs.",
    order=6,
)

GRAPH_STYLE = {"width": "100%", "height": "360px"}
RING_LAYOUT = {"name": "breadthfirst", "directed": False, "animate": False, "spacingFactor": 1.1, "padding": 20}
PATH_LAYOUT = {"name": "breadthfirst", "directed": False, "animate": False, "spacingFactor": 1.2, "padding": 20}


def _graph(graph_id: str, layout: dict[str, Any]) -> cyto.Cytoscape:
    return cyto.Cytoscape(id=graph_id, elements=[], layout=layout, stylesheet=explore_view.stylesheet(),
                          style=GRAPH_STYLE, minZoom=0.2, maxZoom=3, boxSelectionEnabled=False)


def layout(alert: str | None = None, **_query: Any) -> html.Div:
    return html.Div(
        className="pg-page",
        children=[
            dcc.Store(id=ids.INV_ALERT, data=alert or None),
            dcc.Store(id=ids.INV_RING, data=None),
            dcc.Store(id=ids.INV_CASE, data=None),
            dcc.Store(id=ids.INV_VERSION, data=0),
            dcc.Download(id=ids.INV_PACK),
            page_head(
                "Investigations",
                "Which affiliates act as one, and why. The product ranks and explains; people decide.",
                [
                    dcc.RadioItems(id=ids.INV_SCOPE, options=[{"label": " Open alerts", "value": "open"},
                                                              {"label": " All alerts", "value": "all"}],
                                   value="open", className="pg-inline-check", inputClassName="pg-check"),
                    html.Button("Refresh", id=ids.INV_REFRESH, className="pg-button", n_clicks=0),
                ],
            ),
            html.Div(className="pg-inv", children=[
                html.Section(className="pg-card", children=[
                    html.H2("Alerts, highest score first"),
                    dcc.Loading(html.Div(id=ids.INV_ALERTS), type="dot"),
                ]),
                html.Section(className="pg-card", children=[
                    html.H2("Alert"),
                    html.Div(id=ids.INV_ALERT_BODY, children=html.P("Open an alert from the list.", className="pg-muted")),
                    html.Div(className="pg-actions pg-inv-actions", children=[
                        html.Button("Open a case", id=ids.INV_OPEN_CASE, className="pg-button", n_clicks=0, disabled=True),
                        html.Button("Download evidence pack", id=ids.INV_PACK_BUTTON, n_clicks=0, disabled=True,
                                    className="pg-button pg-button-quiet"),
                    ]),
                    html.P(id=ids.INV_ACTION_STATUS, className="pg-status", role="status"),
                ]),
            ]),
            html.Section(className="pg-card pg-inv-ring", children=[
                html.H2("Ring"),
                html.Div(id=ids.INV_RING_BODY, children=html.P(
                    "The ring behind an alert appears here: members, shared identifiers and when they were used.",
                    className="pg-muted")),
                html.Div(className="pg-two", children=[
                    _graph(ids.INV_RING_GRAPH, RING_LAYOUT),
                    dcc.Graph(id=ids.INV_TIMELINE, config={"displayModeBar": False, "responsive": True},
                              figure=view.empty_figure("No ring open.")),
                ]),
            ]),
            html.Div(className="pg-grid", children=[
                html.Section(className="pg-card", children=[
                    html.H2("Cases"),
                    html.Div(id=ids.INV_CASES),
                    html.Div(id=ids.INV_CASE_BODY, hidden=True, className="pg-case", children=[
                        html.P(id=ids.INV_CASE_TITLE, className="pg-case-title"),
                        html.Div(className="pg-form", children=[
                            html.Label([html.Span("Status", className="pg-field-name"),
                                        dcc.Dropdown(id=ids.INV_CASE_STATUS, clearable=False,
                                                     options=[{"label": x, "value": x} for x in view.CASE_STATUSES
                                                              if x != "dismissed"])], className="pg-field"),
                            html.Label([html.Span("Assignee", className="pg-field-name"),
                                        dcc.Input(id=ids.INV_CASE_ASSIGNEE, type="text", maxLength=64,
                                                  className="pg-input", placeholder="user name")], className="pg-field"),
                        ]),
                        html.H3("Notes"),
                        html.Ul(id=ids.INV_CASE_NOTES, className="pg-log"),
                        dcc.Textarea(id=ids.INV_CASE_NOTE, placeholder="Add a note to the case…", maxLength=4000,
                                     className="pg-editor pg-note"),
                        html.Div(className="pg-actions", children=[
                            html.Button("Save", id=ids.INV_CASE_SAVE, className="pg-button", n_clicks=0),
                            dcc.Input(id=ids.INV_CASE_REASON, type="text", maxLength=500, className="pg-input",
                                      placeholder="Reason for dismissing (required)"),
                            html.Button("Dismiss", id=ids.INV_CASE_DISMISS, className="pg-button pg-reject", n_clicks=0),
                        ]),
                        html.P(id=ids.INV_CASE_MESSAGE, className="pg-status", role="status"),
                        html.H3("Audit trail"),
                        html.Ol(id=ids.INV_CASE_LOG, className="pg-log"),
                    ]),
                ]),
                html.Section(className="pg-card", children=[
                    html.H2("Trace a path between two affiliates"),
                    html.Div(className="pg-form", children=[
                        html.Label([html.Span("From", className="pg-field-name"),
                                    dcc.Dropdown(id=ids.INV_TRACE_A, options=[], placeholder="Type to search affiliates…",
                                                 searchable=True)], className="pg-field"),
                        html.Label([html.Span("To", className="pg-field-name"),
                                    dcc.Dropdown(id=ids.INV_TRACE_B, options=[], placeholder="Type to search affiliates…",
                                                 searchable=True)], className="pg-field"),
                    ]),
                    html.Button("Trace", id=ids.INV_TRACE_GO, className="pg-button", n_clicks=0),
                    html.Div(id=ids.INV_TRACE_RESULT, className="pg-trace"),
                    _graph(ids.INV_TRACE_GRAPH, PATH_LAYOUT),
                ]),
            ]),
        ],
    )


# ------------------------------------------------------------------------------- rendering


def _entity_link(item: dict[str, Any]) -> Any:
    if item["label"] in ("Publisher", "Influencer", "Affiliate"):
        return dcc.Link(item["name"], href=f"/profile?id={quote(item['id'], safe='')}", className="pg-link")
    return html.Span(item["name"] if item["label"] != "Ring" else item["id"], className="pg-mono")


def _alert_list(rows: list[dict[str, Any]], current: str | None) -> Any:
    if not rows:
        return html.P("No alerts: the fraud stage has not flagged anything (or nothing is open).", className="pg-empty")
    return html.Table([
        html.Thead(html.Tr([html.Th("#", className="num"), html.Th("Score", className="num"), html.Th("Alert"),
                            html.Th("Status"), html.Th("")])),
        html.Tbody([html.Tr(className="pg-selected" if r["id"] == current else None, children=[
            html.Td(str(r["rank"]), className="num"),
            html.Td(r["score_text"], className="num"),
            html.Td([html.Div([html.Strong(r["kind"]), html.Span(" · " + r["created"], className="pg-muted")]),
                     html.Div(", ".join(f["name"] for f in r["flagged"][:3]) or "—", className="pg-alert-flagged"),
                     html.Div(r["summary"], className="pg-muted")]),
            html.Td(html.Span(r["status"], className=f"pg-pill pg-pill-{'idle' if r['status'] in view.OPEN_STATUSES else 'off'}")),
            html.Td(html.Button("Open", id={"type": ids.INV_OPEN_ALERT, "index": r["id"]}, n_clicks=0,
                                className="pg-button pg-small pg-open-alert", **_data("alert", r["id"]))),
        ]) for r in rows]),
    ], className="pg-table pg-alert-table")


def _data(kind: str, value: str) -> dict[str, Any]:
    return {f"data-{kind}": value}


def _alert_body(a: dict[str, Any]) -> Any:
    return [
        html.H3(f"{a['kind']} · score {a['score_text']}", id="inv-alert-title"),
        html.P(a["summary"], id="inv-alert-summary"),
        html.Dl([
            html.Dt("Flags"), html.Dd([html.Span([_entity_link(f), html.Span(f" {f['label']}", className="pg-muted")],
                                                 className="pg-flagged") for f in a["flagged"]] or "—"),
            html.Dt("Status"), html.Dd(a["status"]),
            html.Dt("Raised"), html.Dd(a["created"] or "—"),
            html.Dt("Cases"), html.Dd(", ".join(a["cases"]) or "none yet"),
            html.Dt("Alert id"), html.Dd(a["id"], className="pg-mono"),
        ], className="pg-dl"),
    ]


def _ring_body(r: dict[str, Any]) -> Any:
    members = html.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("Member", "Network id", "Risk", "Share of evidence")])),
        html.Tbody([html.Tr([
            html.Td(_entity_link({"id": m["id"], "name": m["name"], "label": m["type"]})),
            html.Td(f"{m['network']} {m['network_id']}"), html.Td(m["risk"], className="num"),
            html.Td(m["share"], className="num"),
        ]) for m in r["members"]]),
    ], className="pg-table", id="inv-ring-members")
    idents = html.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("Shared identifier", "Kind", "Rarity weight", "Affiliates using", "Members")])),
        html.Tbody([html.Tr([html.Td(i["id"], className="pg-mono"), html.Td(i["kind"]), html.Td(i["weight"], className="num"),
                             html.Td(str(i["users"]), className="num"), html.Td(i["members"])])
                    for i in r["identifiers"]]),
    ], className="pg-table", id="inv-ring-identifiers") if r["identifiers"] else html.P(
        "The ring's evidence names no shared identifiers.", className="pg-empty")
    head = [("Ring", r["id"]), ("Status", r["status"]), ("Members", str(r["size"])), ("Detected", r["detected"] or "—"),
            *r["figures"]]
    return [
        html.Dl([x for k, v in head for x in (html.Dt(k), html.Dd(v))], className="pg-dl pg-ring-facts"),
        html.Div(className="pg-two", children=[html.Div([html.H3("Members"), members]),
                                               html.Div([html.H3("Shared identifiers"), idents])]),
        html.H3("Graph and timeline"),
    ]


def _case_list(rows: list[dict[str, Any]], current: str | None) -> Any:
    if not rows:
        return html.P("No cases yet. Open one from an alert.", className="pg-empty")
    return html.Ul([html.Li(className="pg-case-item" + (" pg-selected" if c["id"] == current else ""), children=[
        html.Button([html.Strong(c["title"]), html.Span(f" · {c['status']}" + (f" · {c['assignee']}" if c["assignee"] else ""),
                                                        className="pg-muted")],
                    id={"type": ids.INV_OPEN_CASE_ROW, "index": c["id"]}, n_clicks=0, className="pg-linkbutton",
                    **_data("case", c["id"])),
    ]) for c in rows], className="pg-list pg-case-list")


# ------------------------------------------------------------------------------- callbacks


@callback(
    Output(ids.INV_ALERTS, "children"),
    Input(ids.INV_SCOPE, "value"),
    Input(ids.INV_REFRESH, "n_clicks"),
    Input(ids.INV_VERSION, "data"),
    Input(ids.INV_ALERT, "data"),
)
def show_alerts(scope: str | None, _clicks: int, _version: int, current: str | None) -> Any:
    rows = view.alerts(current_state().store(), open_only=scope != "all")
    return _alert_list(rows, current)


@callback(
    Output(ids.INV_ALERT, "data"),
    Input({"type": ids.INV_OPEN_ALERT, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_alert(_clicks: list[int | None]) -> str:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    return str(trigger["index"])


@callback(
    Output(ids.INV_ALERT_BODY, "children"),
    Output(ids.INV_RING, "data"),
    Output(ids.INV_OPEN_CASE, "disabled"),
    Output(ids.INV_PACK_BUTTON, "disabled"),
    Output(ids.INV_TRACE_A, "options"),
    Output(ids.INV_TRACE_B, "options"),
    Input(ids.INV_ALERT, "data"),
    Input(ids.INV_VERSION, "data"),
)
def show_alert(alert_id: str | None, _version: int) -> tuple[Any, ...]:
    if not alert_id:
        return html.P("Open an alert from the list.", className="pg-muted"), None, True, True, [], []
    store = current_state().store()
    a = view.alert(store, alert_id)
    if a is None:
        raise InputError(f"no alert {alert_id!r}", hint="it may have been merged into a newer alert; refresh the list")
    rings = view.rings_for(store, a["flagged"])
    ring = view.ring(store, rings[0]) if rings else None
    members = [m["id"] for m in (ring or {}).get("members", [])] or [f["id"] for f in a["flagged"] if f["label"] != "Ring"]
    options = view.affiliate_labels(store, members)
    return _alert_body(a), rings[0] if rings else None, False, False, options, options


@callback(
    Output(ids.INV_RING_BODY, "children"),
    Output(ids.INV_RING_GRAPH, "elements"),
    Output(ids.INV_RING_GRAPH, "layout"),
    Output(ids.INV_TIMELINE, "figure"),
    Output(ids.INV_TRACE_A, "value"),
    Output(ids.INV_TRACE_B, "value"),
    Input(ids.INV_RING, "data"),
    State(ids.INV_ALERT, "data"),
)
def show_ring(ring_id: str | None, alert_id: str | None) -> tuple[Any, ...]:
    if not ring_id:
        text = "This alert is not about a ring." if alert_id else "Open an alert to see its ring."
        return html.P(text, className="pg-muted"), [], RING_LAYOUT, view.empty_figure("No ring open."), None, None
    r = view.ring(current_state().store(), ring_id)
    if r is None:
        return (html.P(f"Ring {ring_id} is no longer in the graph.", className="pg-empty"), [], RING_LAYOUT,
                view.empty_figure(""), None, None)
    elements = view.ring_elements(r["id"], r["members"], r["identifiers"])
    ends = [m["id"] for m in r["members"]]
    layout = {**RING_LAYOUT, "roots": f"[id = {json.dumps(r['id'])}]"}
    return (_ring_body(r), elements, layout, view.timeline_figure(r["timeline"], r["names"]),
            ends[0] if ends else None, ends[-1] if len(ends) > 1 else None)


@callback(
    Output(ids.INV_TRACE_A, "options", allow_duplicate=True),
    Input(ids.INV_TRACE_A, "search_value"),
    State(ids.INV_TRACE_A, "options"),
    State(ids.INV_TRACE_A, "value"),
    prevent_initial_call=True,
)
def search_a(text: str | None, options: list[dict[str, str]] | None, value: str | None) -> Any:
    return _search(text, options, value)


@callback(
    Output(ids.INV_TRACE_B, "options", allow_duplicate=True),
    Input(ids.INV_TRACE_B, "search_value"),
    State(ids.INV_TRACE_B, "options"),
    State(ids.INV_TRACE_B, "value"),
    prevent_initial_call=True,
)
def search_b(text: str | None, options: list[dict[str, str]] | None, value: str | None) -> Any:
    return _search(text, options, value)


def _search(text: str | None, options: list[dict[str, str]] | None, value: str | None) -> Any:
    if not text or len(text.strip()) < 2:
        raise PreventUpdate
    found = view.affiliate_options(current_state().store(), text)
    keep = [o for o in options or [] if o["value"] == value]
    return keep + [o for o in found if o["value"] != value]


@callback(
    Output(ids.INV_TRACE_RESULT, "children"),
    Output(ids.INV_TRACE_GRAPH, "elements"),
    Input(ids.INV_TRACE_GO, "n_clicks"),
    State(ids.INV_TRACE_A, "value"),
    State(ids.INV_TRACE_B, "value"),
    prevent_initial_call=True,
)
def trace(_clicks: int, a: str | None, b: str | None) -> tuple[Any, Any]:
    require("investigate")
    if not a or not b:
        raise InputError("choose two affiliates to trace a path between")
    state = current_state()
    path = view.trace(state.store(), a, b, state.settings)
    if path.get("same"):
        return html.P("Choose two different affiliates.", className="pg-status pg-status-warn"), []
    if path.get("stopped"):
        return html.P(str(path["stopped"]), className="pg-status pg-status-warn"), []
    if not path["nodes"]:
        return html.P("These two share no identifier within 6 hops.", className="pg-status pg-status-warn"), []
    facts = view.hop_text(path)
    how = ("Traced over the latest fraud run's identifier graph (rare, heavily used identifiers are short hops)."
           if path["method"] == "fraud-index" else
           "Traced over the identifier edges stored in the graph (no fraud run has left its index yet).")
    hops = len([n for n in path["nodes"] if n["label"] not in ("Identifier", *view.IDENT_LABELS)]) - 1
    children: list[Any] = [
        html.P(f"{hops} hop{'s' if hops != 1 else ''} through shared identifiers:" if path["method"] == "fraud-index"
               else f"{len(facts)} hops through shared identifiers:", className="pg-status-ok"),
        html.Ol([html.Li(t) for t in facts], className="pg-hops"),
        html.P(how, className="pg-muted"),
    ]
    if len(path.get("paths") or []) > 1:
        children.append(html.Details([html.Summary(f"{len(path['paths'])} cheapest paths"), html.Ol([
            html.Li(f"{p['hops']} hop(s), cost {p['cost']:.2f}: " + " → ".join(p["affiliates"])) for p in path["paths"]
        ], className="pg-hops")]))
    return children, view.path_elements(path)


@callback(
    Output(ids.INV_PACK, "data"),
    Input(ids.INV_PACK_BUTTON, "n_clicks"),
    State(ids.INV_ALERT, "data"),
    State(ids.INV_RING, "data"),
    prevent_initial_call=True,
)
def download_pack(_clicks: int, alert_id: str | None, ring_id: str | None) -> Any:
    user = require("investigate")
    if not alert_id:
        raise PreventUpdate
    state = current_state()
    store = state.store()
    a = view.alert(store, alert_id)
    r = view.ring(store, ring_id) if ring_id else None
    related = [c for c in view.cases(store) if alert_id in c["alerts"]]
    extra = view.fraud_ring_pack(store, state.settings, ring_id) if ring_id else {}
    data = view.evidence_pack(a, r, related, user=user.name, ring_pack=extra)
    name = re.sub(r"[^A-Za-z0-9]+", "-", alert_id).strip("-")[:60]
    return dcc.send_bytes(data, f"evidence-{name}.zip")


@callback(
    Output(ids.INV_CASES, "children"),
    Input(ids.INV_VERSION, "data"),
    Input(ids.INV_REFRESH, "n_clicks"),
    Input(ids.INV_CASE, "data"),
)
def show_cases(_version: int, _clicks: int, current: str | None) -> Any:
    return _case_list(view.cases(current_state().store()), current)


@callback(
    Output(ids.INV_CASE, "data", allow_duplicate=True),
    Input({"type": ids.INV_OPEN_CASE_ROW, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def pick_case(_clicks: list[int | None]) -> str:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    return str(trigger["index"])


@callback(
    Output(ids.INV_CASE_BODY, "hidden"),
    Output(ids.INV_CASE_TITLE, "children"),
    Output(ids.INV_CASE_STATUS, "value"),
    Output(ids.INV_CASE_ASSIGNEE, "value"),
    Output(ids.INV_CASE_LOG, "children"),
    Output(ids.INV_CASE_NOTES, "children"),
    Input(ids.INV_CASE, "data"),
    Input(ids.INV_VERSION, "data"),
)
def show_case(case_id: str | None, _version: int) -> tuple[Any, ...]:
    found = next((c for c in view.cases(current_state().store()) if c["id"] == case_id), None) if case_id else None
    if found is None:
        return True, "", None, "", [], []
    trail = [html.Li([html.Span(e["at"], className="pg-muted"), " ", html.Strong(e["by"] or "—"), " ", e["action"],
                      html.Span(f" · {e['detail']}" if e["detail"] else "", className="pg-muted")]) for e in found["log"]]
    title = f"{found['title']} ({found['id']})"
    status = found["status"] if found["status"] != "dismissed" else None
    notes = [html.Li([html.Span(f"{n['at']} {n['by']}: ", className="pg-muted"), n["text"]]) for n in found["notes"]]
    return (False, title, status, found["assignee"], trail or [html.Li("Nothing logged yet.", className="pg-muted")],
            notes or [html.Li("No notes yet.", className="pg-muted")])


def _tools() -> Any:
    tools = view.case_tools()
    if tools is None:
        raise NotBuilt("the case workflow is not in this installation yet (gnn/fraud/cases.py)",
                       hint="alerts, rings, tracing and evidence packs work; case changes arrive with the fraud stage")
    return tools


@callback(
    Output(ids.INV_CASE, "data"),
    Output(ids.INV_VERSION, "data"),
    Output(ids.INV_ACTION_STATUS, "children"),
    Input(ids.INV_OPEN_CASE, "n_clicks"),
    State(ids.INV_ALERT, "data"),
    State(ids.INV_VERSION, "data"),
    prevent_initial_call=True,
)
def open_case(_clicks: int, alert_id: str | None, version: int | None) -> tuple[Any, ...]:
    user = require("cases")
    if not alert_id:
        raise PreventUpdate
    case = _tools().open_case(current_state().store(), [alert_id], by=user.name, assignee=user.name)
    return case.id, int(version or 0) + 1, f"Case {case.id} opened and assigned to {user.name}."


@callback(
    Output(ids.INV_VERSION, "data", allow_duplicate=True),
    Output(ids.INV_CASE_MESSAGE, "children"),
    Output(ids.INV_CASE_NOTE, "value"),
    Output(ids.INV_CASE_REASON, "value"),
    Input(ids.INV_CASE_SAVE, "n_clicks"),
    Input(ids.INV_CASE_DISMISS, "n_clicks"),
    State(ids.INV_CASE, "data"),
    State(ids.INV_CASE_STATUS, "value"),
    State(ids.INV_CASE_ASSIGNEE, "value"),
    State(ids.INV_CASE_NOTE, "value"),
    State(ids.INV_CASE_REASON, "value"),
    State(ids.INV_VERSION, "data"),
    prevent_initial_call=True,
)
def change_case(_save: int, _dismiss: int, case_id: str | None, status: str | None, assignee: str | None,
                note: str | None, reason: str | None, version: int | None) -> tuple[Any, ...]:
    user = require("cases")
    if not case_id:
        raise PreventUpdate
    tools = _tools()
    store = current_state().store()
    if ctx.triggered_id == ids.INV_CASE_DISMISS:
        why = (reason or "").strip()
        if not why:
            raise InputError("dismissing a case needs a reason", hint="say why, e.g. 'office NAT shared by honest sites'")
        tools.update(store, case_id, by=user.name, status="dismissed", reason=why)
        return int(version or 0) + 1, f"Case {case_id} dismissed: {why}", "", ""
    tools.update(store, case_id, by=user.name, status=status, assignee=(assignee or "").strip() or None,
                 note=(note or "").strip() or None)
    return int(version or 0) + 1, f"Case {case_id} saved.", "", reason or ""
