"""Bulk writer, generic load and migration, on real stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.bulk import write_frames
from graph.generic_load import generic_export
from graph.migrate import migrate
from graph.store import open_store
from graph.store.base import GraphStore
from tests.fixture_graph import fixture_export


def test_write_frames_is_idempotent_and_keeps_roles_on_one_node(store: GraphStore) -> None:
    write_frames(store, fixture_export(), progress=False)
    first = store.counts()
    write_frames(store, fixture_export(), progress=False)
    assert store.counts() == first
    assert first[":Publisher"] == 3 and first[":Affiliate"] == 1
    rows = store.read("MATCH (n:Affiliate) RETURN n.id AS id, labels(n) AS labels, n.network AS network").rows
    assert len(rows) == 1 and sorted(rows[0]["labels"]) == ["Affiliate", "Publisher"]
    assert rows[0]["network"] == "awin"
    per_period = store.read("MATCH (:Affiliate)-[r:USED_DEVICE]->(:Device) RETURN r.period AS p ORDER BY p").rows
    assert [r["p"] for r in per_period] == ["2025-06", "2025-07"]
    prov = store.read("MATCH (p:Publisher {id: $id}) RETURN p.source AS s, p.first_seen AS f, p.run_id AS r",
                      {"id": "pub:kicker.de"}).rows[0]
    assert prov["s"] == "fixture://differential"


def test_bulk_create_into_empty_types_and_merge_of_duplicates(store: GraphStore) -> None:
    import pandas as pd

    from graph.store.base import GraphExport

    pubs = pd.DataFrame({"id": ["pub:a", "pub:b"], "name": ["A", "B"]})
    links = pd.DataFrame({"src": ["pub:a", "pub:a"], "dst": ["pub:b", "pub:b"], "src_label": ["Publisher"] * 2,
                          "dst_label": ["Publisher"] * 2, "weight": [1.0, 2.0]})
    # empty label and type, unique rows: created (once each); duplicate edge rows: merged into one
    write_frames(store, GraphExport(nodes={"Publisher": pubs}, edges={"LINKS_TO": links}), progress=False)
    assert store.counts()[":Publisher"] == 2 and store.counts()["[:LINKS_TO]"] == 1
    # the label now has nodes: a second load merges instead of creating duplicates
    write_frames(store, GraphExport(nodes={"Publisher": pubs}, edges={"LINKS_TO": links.head(1)}), progress=False)
    assert store.counts()[":Publisher"] == 2 and store.counts()["[:LINKS_TO]"] == 1
    assert store.read("MATCH (p:Publisher {id: 'pub:a'}) RETURN p.name AS n").rows == [{"n": "A"}]


def test_migrate_keeps_parallel_edges_of_a_type_without_key(falkor_settings: Any, tmp_path: Path) -> None:
    src = open_store(falkor_settings.with_overrides(graph_uri=f"falkordb-lite://{tmp_path}/a.db"))
    dst = open_store(falkor_settings.with_overrides(graph_uri=f"falkordb-lite://{tmp_path}/b.db"))
    try:
        src.apply_schema()
        src.write("CREATE (c:Campaign {id: 'camp:1'}), (p:Publisher {id: 'pub:a'}) "
                  "CREATE (c)-[:WITH {period: '2025-01', clicks: 3}]->(p), (c)-[:WITH {period: '2025-02', clicks: 5}]->(p)")
        after = migrate(src, dst, progress=False)
        assert after["[:WITH]"] == 2  # a month each, not merged into one
        rows = dst.read("MATCH (:Campaign)-[r:WITH]->(:Publisher) RETURN r.period AS p, r.clicks AS c ORDER BY p").rows
        assert rows == [{"p": "2025-01", "c": 3}, {"p": "2025-02", "c": 5}]
        assert migrate(src, dst, progress=False)["[:WITH]"] == 2  # and again: merged, not doubled
    finally:
        src.close()
        dst.close()


def test_generic_load_of_a_real_graph(store: GraphStore, shared_dir: Path) -> None:
    d = shared_dir / "datasets" / "bitcoin_otc_rev2"
    export = generic_export(d / "otc_network.csv", None, label="Publisher", rel_type="LINKS_TO")
    written = write_frames(store, export, progress=False)
    assert written[":Publisher"] == 5_881
    counts = store.counts()
    assert counts["[:LINKS_TO]"] == 35_592
    row = store.read("MATCH ()-[r:LINKS_TO]->() RETURN r.source AS s, r.weight AS w LIMIT 1").rows[0]
    assert "otc_network.csv#row=" in row["s"] and row["w"] is not None


@pytest.mark.neo4j
def test_migrate_embedded_to_neo4j_twice(falkor_settings: Any, neo4j_settings: Any, tmp_path: Path) -> None:
    src_settings = falkor_settings.with_overrides(graph_uri=f"falkordb-lite://{tmp_path}/src.db")
    src = open_store(src_settings)
    dst = open_store(neo4j_settings)
    try:
        src.apply_schema()
        dst.clear()
        write_frames(src, fixture_export(), progress=False)
        after = migrate(src, dst, progress=False)
        again = migrate(src, dst, progress=False)
        assert after == again
        src_counts = src.counts()
        for key, value in src_counts.items():
            assert after.get(key) == value, key
        row = dst.read("MATCH (n:Affiliate) RETURN labels(n) AS l").rows
        assert len(row) == 1 and sorted(row[0]["l"]) == ["Affiliate", "Publisher"]
    finally:
        dst.clear()
        src.close()
        dst.close()
