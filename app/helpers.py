"""Pure functions the app's callbacks call: no Dash, no Flask, no store.

They take plain values (``store.counts()``, an exception, a few facts) and return plain values
or a plotly figure, so they are tested without a browser or a database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from graph.errors import (
    AuthError,
    ConfigError,
    PartnerGraphError,
    QueryTimeout,
    SchemaVersionError,
    StoreLocked,
    StoreUnavailable,
)
from graph.schema import NODES, RELS

#: Bookkeeping labels that are not part of the domain graph and are not shown as data.
INTERNAL_LABELS = frozenset({"SchemaInfo"})

#: Role labels carried by nodes that already have an entity label; not added to node totals.
ROLE_LABELS = frozenset({"Affiliate"})

NODE_COLOUR = "#2563eb"
REL_COLOUR = "#0d9488"


@dataclass(frozen=True)
class SplitCounts:
    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def total_nodes(self) -> int:
        """Distinct nodes, assuming one entity label each (role labels are not added)."""
        return sum(v for k, v in self.nodes.items() if k not in ROLE_LABELS)

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())


def split_counts(counts: Mapping[str, int]) -> SplitCounts:
    """Split ``store.counts()`` into node labels and relationship types.

    Accepts the ``":Label"`` / ``"[:TYPE]"`` keys of :meth:`GraphExport.counts` as well as bare
    names, which are told apart by the schema (unknown bare names in upper case are types).
    Internal labels are dropped; values are coerced to ``int``.
    """
    nodes: dict[str, int] = {}
    rels: dict[str, int] = {}
    for raw_key, raw_value in counts.items():
        key = str(raw_key).strip()
        value = int(raw_value or 0)
        if key.startswith("[:") and key.endswith("]"):
            rels[key[2:-1]] = rels.get(key[2:-1], 0) + value
            continue
        if key.startswith("()-[:") and key.endswith("]->()"):
            name = key[5:-5]
            rels[name] = rels.get(name, 0) + value
            continue
        name = key[1:] if key.startswith(":") else key.strip("()").lstrip(":")
        if not key.startswith(":") and (name in RELS or (name not in NODES and name.isupper())):
            rels[name] = rels.get(name, 0) + value
        elif name not in INTERNAL_LABELS:
            nodes[name] = nodes.get(name, 0) + value
    return SplitCounts(nodes=nodes, relationships=rels)


def _ordered(items: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(((k, v) for k, v in items.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))


def counts_table(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Rows for the overview table: node labels first, then relationship types.

    Each row is ``{"kind": "node" | "relationship", "name", "count"}``, largest first; empty
    labels and types are left out (the totals say how many exist).
    """
    split = split_counts(counts)
    rows = [{"kind": "node", "name": k, "count": v} for k, v in _ordered(split.nodes)]
    rows += [{"kind": "relationship", "name": k, "count": v} for k, v in _ordered(split.relationships)]
    return rows


def format_count(n: int) -> str:
    """``1234567`` -> ``"1,234,567"``."""
    return f"{n:,}"


def counts_figure(counts: Mapping[str, int]) -> go.Figure:
    """Horizontal bar charts of nodes per label and relationships per type, side by side."""
    split = split_counts(counts)
    nodes = _ordered(split.nodes)
    rels = _ordered(split.relationships)
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Nodes per label", "Relationships per type"),
        horizontal_spacing=0.22,
    )
    for col, (items, colour, name) in enumerate(((nodes, NODE_COLOUR, "nodes"),
                                                 (rels, REL_COLOUR, "relationships")), start=1):
        fig.add_trace(
            go.Bar(x=[v for _, v in items], y=[k for k, _ in items], orientation="h", marker_color=colour,
                   name=name, hovertemplate="%{y}: %{x:,}<extra></extra>"),
            row=1,
            col=col,
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(rangemode="tozero", gridcolor="#e5e7eb", tickformat=",d")
    for col, items in ((1, nodes), (2, rels)):
        if items and max(v for _, v in items) <= 10:
            fig.update_xaxes(dtick=1, row=1, col=col)  # small counts: whole numbers only
    bars = max(len(nodes), len(rels), 1)
    fig.update_layout(
        height=max(260, 60 + 26 * bars),
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 40, "b": 20},
        plot_bgcolor="white",
        paper_bgcolor="white",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        bargap=0.25,
    )
    if not nodes and not rels:
        fig.add_annotation(
            text="The graph is empty", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5
        )
    return fig


# ----------------------------------------------------------------------------------- stages

#: The pipeline stages, in order, with the module that ships each one.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("import", "Import", "graph.ingest"),
    ("crawl", "Crawl", "crawlers.spiders"),
    ("embed", "Embed", "embeddings.encoder"),
    ("discover", "Train / discover", "gnn.discover"),
    ("fraud", "Fraud", "gnn.fraud"),
)

#: Stage states, as shown to users.
HAS_DATA, NO_RUNS, NOT_BUILT, UNKNOWN = "has data", "no runs yet", "not built yet", "unknown"


def _plural(n: int, word: str) -> str:
    return f"{format_count(n)} {word}{'' if n == 1 else 's'}"


def _join(parts: list[str]) -> str:
    return ", ".join(parts)


def stage_status(
    counts: Mapping[str, int],
    facts: Mapping[str, int | None] | None = None,
    available: Mapping[str, bool] | None = None,
) -> list[dict[str, str]]:
    """What each stage has put into the graph, said plainly.

    ``counts`` is ``store.counts()``. ``facts`` holds what counts cannot say:
    ``embedded_nodes`` (nodes carrying a vector; ``None`` when unknown). ``available`` maps a
    stage key to whether this installation ships that stage (missing keys count as shipped); a
    stage that is not shipped and has no data is "not built yet", but data in the graph is
    always reported, whoever wrote it.

    Returns one row per stage: ``{"key", "stage", "state", "summary"}``, where ``state`` is one of
    ``"has data"``, ``"no runs yet"``, ``"not built yet"`` or ``"unknown"``.
    """
    split = split_counts(counts)
    n = split.nodes
    r = split.relationships
    facts = facts or {}
    available = available or {}
    out: list[dict[str, str]] = []
    for key, title, _module in STAGES:
        state, summary = _stage(key, n, r, facts)
        if state != HAS_DATA and available.get(key, True) is False:
            state, summary = NOT_BUILT, "This installation does not ship this stage yet."
        out.append({"key": key, "stage": title, "state": state, "summary": summary})
    return out


def _stage(
    key: str, n: Mapping[str, int], r: Mapping[str, int], facts: Mapping[str, int | None]
) -> tuple[str, str]:
    if key == "import":
        runs = n.get("ImportRun", 0)
        if runs:
            return HAS_DATA, f"{_plural(runs, 'import run')} recorded."
        partners = sum(n.get(x, 0) for x in ("Publisher", "Influencer", "Brand"))
        if partners:
            return NO_RUNS, (
                f"No import runs yet; the graph holds {_plural(partners, 'partner or brand node')} "
                "loaded another way."
            )
        return NO_RUNS, "No import runs yet."
    if key == "crawl":
        runs = n.get("CrawlRun", 0)
        if runs:
            extra = [_plural(n.get("Article", 0), "article")] if n.get("Article") else []
            return HAS_DATA, _join([_plural(runs, "crawl run")] + extra) + "."
        return NO_RUNS, "No crawl runs yet."
    if key == "embed":
        embedded = facts.get("embedded_nodes")
        if embedded is None:
            return UNKNOWN, "Could not tell whether any node carries a vector."
        if embedded:
            return HAS_DATA, f"{_plural(embedded, 'node')} carry a vector."
        return NO_RUNS, "No vectors yet."
    if key == "discover":
        runs = n.get("DiscoveryRun", 0)
        models = n.get("Model", 0)
        recs = r.get("RECOMMENDED", 0)
        if runs or models or recs:
            parts = [_plural(runs, "discovery run"), _plural(models, "model")]
            parts.append(_plural(recs, "recommendation"))
            return HAS_DATA, _join(parts) + "."
        return NO_RUNS, "No models trained and no discovery runs yet."
    if key == "fraud":
        rings = n.get("Ring", 0)
        alerts = n.get("Alert", 0)
        if rings or alerts:
            return HAS_DATA, _join([_plural(rings, "ring"), _plural(alerts, "alert")]) + "."
        return NO_RUNS, "No fraud runs yet: no rings or alerts."
    raise ValueError(f"unknown stage {key!r}")


# ----------------------------------------------------------------------------------- errors

_PREFIX: tuple[tuple[type[BaseException], str], ...] = (
    (AuthError, "The graph store refused the credentials"),
    (StoreLocked, "The embedded graph is locked or damaged"),
    (StoreUnavailable, "The graph store is unavailable"),
    (SchemaVersionError, "The graph was written by a newer PartnerGraph"),
    (QueryTimeout, "A query took too long"),
    (ConfigError, "A setting needs attention"),
)


def banner_for(exc: BaseException) -> str:
    """The one-line message the app's error banner shows for ``exc``.

    Expected errors (:class:`PartnerGraphError`) say what happened and what to fix; anything
    else is a bug, so its details stay in the server log and the banner says only that.
    """
    if isinstance(exc, PartnerGraphError):
        text = str(exc).strip() or type(exc).__name__
        for kind, prefix in _PREFIX:
            if isinstance(exc, kind):
                return f"{prefix}: {text}"
        return text
    return f"Something went wrong on the server ({type(exc).__name__}). The details are in the server log."


def json_doc(text: Any) -> dict[str, Any]:
    """A JSON object stored as text in the graph (evidence, metrics) as a dict; ``{}`` for
    nothing, bad JSON or anything that is not an object."""
    if isinstance(text, Mapping):
        return dict(text)
    try:
        doc = json.loads(text) if isinstance(text, str) and text.strip() else {}
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
