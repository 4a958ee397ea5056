"""Partner profile ("/profile?id=..."): one partner (or brand) on one page.

Identity, topics and audiences, social and seller accounts, provenance and the CRM link,
performance over time (from ``WITH`` periods), past campaigns and similar partners. Sections
whose data no stage has written yet say so. Rows come from saved queries; the shaping is in
:mod:`app.profile_view`.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from app import explore_view, ids, queries
from app import profile_view as view
from app.components import page_head
from app.state import current_state
from graph import explore
from graph.errors import InputError
from graph.store.base import GraphStore

dash.register_page(
    __name__,
    path="/profile",
    name="Partner profile",
    title="Partner profile · PartnerGraph",
    description="Everything the graph knows about one partner or brand.",
    order=2,
)

CAMPAIGNS_SHOWN = 25
SIMILAR_SHOWN = 10


def layout(id: str | None = None, **_query: Any) -> html.Div:  # noqa: A002 - the URL's ?id=
    return html.Div(
        className="pg-page",
        children=[
            dcc.Store(id=ids.PROFILE_PICK, data=id or None),
            page_head(
                "Partner profile",
                "Identity, audience, accounts, performance and look-alikes of one partner.",
                [
                    dcc.Input(id=ids.PROFILE_SEARCH, type="search", placeholder="Find another partner…",
                              maxLength=explore_view.MAX_SEARCH, className="pg-input", autoComplete="off"),
                    html.Button("Find", id=ids.PROFILE_SEARCH_GO, className="pg-button", n_clicks=0),
                ],
                title_id=ids.PROFILE_TITLE,
                actions_class="pg-actions pg-search",
            ),
            html.Ul(id=ids.PROFILE_RESULTS, className="pg-results pg-results-inline"),
            dcc.Loading(html.Div(id=ids.PROFILE_BODY), type="dot"),
        ],
    )


# ------------------------------------------------------------------------------- rendering


def _dl(pairs: list[tuple[str, str]]) -> html.Dl:
    return html.Dl([item for k, v in pairs for item in (html.Dt(k), html.Dd(v))], className="pg-dl")


def _empty(text: str) -> html.P:
    return html.P(text, className="pg-empty")


def _card(title: str, body: Any, *, id: str | None = None, span: bool = False) -> html.Section:  # noqa: A002
    return html.Section(
        [html.H2(title), html.Div(body, id=id) if id else body],
        className="pg-card pg-span-2" if span else "pg-card",
    )


def _chips(items: list[dict[str, Any]], what: str) -> Any:
    if not items:
        return _empty(view.NO_SEGMENTS.format(what=what))
    return html.Ul(
        [html.Li([html.Span(i["name"], title=i["path"] or i["id"]),
                  html.Span("" if i["score"] is None else f"{i['score']:.2f}", className="pg-chip-score")],
                 className="pg-chip") for i in items],
        className="pg-chips",
    )


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> html.Table:
    numeric = numeric or set()
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h, className="num" if i in numeric else None) for i, h in enumerate(head)])),
            html.Tbody([html.Tr([html.Td(c, className="num" if i in numeric else None) for i, c in enumerate(r)]) for r in rows]),
        ],
        className="pg-table",
    )


def _header(ident: dict[str, Any]) -> html.Section:
    links: list[Any] = [dcc.Link("Explore neighbourhood →", href=view.explore_href(ident["id"]), className="pg-link")]
    if ident["website"]:
        links.append(html.A("Website ↗", href=ident["website"], target="_blank", rel="noopener noreferrer", className="pg-link"))
    if ident["crm_url"]:
        links.append(html.A("Open in CRM ↗", href=ident["crm_url"], target="_blank", rel="noopener noreferrer",
                            className="pg-link", id="profile-crm-link"))
    elif ident["crm_url_rejected"]:
        links.append(html.Span("CRM link not shown: it is not an http(s) address.", className="pg-muted"))
    else:
        links.append(html.Span("No CRM link recorded.", className="pg-muted"))
    return html.Section(
        className="pg-card pg-span-2 pg-profile-head",
        children=[
            html.Div([
                html.H2(ident["title"], id="profile-name"),
                html.Span(ident["kind"], className="pg-tag", style={"borderColor": explore_view.colour(ident["kind"]),
                                                                     "color": explore_view.colour(ident["kind"])}),
                *[html.Span(r, className="pg-tag") for r in ident["roles"]],
                html.Span(ident["id"], className="pg-muted pg-mono"),
            ], className="pg-profile-title"),
            html.P(ident["description"], className="pg-lede") if ident["description"] else None,
            html.Div(_dl(ident["facts"]) if ident["facts"] else _empty("No identity facts beyond the name yet."),
                     id=ids.PROFILE_IDENTITY),
            html.Div(links, className="pg-links"),
        ],
    )


def render(store: GraphStore, node_id: str) -> list[Any]:
    """The profile body for ``node_id`` (rows from saved queries, shaped by :mod:`view`)."""
    rows = explore.run_saved(store, "partner_identity", id=node_id)
    if not rows:
        raise InputError(f"no partner or brand with id {node_id!r}", hint="search for it by name above")
    ident = view.identity(rows[0])
    cards: list[Any] = [_header(ident)]
    if ident["kind"] == "Brand":
        partners = view.brand_partner_rows(explore.brand_partner_performance(store, node_id, k=CAMPAIGNS_SHOWN))
        cards.append(_card("Partners by revenue", _table(
            ["Partner", "Revenue", "Cost", "ROI"],
            [[dcc.Link(p["name"], href=p["href"]), p["revenue"], p["cost"], p["roi"]] for p in partners], {1, 2, 3},
        ) if partners else _empty("No campaigns with partners yet."), span=True))
        cards.append(_card("Provenance", _dl(view.provenance(rows[0])), id=ids.PROFILE_PROVENANCE))
        return [html.Div(cards, className="pg-grid")]

    topics, audiences = view.segments(explore.run_saved(store, "partner_segments", id=node_id))
    social, sellers = view.accounts(explore.run_saved(store, "partner_accounts", id=node_id))
    perf = explore.run_saved(store, "partner_performance", id=node_id)
    campaigns = view.campaign_rows(explore.run_saved(store, "partner_campaigns", id=node_id, k=CAMPAIGNS_SHOWN))
    similar = view.similar_rows(explore.run_saved(store, "similar_partners", id=node_id, k=SIMILAR_SHOWN))

    if perf:
        perf_body: Any = [
            html.Div(_dl(view.totals_text(view.performance_totals(perf))), id=ids.PROFILE_PERF_TOTALS, className="pg-totals"),
            dcc.Graph(figure=view.performance_figure(perf), config={"displayModeBar": False, "responsive": True},
                      id=f"{ids.PROFILE_PERFORMANCE}-chart"),
        ]
    else:
        perf_body = _empty(view.NO_PERFORMANCE)
    cards += [
        _card("Performance over time", perf_body, id=ids.PROFILE_PERFORMANCE, span=True),
        _card("Topics", _chips(topics, "topics"), id=ids.PROFILE_TOPICS),
        _card("Audiences", _chips(audiences, "audiences"), id=ids.PROFILE_AUDIENCES),
        _card("Social accounts", _table(
            ["Platform", "Handle", "Followers"],
            [[s["platform"], html.A(s["handle"], href=s["url"], target="_blank", rel="noopener noreferrer") if s["url"] else s["handle"],
              s["followers"]] for s in social], {2},
        ) if social else _empty(view.NO_ACCOUNTS.format(what="social accounts")), id=ids.PROFILE_SOCIAL),
        _card("Seller accounts", _table(
            ["Ad system", "Seller id", "Type", "Relationship"],
            [[s["system"], s["seller_id"], s["seller_type"], s["relationship"]] for s in sellers],
        ) if sellers else _empty(view.NO_ACCOUNTS.format(what="seller accounts")), id=ids.PROFILE_SELLERS),
        _card("Past campaigns", _table(
            ["Campaign", "Brand", "Dates", "Revenue", "Cost", "ROI"],
            [[c["campaign"], dcc.Link(c["brand"], href=view.profile_href(c["brand_id"])) if c["brand_id"] else c["brand"],
              c["period"], c["revenue"], c["cost"], c["roi"]] for c in campaigns], {3, 4, 5},
        ) if campaigns else _empty(view.NO_CAMPAIGNS), id=ids.PROFILE_CAMPAIGNS, span=True),
        _card("Similar partners", html.Ul(
            [html.Li([dcc.Link(s["name"], href=s["href"]), html.Span(f" {s['label']} · {s['shared']}", className="pg-muted")])
             for s in similar], className="pg-list",
        ) if similar else _empty(view.NO_SIMILAR), id=ids.PROFILE_SIMILAR),
        _card("Provenance", _dl(view.provenance(rows[0])), id=ids.PROFILE_PROVENANCE),
    ]
    return [html.Div(cards, className="pg-grid")]


# ------------------------------------------------------------------------------- callbacks


@callback(Output(ids.PROFILE_BODY, "children"), Input(ids.PROFILE_PICK, "data"))
def show_profile(node_id: str | None) -> list[Any]:
    if not node_id:
        return [html.Section(
            [html.H2("No partner chosen"),
             html.P("Search for a partner or brand above, or open one from the Explore page.", className="pg-muted")],
            className="pg-card",
        )]
    return render(current_state().store(), str(node_id))


@callback(
    Output(ids.PROFILE_RESULTS, "children"),
    Input(ids.PROFILE_SEARCH_GO, "n_clicks"),
    Input(ids.PROFILE_SEARCH, "n_submit"),
    State(ids.PROFILE_SEARCH, "value"),
    prevent_initial_call=True,
)
def find_partner(_clicks: int, _submit: int, text: str | None) -> list[Any]:
    store = current_state().store()
    matches = queries.search(store, text or "")
    if not matches:
        return [html.Li(f"Nothing matches “{explore_view.clean_search(text)}”.", className="pg-muted")]
    return [html.Li(dcc.Link([m.name, html.Span(f" {m.label}", className="pg-muted")], href=view.profile_href(m.id),
                             className="pg-result"))
            for m in matches]
