"""Investigations page: alerts, rings, cases, path tracing and evidence packs; no Dash here.

Reads follow the schema (``Alert -FLAGGED-> Ring | Affiliate``, ``Affiliate -MEMBER_OF-> Ring``,
``Case -ABOUT-> Alert``; a ring's ``evidence`` JSON names its shared identifiers) through
:mod:`app.queries`. The fraud stage (:mod:`gnn.fraud`) owns every write and the investigator
tools: the page calls ``gnn.fraud.cases`` for every case change and reads cases through it,
and traces with ``gnn.fraud.trace`` over the latest fraud run's index (:func:`case_tools`,
:func:`trace`). Alerts and rings are read from the graph, so they show whatever the fraud stage
wrote; without a fraud run's index, paths are traced over the identifier edges in the graph.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import json
import logging
import threading
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from app import explore_view
from app import queries as q
from app.dashboards_view import empty_figure
from app.helpers import json_doc as _doc
from graph.errors import PartnerGraphError
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import now_iso

log = logging.getLogger(__name__)

ALERTS_SHOWN = 200
TIMELINE_ROWS = 5000
CASE_STATUSES = ("open", "investigating", "confirmed", "dismissed")
OPEN_STATUSES = ("open", "investigating", "new")
KIND_WORDS = {
    "new_ring": "New ring", "ring": "Ring", "ring_grew": "Ring grew", "grown_ring": "Ring grew",
    "risk_jump": "Risk jumped", "risk": "High risk", "partner_risk": "Risk jumped",
}
IDENT_LABELS = {"Device": "device", "IPNetwork": "IP network", "PaymentAccount": "payment account",
                "SellerAccount": "seller account"}
REL_COLOURS = {"USED_DEVICE": "#dc2626", "SEEN_FROM": "#b91c1c", "PAID_TO": "#7c2d12", "SELLS_VIA": "#475569"}


def _float(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def entity_label(labels: Iterable[str] | None) -> str:
    labels = [str(x) for x in labels or []]
    for x in ("Ring", "Publisher", "Influencer", "Affiliate", "Device", "IPNetwork", "PaymentAccount",
              "SellerAccount", "Alert", "Case"):
        if x in labels:
            return x
    return labels[0] if labels else "Unknown"


def kind_text(kind: Any) -> str:
    text = str(kind or "alert")
    return KIND_WORDS.get(text, text.replace("_", " ").capitalize())


# ------------------------------------------------------------------------------- alerts


def alert_summary(row: Mapping[str, Any]) -> str:
    """One sentence on an alert: its evidence ``summary``/``text``, else what it flags."""
    doc = _doc(row.get("evidence"))
    for key in ("summary", "text", "why"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
        if isinstance(value, list) and value:
            return "; ".join(str(x) for x in value)
    flagged = [f for f in row.get("flagged") or [] if f and f.get("id")]
    if not flagged:
        return "No evidence summary recorded."
    names = ", ".join(str(f.get("name") or f["id"]) for f in flagged[:3])
    return f"Flags {names}" + (f" and {len(flagged) - 3} more" if len(flagged) > 3 else "") + "."


def alert_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ranked alerts as the list shows them (best first, as the query orders them)."""
    out = []
    for rank, r in enumerate(rows, start=1):
        flagged = [{"id": str(f["id"]), "name": str(f.get("name") or f["id"]), "label": entity_label(f.get("labels"))}
                   for f in r.get("flagged") or [] if f and f.get("id")]
        score = _float(r.get("score"))
        out.append({
            "rank": rank, "id": str(r.get("id") or ""), "kind": kind_text(r.get("kind")),
            "score": score, "score_text": "—" if score is None else f"{score:.2f}",
            "status": str(r.get("status") or "open"),
            "created": str(r.get("created_at") or "")[:16].replace("T", " "),
            "flagged": flagged, "summary": alert_summary(r),
            "cases": [str(c) for c in r.get("cases") or [] if c],
        })
    return out


def alerts(store: GraphStore, *, open_only: bool = True, k: int = ALERTS_SHOWN) -> list[dict[str, Any]]:
    statuses = list(OPEN_STATUSES) if open_only else []
    return alert_rows(store.read(q.ALERTS_RANKED, {"statuses": statuses, "k": int(k)}).rows)


def alert(store: GraphStore, alert_id: str) -> dict[str, Any] | None:
    rows = alert_rows(store.read(q.ALERT, {"id": alert_id}).rows)
    return rows[0] if rows else None


def rings_for(store: GraphStore, flagged: Sequence[Mapping[str, Any]]) -> list[str]:
    """The rings an alert is about: flagged rings, else the rings of flagged affiliates."""
    rings = [str(f["id"]) for f in flagged if f.get("label") == "Ring"]
    if rings:
        return rings
    others = [str(f["id"]) for f in flagged if f.get("label") != "Ring"]
    if not others:
        return []
    rows = store.read(q.RINGS_OF, {"ids": others}).rows
    return [str(r["id"]) for r in sorted(rows, key=lambda r: -(_float(r.get("score")) or 0.0))]


# ------------------------------------------------------------------------------- rings


def identifier_rows(evidence: Any, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """A ring's strongest shared identifiers (from its evidence JSON), with member names."""
    out = []
    for ident in _doc(evidence).get("identifiers") or []:
        if not isinstance(ident, Mapping) or not ident.get("id"):
            continue
        members = [str(m) for m in ident.get("members") or []]
        weight = _float(ident.get("weight"))
        out.append({
            "kind": str(ident.get("kind") or "identifier"), "id": str(ident["id"]),
            "weight": "—" if weight is None else f"{weight:.2f}",
            "users": int(_float(ident.get("affiliates_using")) or len(members)),
            "members": ", ".join(names.get(m, m) for m in members), "member_ids": members,
        })
    return out


def member_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        risk, score = _float(r.get("risk")), _float(r.get("score"))
        out.append({
            "id": str(r.get("id") or ""), "name": str(r.get("name") or r.get("id") or ""),
            "type": entity_label(r.get("labels")), "network": str(r.get("network") or "—"),
            "network_id": str(r.get("network_id") or "—"),
            "risk": "—" if risk is None else f"{risk:.2f}", "share": "—" if score is None else f"{score:.2f}",
            "source": str(r.get("source") or ""),
        })
    return out


def ring_figures(evidence: Any) -> list[tuple[str, str]]:
    doc = _doc(evidence)
    out = []
    for key, caption in (("score", "Score"), ("evidence", "Link evidence"), ("traffic", "Shared traffic"),
                         ("account", "Shared accounts"), ("behaviour", "Behaviour anomaly")):
        value = _float(doc.get(key))
        if value is not None:
            out.append((caption, f"{value:.2f}"))
    if doc.get("kinds"):
        out.append(("Identifier kinds", ", ".join(str(k) for k in doc["kinds"])))
    return out


def timeline_figure(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> go.Figure:
    """When the members used their shared identifiers: member x month, sized by uses."""
    if not rows:
        return empty_figure("No per-month identifier uses shared by two or more members.")
    cells: dict[tuple[str, str, str], float] = defaultdict(float)
    for r in rows:
        if r.get("period"):
            cells[(str(r["affiliate"]), str(r["period"]), str(r["rel"]))] += float(_float(r.get("n")) or 1.0)
    fig = go.Figure()
    biggest = max(cells.values(), default=1.0) or 1.0
    for rel in sorted({k[2] for k in cells}):
        keys = [k for k in cells if k[2] == rel]
        fig.add_trace(go.Scatter(
            x=[k[1] for k in keys], y=[names.get(k[0], k[0]) for k in keys], mode="markers", name=rel,
            marker={"size": [8 + 22 * (cells[k] / biggest) ** 0.5 for k in keys], "color": REL_COLOURS.get(rel, "#6b7280"),
                    "opacity": 0.75},
            customdata=[cells[k] for k in keys], hovertemplate="%{y} · %{x}: %{customdata:,.0f} uses<extra>" + rel + "</extra>"))
    periods = sorted({k[1] for k in cells})
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=periods)
    fig.update_layout(height=max(220, 90 + 36 * len({k[0] for k in cells})), margin={"l": 10, "r": 10, "t": 30, "b": 30},
                      plot_bgcolor="white", paper_bgcolor="white", legend={"orientation": "h", "y": 1.15, "x": 0},
                      font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12})
    fig.update_yaxes(automargin=True)
    return fig


def ring_elements(ring_id: str, members: Sequence[Mapping[str, Any]], identifiers: Sequence[Mapping[str, Any]]
                  ) -> list[dict[str, Any]]:
    """Cytoscape elements: the ring, its members, and the identifiers they share."""
    els = [explore_view.node_element(ring_id, "Ring", f"Ring {ring_id}" if not ring_id.lower().startswith("ring") else ring_id,
                                     root=True)]
    for m in members:
        els.append(explore_view.node_element(m["id"], "Publisher" if m["type"] != "Influencer" else "Influencer",
                                             m["name"]))
        els.append({"data": {"id": f"{m['id']}->MEMBER_OF->{ring_id}", "source": m["id"], "target": ring_id,
                             "rel": "MEMBER_OF", "links": 1, "width": 1.5}})
    member_ids = {m["id"] for m in members}
    label_of = {"device": "Device", "ip": "IPNetwork", "ip_network": "IPNetwork", "payment": "PaymentAccount",
                "seller": "SellerAccount", "seller_reseller": "SellerAccount"}
    for ident in identifiers:
        els.append(explore_view.node_element(ident["id"], label_of.get(ident["kind"], "Identifier"),
                                             f"{ident['kind']} {ident['id']}"))
        for m in ident["member_ids"]:
            if m in member_ids:
                els.append({"data": {"id": f"{m}->SHARES->{ident['id']}", "source": m, "target": ident["id"],
                                     "rel": ident["kind"], "links": 1, "width": 2.5}})
    return els


def ring(store: GraphStore, ring_id: str) -> dict[str, Any] | None:
    """Everything the ring view shows, or ``None`` when there is no such ring."""
    head = store.read(q.RING_HEAD, {"id": ring_id}).rows
    if not head:
        return None
    members = member_rows(store.read(q.RING_MEMBERS, {"id": ring_id}).rows)
    names = {m["id"]: m["name"] for m in members}
    idents = identifier_rows(head[0].get("evidence"), names)
    timeline = [dict(r) for r in store.read(q.RING_TIMELINE, {"id": ring_id, "k": TIMELINE_ROWS},
                                            limit=TIMELINE_ROWS).rows]
    score = _float(head[0].get("score"))
    return {
        "id": ring_id, "status": str(head[0].get("status") or "?"),
        "score": "—" if score is None else f"{score:.2f}", "size": len(members),
        "detected": str(head[0].get("detected_at") or "")[:16].replace("T", " "),
        "source": str(head[0].get("source") or ""), "run_id": str(head[0].get("run_id") or ""),
        "figures": ring_figures(head[0].get("evidence")), "evidence": _doc(head[0].get("evidence")),
        "members": members, "identifiers": idents, "timeline": timeline, "names": names,
    }


# ------------------------------------------------------------------------------- cases


def _words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_log(text: Any) -> list[dict[str, str]]:
    """A case's audit trail, oldest first: JSON list of entries, or plain lines."""
    if isinstance(text, list):
        items: list[Any] = text
    elif isinstance(text, str) and text.strip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = text.splitlines()
    elif isinstance(text, str):
        items = text.splitlines()
    else:
        items = []
    out = []
    for item in items:
        if isinstance(item, Mapping):
            action = str(item.get("action") or item.get("event") or "")
            skip = {"at", "by", "action", "event"}
            if action in ("status", "assignee") and ("from" in item or "to" in item):
                action = f"{action} {item.get('from') or '—'} → {item.get('to') or '—'}"
                skip |= {"from", "to"}
            detail = "; ".join(f"{k} {_words(v)}" for k, v in item.items() if k not in skip and v not in (None, "", []))
            out.append({"at": str(item.get("at") or "")[:16].replace("T", " "), "by": str(item.get("by") or ""),
                        "action": action, "detail": detail})
        elif str(item).strip():
            out.append({"at": "", "by": "", "action": str(item).strip(), "detail": ""})
    return out


def _notes(value: Any) -> list[dict[str, str]]:
    """Case notes: the workflow's JSON list of ``{at, by, text}``, or plain text."""
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, list):
        return [{"at": str(n.get("at") or "")[:16].replace("T", " "), "by": str(n.get("by") or ""),
                 "text": str(n.get("text") or "")} for n in value if isinstance(n, Mapping)]
    return [{"at": "", "by": "", "text": str(value)}] if value else []


def case_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = [{
        "id": str(r.get("id") or ""), "title": str(r.get("title") or r.get("id") or ""),
        "status": str(r.get("status") or "open"), "assignee": str(r.get("assignee") or ""),
        "notes": _notes(r.get("notes")), "opened": str(r.get("opened_at") or "")[:16].replace("T", " "),
        "closed": str(r.get("closed_at") or "")[:16].replace("T", " "),
        "alerts": [str(a) for a in r.get("alerts") or [] if a], "log": parse_log(r.get("log")),
    } for r in rows]
    return sorted(out, key=lambda c: (c["opened"], c["id"]), reverse=True)


def case_tools() -> Any:
    """``gnn.fraud.cases`` when this installation ships it (it owns every case write), else ``None``."""
    try:
        return importlib.import_module("gnn.fraud.cases")
    except ImportError:
        return None


def cases(store: GraphStore, k: int = 200) -> list[dict[str, Any]]:
    """Every case, newest first: through the fraud stage's reader when it ships, else the schema."""
    tools = case_tools()
    if tools is not None and hasattr(tools, "list_cases"):
        try:
            return case_rows([c.as_dict() for c in tools.list_cases(store)])[:k]
        except (ValueError, KeyError, TypeError) as exc:  # a case the workflow cannot parse: read them plainly
            log.warning("cases: the case workflow could not read every case (%s); reading them as stored", exc)
    return case_rows(store.read(q.CASES_LIST, {"k": int(k)}).rows)


# ------------------------------------------------------------------------------- tracing


def affiliate_options(store: GraphStore, text: str, k: int = 20) -> list[dict[str, str]]:
    text = " ".join((text or "").split()).lower()[:100]
    if len(text) < 2:
        return []
    rows = store.read(q.AFFILIATE_SEARCH, {"text": text, "k": int(k)}).rows
    return [{"label": f"{r.get('name') or r['id']} ({r.get('network') or 'network?'})", "value": str(r["id"])} for r in rows]


def affiliate_labels(store: GraphStore, ids: Sequence[str]) -> list[dict[str, str]]:
    if not ids:
        return []
    rows = store.read(q.AFFILIATE_NAMES, {"ids": list(ids)}).rows
    return [{"label": f"{r.get('name') or r['id']} ({r.get('network') or 'network?'})", "value": str(r["id"])} for r in rows]


_index_lock = threading.Lock()
_index: dict[str, tuple[float, Any]] = {}


def trace_index(settings: Settings) -> Any:
    """The fraud run's identifier index (``gnn.fraud.trace.TraceIndex``), loaded once and again
    when a newer run rewrote it; ``None`` without a fraud run (or without the fraud stage)."""
    try:
        from gnn.fraud.stage import cache_dir
        from gnn.fraud.trace import TraceIndex
    except ImportError:
        return None
    cache = Path(cache_dir(settings))
    marker = cache / "trace_pairs.parquet"
    try:
        mtime = marker.stat().st_mtime
    except OSError:
        return None
    key = str(cache)
    with _index_lock:
        hit = _index.get(key)
        if hit is None or hit[0] != mtime:
            t0 = time.perf_counter()
            _index[key] = (mtime, TraceIndex.load(cache))
            log.info("trace index loaded from %s in %.2f s", cache, time.perf_counter() - t0)
        return _index[key][1]


def trace(store: GraphStore, a: str, b: str, settings: Settings | None = None, k: int = 3) -> dict[str, Any]:
    """How two affiliates are connected through shared identifiers, each hop with its evidence.

    With a fraud run's index (:func:`trace_index`), the fraud stage traces (``gnn.fraud.trace``:
    fewest hops plus the ``k`` cheapest paths, identifiers weighted by rarity); without one, the
    shortest path over the identifier edges stored in the graph. Returns ``{"nodes", "hops",
    "paths", "method"}``; empty ``nodes`` when they share nothing.
    """
    if a == b:
        return {"nodes": [], "hops": [], "paths": [], "same": True, "method": ""}
    index = trace_index(settings) if settings is not None else None
    if index is not None:
        from gnn.fraud.trace import trace as fraud_trace

        return from_trace_result(fraud_trace(store, index, a, b, k=k).as_dict())
    if store.backend == "falkordb":
        rows, stopped = _bounded_trace(store, a, b, settings)
        if stopped:
            return {"nodes": [], "hops": [], "paths": [], "method": "graph", "stopped": stopped}
    else:
        rows = store.read(q.TRACE["neo4j"], {"a": a, "b": b}).rows
    if not rows:
        return {"nodes": [], "hops": [], "paths": [], "method": "graph"}
    nodes = [{"id": str(n["id"]), "name": str(n.get("name") or n["id"]), "label": entity_label(n.get("labels"))}
             for n in rows[0].get("nodes") or []]
    hops = [{"type": str(r.get("type") or ""), "from": str(r.get("from") or ""), "to": str(r.get("to") or ""),
             "period": str(r.get("period") or ""), "uses": int(_float(r.get("n")) or 0),
             "source": str(r.get("source") or "")} for r in rows[0].get("rels") or []]
    return {"nodes": nodes, "hops": hops, "paths": [], "method": "graph"}


def _bounded_trace(store: GraphStore, a: str, b: str, settings: Settings | None) -> tuple[list[dict[str, Any]], str]:
    """The FalkorDB trace without ``algo.SPpaths`` (which runs on after its timeout): the
    bounded search of :mod:`graph.paths` over the identifier edges, then each hop's edge. Returns
    rows shaped like :data:`app.queries.TRACE`'s, and why the search stopped (or "")."""
    from graph import paths

    budget = settings.query_timeout if settings is not None else 10.0
    found, _ids = paths.shortest_path(store, a, b, budget_s=budget, rel_types=q.TRACE_RELS)
    if not found.found:
        return [], "" if found.exhausted else paths.summary(found)
    pairs = [[i, s, d] for i, (s, d) in enumerate(zip(found.nodes, found.nodes[1:], strict=False))]
    hops = store.read(q.TRACE_HOPS, {"pairs": pairs}, timeout=budget, limit=len(pairs) + 1).rows
    if not hops:
        return [], ""
    nodes = [hops[0]["x"]] + [h["y"] for h in hops]
    return [{"nodes": nodes, "rels": [h["rel"] for h in hops]}], ""


def from_trace_result(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The fraud stage's trace document -> the page's path: affiliates, and between each pair the
    identifiers they share (drawn as nodes), with rarity, event counts and sources."""
    names = {str(k): str(v or k) for k, v in (doc.get("names") or {}).items()}
    shortest = doc.get("shortest") or {}
    nodes: list[dict[str, str]] = []
    hops: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(node_id: str, label: str, name: str) -> None:
        if node_id not in seen:
            seen.add(node_id)
            nodes.append({"id": node_id, "name": name, "label": label})

    for aff in shortest.get("affiliates") or []:
        add(str(aff), "Affiliate", names.get(str(aff)) or str(aff))
    for hop in shortest.get("hops") or []:
        for ident in (hop.get("identifiers") or [])[:3]:
            iid = str(ident.get("id"))
            add(iid, "Identifier", f"{ident.get('kind')} {iid}")
            for end, n_key, src_key in ((hop["from"], "n_from", "source_from"), (hop["to"], "n_to", "source_to")):
                hops.append({"type": str(ident.get("kind") or ""), "from": str(end), "to": iid, "period": "",
                             "uses": int(_float(ident.get(n_key)) or 0), "source": str(ident.get(src_key) or ""),
                             "weight": _float(ident.get("weight")), "users": int(_float(ident.get("affiliates_using")) or 0)})
    paths = [{"affiliates": [names.get(str(x)) or str(x) for x in p.get("affiliates") or []],
              "hops": len(p.get("hops") or []), "cost": _float(p.get("cost"))} for p in doc.get("paths") or []]
    return {"nodes": nodes, "hops": hops, "paths": paths, "method": "fraud-index"}


def path_elements(path: Mapping[str, Any]) -> list[dict[str, Any]]:
    nodes = path.get("nodes") or []
    affs = [n["id"] for n in nodes if n["label"] not in ("Identifier", *IDENT_LABELS)]
    ends = {affs[0], affs[-1]} if affs else set()
    els = [explore_view.node_element(n["id"], n["label"], n["name"], root=n["id"] in ends) for n in nodes]
    for i, h in enumerate(path.get("hops") or []):
        els.append({"data": {"id": f"hop{i}:{h['from']}->{h['to']}", "source": h["from"], "target": h["to"],
                             "rel": h["type"], "links": 1, "width": 2.5}})
    return els


def hop_text(path: Mapping[str, Any]) -> list[str]:
    """Each hop in words, with its evidence: when, how often, and where the fact comes from."""
    names = {n["id"]: n["name"] for n in path.get("nodes") or []}
    out = []
    for h in path.get("hops") or []:
        when = f" in {h['period']}" if h.get("period") else ""
        uses = f", {h['uses']:,} uses" if h.get("uses") else ""
        rarity = f", rarity {h['weight']:.2f}" if h.get("weight") is not None else ""
        users = f", used by {h['users']} affiliates" if h.get("users") else ""
        src = f" (source: {h['source']})" if h.get("source") else ""
        out.append(f"{names.get(h['from'], h['from'])} —{h['type']}→ {names.get(h['to'], h['to'])}"
                   f"{when}{uses}{rarity}{users}{src}")
    return out


# ------------------------------------------------------------------------------- evidence pack


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        cells = []
        for c in columns:
            text = "" if r.get(c) is None else str(r.get(c))
            cells.append("'" + text if text[:1] in ("=", "+", "-", "@") else text)
        w.writerow(cells)
    return buf.getvalue()


def evidence_pack(alert_row: Mapping[str, Any] | None, ring_view: Mapping[str, Any] | None,
                  case_rows_: Sequence[Mapping[str, Any]] = (), *, user: str = "",
                  ring_pack: Mapping[str, bytes] | None = None) -> bytes:
    """A zip for case tools and the affiliate network: ``evidence.json`` (the alert, the ring as
    the graph holds it, the cases), and CSVs of members, shared identifiers and the timeline,
    each fact with its source (file and row, or URL). ``ring_pack`` adds the fraud stage's own
    ring pack (``ring/facts.csv``, ``ring/ring.json``, ``ring/subgraph.png``) when it could be
    built (it needs the latest fraud run's cache)."""
    doc = {
        "v": 1, "generated_at": now_iso(), "generated_by": user, "alert": dict(alert_row or {}),
        "ring": {k: v for k, v in (ring_view or {}).items() if k not in ("names", "timeline")} if ring_view else None,
        "timeline": list((ring_view or {}).get("timeline") or []),
        "cases": [dict(c) for c in case_rows_],
        "note": "Identifiers are keyed pseudonyms; the sources name the file and row (or URL) of each fact.",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("evidence.json", json.dumps(doc, indent=2, sort_keys=True, default=str))
        if ring_view:
            z.writestr("members.csv", _csv(ring_view.get("members") or [],
                                           ["id", "name", "type", "network", "network_id", "risk", "share", "source"]))
            z.writestr("identifiers.csv", _csv(ring_view.get("identifiers") or [],
                                               ["kind", "id", "weight", "users", "members"]))
            z.writestr("timeline.csv", _csv(ring_view.get("timeline") or [],
                                            ["period", "affiliate", "rel", "ident", "n", "source"]))
        for name, data in (ring_pack or {}).items():
            z.writestr(f"ring/{name}", data)
    return buf.getvalue()


def fraud_ring_pack(store: GraphStore, settings: Settings, ring_id: str) -> dict[str, bytes]:
    """The fraud stage's evidence pack of a ring (``gnn.fraud.ring_report``: facts with their
    sources, ring.json, a PNG of the subgraph), as ``{file name: bytes}``; empty when the stage
    or its cache (the latest fraud run) is not there."""
    import tempfile

    try:
        from gnn.fraud.ring_report import ring_report
    except ImportError:
        return {}
    try:
        report = ring_report(store, settings, ring_id)
        with tempfile.TemporaryDirectory(prefix="pg-ring-pack-") as tmp:
            paths = report.write_pack(Path(tmp))
            return {p.name: p.read_bytes() for p in paths}
    except PartnerGraphError as exc:
        log.info("evidence pack without the fraud stage's ring report: %s", exc)
        return {}
