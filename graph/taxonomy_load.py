"""Load the three IAB taxonomies into the graph as Topic, Audience and ProductCategory."""

from __future__ import annotations

from graph.store.base import GraphStore
from graph.taxonomy import SPECS, taxonomy_rows
from graph.writers import GraphWriter, Provenance, new_run_id


def load_taxonomies(store: GraphStore) -> dict[str, int]:
    """Upsert every taxonomy node and its CHILD_OF link; returns counts written."""
    run_id = new_run_id("taxonomy")
    counts: dict[str, int] = {}
    for name, spec in SPECS.items():
        source = f"package://graph/data/iab/{spec.file}"
        writer = GraphWriter(store, Provenance(source, run_id))
        nodes, edges = taxonomy_rows(name, source)
        counts[spec.label] = writer.nodes(spec.label, nodes)
        counts[f"{spec.label}-CHILD_OF"] = writer.relationships(
            "CHILD_OF", edges, src_label=spec.label, dst_label=spec.label)
    return counts
