"""The saved queries the app runs on every click look a node up per label (an id-index seek per
branch) instead of scanning every node; the branch lists must follow the schema, or a node of a
new label would silently not be found."""

from __future__ import annotations

import re

import pytest

import cypher
from graph.schema import NODES


def _branch_labels(text: str) -> list[str]:
    return re.findall(r"^\s+MATCH \(\w+:(\w+) \{id: \$id\}\) RETURN \w+$", text, flags=re.M)


@pytest.mark.parametrize("name", ["explore_node", "explore_expand", "neighbourhood"])
def test_any_node_lookups_cover_every_label(name: str) -> None:
    for backend in cypher.BACKENDS:
        assert sorted(_branch_labels(cypher.load(name, backend))) == sorted(NODES)


def test_counts_come_from_the_counts_each_database_keeps() -> None:
    for name in ("label_counts", "relationship_type_counts"):
        assert "CALL db.meta.stats()" in cypher.load(name, "falkordb")
        assert "CALL apoc.meta.stats()" in cypher.load(name, "neo4j")


@pytest.mark.parametrize("name", sorted(cypher.catalog()))
def test_no_saved_query_scans_every_node_for_an_id(name: str) -> None:
    for backend in cypher.BACKENDS:
        text = "\n".join(ln for ln in cypher.load(name, backend).splitlines() if not ln.lstrip().startswith("//"))
        assert not re.search(r"MATCH \((\w+)\) WHERE \1\.id = \$", text), f"{name} ({backend}) scans every node"
        assert not re.search(r"MATCH \(\w+\)\s+WHERE \(\w+:\w+ OR", text), f"{name} ({backend}) scans every node"


def test_embedded_count_covers_every_label_with_a_vector() -> None:
    counted = re.findall(r"MATCH \(n:(\w+)\) WHERE n\.embedding IS NOT NULL", cypher.load("overview_embedded_nodes", "neo4j"))
    assert sorted(counted) == sorted(label for label, t in NODES.items() if t.vector)
