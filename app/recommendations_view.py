"""Recommendations page: data access and pure shaping, no Dash.

Readers take the latest ``complete`` :class:`DiscoveryRun` (by ``finished_at``) and the brand's
``RECOMMENDED`` edges of that run (``docs/schema.md``; the contract is in the discovery job).
``reasons`` and ``evidence`` are versioned JSON text; a document of an unknown version or a
malformed one is shown as "no reasons recorded", never as an error page. Feedback
(``FEEDBACK {verdict, by, at, run_id, note}``) is one edge per brand and partner: the latest
verdict wins, and it outlives weekly runs. Preferences are read, checked and written through
:mod:`gnn.preferences` (owned by the discovery job).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app import explore_view
from app import queries as q
from gnn import preferences as prefs
from graph.errors import InputError
from graph.store.base import GraphStore
from graph.writers import Provenance, now_iso

log = logging.getLogger(__name__)

#: Most recommendations listed per brand.
TOP_K = 100
#: Most evidence elements drawn (nodes + edges).
MAX_EVIDENCE = 160
#: Most runs listed in the history.
HISTORY_RUNS = 12
#: Most brands offered in the picker.
MAX_BRANDS = 5000
VERDICTS = ("accept", "reject")
PARTNER_LABELS = ("Publisher", "Influencer")
FEEDBACK_SOURCE = "app://partnergraph/feedback"
NO_RUN = "No discovery run yet — run `partnergraph discover`."


# ------------------------------------------------------------------------------- JSON documents


def parse_doc(text: Any) -> dict[str, Any]:
    """A versioned JSON document as a dict; ``{}`` when missing, malformed or of another version."""
    if isinstance(text, Mapping):
        doc: Any = dict(text)
    else:
        if not isinstance(text, str) or not text.strip():
            return {}
        try:
            doc = json.loads(text)
        except ValueError:
            return {}
    if not isinstance(doc, dict) or doc.get("v", 1) != 1:
        return {}
    return doc


def reasons_text(reasons: Any) -> list[str]:
    """The sentences of a ``reasons`` document, in order (items without text are skipped)."""
    items = parse_doc(reasons).get("items") or []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and str(item.get("text") or "").strip():
            out.append(" ".join(str(item["text"]).split()))
    return out


def evidence_ids(evidence: Any) -> list[str]:
    """Every node id an ``evidence`` document names (``nodes`` and edge ends), first seen first."""
    doc = parse_doc(evidence)
    seen: dict[str, None] = {}
    for node in doc.get("nodes") or []:
        if isinstance(node, str) and node:
            seen.setdefault(node, None)
    for edge in doc.get("edges") or []:
        if isinstance(edge, list | tuple) and len(edge) >= 3:
            for end in (edge[0], edge[2]):
                if isinstance(end, str) and end:
                    seen.setdefault(end, None)
    return list(seen)


def evidence_elements(evidence: Any, names: Mapping[str, Mapping[str, str]], *, brand: str = "",
                      partner: str = "", cap: int = MAX_EVIDENCE) -> tuple[list[dict[str, Any]], int]:
    """Cytoscape elements of an evidence subgraph, and how many were left out by ``cap``.

    ``names`` maps node ids to ``{"label", "name"}`` as found in the graph; ids the graph no
    longer holds are drawn with their id. The brand and the partner are marked (``root``).
    """
    doc = parse_doc(evidence)
    ids = evidence_ids(doc)
    nodes: dict[str, dict[str, Any]] = {}
    left_out = 0
    for node_id in ids:
        if len(nodes) * 2 >= cap:
            left_out += 1
            continue
        found = names.get(node_id) or {}
        el = explore_view.node_element(node_id, str(found.get("label") or "Unknown"),
                                       str(found.get("name") or node_id), root=node_id in (brand, partner))
        nodes[node_id] = el
    edges: list[dict[str, Any]] = []
    seen: set[str] = set()
    for edge in doc.get("edges") or []:
        if not (isinstance(edge, list | tuple) and len(edge) >= 3):
            continue
        src, rel, dst = (str(x) for x in edge[:3])
        if src not in nodes or dst not in nodes:
            left_out += 1
            continue
        eid = f"{src}->{rel}->{dst}"
        if eid in seen:
            continue
        if len(nodes) + len(edges) >= cap:
            left_out += 1
            continue
        seen.add(eid)
        edges.append({"data": {"id": eid, "source": src, "target": dst, "rel": rel, "links": 1, "width": 1.5}})
    return list(nodes.values()) + edges, left_out


def evidence_layout(root: str | None) -> dict[str, Any]:
    """A tidy layout for a small evidence graph: breadth-first from the brand, top to bottom."""
    out: dict[str, Any] = {"name": "breadthfirst", "directed": False, "animate": False, "spacingFactor": 1.15,
                           "padding": 20}
    if root:
        out["roots"] = f"[id = {json.dumps(root)}]"
    return out


def changes_for(run: Mapping[str, Any] | None, brand: str) -> tuple[list[str], list[str]]:
    """``(new, dropped)`` partner ids of ``brand`` in a run's ``changes`` document."""
    if not run:
        return [], []
    entry = (parse_doc(run.get("changes")).get("brands") or {}).get(brand) or {}
    if not isinstance(entry, Mapping):
        return [], []
    new = [str(x) for x in entry.get("new") or [] if x]
    dropped = [str(x) for x in entry.get("dropped") or [] if x]
    return new, dropped


# ------------------------------------------------------------------------------- shaping


def _float(v: Any) -> float | None:
    try:
        return None if v is None or v == "" else float(v)
    except (TypeError, ValueError):
        return None


def partner_kind(labels: Iterable[str] | None, partner_type: Any = None) -> str:
    labels = [str(x) for x in labels or []]
    kind = next((x for x in PARTNER_LABELS if x in labels), labels[0] if labels else "Partner")
    sub = str(partner_type or "").strip()
    return f"{kind} · {sub}" if sub and sub.lower() != kind.lower() else kind


def rec_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``RECOMMENDATIONS`` rows -> what the table shows, as text (names stay text)."""
    out = []
    for r in rows:
        score, roi = _float(r.get("score")), _float(r.get("predicted_roi"))
        labels = [str(x) for x in r.get("labels") or []]
        out.append({
            "id": str(r.get("id") or ""),
            "label": next((x for x in PARTNER_LABELS if x in labels), "Publisher"),
            "rank": int(r["rank"]) if r.get("rank") is not None else None,
            "name": str(r.get("name") or r.get("id") or ""),
            "kind": partner_kind(labels, r.get("partner_type")),
            "country": str(r.get("country") or "—"),
            "score": score,
            "score_text": "—" if score is None else f"{score:.3f}",
            "roi": roi,
            "roi_text": "—" if roi is None else f"{roi:.2f}×",
            "reasons": reasons_text(r.get("reasons")),
            "evidence": r.get("evidence") if isinstance(r.get("evidence"), str) else json.dumps(r.get("evidence") or {}),
            "verdict": str(r.get("verdict") or ""),
            "verdict_by": str(r.get("verdict_by") or ""),
            "verdict_at": str(r.get("verdict_at") or ""),
        })
    return out


def verdict_text(row: Mapping[str, Any]) -> str:
    if not row.get("verdict"):
        return "No verdict yet"
    word = "Accepted" if row["verdict"] == "accept" else "Rejected"
    by = f" by {row['verdict_by']}" if row.get("verdict_by") else ""
    at = f" on {str(row['verdict_at'])[:10]}" if row.get("verdict_at") else ""
    return f"{word}{by}{at}"


def run_summary(run: Mapping[str, Any] | None, n_recs: int | None = None) -> str:
    if not run:
        return NO_RUN
    parts = [f"Run {run.get('id')}", f"finished {str(run.get('finished_at') or '?')[:16].replace('T', ' ')}"]
    if run.get("model_version"):
        parts.append(f"model {run['model_version']}")
    if n_recs is not None:
        parts.append(f"{n_recs:,} recommended partner{'s' if n_recs != 1 else ''} for this brand")
    return " · ".join(parts)


CSV_COLUMNS = ("rank", "partner_id", "name", "type", "country", "score", "predicted_roi", "verdict", "reasons")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def shortlist_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The shortlist as CSV: every recommendation but the rejected ones, best first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        if r.get("verdict") == "reject":
            continue
        writer.writerow([_cell(x) for x in (
            r.get("rank"), r.get("id"), r.get("name"), r.get("kind"), r.get("country"),
            "" if r.get("score") is None else f"{r['score']:.4f}",
            "" if r.get("roi") is None else f"{r['roi']:.4f}",
            r.get("verdict") or "", " | ".join(r.get("reasons") or []),
        )])
    return buf.getvalue()


def history_rows(runs: Sequence[Mapping[str, Any]], brand: str, names: Mapping[str, Mapping[str, str]]
                 ) -> list[dict[str, Any]]:
    """One row per run: when, status, model, and the brand's new and dropped partners by name."""
    out = []
    for run in runs:
        new, dropped = changes_for(run, brand)
        out.append({
            "id": str(run.get("id") or ""),
            "status": str(run.get("status") or "?"),
            "when": str(run.get("finished_at") or run.get("started_at") or "")[:16].replace("T", " "),
            "model": str(run.get("model_version") or "—"),
            "new": [str((names.get(x) or {}).get("name") or x) for x in new],
            "dropped": [str((names.get(x) or {}).get("name") or x) for x in dropped],
        })
    return out


# ------------------------------------------------------------------------------- preferences

PARTNER_TYPES = prefs.PARTNER_TYPES


def _codes(values: Iterable[Any] | None) -> list[str]:
    return [str(v).strip() for v in values or [] if str(v).strip()]


def preferences_from_form(countries: Iterable[Any] | None, languages: Iterable[Any] | None, budget: Any,
                          partner_types: Iterable[Any] | None, exclusions: Iterable[Any] | None,
                          *, brand: str = "brand") -> dict[str, Any]:
    """The preferences document from the form, checked by :func:`gnn.preferences.validate`;
    :class:`InputError` says what is wrong. Empty fields mean "no constraint" and are left out;
    both partner types ticked is no constraint either."""
    raw: dict[str, Any] = {"v": prefs.VERSION}
    if c := _codes(countries):
        raw["countries"] = c
    if langs := _codes(languages):
        raw["languages"] = langs
    if budget not in (None, ""):
        value = _float(budget)
        if value is None:
            raise InputError(f"budget {str(budget)[:40]!r} is not a number", hint="leave it empty for no budget limit")
        raw["budget"] = value
    types = _codes(partner_types)
    if partner_types is not None and not types:
        raise InputError("choose at least one partner type", hint="tick publishers, influencers or both")
    if types and {t.lower() for t in types} != set(PARTNER_TYPES):
        raw["partner_types"] = types
    if ex := _codes(exclusions):
        raw["exclusions"] = ex
    return prefs.validate(raw, brand=brand).to_dict()


def preferences_summary(doc: Mapping[str, Any]) -> str:
    checked = prefs.validate({k: v for k, v in doc.items() if k in prefs.KEYS})
    if checked.is_empty():
        return "No preferences: every partner is eligible."
    text = checked.describe()
    return text[:1].upper() + text[1:] + "."


# ------------------------------------------------------------------------------- data access


def latest_run(store: GraphStore) -> dict[str, Any] | None:
    rows = store.read(q.LATEST_COMPLETE_RUN, {}).rows
    return dict(rows[0]) if rows else None


def runs(store: GraphStore, k: int = HISTORY_RUNS) -> list[dict[str, Any]]:
    return [dict(r) for r in store.read(q.DISCOVERY_RUNS, {"k": int(k)}).rows]


def brand_options(store: GraphStore, run_id: str | None) -> list[dict[str, str]]:
    """Dropdown options: brands with recommendations in the run first (with their count), then the rest."""
    brands = store.read(q.BRANDS, {"limit": MAX_BRANDS}, limit=MAX_BRANDS).rows
    counts: dict[str, int] = {}
    if run_id:
        counts = {str(r["id"]): int(r["recommendations"] or 0)
                  for r in store.read(q.BRANDS_WITH_RECOMMENDATIONS, {"run": run_id}, limit=MAX_BRANDS).rows}
    opts: list[tuple[int, str, str]] = []
    for b in brands:
        opts.append((counts.get(str(b["id"]), 0), str(b.get("name") or b["id"]), str(b["id"])))
    opts.sort(key=lambda o: (-o[0], o[1].lower()))
    return [{"label": f"{name} ({n})" if n else name, "value": bid} for n, name, bid in opts]


def recommendations(store: GraphStore, brand: str, run_id: str, k: int = TOP_K) -> list[dict[str, Any]]:
    rows = store.read(q.RECOMMENDATIONS, {"brand": brand, "run": run_id, "k": int(k)}).rows
    return rec_rows(rows)


def node_names(store: GraphStore, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{id: {"label", "name"}}`` for the ids the graph holds (label: the entity label)."""
    wanted = sorted({str(x) for x in ids if x})
    if not wanted:
        return {}
    out: dict[str, dict[str, str]] = {}
    for r in store.read(q.nodes_by_ids(), {"ids": wanted}, limit=len(wanted) * 4).rows:
        labels = [str(x) for x in r.get("labels") or []]
        label = next((x for x in labels if x != "Affiliate"), labels[0] if labels else "Unknown")
        out.setdefault(str(r["id"]), {"label": label, "name": str(r.get("name") or r["id"])})
    return out


def record_feedback(store: GraphStore, *, brand: str, partner: str, verdict: str, user: str, run_id: str,
                    note: str = "", label: str | None = None) -> dict[str, Any]:
    """Write (or replace) the brand's ``FEEDBACK`` on ``partner``; returns the edge's properties."""
    if verdict not in VERDICTS:
        raise InputError(f"unknown verdict {verdict!r}", hint="accept or reject")
    if label not in PARTNER_LABELS:
        rows = store.read(q.PARTNER_LABEL, {"brand": brand, "partner": partner}).rows
        labels = [str(x) for x in (rows[0]["labels"] if rows else [])]
        label = next((x for x in PARTNER_LABELS if x in labels), None)
        if label is None:
            raise InputError(f"{partner!r} is not a partner recommended to {brand!r}")
    props = {"verdict": verdict, "by": user, "at": now_iso(), "note": note[:2000]}
    row = {"src": brand, "dst": partner, **props}
    written = store.upsert_relationships(
        "FEEDBACK", Provenance(FEEDBACK_SOURCE, run_id).stamp([row]), src_label="Brand", dst_label=label)
    if not written:
        raise InputError(f"no brand {brand!r} or partner {partner!r} in the graph")
    log.info("feedback: %s %s %s for %s (run %s)", user, verdict, partner, brand, run_id)
    return {**props, "run_id": run_id}


def brand(store: GraphStore, brand_id: str) -> dict[str, Any] | None:
    rows = store.read(q.BRAND, {"brand": brand_id}).rows
    return dict(rows[0]) if rows else None


def load_preferences(store: GraphStore, brand_id: str) -> tuple[dict[str, Any], str | None]:
    """The brand's preferences as a document, and what is wrong with the stored ones (or ``None``).

    Stored preferences the discovery job cannot read are shown as none, with the reason, so the
    manager can replace them."""
    try:
        return prefs.read_preferences(store, brand_id).to_dict(), None
    except InputError as exc:
        log.warning("preferences of %s not readable: %s", brand_id, exc)
        return {"v": prefs.VERSION}, str(exc)


def save_preferences(store: GraphStore, brand_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and store through :func:`gnn.preferences.write_preferences`; returns what was stored."""
    return prefs.write_preferences(store, brand_id, dict(doc)).to_dict()


def facet_values(store: GraphStore) -> tuple[list[str], list[str]]:
    """Country and language codes partners have, for the preferences form."""
    countries = sorted({str(r["value"]).upper() for r in store.read(q.PARTNER_COUNTRIES, {}, limit=5000).rows if r["value"]})
    languages = sorted({str(r["value"]).lower() for r in store.read(q.PARTNER_LANGUAGES, {}, limit=5000).rows if r["value"]})
    return countries, languages
