"""Pure helpers of the partner profile page: saved-query rows -> what the page shows.

Rows come from ``partner_identity``, ``partner_segments``, ``partner_accounts``,
``partner_performance``, ``partner_campaigns``, ``similar_partners`` and
``brand_partner_performance``. Nothing here touches Dash or the store; values are returned as
plain text (Dash shows text, never markup), and links only ever carry http(s) URLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlparse

import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: Identity fields shown, in order, with their captions.
IDENTITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("partner_type", "Partner type"),
    ("domain", "Domain"),
    ("handle", "Handle"),
    ("country", "Country"),
    ("language", "Language"),
    ("audience_size", "Audience"),
    ("brand_safety_flag", "Brand safety"),
    ("crm_id", "CRM record"),
)
PROVENANCE_FIELDS: tuple[tuple[str, str], ...] = (
    ("source", "Source"),
    ("first_seen", "First seen"),
    ("last_seen", "Last seen"),
    ("run_id", "Run"),
)
#: Labels whose nodes have a profile.
PROFILE_LABELS = ("Publisher", "Influencer", "Brand")

NO_SEGMENTS = "No {what} recorded yet: they arrive when the embed stage tags partners."
NO_ACCOUNTS = "No {what} known yet: they arrive from the crawl (profiles, ads.txt, sellers.json)."
NO_PERFORMANCE = "No campaign performance yet: none of this partner's campaigns report WITH periods."
NO_CAMPAIGNS = "No past campaigns with this partner."
NO_SIMILAR = "No similar partners yet: similarity needs topics, which the embed stage adds."

REVENUE_COLOUR = "#2563eb"
COST_COLOUR = "#f97316"
CONV_COLOUR = "#0d9488"


def safe_url(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) URL, else ``None`` (no ``javascript:``, ``data:`` ...)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return None
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return None
    if any(ch in url for ch in ('"', "<", ">", " ", "\n", "\r", "\t")):
        return None
    return url


def profile_href(node_id: str) -> str:
    return f"/profile?id={quote(str(node_id), safe='')}"


def explore_href(node_id: str) -> str:
    return f"/explore?id={quote(str(node_id), safe='')}"


def kind_of(labels: Iterable[str]) -> str:
    """The entity label a profile is about (``Affiliate`` is a role, shown separately)."""
    labels = list(labels)
    for label in PROFILE_LABELS:
        if label in labels:
            return label
    return labels[0] if labels else "Entity"


def format_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key == "audience_size" or (isinstance(value, int | float) and not isinstance(value, bool) and key != "score"):
        try:
            return f"{int(float(value)):,}"
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def identity(row: Mapping[str, Any]) -> dict[str, Any]:
    """Title, kind, roles, fact pairs and links of the profile header."""
    labels = [str(x) for x in row.get("labels") or []]
    kind = kind_of(labels)
    roles = [x for x in labels if x != kind]
    facts = [(caption, format_value(key, row.get(key))) for key, caption in IDENTITY_FIELDS if row.get(key) not in (None, "")]
    website = safe_url(row.get("url")) or (safe_url(f"https://{row['domain']}") if row.get("domain") else None)
    return {
        "title": str(row.get("name") or row.get("id") or ""),
        "id": str(row.get("id") or ""),
        "kind": kind,
        "roles": roles,
        "facts": facts,
        "description": str(row.get("description") or ""),
        "website": website,
        "crm_url": safe_url(row.get("crm_url")),
        "crm_url_rejected": bool(row.get("crm_url")) and safe_url(row.get("crm_url")) is None,
    }


def provenance(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where the facts came from: source URI, first/last seen, run id (as text)."""
    return [(caption, format_value(key, row.get(key))) for key, caption in PROVENANCE_FIELDS]


def segments(rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``partner_segments`` rows -> ``(topics, audiences)``, each ``{id, name, path, score}``, best first."""
    topics: list[dict[str, Any]] = []
    audiences: list[dict[str, Any]] = []
    for r in rows:
        item = {
            "id": str(r.get("id") or ""),
            "name": str(r.get("name") or r.get("id") or ""),
            "path": str(r.get("path") or ""),
            "score": None if r.get("score") is None else round(float(r["score"]), 2),
        }
        (topics if r.get("rel") == "COVERS" else audiences).append(item)
    key = lambda x: (-(x["score"] or 0.0), x["name"])  # noqa: E731
    return sorted(topics, key=key), sorted(audiences, key=key)


def accounts(rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``partner_accounts`` rows -> ``(social, sellers)``.

    Social: ``{platform, handle, url (http(s) or None), followers}``; sellers:
    ``{system, seller_id, seller_type, relationship}``.
    """
    social: list[dict[str, Any]] = []
    sellers: list[dict[str, Any]] = []
    for r in rows:
        if r.get("rel") == "HAS_ACCOUNT":
            social.append({
                "platform": str(r.get("platform") or r.get("system") or "—"),
                "handle": str(r.get("handle") or r.get("id") or ""),
                "url": safe_url(r.get("url")),
                "followers": format_value("followers", r.get("followers")),
            })
        else:
            sellers.append({
                "system": str(r.get("system") or "—"),
                "seller_id": str(r.get("seller_id") or r.get("id") or ""),
                "seller_type": str(r.get("seller_type") or "—"),
                "relationship": str(r.get("relationship") or "—"),
            })
    return social, sellers


def _num(v: Any) -> float:
    try:
        return float(v or 0)
    except (TypeError, ValueError):
        return 0.0


def performance_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals over every period: cost, revenue, conversions, clicks, impressions, ROI, CTR."""
    rows = list(rows)
    t: dict[str, Any] = {k: sum(_num(r.get(k)) for r in rows) for k in ("cost", "revenue", "conversions", "clicks", "impressions")}
    t["roi"] = t["revenue"] / t["cost"] if t["cost"] else None
    t["ctr"] = t["clicks"] / t["impressions"] if t["impressions"] else None
    t["periods"] = len(rows)
    return t


def totals_text(t: Mapping[str, Any]) -> list[tuple[str, str]]:
    roi = "—" if t.get("roi") is None else f"{t['roi']:.2f}×"
    ctr = "—" if t.get("ctr") is None else f"{100 * t['ctr']:.2f}%"
    return [
        ("Revenue", f"{t['revenue']:,.0f}"),
        ("Cost", f"{t['cost']:,.0f}"),
        ("ROI", roi),
        ("Conversions", f"{t['conversions']:,.0f}"),
        ("CTR", ctr),
        ("Periods", f"{t['periods']:,}"),
    ]


def performance_figure(rows: Iterable[Mapping[str, Any]]) -> go.Figure:
    """Revenue and cost per period (lines), conversions (bars, right axis)."""
    rows = sorted(rows, key=lambda r: str(r.get("period") or ""))
    periods = [str(r.get("period") or "") for r in rows]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=periods, y=[_num(r.get("conversions")) for r in rows], name="Conversions",
                         marker_color=CONV_COLOUR, opacity=0.35,
                         hovertemplate="%{x}: %{y:,} conversions<extra></extra>"), secondary_y=True)
    fig.add_trace(go.Scatter(x=periods, y=[_num(r.get("revenue")) for r in rows], name="Revenue",
                             mode="lines+markers", line={"color": REVENUE_COLOUR, "width": 2},
                             hovertemplate="%{x}: revenue %{y:,.2f}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=periods, y=[_num(r.get("cost")) for r in rows], name="Cost",
                             mode="lines+markers", line={"color": COST_COLOUR, "width": 2, "dash": "dot"},
                             hovertemplate="%{x}: cost %{y:,.2f}<extra></extra>"), secondary_y=False)
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "y": 1.12, "x": 0},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        hovermode="x unified",
    )
    fig.update_xaxes(type="category", gridcolor="#f3f4f6")
    fig.update_yaxes(title_text="Revenue / cost", gridcolor="#e5e7eb", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Conversions", showgrid=False, rangemode="tozero", tickformat=",.0f", secondary_y=True)
    return fig


def campaign_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``partner_campaigns`` rows -> table rows of text (ROI computed, missing values as —)."""
    out = []
    for r in rows:
        cost, revenue = _num(r.get("cost")), _num(r.get("revenue"))
        out.append({
            "id": str(r.get("id") or ""),
            "campaign": str(r.get("name") or r.get("id") or ""),
            "brand": str(r.get("brand") or r.get("brand_id") or "—"),
            "brand_id": str(r.get("brand_id") or ""),
            "period": f"{r.get('start') or '?'} → {r.get('end') or '?'}",
            "revenue": f"{revenue:,.0f}",
            "cost": f"{cost:,.0f}",
            "roi": f"{revenue / cost:.2f}×" if cost else "—",
        })
    return out


def similar_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``similar_partners`` rows -> ``{id, name, label, shared}`` text, with profile links."""
    return [
        {
            "id": str(r.get("id") or ""),
            "name": str(r.get("name") or r.get("id") or ""),
            "label": str(r.get("label") or ""),
            "shared": f"{int(_num(r.get('shared')))} shared topic{'s' if int(_num(r.get('shared'))) != 1 else ''}",
            "href": profile_href(str(r.get("id") or "")),
        }
        for r in rows
    ]


def brand_partner_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``brand_partner_performance`` rows (a brand's profile) -> text rows with links."""
    out = []
    for r in rows:
        roi = r.get("roi")
        out.append({
            "id": str(r.get("id") or ""),
            "name": str(r.get("name") or r.get("id") or ""),
            "revenue": f"{_num(r.get('revenue')):,.0f}",
            "cost": f"{_num(r.get('cost')):,.0f}",
            "roi": "—" if roi is None else f"{_num(roi):.2f}×",
            "href": profile_href(str(r.get("id") or "")),
        })
    return out
