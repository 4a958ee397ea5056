"""Dashboards page: portfolio performance, anomalies, discovery runs, import and crawl runs.

Data comes from ``WITH`` performance facts (campaign x partner x period), ``DiscoveryRun``,
``ImportRun`` and ``CrawlRun`` nodes through :mod:`app.queries`; the figures and tables are
built here by pure functions. Heavy reads are cached per app process for :data:`CACHE_SECONDS`,
so many sessions opening the page cost one query.

Anomalies are monthly revenue per partner scored with the robust z-score of Iglewicz and
Hoaglin on ``log(1 + revenue)`` (revenue is heavy-tailed; on the log scale a fall to a tenth
weighs as much as a rise tenfold): ``z = 0.6745 (x - median) / MAD`` over the partner's months
in the range, flagged when ``|z| >= 3.5`` and the month differs from the partner's median by at
least :data:`MIN_DELTA` (so cents do not count); a positive z is a spike, a negative one
under-performance. When the MAD is 0 (most months equal) the mean absolute deviation stands in
(``z = (x - median) / (1.2533 MeanAD)``). Partners with fewer than :data:`MIN_MONTHS` months
are not scored.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import plotly.graph_objects as go

from app import cache
from app import queries as q
from app.helpers import json_doc as _doc
from graph.store.base import GraphStore

Z_THRESHOLD = 3.5
MIN_MONTHS = 6
MIN_DELTA = 100.0  # revenue units a flagged month must differ from the partner's median by
MAX_ANOMALIES = 200
TOPICS_SHOWN = 15
RUNS_SHOWN = 50
CACHE_SECONDS = 60.0
PSI_LIMIT = 0.2  # the discovery job's drift thresholds (gnn/drift.py)
KS_LIMIT = 0.2

KIND_COLOURS = {"Publisher": "#2563eb", "Influencer": "#7c3aed"}
COST_COLOUR = "#f97316"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


# ------------------------------------------------------------------------------- cache


def cached[T](key: tuple[Any, ...], compute: Callable[[], T], ttl: float = CACHE_SECONDS) -> T:
    """``compute()``, shared by every session for ``ttl`` seconds (see :mod:`app.cache`)."""
    return cache.cached(("dashboards", *key), compute, ttl)


def clear_cache() -> None:
    cache.clear()


# ------------------------------------------------------------------------------- helpers


def _num(v: Any) -> float:
    try:
        x = float(v or 0)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _layout(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 30}, plot_bgcolor="white",
                      paper_bgcolor="white", font=FONT, legend={"orientation": "h", "y": 1.12, "x": 0})
    fig.update_xaxes(gridcolor="#f3f4f6")
    fig.update_yaxes(gridcolor="#e5e7eb", rangemode="tozero")
    return fig


def empty_figure(text: str, height: int = 260) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height)


def period_range(periods: Sequence[str], since: str | None, until: str | None) -> tuple[str, str]:
    """The ``(since, until)`` periods to read: the chosen ones, else the whole span; swapped if reversed."""
    lo = since or (periods[0] if periods else "0000-00")
    hi = until or (periods[-1] if periods else "9999-99")
    return (lo, hi) if lo <= hi else (hi, lo)


# ------------------------------------------------------------------------------- portfolio


def performance_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Revenue, cost, ROI and conversions per partner kind, plus ``"All"``."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"revenue": 0.0, "cost": 0.0, "conversions": 0.0})
    for r in rows:
        for kind in (str(r.get("kind") or "Publisher"), "All"):
            for key in ("revenue", "cost", "conversions"):
                out[kind][key] += _num(r.get(key))
    for t in out.values():
        t["roi"] = t["revenue"] / t["cost"] if t["cost"] else float("nan")
    return dict(out)


def performance_figure(rows: Sequence[Mapping[str, Any]], kinds: Sequence[str] | None = None) -> go.Figure:
    """Revenue per period stacked by partner kind (bars), total cost (line)."""
    wanted = set(kinds or KIND_COLOURS)
    rows = [r for r in rows if str(r.get("kind")) in wanted]
    if not rows:
        return empty_figure("No campaign performance in this range.")
    periods = sorted({str(r["period"]) for r in rows})
    fig = go.Figure()
    for kind in KIND_COLOURS:
        if kind not in wanted:
            continue
        by = {str(r["period"]): _num(r.get("revenue")) for r in rows if r.get("kind") == kind}
        fig.add_trace(go.Bar(x=periods, y=[by.get(p, 0.0) for p in periods], name=f"{kind} revenue",
                             marker_color=KIND_COLOURS[kind], hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>"))
    cost: dict[str, float] = defaultdict(float)
    for r in rows:
        cost[str(r["period"])] += _num(r.get("cost"))
    fig.add_trace(go.Scatter(x=periods, y=[cost[p] for p in periods], name="Cost", mode="lines+markers",
                             line={"color": COST_COLOUR, "width": 2, "dash": "dot"},
                             hovertemplate="%{x}: cost %{y:,.0f}<extra></extra>"))
    fig.update_layout(barmode="stack", hovermode="x unified")
    fig.update_xaxes(type="category")
    return _layout(fig)


def topic_figure(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Revenue and cost per IAB tier-1 topic, largest first (horizontal bars)."""
    rows = [r for r in rows if _num(r.get("revenue")) or _num(r.get("cost"))]
    if not rows:
        return empty_figure("No topics on partners with performance yet: the embed stage adds topics.")
    names = [str(r.get("name") or r.get("id")) for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[_num(r.get("revenue")) for r in rows], orientation="h", name="Revenue",
                         marker_color="#0d9488", customdata=[int(_num(r.get("partners"))) for r in rows],
                         hovertemplate="%{y}: revenue %{x:,.0f} from %{customdata} partners<extra></extra>"))
    fig.add_trace(go.Bar(y=names, x=[_num(r.get("cost")) for r in rows], orientation="h", name="Cost",
                         marker_color=COST_COLOUR, opacity=0.6, hovertemplate="%{y}: cost %{x:,.0f}<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, max(280, 60 + 34 * len(rows)))


# ------------------------------------------------------------------------------- anomalies


def robust_z(values: Sequence[float]) -> list[float] | None:
    """Robust z-scores of ``values``, or ``None`` when they cannot be scored (too few, all equal)."""
    if len(values) < MIN_MONTHS:
        return None
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values)
    if mad > 0:
        return [0.6745 * (v - med) / mad for v in values]
    mean_ad = statistics.fmean(abs(v - med) for v in values)
    if mean_ad > 0:
        return [(v - med) / (1.253314 * mean_ad) for v in values]
    return None


def anomalies(rows: Iterable[Mapping[str, Any]], *, threshold: float = Z_THRESHOLD,
              limit: int = MAX_ANOMALIES) -> list[dict[str, Any]]:
    """Partner-months whose revenue is far from the partner's own median, strongest first
    (robust z-score of log revenue, see the module docstring).

    ``rows`` are ``PARTNER_MONTHLY`` rows (``id, name, kind, period, revenue, cost``); several
    rows of one partner and month are added up.
    """
    series: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    info: dict[str, tuple[str, str]] = {}
    for r in rows:
        pid = str(r.get("id") or "")
        if not pid or not r.get("period"):
            continue
        cell = series[pid][str(r["period"])]
        cell[0] += _num(r.get("revenue"))
        cell[1] += _num(r.get("cost"))
        info.setdefault(pid, (str(r.get("name") or pid), str(r.get("kind") or "")))
    out: list[dict[str, Any]] = []
    for pid, months in series.items():
        periods = sorted(months)
        revenue = [months[p][0] for p in periods]
        zs = robust_z([math.log1p(max(v, 0.0)) for v in revenue])
        if zs is None:
            continue
        med = statistics.median(revenue)
        for period, rev, z in zip(periods, revenue, zs, strict=True):
            if abs(z) < threshold or abs(rev - med) < MIN_DELTA:
                continue
            cost = months[period][1]
            out.append({
                "id": pid, "name": info[pid][0], "kind": info[pid][1], "period": period,
                "revenue": round(rev, 2), "median": round(med, 2), "z": round(z, 2),
                "direction": "spike" if z > 0 else "under-performance",
                "roi": round(rev / cost, 2) if cost else None, "months": len(periods),
            })
    out.sort(key=lambda a: (-abs(float(a["z"])), str(a["name"]), str(a["period"])))
    return out[:limit]


def anomaly_table(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """DataTable rows (text cells; the partner id rides along for the chart)."""
    return [{
        "partner": a["name"], "id": a["id"], "kind": a["kind"], "period": a["period"],
        "direction": a["direction"], "revenue": f"{a['revenue']:,.0f}", "median": f"{a['median']:,.0f}",
        "z": f"{a['z']:+.1f}", "roi": "—" if a.get("roi") is None else f"{a['roi']:.2f}×",
    } for a in items]


def partner_series_figure(rows: Iterable[Mapping[str, Any]], partner: str,
                          flagged: Iterable[Mapping[str, Any]] = ()) -> go.Figure:
    """One partner's monthly revenue, its median, and its flagged months marked."""
    months: dict[str, float] = defaultdict(float)
    name = partner
    for r in rows:
        if str(r.get("id")) == partner and r.get("period"):
            months[str(r["period"])] += _num(r.get("revenue"))
            name = str(r.get("name") or partner)
    if not months:
        return empty_figure("Pick an anomaly to see that partner's months.")
    periods = sorted(months)
    values = [months[p] for p in periods]
    med = statistics.median(values)
    marks = {str(a["period"]): a for a in flagged if str(a.get("id")) == partner}
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=periods, y=values, mode="lines+markers", name="Revenue",
                             line={"color": "#2563eb", "width": 2}, hovertemplate="%{x}: %{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=periods, y=[med] * len(periods), mode="lines", name="Median",
                             line={"color": "#9ca3af", "dash": "dash"}, hoverinfo="skip"))
    if marks:
        xs = [p for p in periods if p in marks]
        fig.add_trace(go.Scatter(
            x=xs, y=[months[p] for p in xs], mode="markers", name="Flagged",
            marker={"size": 13, "color": ["#16a34a" if marks[p]["direction"] == "spike" else "#dc2626" for p in xs],
                    "symbol": "diamond"},
            customdata=[marks[p]["z"] for p in xs], hovertemplate="%{x}: z %{customdata:+.1f}<extra></extra>"))
    fig.update_xaxes(type="category")
    _layout(fig, 320)
    fig.update_layout(title={"text": name, "x": 0.01, "y": 0.97, "font": {"size": 13}}, hovermode="x unified",
                      margin={"l": 10, "r": 10, "t": 60, "b": 30},
                      legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"})
    return fig


# ------------------------------------------------------------------------------- discovery runs


def flatten(doc: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested JSON document as ``{"a.b.c": value}`` (booleans and ``v`` left out)."""
    out: dict[str, float] = {}
    if isinstance(doc, Mapping):
        for k, v in doc.items():
            if not prefix and k == "v":
                continue
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(doc, int | float) and not isinstance(doc, bool) and math.isfinite(float(doc)):
        out[prefix[:-1]] = float(doc)
    return out


def drift_summary(drift: Any) -> dict[str, Any]:
    """``{drifted, max_psi, max_ks, why}`` from a run's drift document (None where not measured)."""
    doc = _doc(drift)
    psis: list[float] = []
    kss: list[float] = []
    for fig in (doc.get("features") or {}).values():
        if isinstance(fig, Mapping):
            psis += [float(fig["psi"])] if isinstance(fig.get("psi"), int | float) else []
            kss += [float(fig["ks"])] if isinstance(fig.get("ks"), int | float) else []
    for fig in (doc.get("embeddings") or {}).values():
        if isinstance(fig, Mapping):
            psis += [float(fig["psi_max"])] if isinstance(fig.get("psi_max"), int | float) else []
            kss += [float(fig["ks_max"])] if isinstance(fig.get("ks_max"), int | float) else []
    psis = [x for x in psis if math.isfinite(x)]
    kss = [x for x in kss if math.isfinite(x)]
    why = doc.get("why") or []
    return {
        "drifted": bool(doc.get("drifted")) if doc else None,
        "max_psi": max(psis) if psis else None,
        "max_ks": max(kss) if kss else None,
        "why": [str(w) for w in why] if isinstance(why, list) else [str(why)],
    }


#: Metrics shown as table columns when a run has them (first match per column).
KEY_METRICS = (
    ("Brands scored", ("brands.scored",)),
    ("Partners recommended", ("distinct_partners_recommended",)),
    ("Edges written", ("edges_written",)),
)


def run_rows(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One table row per discovery run, newest first: status, model, key metrics and drift."""
    out = []
    for run in runs:
        metrics = _doc(run.get("metrics"))
        flat = flatten(metrics)
        drift = drift_summary(run.get("drift"))
        row: dict[str, Any] = {
            "id": str(run.get("id") or ""),
            "status": str(run.get("status") or "?"),
            "finished": str(run.get("finished_at") or run.get("started_at") or "")[:16].replace("T", " "),
            "model": str(run.get("model_version") or metrics.get("model_version") or "—"),
            "ranker": str(metrics.get("ranker") or "—"),
            "drift": "—" if drift["drifted"] is None else ("drift" if drift["drifted"] else "no drift"),
            "max_psi": "—" if drift["max_psi"] is None else f"{drift['max_psi']:.3f}",
            "max_ks": "—" if drift["max_ks"] is None else f"{drift['max_ks']:.3f}",
            "why": "; ".join(drift["why"])[:300] or str(metrics.get("error") or "")[:300],
        }
        for title, keys in KEY_METRICS:
            value = next((flat[k] for k in keys if k in flat), None)
            row[title] = "—" if value is None else f"{value:,.0f}"
        out.append(row)
    return out


def metric_options(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Numeric metrics that at least two complete runs report (worth a line), sorted; model
    quality metrics (``model_metrics.*``) first."""
    seen: dict[str, int] = defaultdict(int)
    for run in runs:
        if run.get("status") == "complete":
            for key in flatten(_doc(run.get("metrics"))):
                seen[key] += 1
    keys = [k for k, n in seen.items() if n >= 2 and not k.startswith("seconds.")]
    return sorted(keys, key=lambda k: (not k.startswith("model_metrics."), k))


def metric_figure(runs: Sequence[Mapping[str, Any]], metric: str | None) -> go.Figure:
    """A metric and the drift figures (max PSI, max KS with the 0.2 limits) across complete runs."""
    done = sorted((r for r in runs if r.get("status") == "complete"), key=lambda r: str(r.get("finished_at") or ""))
    if not done:
        return empty_figure("No complete discovery runs yet — run `partnergraph discover`.")
    x = [str(r.get("finished_at") or "")[:10] + " · " + str(r.get("id"))[-6:] for r in done]
    fig = go.Figure()
    if metric:
        ys = [flatten(_doc(r.get("metrics"))).get(metric) for r in done]
        fig.add_trace(go.Scatter(x=x, y=ys, mode="lines+markers", name=metric, yaxis="y",
                                 line={"color": "#2563eb", "width": 2}))
    drifts = [drift_summary(r.get("drift")) for r in done]
    fig.add_trace(go.Scatter(x=x, y=[d["max_psi"] for d in drifts], mode="lines+markers", name="max PSI",
                             yaxis="y2", line={"color": "#dc2626"}))
    fig.add_trace(go.Scatter(x=x, y=[d["max_ks"] for d in drifts], mode="lines+markers", name="max KS",
                             yaxis="y2", line={"color": "#f97316"}))
    fig.add_hline(y=PSI_LIMIT, line={"color": "#dc2626", "dash": "dot", "width": 1}, yref="y2",
                  annotation_text="drift limit 0.2", annotation_position="top left")
    fig.update_layout(yaxis={"title": metric or "", "rangemode": "tozero"},
                      yaxis2={"title": "drift", "overlaying": "y", "side": "right", "rangemode": "tozero",
                              "showgrid": False},
                      hovermode="x unified")
    fig.update_xaxes(type="category")
    return _layout(fig, 300)


# ------------------------------------------------------------------------------- import / crawl


def _duration(start: Any, end: Any) -> str:
    from datetime import datetime

    try:
        a = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return "—"
    secs = (b - a).total_seconds()
    if secs < 0:
        return "—"
    return f"{secs:.0f} s" if secs < 120 else f"{secs / 60:.1f} min"


def _file_name(uri: Any) -> str:
    text = str(uri or "")
    try:
        path = urlparse(text).path if "://" in text else text
    except ValueError:
        path = text
    return PurePosixPath(unquote(path)).name or text or "—"


def import_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        rows_in = int(_num(r.get("rows_in")))
        quarantined = int(_num(r.get("rows_quarantined")))
        out.append({
            "file": _file_name(r.get("file")), "preset": str(r.get("preset") or "—"),
            "status": str(r.get("status") or "?"),
            "started": str(r.get("started_at") or "")[:16].replace("T", " "),
            "took": _duration(r.get("started_at"), r.get("finished_at")),
            "rows in": f"{rows_in:,}", "imported": f"{int(_num(r.get('rows_imported'))):,}",
            "quarantined": f"{quarantined:,}" + (f" ({100 * quarantined / rows_in:.1f}%)" if rows_in and quarantined else ""),
        })
    return out


def crawl_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        stats = _doc(r.get("stats"))
        errors = sum(int(_num(v)) for k, v in stats.items() if k.startswith("partnergraph/errors/"))
        out.append({
            "run": str(r.get("id") or ""), "status": str(r.get("status") or "?"),
            "started": str(r.get("started_at") or "")[:16].replace("T", " "),
            "took": _duration(r.get("started_at"), r.get("finished_at")),
            "sites": f"{int(_num(stats.get('partnergraph/sites'))):,}",
            "pages": f"{int(_num(stats.get('partnergraph/pages/extracted'))):,}",
            "requests": f"{int(_num(stats.get('downloader/request_count'))):,}",
            "errors": f"{errors:,}",
            "write errors": f"{int(_num(stats.get('partnergraph/write_errors'))):,}",
        })
    return out


# ------------------------------------------------------------------------------- data access


def periods(store: GraphStore) -> list[str]:
    return cached(("periods", id(store)), lambda: [str(r["period"]) for r in store.read(
        q.PERFORMANCE_PERIODS, {}, limit=10_000).rows])


def performance(store: GraphStore, since: str, until: str) -> list[dict[str, Any]]:
    return cached(("perf", id(store), since, until), lambda: [dict(r) for r in store.read(
        q.PERFORMANCE_BY_PERIOD, {"since": since, "until": until}, limit=100_000).rows])


def topics(store: GraphStore, since: str, until: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
    key = ("topics", id(store), since, until, tuple(sorted(kinds)))
    return cached(key, lambda: [dict(r) for r in store.read(
        q.PERFORMANCE_BY_TOPIC, {"since": since, "until": until, "kinds": list(kinds), "k": TOPICS_SHOWN}).rows])


def partner_months(store: GraphStore, since: str, until: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
    key = ("months", id(store), since, until, tuple(sorted(kinds)))
    return cached(key, lambda: [dict(r) for r in store.read(
        q.PARTNER_MONTHLY, {"since": since, "until": until, "kinds": list(kinds)}, limit=2_000_000, timeout=60).rows])


def discovery_runs(store: GraphStore, k: int = RUNS_SHOWN) -> list[dict[str, Any]]:
    return [dict(r) for r in store.read(q.DISCOVERY_RUNS, {"k": int(k)}).rows]


def import_runs(store: GraphStore, k: int = RUNS_SHOWN) -> list[dict[str, Any]]:
    return import_rows(store.read(q.IMPORT_RUNS, {"k": int(k)}).rows)


def crawl_runs(store: GraphStore, k: int = RUNS_SHOWN) -> list[dict[str, Any]]:
    return crawl_rows(store.read(q.CRAWL_RUNS, {"k": int(k)}).rows)
