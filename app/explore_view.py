"""Pure helpers of the explore page: search ranking, graph rows -> Cytoscape elements, styles.

No Dash, no Flask, no store: callbacks fetch rows through saved queries (``explore_node``,
``explore_expand``, ``find_by_name``, full-text search) and hand them here. Names are carried as
Cytoscape data and drawn on a canvas, or shown by Dash components as text, so markup in a name
is never interpreted.

Big neighbourhoods are aggregated on the server: ``explore_expand`` returns, per relationship
type, direction and neighbour label, the group size and its top-k members; every group with
more members than shown becomes one "+ n more" node. :data:`MAX_ELEMENTS` bounds what the page
ever holds, so the browser keeps a few hundred elements at most.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.errors import PartnerGraphError

#: Members drawn per (relationship, direction, label) group before "+ n more".
TOP_K = 8
#: Members added each time a "+ n more" node is clicked.
MORE_STEP = 16
#: The most elements (nodes + edges) the page holds; expansions beyond it are refused, said plainly.
MAX_ELEMENTS = 400
#: Search: the most results listed.
SEARCH_LIMIT = 12
#: Search: shortest text searched.
MIN_SEARCH = 2
#: Search: longest text accepted (longer text is cut, not sent).
MAX_SEARCH = 200

#: Labels searched (partners and brands).
SEARCH_LABELS = ("Publisher", "Influencer", "Brand")
#: Partner and brand labels: their nodes open a profile.
PROFILE_LABELS = frozenset(SEARCH_LABELS)

#: Colour per entity type; anything else is grey.
TYPE_COLOURS: dict[str, str] = {
    "Publisher": "#2563eb",
    "Influencer": "#7c3aed",
    "Brand": "#db2777",
    "Campaign": "#ea580c",
    "Contract": "#b45309",
    "Article": "#0891b2",
    "Topic": "#0d9488",
    "Audience": "#16a34a",
    "ProductCategory": "#65a30d",
    "SocialAccount": "#9333ea",
    "Platform": "#6d28d9",
    "SellerAccount": "#475569",
    "AdSystem": "#334155",
    "Device": "#dc2626",
    "IPNetwork": "#b91c1c",
    "PaymentAccount": "#991b1b",
    "Ring": "#e11d48",
    "Alert": "#f59e0b",
    "Affiliate": "#2563eb",
    "Identifier": "#b91c1c",
}
OTHER_COLOUR = "#9ca3af"

#: Entity types offered by the type filter, in this order.
FILTER_TYPES = (
    "Publisher", "Influencer", "Brand", "Campaign", "Contract", "Article", "Topic", "Audience",
    "ProductCategory", "SocialAccount", "SellerAccount", "AdSystem", "Platform", "Device",
    "IPNetwork", "PaymentAccount",
)
#: Types shown before the user changes the filter: identifiers are hidden (they are many).
DEFAULT_TYPES = tuple(t for t in FILTER_TYPES if t not in ("Device", "IPNetwork", "PaymentAccount"))

SIZE_MODES = {"weight": "Audience / followers", "degree": "Connections", "none": "Same size"}

ROOT_CLASS = "root"
MORE_CLASS = "more"
EXPANDED_CLASS = "expanded"


# ---------------------------------------------------------------------------------- search


def clean_search(text: str | None) -> str:
    """The search text as sent: stripped, inner whitespace collapsed, cut at :data:`MAX_SEARCH`."""
    return " ".join((text or "").split())[:MAX_SEARCH]


def fuzzy_probes(text: str) -> list[str]:
    """Substrings to look names up by, so a typo still finds candidates.

    The whole text first, then the first and last three letters of each word of four letters
    or more ("Kiker" -> "kik", "ker"): a name sharing either is a candidate, ranked afterwards.
    """
    text = clean_search(text).lower()
    probes = [text] if text else []
    for word in text.split():
        if len(word) >= 4:
            for part in (word[:3], word[-3:]):
                if part not in probes:
                    probes.append(part)
    return probes


def similarity(text: str, name: str) -> float:
    """How well ``name`` matches the search ``text``, in [0, 1] (1: same, case-insensitively)."""
    a, b = text.lower().strip(), (name or "").lower().strip()
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if a in b:
        return 0.9 - 0.2 * (1 - len(a) / len(b))
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    best_word = max((difflib.SequenceMatcher(None, a, w).ratio() for w in b.split()), default=0.0)
    return max(ratio, best_word * 0.85)


#: Words of a search text as the full-text indexes see them (letters and digits, any script).
_WORD = re.compile(r"[^\W_]+")
#: At most this many words go into a full-text query.
MAX_TERMS = 6


def search_terms(text: str) -> list[str]:
    """The words of ``text`` a full-text query is built from: lowercased, 2+ characters."""
    words = [w for w in _WORD.findall(clean_search(text).lower()) if len(w) >= 2]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def fulltext_query(text: str, backend: str) -> str:
    """A prefix-and-fuzzy full-text query for ``text`` (empty when it has no usable word).

    Every word must match (AND), each as a prefix (``lemon`` finds "Le Monde", "lemonde.fr") or,
    from 4 letters, within one edit (two from 8 letters), so "kiker" finds "Kicker". The words
    hold only letters and digits, so no query syntax from the user gets through. FalkorDB takes
    RediSearch syntax (``(word*|%word%)``), Neo4j Lucene (``(word* OR word~1)``).
    """
    groups = []
    for w in search_terms(text):
        edits = 2 if len(w) >= 8 else 1 if len(w) >= 4 else 0
        if backend == "neo4j":
            groups.append(f"({w}* OR {w}~{edits})" if edits else f"{w}*")
        else:
            groups.append(f"({w}*|{'%' * edits}{w}{'%' * edits})" if edits else f"{w}*")
    return (" AND " if backend == "neo4j" else " ").join(groups)


@dataclass(frozen=True)
class Match:
    id: str
    label: str
    name: str
    score: float
    how: str  # "id" | "name" | "full text" | "fuzzy"


def rank_matches(
    text: str,
    name_rows: Iterable[Mapping[str, Any]],
    fulltext_rows: Iterable[tuple[str, Mapping[str, Any], float]] = (),
    *,
    exact_rows: Iterable[Mapping[str, Any]] = (),
    limit: int = SEARCH_LIMIT,
    min_score: float = 0.45,
) -> list[Match]:
    """Merge id, name and full-text hits into one ranked list, best first, one entry per id.

    ``exact_rows`` are nodes whose id is the text (listed first); ``name_rows`` are
    ``find_by_name`` rows (``id``, ``label``, ``name``; from the exact text or a fuzzy probe);
    ``fulltext_rows`` are ``(label, properties, score)`` from the full-text index, which also
    matches descriptions and domains and is kept whatever its name similarity.
    """
    text = clean_search(text)
    best: dict[str, Match] = {}

    def keep(m: Match) -> None:
        if m.id and (m.id not in best or best[m.id].how != "id" and m.score > best[m.id].score):
            best[m.id] = m

    for row in exact_rows:
        keep(Match(str(row.get("id") or ""), str(row.get("label") or ""),
                   str(row.get("name") or row.get("id") or ""), 1.0, "id"))

    for row in name_rows:
        name = str(row.get("name") or row.get("id") or "")
        score = similarity(text, name)
        if score >= min_score:
            how = "name" if text.lower() in name.lower() else "fuzzy"
            keep(Match(str(row.get("id") or ""), str(row.get("label") or ""), name, score, how))
    for label, props, _ft in fulltext_rows:
        name = str(props.get("name") or props.get("id") or "")
        score = max(similarity(text, name), 0.5)
        keep(Match(str(props.get("id") or ""), label, name, score, "full text"))
    return sorted(best.values(), key=lambda m: (m.how != "id", -m.score, m.name.lower(), m.id))[:limit]


# ---------------------------------------------------------------------------------- elements


def colour(label: str) -> str:
    return TYPE_COLOURS.get(label, OTHER_COLOUR)


def node_size(weight: float | int | None, mode: str = "weight", degree: int = 0) -> float:
    """Node diameter in pixels: log-scaled audience/followers, or connections, within [18, 60]."""
    if mode == "none":
        return 28.0
    value = degree if mode == "degree" else float(weight or 0)
    if value <= 0:
        return 20.0
    return round(min(60.0, 18.0 + 6.0 * math.log10(1.0 + value)), 1)


def short(name: str, width: int = 28) -> str:
    """A name cut to ``width`` characters for a node caption (the full name is in the details)."""
    name = " ".join(str(name).split())
    return name if len(name) <= width else name[: width - 1] + "…"


def node_element(
    node_id: str, label: str, name: str, weight: float | int | None = 0, *, root: bool = False
) -> dict[str, Any]:
    """One Cytoscape node. ``data.caption`` is what the canvas draws; ``data.name`` the full name."""
    classes = [label]
    if root:
        classes.append(ROOT_CLASS)
    return {
        "data": {
            "id": str(node_id),
            "type": label,
            "name": str(name),
            "caption": short(name),
            "weight": float(weight or 0),
            "size": node_size(weight),
            "colour": colour(label),
        },
        "classes": " ".join(classes),
    }


def more_id(center: str, rel: str, label: str, outgoing: bool) -> str:
    return f"more::{center}::{rel}::{label}::{'out' if outgoing else 'in'}"


def _edge(src: str, dst: str, rel: str, links: int = 1) -> dict[str, Any]:
    return {
        "data": {
            "id": f"{src}->{rel}->{dst}",
            "source": src,
            "target": dst,
            "rel": rel,
            "links": int(links),
            "width": round(min(8.0, 1.5 + math.log2(max(1, int(links)))), 1),
        }
    }


def expansion_elements(
    center: str, groups: Iterable[Mapping[str, Any]], *, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """``explore_expand`` rows around ``center`` -> member nodes, edges and "+ n more" nodes.

    Each row is a group (``rel``, ``outgoing``, ``label``, ``total``, ``top``); members become nodes
    linked to ``center`` in the direction of the relationship (several parallel edges of a type
    become one edge whose width grows with their number); a group with more members than
    ``top`` holds gets one "+ n more" node carrying what a click needs to fetch the next ones.
    With ``include_resolved`` a fully shown group still gets its node, with ``hidden`` 0, so that
    :func:`merge` removes the "+ n more" node a click has just opened completely.
    """
    out: list[dict[str, Any]] = []
    for g in groups:
        rel, label = str(g.get("rel") or ""), str(g.get("label") or "")
        outgoing = bool(g.get("outgoing"))
        top = list(g.get("top") or [])
        total = int(g.get("total") or 0)
        for m in top:
            mid = str(m.get("id") or "")
            if not mid:
                continue
            out.append(node_element(mid, label, str(m.get("name") or mid), m.get("weight")))
            src, dst = (center, mid) if outgoing else (mid, center)
            out.append(_edge(src, dst, rel, int(m.get("links") or 1)))
        hidden = total - len(top)
        if hidden > 0 or include_resolved:
            mid = more_id(center, rel, label, outgoing)
            out.append({
                "data": {
                    "id": mid,
                    "type": "more",
                    "name": f"{hidden:,} more {label} via {rel}",
                    "caption": f"+ {hidden:,} more",
                    "size": 22.0,
                    "weight": 0.0,
                    "colour": colour(label),
                    "center": center,
                    "rel": rel,
                    "label": label,
                    "outgoing": outgoing,
                    "shown": len(top),
                    "hidden": hidden,
                },
                "classes": f"{MORE_CLASS} {label}",
            })
            src, dst = (center, mid) if outgoing else (mid, center)
            out.append(_edge(src, dst, rel))
    return out


def is_node(el: Mapping[str, Any]) -> bool:
    return "source" not in el.get("data", {})


def merge(
    current: Sequence[Mapping[str, Any]],
    new: Iterable[Mapping[str, Any]],
    *,
    max_elements: int = MAX_ELEMENTS,
    expanded: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Add ``new`` elements to ``current`` (by id), replacing "+ n more" nodes of the same group.

    ``expanded`` marks that node as expanded. Stops adding once ``max_elements`` are held and
    returns ``(elements, dropped)``: how many new elements did not fit (a node that does not fit
    takes its edges with it).
    """
    out = [dict(el) for el in current]
    index = {el["data"]["id"]: i for i, el in enumerate(out)}
    dropped = 0
    for el in new:
        eid = el["data"]["id"]
        if eid in index:
            if el.get("classes", "").startswith(MORE_CLASS):
                out[index[eid]] = dict(el)
            continue
        if not is_node(el) and (el["data"]["source"] not in index or el["data"]["target"] not in index):
            dropped += 1
            continue
        if len(out) >= max_elements:
            dropped += 1
            continue
        index[eid] = len(out)
        out.append(dict(el))
    if expanded is not None and expanded in index:
        el = out[index[expanded]]
        classes = el.get("classes", "").split()
        if EXPANDED_CLASS not in classes:
            out[index[expanded]] = {**el, "classes": " ".join(classes + [EXPANDED_CLASS])}
    return _drop_resolved_more(out), dropped


def _drop_resolved_more(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Remove "+ n more" nodes whose group is now fully shown (``hidden`` <= 0) and their edges."""
    gone = {el["data"]["id"] for el in elements
            if el.get("classes", "").startswith(MORE_CLASS) and int(el["data"].get("hidden", 1)) <= 0}
    if not gone:
        return elements
    return [el for el in elements if el["data"]["id"] not in gone
            and el["data"].get("source") not in gone and el["data"].get("target") not in gone]


#: Labels the filters read facts for (see :func:`annotate`).
FACT_LABELS = ("Publisher", "Influencer", "Brand", "Campaign", "Contract", "Article")
PARTNER_TYPES = ("Publisher", "Influencer")
COLOUR_MODES = {"type": "Type", "risk": "Risk (affiliates)"}


@dataclass(frozen=True)
class Filters:
    """What the explore filters keep, besides entity types. Empty means no constraint.

    - ``topics``: partners covering one of these topics or a sub-topic, with a ``COVERS`` score of
      at least ``min_score``;
    - ``countries``: partners and brands in these countries;
    - ``since`` / ``until`` (``YYYY-MM-DD``): campaigns, contracts and articles dated in the range,
      partners with campaign months in it.

    Nodes a filter does not apply to (topics, identifiers, ...) are kept; a node whose facts are
    not known yet is kept too.
    """

    topics: frozenset[str] = frozenset()
    min_score: float = 0.0
    countries: frozenset[str] = frozenset()
    since: str = ""
    until: str = ""

    def any(self) -> bool:
        return bool(self.topics or self.countries or self.since or self.until)


def facts_to_data(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Query facts -> the element data the filters read (topics as ``{id: best score}``)."""
    out: dict[str, Any] = {"facts": True}
    if "country" in facts:
        out["country"] = str(facts.get("country") or "").upper()
    if facts.get("risk") is not None:
        with contextlib.suppress(TypeError, ValueError):
            out["risk"] = float(facts["risk"])
    if "topics" in facts:
        best: dict[str, float] = {}
        for t in facts.get("topics") or []:
            if isinstance(t, Mapping) and t.get("topic"):
                score = float(t.get("score") or 0.0)
                best[str(t["topic"])] = max(score, best.get(str(t["topic"]), 0.0))
        out["topics"] = best
    for key in ("active_from", "active_to"):
        if facts.get(key):
            out[key] = str(facts[key])
    return out


def annotate(elements: Sequence[Mapping[str, Any]], facts: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Elements with the facts the filters read merged into their data."""
    out = []
    for el in elements:
        found = facts.get(el["data"]["id"]) if is_node(el) else None
        out.append({**el, "data": {**el["data"], **facts_to_data(found)}} if found is not None else dict(el))
    return out


def needs_facts(elements: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Ids, by label, of nodes whose filter facts are not loaded yet."""
    out: dict[str, list[str]] = {}
    for el in elements:
        d = el["data"]
        if is_node(el) and d.get("type") in FACT_LABELS and not d.get("facts"):
            out.setdefault(str(d["type"]), []).append(str(d["id"]))
    return out


def passes(data: Mapping[str, Any], f: Filters) -> bool:
    """Whether a node (its element data) stays under the filters."""
    if not f.any() or not data.get("facts"):
        return True
    kind = data.get("type")
    if f.topics and kind in PARTNER_TYPES:
        topics = data.get("topics") or {}
        if not any(float(topics.get(t, -1.0)) >= f.min_score for t in f.topics):
            return False
    if f.countries and kind in (*PARTNER_TYPES, "Brand") and str(data.get("country") or "") not in f.countries:
        return False
    if (f.since or f.until) and kind in (*PARTNER_TYPES, "Campaign", "Contract", "Article"):
        start, end = str(data.get("active_from") or ""), str(data.get("active_to") or "")
        if not start and not end:
            return False  # no dated activity at all: not active in the range
        width = 7  # compare at month precision: partners' activity is monthly
        if f.until and start and start[:width] > f.until[:width]:
            return False
        if f.since and end and end[:width] < f.since[:width]:
            return False
    return True


def risk_colour(risk: float) -> str:
    """Green (0) to amber to red (1)."""
    r = max(0.0, min(1.0, float(risk)))
    if r < 0.5:
        a, b, t = (22, 163, 74), (245, 158, 11), r / 0.5
    else:
        a, b, t = (245, 158, 11), (220, 38, 38), (r - 0.5) / 0.5
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def visible(
    elements: Sequence[Mapping[str, Any]], types: Iterable[str] | None, size_mode: str = "weight",
    filters: Filters | None = None, colour_mode: str = "type",
) -> list[dict[str, Any]]:
    """What the graph shows: nodes of the selected ``types`` that pass ``filters`` (the root
    always), edges between shown nodes, node sizes by ``size_mode`` ("weight", "degree", "none")
    and colours by ``colour_mode`` ("type", or "risk" for nodes that carry one)."""
    allowed = set(types or ())
    f = filters or Filters()
    keep_ids = set()
    for el in elements:
        if not is_node(el):
            continue
        d = el["data"]
        kind = d.get("label") if d.get("type") == "more" else d.get("type")
        if ROOT_CLASS in el.get("classes", "").split() or (kind in allowed and passes(d, f)):
            keep_ids.add(d["id"])
    degree: dict[str, int] = {}
    edges = []
    for el in elements:
        d = el["data"]
        if not is_node(el) and d["source"] in keep_ids and d["target"] in keep_ids:
            edges.append(dict(el))
            for end in (d["source"], d["target"]):
                degree[end] = degree.get(end, 0) + 1
    nodes = []
    for el in elements:
        d = el["data"]
        if is_node(el) and d["id"] in keep_ids:
            if d.get("type") == "more":
                nodes.append(dict(el))
                continue
            size = node_size(d.get("weight"), size_mode, degree.get(d["id"], 0))
            shown = {**d, "size": size}
            if colour_mode == "risk" and d.get("risk") is not None:
                shown["colour"] = risk_colour(float(d["risk"]))
            nodes.append({**el, "data": shown})
    return nodes + edges


def filtered_out(elements: Sequence[Mapping[str, Any]], types: Iterable[str] | None, filters: Filters) -> int:
    """How many loaded nodes of the shown types the filters hide."""
    allowed = set(types or ())
    return sum(1 for el in elements if is_node(el) and el["data"].get("type") in allowed
               and ROOT_CLASS not in el.get("classes", "").split() and not passes(el["data"], filters))


def node_count(elements: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """``(nodes, edges)`` among ``elements``."""
    nodes = sum(1 for el in elements if is_node(el))
    return nodes, len(elements) - nodes


def status_text(elements: Sequence[Mapping[str, Any]], shown: Sequence[Mapping[str, Any]], dropped: int = 0,
                hidden_by_filters: int = 0) -> str:
    """One line under the graph: what is loaded and shown, and whether the cap was reached."""
    n, e = node_count(elements)
    sn, se = node_count(shown)
    more = sum(int(el["data"].get("hidden", 0)) for el in elements if el["data"].get("type") == "more")
    parts = [f"Showing {sn:,} of {n:,} nodes and {se:,} of {e:,} links"]
    if hidden_by_filters:
        parts.append(f"{hidden_by_filters:,} hidden by the filters")
    if more:
        parts.append(f"{more:,} more neighbours are folded into '+ more' nodes (click one to open it)")
    if dropped:
        parts.append(
            f"{dropped:,} elements were not added: the view holds at most {MAX_ELEMENTS} elements; "
            "reset, or hide types with the filter"
        )
    return "; ".join(parts) + "."


def expand_request(node: Mapping[str, Any], expanded: Iterable[str], types: Sequence[str]) -> dict[str, Any] | None:
    """What clicking ``node`` (its Cytoscape data) should fetch, or ``None`` for nothing.

    A member node is expanded once: ``{"id", "labels", "k"}`` for ``explore_expand``. A "+ n more"
    node fetches its group again with room for :data:`MORE_STEP` more members.
    """
    if not node or not node.get("id"):
        return None
    if node.get("type") == "more":
        return {
            "id": str(node["center"]),
            "labels": [str(node["label"])],
            "k": int(node.get("shown", 0)) + MORE_STEP,
            "only": (str(node["rel"]), bool(node.get("outgoing"))),
        }
    if node["id"] in set(expanded):
        return None
    return {"id": str(node["id"]), "labels": list(types), "k": TOP_K, "only": None}


def only_group(groups: Iterable[Mapping[str, Any]], only: tuple[str, bool] | None) -> list[Mapping[str, Any]]:
    """Keep the group a "+ n more" click asked for (all groups when ``only`` is ``None``)."""
    rows = list(groups)
    if only is None:
        return rows
    rel, outgoing = only
    return [g for g in rows if g.get("rel") == rel and bool(g.get("outgoing")) == outgoing]


def expanded_ids(elements: Sequence[Mapping[str, Any]]) -> list[str]:
    return [el["data"]["id"] for el in elements if EXPANDED_CLASS in el.get("classes", "").split()]


def details(node: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Label/value pairs describing a clicked node, as text."""
    if not node:
        return []
    if node.get("type") == "more":
        return [
            ("Group", str(node.get("name", ""))),
            ("Action", f"Click the node to show up to {MORE_STEP} more."),
        ]
    out = [("Name", str(node.get("name", ""))), ("Type", str(node.get("type", ""))), ("Id", str(node.get("id", "")))]
    if node.get("weight"):
        out.append(("Audience / followers", f"{int(float(node['weight'])):,}"))
    return out


def can_profile(node: Mapping[str, Any] | None) -> bool:
    return node is not None and str(node.get("type")) in PROFILE_LABELS


# ---------------------------------------------------------------------------------- styles


def stylesheet() -> list[dict[str, Any]]:
    """The Cytoscape stylesheet: colour by type, size and caption from data, edge width by links."""
    return [
        {
            "selector": "node",
            "style": {
                "background-color": "data(colour)",
                "width": "data(size)",
                "height": "data(size)",
                "label": "data(caption)",
                "font-size": 10,
                "color": "#1f2937",
                "text-valign": "bottom",
                "text-margin-y": 4,
                "text-wrap": "ellipsis",
                "text-max-width": 140,
                "border-width": 1,
                "border-color": "#ffffff",
            },
        },
        {"selector": f".{ROOT_CLASS}", "style": {"border-width": 4, "border-color": "#111827", "font-weight": "bold"}},
        {"selector": f".{EXPANDED_CLASS}", "style": {"border-width": 3, "border-color": "#374151"}},
        {
            "selector": f".{MORE_CLASS}",
            "style": {
                "shape": "round-rectangle",
                "background-opacity": 0.25,
                "border-style": "dashed",
                "border-width": 2,
                "border-color": "data(colour)",
                "width": 70,
                "height": 22,
                "text-valign": "center",
                "text-margin-y": 0,
                "font-size": 9,
            },
        },
        {
            "selector": "edge",
            "style": {
                "width": "data(width)",
                "line-color": "#cbd5e1",
                "target-arrow-color": "#cbd5e1",
                "target-arrow-shape": "triangle",
                "arrow-scale": 0.8,
                "curve-style": "bezier",
                "label": "data(rel)",
                "font-size": 7,
                "color": "#6b7280",
                "text-rotation": "autorotate",
            },
        },
        {"selector": ":selected", "style": {"border-width": 4, "border-color": "#f59e0b"}},
    ]


def legend(types: Iterable[str]) -> list[tuple[str, str]]:
    """``(type, colour)`` pairs for the legend, in filter order."""
    wanted = set(types)
    return [(t, colour(t)) for t in FILTER_TYPES if t in wanted]


LAYOUT = {"name": "cose", "animate": False, "nodeRepulsion": 9000, "idealEdgeLength": 80, "randomize": False}


def search_with(
    find_by_name: Callable[[str], Iterable[Mapping[str, Any]]],
    fulltext: Callable[[str, str], Iterable[tuple[Mapping[str, Any], float]]],
    text: str,
    *,
    exact: Callable[[str], Iterable[Mapping[str, Any]]] | None = None,
    labels: Sequence[str] = SEARCH_LABELS,
    limit: int = SEARCH_LIMIT,
) -> list[Match]:
    """Search partners and brands: a node whose id is ``text``, then the full-text index of each
    of ``labels`` (prefix and fuzzy, see :func:`fulltext_query`), merged by :func:`rank_matches`.

    Only when those find nothing (or a label has no full-text index yet) are names scanned for
    the text and its fuzzy probes (``find_by_name(probe)``, a label scan each), so a substring
    inside a word ("cker" in "Kicker") is still found. ``fulltext(label, text)`` returns
    ``(properties, score)`` pairs and may raise :class:`~graph.errors.PartnerGraphError`.
    """
    text = clean_search(text)
    if len(text) < MIN_SEARCH:
        return []
    exact_rows = list(exact(text)) if exact is not None else []
    hits: list[tuple[str, Mapping[str, Any], float]] = []
    missing_index = False
    for label in labels:
        try:
            hits += [(label, props, score) for props, score in fulltext(label, text)]
        except PartnerGraphError:
            missing_index = True
    name_rows: list[Mapping[str, Any]] = []
    if missing_index or not (hits or exact_rows):
        for probe in fuzzy_probes(text):
            name_rows += list(find_by_name(probe))
    return rank_matches(text, name_rows, hits, exact_rows=exact_rows, limit=limit)
