from __future__ import annotations

import pytest

from graph.errors import InputError
from graph.taxonomy import load_taxonomy, taxonomy_rows


@pytest.mark.parametrize("name,label,low,high", [
    ("content", "Topic", 650, 720), ("audience", "Audience", 1500, 1600),
    ("adproduct", "ProductCategory", 560, 600),
])
def test_taxonomies_parse_with_namespaced_ids(name: str, label: str, low: int, high: int) -> None:
    nodes = load_taxonomy(name)
    assert low <= len(nodes) <= high
    ids = [n.id for n in nodes]
    assert len(ids) == len(set(ids))
    assert all(n.label == label and ":" in n.id for n in nodes)
    known = set(ids)
    assert all(n.parent_id is None or n.parent_id in known for n in nodes)


def test_content_hierarchy_and_paths() -> None:
    by_id = {n.id: n for n in load_taxonomy("content")}
    child = by_id["iab-content-3.1:151"]
    assert child.name == "Amusement and Theme Parks"
    assert child.parent_id == "iab-content-3.1:150"
    assert child.path == "Attractions > Amusement and Theme Parks" and child.tier == 2


def test_audience_names_are_last_tier() -> None:
    by_code = {n.code: n for n in load_taxonomy("audience")}
    assert by_code["3"].name == "18-20" and by_code["3"].parent_id == "iab-audience-1.1:2"


def test_ids_do_not_collide_across_taxonomies() -> None:
    all_ids = [n.id for name in ("content", "audience", "adproduct") for n in load_taxonomy(name)]
    assert len(all_ids) == len(set(all_ids))


def test_rows_and_unknown_name() -> None:
    nodes, edges = taxonomy_rows("content", "package://x")
    assert len(edges) > 0.8 * len(nodes) - 50
    with pytest.raises(InputError):
        load_taxonomy("colours")
