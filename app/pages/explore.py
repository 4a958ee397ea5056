"""Explore ("/explore"): find a partner or brand, draw its neighbourhood, click nodes to expand.

Search combines a case-insensitive name match, fuzzy probes for typos and the full-text index;
the neighbourhood comes from the ``explore_expand`` saved query, which aggregates on the server
("top-k + n more"), so the page holds a few hundred elements at most. Callbacks fetch rows and
hand them to :mod:`app.explore_view`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import dash
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from app import cache, ids, queries
from app import explore_view as view
from app.components import page_head
from app.state import current_state
from graph import explore
from graph.errors import InputError
from graph.store.base import GraphStore

dash.register_page(
    __name__,
    path="/explore",
    name="Explore",
    title="Explore · PartnerGraph",
    description="Search partners and brands and explore their neighbourhood in the graph.",
    order=1,
)

EMPTY: dict[str, Any] = {"elements": [], "dropped": 0, "selected": None, "root": None}


def layout(id: str | None = None, **_query: Any) -> html.Div:  # noqa: A002 - the URL's ?id=
    return html.Div(
        className="pg-page",
        children=[
            dcc.Store(id=ids.EXPLORE_ELEMENTS, data=dict(EMPTY)),
            dcc.Store(id=ids.EXPLORE_START, data=id or None),
            page_head(
                "Explore",
                "Find a partner or brand, then click any node to open its neighbours.",
                [html.Button("Clear graph", id=ids.EXPLORE_RESET, className="pg-button pg-button-quiet", n_clicks=0)],
            ),
            html.Div(
                className="pg-explore",
                children=[
                    html.Aside(
                        className="pg-explore-side",
                        children=[
                            html.Section(
                                className="pg-card",
                                children=[
                                    html.H2("Search"),
                                    html.Div(
                                        className="pg-search",
                                        children=[
                                            dcc.Input(
                                                id=ids.EXPLORE_SEARCH,
                                                type="search",
                                                placeholder="Partner or brand name…",
                                                debounce=False,
                                                maxLength=view.MAX_SEARCH,
                                                className="pg-input",
                                                autoComplete="off",
                                            ),
                                            html.Button("Search", id=ids.EXPLORE_SEARCH_GO, className="pg-button", n_clicks=0),
                                        ],
                                    ),
                                    dcc.Loading(html.Ul(id=ids.EXPLORE_RESULTS, className="pg-results"), type="dot"),
                                ],
                            ),
                            html.Section(
                                className="pg-card",
                                children=[
                                    html.H2("Show"),
                                    dcc.Checklist(
                                        id=ids.EXPLORE_TYPES,
                                        options=[{"label": t, "value": t} for t in view.FILTER_TYPES],
                                        value=list(view.DEFAULT_TYPES),
                                        className="pg-checklist",
                                        inputClassName="pg-check",
                                    ),
                                    html.H3("Topic"),
                                    dcc.Dropdown(id=ids.EXPLORE_TOPIC, options=[], multi=True,
                                                 placeholder="Any topic", className="pg-dropdown"),
                                    html.Div("Minimum topic score", className="pg-muted"),
                                    dcc.Slider(id=ids.EXPLORE_TOPIC_SCORE, min=0, max=1, step=0.05, value=0,
                                               marks={0: "0", 0.5: "0.5", 1: "1"}, tooltip={"placement": "bottom"}),
                                    html.H3("Country"),
                                    dcc.Dropdown(id=ids.EXPLORE_COUNTRY, options=[], multi=True,
                                                 placeholder="Any country", className="pg-dropdown"),
                                    html.H3("Active between"),
                                    dcc.DatePickerRange(id=ids.EXPLORE_DATES, display_format="YYYY-MM-DD",
                                                        clearable=True, className="pg-dates",
                                                        start_date_placeholder_text="From",
                                                        end_date_placeholder_text="To"),
                                    html.H3("Colour nodes by"),
                                    dcc.RadioItems(
                                        id=ids.EXPLORE_COLOUR_BY,
                                        options=[{"label": v, "value": k} for k, v in view.COLOUR_MODES.items()],
                                        value="type", className="pg-radio",
                                    ),
                                    html.H3("Size nodes by"),
                                    dcc.RadioItems(
                                        id=ids.EXPLORE_SIZE_BY,
                                        options=[{"label": v, "value": k} for k, v in view.SIZE_MODES.items()],
                                        value="weight",
                                        className="pg-radio",
                                    ),
                                ],
                            ),
                            html.Section(
                                className="pg-card",
                                children=[html.H2("Selected"), html.Div(id=ids.EXPLORE_DETAILS, className="pg-details")],
                            ),
                        ],
                    ),
                    html.Section(
                        className="pg-card pg-explore-main",
                        children=[
                            html.Div(id=ids.EXPLORE_LEGEND, className="pg-legend"),
                            cyto.Cytoscape(
                                id=ids.EXPLORE_GRAPH,
                                elements=[],
                                layout=view.LAYOUT,
                                stylesheet=view.stylesheet(),
                                style={"width": "100%", "height": "620px"},
                                minZoom=0.2,
                                maxZoom=3,
                                boxSelectionEnabled=False,
                            ),
                            html.P(id=ids.EXPLORE_STATUS, className="pg-muted pg-status", role="status"),
                        ],
                    ),
                ],
            ),
        ],
    )


# ------------------------------------------------------------------------------- data access


def search(store: GraphStore, text: str) -> list[view.Match]:
    """Id, full-text (prefix and fuzzy) and, failing those, name hits (:func:`queries.search`)."""
    return queries.search(store, text)


def root_elements(store: GraphStore, node_id: str, types: list[str]) -> dict[str, Any]:
    rows = explore.run_saved(store, "explore_node", id=node_id)
    if not rows:
        raise InputError(f"no node with id {node_id!r} in the graph", hint="search for it by name")
    r = rows[0]
    root = view.node_element(r["id"], r["label"], r["name"], r.get("weight"), root=True)
    groups = explore.run_saved(store, "explore_expand", id=node_id, labels=types, k=view.TOP_K)
    elements, dropped = view.merge([root], view.expansion_elements(node_id, groups), expanded=node_id)
    elements = with_facts(store, elements)
    return {"elements": elements, "dropped": dropped, "selected": root["data"], "root": node_id}


def with_facts(store: GraphStore, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Elements with the facts the filters read (country, topics, activity), loaded for new nodes only."""
    missing = view.needs_facts(elements)
    return view.annotate(elements, queries.node_facts(store, missing)) if missing else elements


def expand(store: GraphStore, state: dict[str, Any], node: dict[str, Any], types: list[str]) -> dict[str, Any]:
    elements = state.get("elements") or []
    req = view.expand_request(node, view.expanded_ids(elements), types)
    if req is None:
        return {**state, "selected": node, "dropped": 0}
    rows = explore.run_saved(store, "explore_expand", id=req["id"], labels=req["labels"], k=req["k"])
    groups = view.only_group(rows, req["only"])
    new = view.expansion_elements(req["id"], groups, include_resolved=req["only"] is not None)
    merged, dropped = view.merge(elements, new, expanded=None if req["only"] else req["id"])
    return {**state, "elements": with_facts(store, merged), "dropped": dropped, "selected": node}


# ------------------------------------------------------------------------------- callbacks


@callback(
    Output(ids.EXPLORE_RESULTS, "children"),
    Input(ids.EXPLORE_SEARCH_GO, "n_clicks"),
    Input(ids.EXPLORE_SEARCH, "n_submit"),
    State(ids.EXPLORE_SEARCH, "value"),
    prevent_initial_call=True,
)
def run_search(_clicks: int, _submit: int, text: str | None) -> list[Any]:
    text = view.clean_search(text)
    if len(text) < view.MIN_SEARCH:
        return [html.Li(f"Type at least {view.MIN_SEARCH} characters.", className="pg-muted")]
    matches = search(current_state().store(), text)
    if not matches:
        return [html.Li(f"Nothing matches “{text}”.", className="pg-muted")]
    return [
        html.Li(
            html.Button(
                [
                    html.Span(m.name, className="pg-result-name"),
                    html.Span(m.label, className="pg-tag", style={"borderColor": view.colour(m.label), "color": view.colour(m.label)}),
                    html.Span(m.how, className="pg-result-how"),
                ],
                id={"type": ids.EXPLORE_RESULT, "index": m.id},
                className="pg-result",
                n_clicks=0,
                title=m.id,
            )
        )
        for m in matches
    ]


@callback(
    Output(ids.EXPLORE_ELEMENTS, "data"),
    Input(ids.EXPLORE_START, "data"),
    Input({"type": ids.EXPLORE_RESULT, "index": ALL}, "n_clicks"),
    Input(ids.EXPLORE_GRAPH, "tapNodeData"),
    Input(ids.EXPLORE_RESET, "n_clicks"),
    State(ids.EXPLORE_ELEMENTS, "data"),
    State(ids.EXPLORE_TYPES, "value"),
)
def update_graph(start: str | None, _picks: list[int | None], tapped: dict[str, Any] | None, _reset: int,
                 state: dict[str, Any] | None, types: list[str] | None) -> Any:
    state = state or dict(EMPTY)
    types = list(types or [])
    trigger = ctx.triggered_id
    if trigger == ids.EXPLORE_RESET:
        return dict(EMPTY)
    if isinstance(trigger, dict) and trigger.get("type") == ids.EXPLORE_RESULT:
        if not ctx.triggered[0].get("value"):
            raise PreventUpdate  # a result button was drawn, not clicked
        return root_elements(current_state().store(), str(trigger["index"]), types)
    if trigger == ids.EXPLORE_GRAPH and tapped:
        return expand(current_state().store(), state, tapped, types)
    if trigger is None and start:  # opened as /explore?id=...
        return root_elements(current_state().store(), str(start), types)
    raise PreventUpdate


@callback(
    Output(ids.EXPLORE_GRAPH, "elements"),
    Output(ids.EXPLORE_STATUS, "children"),
    Output(ids.EXPLORE_LEGEND, "children"),
    Output(ids.EXPLORE_DETAILS, "children"),
    Input(ids.EXPLORE_ELEMENTS, "data"),
    Input(ids.EXPLORE_TYPES, "value"),
    Input(ids.EXPLORE_SIZE_BY, "value"),
    Input(ids.EXPLORE_TOPIC, "value"),
    Input(ids.EXPLORE_TOPIC_SCORE, "value"),
    Input(ids.EXPLORE_COUNTRY, "value"),
    Input(ids.EXPLORE_DATES, "start_date"),
    Input(ids.EXPLORE_DATES, "end_date"),
    Input(ids.EXPLORE_COLOUR_BY, "value"),
)
def render_graph(state: dict[str, Any] | None, types: list[str] | None, size_by: str | None,
                 topics: list[str] | None, min_score: float | None, countries: list[str] | None,
                 since: str | None, until: str | None, colour_by: str | None) -> tuple[Any, ...]:
    state = state or dict(EMPTY)
    elements = state.get("elements") or []
    if not elements:
        return [], "Search for a partner or brand to start.", [], html.P("Nothing selected.", className="pg-muted")
    filters = view.Filters(topics=frozenset(topics or []), min_score=float(min_score or 0.0),
                           countries=frozenset(c.upper() for c in countries or []),
                           since=str(since or "")[:10], until=str(until or "")[:10])
    shown = view.visible(elements, types or [], size_by or "weight", filters, colour_by or "type")
    legend = [
        html.Span([html.Span(className="pg-dot", style={"background": c}), t], className="pg-legend-item")
        for t, c in view.legend({el["data"].get("type") for el in shown})
    ]
    hidden = view.filtered_out(elements, types or [], filters)
    return (shown, view.status_text(elements, shown, int(state.get("dropped") or 0), hidden), legend,
            _details(state.get("selected")))


@callback(
    Output(ids.EXPLORE_TOPIC, "options"),
    Output(ids.EXPLORE_COUNTRY, "options"),
    Input(ids.EXPLORE_START, "data"),
)
def filter_options(_start: str | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Topics (IAB tiers 1-2) and countries to filter by, read once a minute for every session."""
    state = current_state()
    store = state.store()

    def read() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        topics = [{"label": str(r.get("path") or r.get("name") or r["id"]), "value": str(r["id"])}
                  for r in store.read(queries.TOPIC_OPTIONS, {}).rows]
        countries = sorted({str(r["value"]).upper() for r in store.read(queries.COUNTRY_OPTIONS, {}).rows if r["value"]})
        return topics, [{"label": c, "value": c} for c in countries]

    return cache.cached(("explore-options", id(state)), read, 60.0)


def _details(node: dict[str, Any] | None) -> Any:
    pairs = view.details(node)
    if not pairs:
        return html.P("Click a node to see it here.", className="pg-muted")
    children: list[Any] = [html.Dl([item for k, v in pairs for item in (html.Dt(k), html.Dd(v))], className="pg-dl")]
    if node and view.can_profile(node):
        children.append(dcc.Link("Open profile →", href=f"/profile?id={quote(str(node['id']), safe='')}", className="pg-link", id="explore-open-profile"))
    return children

