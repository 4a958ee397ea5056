"""The IAB Tech Lab taxonomies shipped as package data (CC BY 3.0, IAB Tech Lab).

``load_taxonomy("content" | "audience" | "adproduct")`` parses a TSV into
:class:`TaxonomyNode` records with namespaced ids (``iab-content-3.1:150``), because the three
files reuse numbers. :func:`taxonomy_rows` turns them into node and ``CHILD_OF`` rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from graph.errors import InputError


@dataclass(frozen=True)
class TaxonomySpec:
    name: str
    file: str
    namespace: str
    label: str
    header_row: int  # index of the header line
    offset: int  # leading empty columns
    tier_start: int  # first tier column (after offset)


SPECS = {
    "content": TaxonomySpec("content", "Content_Taxonomy_3.1.tsv", "iab-content-3.1", "Topic", 1, 0, 3),
    "audience": TaxonomySpec("audience", "Audience_Taxonomy_1.1.tsv", "iab-audience-1.1", "Audience", 0, 1, 3),
    "adproduct": TaxonomySpec("adproduct", "Ad_Product_Taxonomy_2.0.tsv", "iab-adproduct-2.0",
                              "ProductCategory", 0, 0, 3),
}


@dataclass(frozen=True)
class TaxonomyNode:
    id: str
    code: str
    name: str
    parent_id: str | None
    tier: int
    path: str  # "Tier 1 > Tier 2 > Tier 3"
    label: str
    taxonomy: str


@cache
def load_taxonomy(name: str) -> tuple[TaxonomyNode, ...]:
    if name not in SPECS:
        raise InputError(f"unknown taxonomy {name!r}", hint=f"use one of {', '.join(SPECS)}")
    spec = SPECS[name]
    text = resources.files("graph").joinpath("data/iab", spec.file).read_text(encoding="utf-8")
    lines = list(csv.reader(text.splitlines(), delimiter="\t"))
    out: list[TaxonomyNode] = []
    for raw in lines[spec.header_row + 1:]:
        cells = [c.strip() for c in raw[spec.offset:]]
        if len(cells) < spec.tier_start or not cells[0]:
            continue
        code, parent, label = cells[0], cells[1], cells[2]
        tiers = [t for t in cells[spec.tier_start:spec.tier_start + 6] if t]
        if name == "audience":
            tiers = [t for t in cells[spec.tier_start:spec.tier_start + 6] if t]
            label = tiers[-1] if tiers else label.rstrip(" |")
        parent_id = f"{spec.namespace}:{parent}" if parent and parent != code else None
        out.append(TaxonomyNode(
            id=f"{spec.namespace}:{code}", code=code, name=label, parent_id=parent_id,
            tier=max(1, len(tiers)), path=" > ".join(tiers) or label, label=spec.label,
            taxonomy=spec.namespace,
        ))
    return tuple(out)


def taxonomy_rows(name: str, source: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Node rows and ``CHILD_OF`` rows for one taxonomy, with provenance ``source``."""
    nodes = load_taxonomy(name)
    known = {n.id for n in nodes}
    node_rows = [
        {"id": n.id, "code": n.code, "name": n.name, "tier": n.tier, "path": n.path,
         "taxonomy": n.taxonomy, "source": source}
        for n in nodes
    ]
    edge_rows = [
        {"src": n.id, "dst": n.parent_id, "source": source}
        for n in nodes if n.parent_id and n.parent_id in known
    ]
    return node_rows, edge_rows
