"""Recommendations ("/recommendations"): a brand's partners from the latest complete discovery run.

Ranked partners with score, predicted ROI and reasons; "Show why" draws the evidence subgraph;
Accept / Reject store ``FEEDBACK`` (managers and admins); the shortlist downloads as CSV; the
brand's preferences are edited here; the run history says what was new or dropped each week.
Data access and shaping live in :mod:`app.recommendations_view`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import dash
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from app import cache, explore_view, ids
from app import recommendations_view as view
from app.access import can, current_user, denial_text, require
from app.components import page_head
from app.state import current_state

dash.register_page(
    __name__,
    path="/recommendations",
    name="Recommendations",
    title="Recommendations · PartnerGraph",
    description="Partners the weekly discovery job recommends for a brand, with reasons and evidence.",
    order=4,
)

WHY_HINT = "Click “Show why” on a partner to draw the graph facts behind its recommendation."


def layout(brand: str | None = None, **_query: Any) -> html.Div:
    user = current_user()
    may_judge, may_edit = can(user, "feedback"), can(user, "preferences")
    return html.Div(
        className="pg-page",
        children=[
            dcc.Store(id=ids.REC_START, data=brand or None),
            dcc.Store(id=ids.REC_RUN_STORE, data=None),
            dcc.Store(id=ids.REC_ROWS, data={"brand": None, "rows": [], "judge": may_judge}),
            dcc.Store(id=ids.REC_VERSION, data=0),
            dcc.Download(id=ids.REC_CSV),
            page_head(
                "Recommendations",
                "Partners the weekly discovery job suggests for a brand, with its reasons and evidence.",
                [
                    dcc.Dropdown(id=ids.REC_BRAND, options=[], placeholder="Choose a brand…", clearable=False,
                                 className="pg-dropdown pg-rec-brand"),
                    html.Button("Download shortlist (CSV)", id=ids.REC_CSV_BUTTON, n_clicks=0, disabled=True,
                                className="pg-button pg-button-quiet"),
                ],
            ),
            html.P("Loading the latest discovery run…", id=ids.REC_RUN, className="pg-run-line", role="status"),
            html.Div(
                className="pg-recs",
                children=[
                    html.Section(
                        className="pg-card",
                        children=[
                            html.H2("Ranked partners"),
                            html.P("" if may_judge else denial_text(user, action="feedback"),
                                   className="pg-muted" if not may_judge else "pg-hidden"),
                            html.P(id=ids.REC_FEEDBACK_STATUS, className="pg-status", role="status"),
                            dcc.Loading(html.Div(id=ids.REC_TABLE), type="dot"),
                        ],
                    ),
                    html.Section(
                        className="pg-card pg-rec-why",
                        children=[
                            html.H2("Why this partner"),
                            html.P(WHY_HINT, id=ids.REC_WHY_TITLE, className="pg-muted"),
                            html.Ul(id=ids.REC_WHY_REASONS, className="pg-list"),
                            cyto.Cytoscape(
                                id=ids.REC_WHY_GRAPH,
                                elements=[],
                                layout=view.evidence_layout(None),
                                stylesheet=explore_view.stylesheet(),
                                style={"width": "100%", "height": "380px"},
                                minZoom=0.2,
                                maxZoom=3,
                                boxSelectionEnabled=False,
                            ),
                            html.P(id=ids.REC_WHY_STATUS, className="pg-muted"),
                        ],
                    ),
                ],
            ),
            html.Div(
                className="pg-grid pg-rec-lower",
                children=[
                    html.Section(className="pg-card", children=_preferences_form(may_edit, user)),
                    html.Section(className="pg-card", children=[
                        html.H2("Run history"),
                        html.P("What each weekly run added to or dropped from this brand's list.", className="pg-muted"),
                        html.Div(id=ids.REC_HISTORY),
                    ]),
                ],
            ),
        ],
    )


def _preferences_form(may_edit: bool, user: Any) -> list[Any]:
    def field(label: str, control: Any) -> html.Label:
        return html.Label([html.Span(label, className="pg-field-name"), control], className="pg-field")

    return [
        html.H2("Brand preferences"),
        html.P("", id=ids.REC_PREFS_SUMMARY, className="pg-muted"),
        html.Div(className="pg-form", children=[
            field("Countries", dcc.Dropdown(id=ids.REC_PREFS_COUNTRIES, options=[], multi=True,
                                            placeholder="Any country", disabled=not may_edit)),
            field("Languages", dcc.Dropdown(id=ids.REC_PREFS_LANGUAGES, options=[], multi=True,
                                            placeholder="Any language", disabled=not may_edit)),
            field("Budget (EUR per partner and campaign)",
                  dcc.Input(id=ids.REC_PREFS_BUDGET, type="number", min=0, step="any", placeholder="No limit",
                            className="pg-input", disabled=not may_edit)),
            field("Partner types", dcc.Checklist(
                id=ids.REC_PREFS_TYPES,
                options=[{"label": " Publishers", "value": "publisher", "disabled": not may_edit},
                         {"label": " Influencers", "value": "influencer", "disabled": not may_edit}],
                value=list(view.PARTNER_TYPES), className="pg-radio", inputClassName="pg-check")),
            field("Excluded partners", dcc.Dropdown(id=ids.REC_PREFS_EXCLUSIONS, options=[], multi=True,
                                                    placeholder="None", disabled=not may_edit)),
        ]),
        html.Div(className="pg-actions", children=[
            html.Button("Save preferences", id=ids.REC_PREFS_SAVE, n_clicks=0, className="pg-button",
                        disabled=not may_edit),
            html.Span("" if may_edit else denial_text(user, action="preferences"), className="pg-muted"),
        ]),
        html.P(id=ids.REC_PREFS_STATUS, className="pg-status", role="status"),
    ]


# ------------------------------------------------------------------------------- rendering


def _reasons(items: list[str], limit: int = 3) -> Any:
    if not items:
        return html.Span("No reasons recorded.", className="pg-muted")
    shown = [html.Li(t) for t in items[:limit]]
    if len(items) > limit:
        shown.append(html.Li(f"and {len(items) - limit} more (Show why)", className="pg-muted"))
    return html.Ul(shown, className="pg-reasons")


def _data(partner_id: str) -> dict[str, Any]:
    """``data-partner`` on a row's buttons (how tests and scripts find them)."""
    return {"data-partner": partner_id}


def _why_button(pid: str) -> html.Button:
    return html.Button("Show why", id={"type": ids.REC_WHY, "index": pid}, n_clicks=0,
                       className="pg-linkbutton rec-why-button", **_data(pid))


def _verdict(row: dict[str, Any], may_judge: bool) -> Any:
    pid = row["id"]
    title = "" if may_judge else "Needs the manager or admin role"
    return [
        html.Div(view.verdict_text(row), className="pg-verdict"),
        html.Div(className="pg-row-actions", children=[
            html.Button("Accept", id={"type": ids.REC_ACCEPT, "index": pid}, n_clicks=0, disabled=not may_judge,
                        title=title, className="pg-button pg-small pg-accept" + (" pg-on" if row["verdict"] == "accept" else ""),
                        **_data(pid)),
            html.Button("Reject", id={"type": ids.REC_REJECT, "index": pid}, n_clicks=0, disabled=not may_judge,
                        title=title, className="pg-button pg-small pg-reject" + (" pg-on" if row["verdict"] == "reject" else ""),
                        **_data(pid)),
        ]),
    ]


def rec_table(rows: list[dict[str, Any]], may_judge: bool) -> Any:
    if not rows:
        return html.P("The latest run recommends no partners for this brand.", className="pg-empty")
    head = ["#", "Partner", "Country", "Score", "ROI", "Reasons", "Verdict"]
    body = []
    for r in rows:
        body.append(html.Tr(className=f"pg-rec-row pg-verdict-{r['verdict'] or 'none'}", children=[
            html.Td(str(r["rank"] or "—"), className="num"),
            html.Td([dcc.Link(r["name"], href=f"/profile?id={quote(r['id'], safe='')}", className="pg-link pg-rec-name"),
                     html.Div(r["kind"], className="pg-muted"), _why_button(r["id"])], className="pg-rec-partner"),
            html.Td(r["country"]),
            html.Td(r["score_text"], className="num"),
            html.Td(r["roi_text"], className="num", title="Predicted ROI"),
            html.Td(_reasons(r["reasons"])),
            html.Td(_verdict(r, may_judge), className="pg-rec-verdict"),
        ]))
    return html.Div(html.Table([
        html.Thead(html.Tr([html.Th(h, className="num" if h in ("#", "Score", "ROI") else None) for h in head])),
        html.Tbody(body),
    ], className="pg-table pg-rec-table"), className="pg-scroll-x")


def _history(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return html.P("No discovery runs yet.", className="pg-empty")

    def names(items: list[str], cls: str) -> Any:
        if not items:
            return html.Span("—", className="pg-muted")
        return html.Ul([html.Li(n, className=cls) for n in items[:8]]
                       + ([html.Li(f"+ {len(items) - 8} more", className="pg-muted")] if len(items) > 8 else []),
                       className="pg-change-list")

    return html.Table([
        html.Thead(html.Tr([html.Th("Run"), html.Th("Finished"), html.Th("Status"), html.Th("New"), html.Th("Dropped")])),
        html.Tbody([html.Tr([
            html.Td([html.Div(r["id"], className="pg-mono"), html.Div(r["model"], className="pg-muted")]),
            html.Td(r["when"] or "—"),
            html.Td(html.Span(r["status"], className=f"pg-pill pg-pill-{'ok' if r['status'] == 'complete' else 'idle'}")),
            html.Td(names(r["new"], "pg-new")),
            html.Td(names(r["dropped"], "pg-dropped")),
        ]) for r in rows]),
    ], className="pg-table pg-history-table")


# ------------------------------------------------------------------------------- callbacks


@callback(
    Output(ids.REC_BRAND, "options"),
    Output(ids.REC_BRAND, "value"),
    Output(ids.REC_RUN_STORE, "data"),
    Output(ids.REC_PREFS_COUNTRIES, "options"),
    Output(ids.REC_PREFS_LANGUAGES, "options"),
    Input(ids.REC_START, "data"),
)
def start(brand: str | None) -> tuple[Any, ...]:
    state = current_state()
    store = state.store()
    run = view.latest_run(store)
    run_id = run["id"] if run else None
    # shared by every session for a minute: the brand list and the facets change with imports and runs
    options = cache.cached(("rec-brands", id(state), run_id), lambda: view.brand_options(store, run_id), 60.0)
    countries, languages = cache.cached(("rec-facets", id(state)), lambda: view.facet_values(store), 60.0)
    values = {o["value"] for o in options}
    chosen = brand if brand in values else (options[0]["value"] if options else None)
    return (options, chosen, run, [{"label": c, "value": c} for c in countries],
            [{"label": x, "value": x} for x in languages])


@callback(
    Output(ids.REC_TABLE, "children"),
    Output(ids.REC_ROWS, "data"),
    Output(ids.REC_RUN, "children"),
    Output(ids.REC_RUN, "className"),
    Output(ids.REC_CSV_BUTTON, "disabled"),
    Input(ids.REC_BRAND, "value"),
    Input(ids.REC_VERSION, "data"),
    State(ids.REC_RUN_STORE, "data"),
    State(ids.REC_ROWS, "data"),
)
def show(brand: str | None, _version: int, run: dict[str, Any] | None, state: dict[str, Any] | None) -> tuple[Any, ...]:
    may_judge = bool((state or {}).get("judge"))
    if not run:
        return (html.P(view.NO_RUN, className="pg-empty"), {"brand": brand, "rows": [], "judge": may_judge},
                view.NO_RUN, "pg-run-line pg-status-warn", True)
    if not brand:
        return (html.P("Choose a brand above.", className="pg-empty"), {"brand": None, "rows": [], "judge": may_judge},
                view.run_summary(run), "pg-run-line", True)
    rows = view.recommendations(current_state().store(), brand, str(run["id"]))
    return (rec_table(rows, may_judge), {"brand": brand, "rows": rows, "judge": may_judge},
            view.run_summary(run, len(rows)), "pg-run-line", not rows)


@callback(
    Output(ids.REC_VERSION, "data"),
    Output(ids.REC_FEEDBACK_STATUS, "children"),
    Input({"type": ids.REC_ACCEPT, "index": ALL}, "n_clicks"),
    Input({"type": ids.REC_REJECT, "index": ALL}, "n_clicks"),
    State(ids.REC_ROWS, "data"),
    State(ids.REC_RUN_STORE, "data"),
    State(ids.REC_VERSION, "data"),
    prevent_initial_call=True,
)
def judge(_acc: list[int | None], _rej: list[int | None], state: dict[str, Any] | None, run: dict[str, Any] | None,
          version: int | None) -> tuple[int, str]:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate  # buttons were drawn, not clicked
    user = require("feedback")
    state = state or {}
    row = next((r for r in state.get("rows") or [] if r["id"] == trigger["index"]), None)
    if row is None or not run or not state.get("brand"):
        raise PreventUpdate
    verdict = "accept" if trigger["type"] == ids.REC_ACCEPT else "reject"
    view.record_feedback(current_state().store(), brand=str(state["brand"]), partner=row["id"], verdict=verdict,
                         user=user.name, run_id=str(run["id"]), label=row["label"])
    word = "Accepted" if verdict == "accept" else "Rejected"
    return int(version or 0) + 1, f"{word} {row['name']}. The next discovery run learns from it."


@callback(
    Output(ids.REC_WHY_GRAPH, "elements"),
    Output(ids.REC_WHY_GRAPH, "layout"),
    Output(ids.REC_WHY_TITLE, "children"),
    Output(ids.REC_WHY_TITLE, "className"),
    Output(ids.REC_WHY_REASONS, "children"),
    Output(ids.REC_WHY_STATUS, "children"),
    Input({"type": ids.REC_WHY, "index": ALL}, "n_clicks"),
    Input(ids.REC_BRAND, "value"),
    State(ids.REC_ROWS, "data"),
    prevent_initial_call=True,
)
def why(_clicks: list[int | None], brand: str | None, state: dict[str, Any] | None) -> tuple[Any, ...]:
    trigger = ctx.triggered_id
    if trigger == ids.REC_BRAND:
        return [], view.evidence_layout(None), WHY_HINT, "pg-muted", [], ""
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    row = next((r for r in (state or {}).get("rows") or [] if r["id"] == trigger["index"]), None)
    if row is None:
        raise PreventUpdate
    node_ids = view.evidence_ids(row["evidence"])
    names = view.node_names(current_state().store(), node_ids + [row["id"], brand or ""])
    elements, left_out = view.evidence_elements(row["evidence"], names, brand=brand or "", partner=row["id"])
    reasons = [html.Li(t) for t in row["reasons"]] or [html.Li("No reasons recorded.", className="pg-muted")]
    if not elements:
        status = "This recommendation carries no evidence subgraph."
    else:
        n_nodes = sum(1 for e in elements if "source" not in e["data"])
        status = f"{n_nodes} nodes and {len(elements) - n_nodes} links of evidence"
        status += f"; {left_out} more not drawn." if left_out else "."
    return (elements, view.evidence_layout(brand), f"#{row['rank']} {row['name']}", "pg-why-title", reasons,
            status)


@callback(
    Output(ids.REC_CSV, "data"),
    Input(ids.REC_CSV_BUTTON, "n_clicks"),
    State(ids.REC_ROWS, "data"),
    State(ids.REC_RUN_STORE, "data"),
    prevent_initial_call=True,
)
def download(_clicks: int, state: dict[str, Any] | None, run: dict[str, Any] | None) -> Any:
    rows = (state or {}).get("rows") or []
    if not rows:
        raise PreventUpdate
    slug = re.sub(r"[^A-Za-z0-9]+", "-", str((state or {}).get("brand") or "brand")).strip("-")[:60]
    return dcc.send_string(view.shortlist_csv(rows), f"shortlist-{slug}-{(run or {}).get('id', 'run')}.csv",
                           type="text/csv")


@callback(
    Output(ids.REC_PREFS_COUNTRIES, "value"),
    Output(ids.REC_PREFS_LANGUAGES, "value"),
    Output(ids.REC_PREFS_BUDGET, "value"),
    Output(ids.REC_PREFS_TYPES, "value"),
    Output(ids.REC_PREFS_EXCLUSIONS, "value"),
    Output(ids.REC_PREFS_EXCLUSIONS, "options"),
    Output(ids.REC_PREFS_SUMMARY, "children"),
    Output(ids.REC_HISTORY, "children"),
    Output(ids.REC_PREFS_STATUS, "children", allow_duplicate=True),
    Input(ids.REC_BRAND, "value"),
    State(ids.REC_ROWS, "data"),
    prevent_initial_call=True,
)
def brand_details(brand: str | None, state: dict[str, Any] | None) -> tuple[Any, ...]:
    if not brand:
        raise PreventUpdate
    store = current_state().store()
    prefs, problem = view.load_preferences(store, brand)
    runs = view.runs(store)
    changed = [x for run in runs for part in view.changes_for(run, brand) for x in part]
    excluded = [str(x) for x in prefs.get("exclusions") or []]
    names = view.node_names(store, changed + excluded)
    options = {x: (names.get(x) or {}).get("name", x) for x in excluded}
    for r in view.recommendations(store, brand, str(runs[0]["id"])) if runs else []:
        options.setdefault(r["id"], r["name"])
    return (
        prefs.get("countries") or [],
        prefs.get("languages") or [],
        prefs.get("budget"),
        prefs.get("partner_types") or list(view.PARTNER_TYPES),
        excluded,
        [{"label": n, "value": i} for i, n in options.items()],
        view.preferences_summary(prefs),
        _history(view.history_rows(runs, brand, names)),
        f"The stored preferences cannot be used: {problem}. Saving replaces them." if problem else "",
    )


@callback(
    Output(ids.REC_PREFS_STATUS, "children"),
    Output(ids.REC_PREFS_SUMMARY, "children", allow_duplicate=True),
    Input(ids.REC_PREFS_SAVE, "n_clicks"),
    State(ids.REC_BRAND, "value"),
    State(ids.REC_PREFS_COUNTRIES, "value"),
    State(ids.REC_PREFS_LANGUAGES, "value"),
    State(ids.REC_PREFS_BUDGET, "value"),
    State(ids.REC_PREFS_TYPES, "value"),
    State(ids.REC_PREFS_EXCLUSIONS, "value"),
    prevent_initial_call=True,
)
def save_preferences(_clicks: int, brand: str | None, countries: list[str] | None, languages: list[str] | None,
                     budget: Any, types: list[str] | None, exclusions: list[str] | None) -> tuple[str, str]:
    require("preferences")
    if not brand:
        raise PreventUpdate
    doc = view.preferences_from_form(countries, languages, budget, types, exclusions, brand=brand)
    stored = view.save_preferences(current_state().store(), brand, doc)
    return "Saved. The next discovery run applies them.", view.preferences_summary(stored)
