"""The GraphStore contract: one suite, run on every backend through the ``store`` fixture.

Every query here is portable Cypher (it runs unchanged on Neo4j 5 and FalkorDB).
"""

from __future__ import annotations

import numpy as np
import pytest

from graph.errors import QueryError, QueryRefused, QueryTimeout, SchemaVersionError
from graph.schema import NODES, SCHEMA_VERSION
from graph.store.base import GraphStore

T1 = "2026-01-01T00:00:00Z"
T2 = "2026-02-01T00:00:00Z"


def _publishers() -> list[dict[str, object]]:
    return [
        {"id": "p1", "name": "Sports Daily", "domain": "sportsdaily.example",
         "description": "football and tennis news", "source": "generator://seed-7",
         "first_seen": T1, "last_seen": T1, "run_id": "r1", "audience_size": 1200},
        {"id": "p2", "name": "Cooking Weekly", "domain": "cooking.example",
         "description": "recipes and kitchen gear", "source": "generator://seed-7",
         "first_seen": T1, "last_seen": T1, "run_id": "r1", "audience_size": 800},
    ]


def _load_small_graph(store: GraphStore) -> None:
    assert store.upsert_nodes("Publisher", _publishers()) == 2
    assert store.upsert_nodes(
        "Publisher",
        [{"id": "p3", "name": "Deal Hunter", "domain": "deals.example", "first_seen": T1,
          "last_seen": T1, "network": "awin"}],
        extra_labels=["Affiliate"],
    ) == 1
    assert store.upsert_nodes("Device", [{"id": "d1", "kind": "mobile", "first_seen": T1}]) == 1
    assert store.upsert_relationships(
        "LINKS_TO", [{"src": "p1", "dst": "p2", "count": 3, "first_seen": T1, "last_seen": T1}],
        src_label="Publisher", dst_label="Publisher",
    ) == 1
    assert store.upsert_relationships(
        "USED_DEVICE",
        [{"src": "p3", "dst": "d1", "period": "2026-01", "count": 4, "first_seen": T1},
         {"src": "p3", "dst": "d1", "period": "2026-02", "count": 7, "first_seen": T1}],
        src_label="Affiliate", dst_label="Device", key=["period"],
    ) == 2


# ---- schema -----------------------------------------------------------------------------


def test_apply_schema_is_idempotent_and_records_version(store: GraphStore) -> None:
    first = store.apply_schema()
    second = store.apply_schema()
    assert first.version == second.version == SCHEMA_VERSION
    assert second.created == []
    assert second.constraints >= len(NODES)
    assert second.indexes == first.indexes
    assert second.indexes >= len(NODES)
    assert store.schema_version() == SCHEMA_VERSION


def test_newer_stored_schema_version_is_refused(store: GraphStore) -> None:
    store.write("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = $v", {"v": SCHEMA_VERSION + 1})
    try:
        with pytest.raises(SchemaVersionError, match=str(SCHEMA_VERSION + 1)):
            store.apply_schema()
    finally:
        store.write("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = $v", {"v": SCHEMA_VERSION})
    assert store.schema_version() == SCHEMA_VERSION


# ---- upserts ----------------------------------------------------------------------------


def test_upsert_round_trip_and_reupsert_changes_nothing(store: GraphStore) -> None:
    _load_small_graph(store)
    before = store.counts()
    assert before[":Publisher"] == 3
    assert before[":Affiliate"] == 1
    assert before["[:LINKS_TO]"] == 1
    assert before["[:USED_DEVICE]"] == 2
    _load_small_graph(store)
    assert store.counts() == before
    row = store.read(
        "MATCH (p:Publisher {id: 'p1'})-[r:LINKS_TO]->(q:Publisher) "
        "RETURN p.name AS name, p.audience_size AS size, r.count AS count, q.id AS dst"
    ).rows
    assert row == [{"name": "Sports Daily", "size": 1200, "count": 3, "dst": "p2"}]


def test_update_keeps_first_seen_and_none_does_not_erase(store: GraphStore) -> None:
    _load_small_graph(store)
    store.upsert_nodes("Publisher", [{"id": "p1", "name": None, "description": None,
                                      "first_seen": T2, "last_seen": T2, "run_id": "r2"}])
    store.upsert_relationships(
        "LINKS_TO", [{"src": "p1", "dst": "p2", "count": 5, "first_seen": T2, "last_seen": T2}],
        src_label="Publisher", dst_label="Publisher",
    )
    rows = store.read(
        "MATCH (p:Publisher {id: 'p1'})-[r:LINKS_TO]->() "
        "RETURN p.first_seen AS fs, p.last_seen AS ls, p.name AS name, p.run_id AS run, "
        "p.description AS d, r.first_seen AS rfs, r.last_seen AS rls, r.count AS c"
    ).rows
    assert rows == [{"fs": T1, "ls": T2, "name": "Sports Daily", "run": "r2",
                     "d": "football and tennis news", "rfs": T1, "rls": T2, "c": 5}]


def test_extra_label_and_relationship_key(store: GraphStore) -> None:
    _load_small_graph(store)
    res = store.read("MATCH (a:Affiliate {id: 'p3'}) RETURN labels(a) AS labels, a.network AS net")
    assert set(res.rows[0]["labels"]) == {"Publisher", "Affiliate"}
    assert res.rows[0]["net"] == "awin"
    # re-upsert one period with a new count: still two parallel edges, one updated
    store.upsert_relationships(
        "USED_DEVICE", [{"src": "p3", "dst": "d1", "period": "2026-02", "count": 9}],
        src_label="Affiliate", dst_label="Device", key=["period"],
    )
    res = store.read(
        "MATCH (:Affiliate {id: 'p3'})-[r:USED_DEVICE]->(:Device {id: 'd1'}) "
        "RETURN r.period AS period, r.count AS count ORDER BY period"
    )
    assert res.rows == [{"period": "2026-01", "count": 4}, {"period": "2026-02", "count": 9}]


def test_batches_smaller_than_rows(store: GraphStore) -> None:
    rows = [{"id": f"t{i}", "name": f"topic {i}"} for i in range(25)]
    assert store.upsert_nodes("Topic", rows, batch_size=7) == 25
    assert store.counts()[":Topic"] == 25


# ---- reads ------------------------------------------------------------------------------


def test_read_returns_plain_values(store: GraphStore) -> None:
    _load_small_graph(store)
    res = store.read(
        "MATCH p = (a:Publisher {id: 'p1'})-[r:LINKS_TO]->(b:Publisher) RETURN a, r, b, p"
    )
    assert res.columns == ["a", "r", "b", "p"]
    row = res.rows[0]
    a, r, b, p = row["a"], row["r"], row["b"], row["p"]
    assert type(a) is dict and a["kind"] == "node" and a["labels"] == ["Publisher"]
    assert a["properties"]["id"] == "p1" and isinstance(a["element_id"], str)
    assert type(r) is dict and r["kind"] == "relationship" and r["type"] == "LINKS_TO"
    assert r["start"] == a["element_id"] and r["end"] == b["element_id"]
    assert r["properties"]["count"] == 3
    assert type(p) is dict and p["kind"] == "path"
    assert [n["properties"]["id"] for n in p["nodes"]] == ["p1", "p2"]
    assert [x["type"] for x in p["relationships"]] == ["LINKS_TO"]
    assert type(p["nodes"][0]) is dict


def test_row_cap_sets_truncated(store: GraphStore) -> None:
    res = store.read("UNWIND range(1, 100) AS x RETURN x", limit=10)
    assert len(res) == 10 and res.truncated
    res = store.read("UNWIND range(1, 100) AS x RETURN x", limit=100)
    assert len(res) == 100 and not res.truncated
    res = store.guarded_read("UNWIND range(1, 100) AS x RETURN x", limit=5)
    assert len(res) == 5 and res.truncated


def test_slow_query_times_out(store: GraphStore) -> None:
    # Neo4j marks a timed-out transaction from a monitor that wakes every 2 s, so the query must
    # run well past that (400M rows, about 15 s uncancelled) or a fast run can finish first.
    slow = (
        "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
        "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n"
    )
    with pytest.raises(QueryTimeout):
        store.read(slow, timeout=0.05)
    with pytest.raises(QueryTimeout):
        store.guarded_read(slow, timeout=0.05)
    assert store.read("RETURN 1 AS one", timeout=5).rows == [{"one": 1}]


def test_read_refuses_a_write(store: GraphStore) -> None:
    with pytest.raises(QueryRefused):
        store.read("CREATE (n:Publisher {id: 'sneaky'})")
    assert store.read("MATCH (n:Publisher {id: 'sneaky'}) RETURN count(n) AS n").rows == [{"n": 0}]


def test_query_errors_are_one_line(store: GraphStore) -> None:
    with pytest.raises(QueryError) as info:
        store.read("MATCH (n RETURN n")
    assert "\n" not in str(info.value)


# ---- the untrusted-query guard ----------------------------------------------------------

REFUSED = {
    "create": "CREATE (n:Publisher {id: 'x'})",
    "merge": "MERGE (n:Publisher {id: 'x'}) RETURN n",
    "set": "MATCH (n:Publisher) SET n.name = 'x'",
    "delete": "MATCH (n:Publisher) DETACH DELETE n",
    "remove": "MATCH (n:Publisher) REMOVE n.name",
    "load-csv": "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "apoc-load": "CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value",
    "apoc-periodic": "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', "
                     "{batchSize: 100}) YIELD batches RETURN batches",
    "apoc-export": "CALL apoc.export.csv.all('out.csv', {}) YIELD file RETURN file",
    "dbms": "CALL dbms.listConfig()",
    "gds-write": "CALL gds.pageRank.write('g', {writeProperty: 'pr'}) YIELD nodePropertiesWritten "
                 "RETURN nodePropertiesWritten",
}


@pytest.mark.parametrize("query", list(REFUSED.values()), ids=list(REFUSED))
def test_guarded_read_refuses(store: GraphStore, query: str) -> None:
    _load_small_graph(store)
    before = store.counts()
    with pytest.raises(QueryRefused) as info:
        store.guarded_read(query)
    assert "\n" not in str(info.value)
    assert store.counts() == before


ALLOWED = {
    "match": "MATCH (n:Publisher) RETURN n.id AS id ORDER BY id",
    "labels": "CALL db.labels()",
    "strings-and-comments": "MATCH (n:Publisher) // CALL dbms.listConfig()\n"
                            "WHERE n.name <> 'CREATE (x) CALL apoc.load.json(1)' "
                            "RETURN n.id AS id ORDER BY id",
}


@pytest.mark.parametrize("query", list(ALLOWED.values()), ids=list(ALLOWED))
def test_guarded_read_allows_reads(store: GraphStore, query: str) -> None:
    _load_small_graph(store)
    res = store.guarded_read(query)
    assert len(res) >= 1
    if "id" in res.columns:
        assert [r["id"] for r in res.rows] == ["p1", "p2", "p3"]


# ---- search -----------------------------------------------------------------------------


def test_fulltext_search_finds_the_node(store: GraphStore) -> None:
    _load_small_graph(store)
    hits = store.fulltext_search("Publisher", "tennis")
    assert hits and hits[0][0]["id"] == "p1"
    hits = store.fulltext_search("Publisher", "Cooking")
    assert [h[0]["id"] for h in hits] == ["p2"]
    # query syntax characters in user text are plain text, not an error
    for text in ('recipes" OR (x', "c++ [kitchen]", "a:b -c ~d *", "\\", "@name:{x}|y"):
        store.fulltext_search("Publisher", text)


def test_vector_search_finds_the_node(store: GraphStore) -> None:
    ids = ["t1", "t2", "t3"]
    store.upsert_nodes("Topic", [{"id": i, "name": f"topic {i}"} for i in ids])
    rng = np.random.default_rng(7)
    vecs = rng.normal(size=(3, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    assert store.set_vectors("Topic", ids, vecs) == 3
    query = vecs[1] + 0.05 * rng.normal(size=384).astype(np.float32)
    hits = store.vector_search("Topic", query.tolist(), 2)
    assert len(hits) == 2
    assert hits[0][0]["id"] == "t2"
    assert hits[0][1] >= hits[1][1]
    assert "embedding" not in hits[0][0]


# ---- bulk -------------------------------------------------------------------------------


def test_export_returns_frames(store: GraphStore) -> None:
    _load_small_graph(store)
    exp = store.export()
    pubs = exp.nodes["Publisher"].sort_values("id").reset_index(drop=True)
    assert list(pubs["id"]) == ["p1", "p2", "p3"]
    assert {"labels", "name", "domain"} <= set(pubs.columns)
    assert set(pubs.loc[2, "labels"]) == {"Publisher", "Affiliate"}
    assert list(exp.nodes["Affiliate"]["id"]) == ["p3"]
    assert "SchemaInfo" not in exp.nodes
    links = exp.edges["LINKS_TO"]
    assert links[["src", "dst", "src_label", "dst_label", "count"]].values.tolist() == [
        ["p1", "p2", "Publisher", "Publisher", 3]
    ]
    used = exp.edges["USED_DEVICE"].sort_values("period")
    assert list(used["src_label"]) == ["Affiliate", "Affiliate"]
    assert list(used["count"]) == [4, 7]
    assert exp.counts()[":Publisher"] == 3

    some = store.export(labels=["Device"], rel_types=["USED_DEVICE"])
    assert set(some.nodes) == {"Device"} and set(some.edges) == {"USED_DEVICE"}


def test_export_pages_through_many_nodes(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    module = sys.modules[type(store).__module__]
    if hasattr(module, "EXPORT_PAGE"):
        monkeypatch.setattr(module, "EXPORT_PAGE", 7)
    store.upsert_nodes("Topic", [{"id": f"t{i:02d}", "name": f"t{i}"} for i in range(30)])
    store.upsert_relationships(
        "CHILD_OF", [{"src": f"t{i:02d}", "dst": "t00"} for i in range(1, 30)],
        src_label="Topic", dst_label="Topic",
    )
    exp = store.export(labels=["Topic"], rel_types=["CHILD_OF"])
    assert sorted(exp.nodes["Topic"]["id"]) == [f"t{i:02d}" for i in range(30)]
    assert len(exp.edges["CHILD_OF"]) == 29
    assert set(exp.edges["CHILD_OF"]["dst"]) == {"t00"}


def test_export_is_in_key_order_whatever_the_insertion_order(store: GraphStore) -> None:
    """Consumers keep first matches, truncate lists and sum floats: rows inserted in another order
    (a concurrent crawl) must export the same."""
    store.upsert_nodes("Topic", [{"id": f"t{i}", "name": f"t{i}"} for i in (3, 1, 2, 0)])
    store.upsert_relationships("CHILD_OF", [{"src": s, "dst": d} for s, d in
                                            (("t3", "t0"), ("t1", "t2"), ("t1", "t0"), ("t2", "t0"))],
                               src_label="Topic", dst_label="Topic")
    store.upsert_nodes("Affiliate", [{"id": "a1"}])
    store.upsert_nodes("Device", [{"id": "d1", "kind": "mobile"}])
    store.upsert_relationships("USED_DEVICE", [{"src": "a1", "dst": "d1", "period": p, "count": n}
                                               for p, n in (("2026-03", 1), ("2026-01", 2), ("2026-02", 3))],
                               src_label="Affiliate", dst_label="Device", key=["period"])
    exp = store.export(labels=["Topic", "Affiliate", "Device"], rel_types=["CHILD_OF", "USED_DEVICE"])
    assert list(exp.nodes["Topic"]["id"]) == ["t0", "t1", "t2", "t3"]
    assert exp.edges["CHILD_OF"][["src", "dst"]].values.tolist() == [["t1", "t0"], ["t1", "t2"], ["t2", "t0"],
                                                                    ["t3", "t0"]]
    assert list(exp.edges["USED_DEVICE"]["period"]) == ["2026-01", "2026-02", "2026-03"]


def test_counts_and_clear(store: GraphStore) -> None:
    _load_small_graph(store)
    counts = store.counts()
    assert counts[":Device"] == 1 and counts["[:USED_DEVICE]"] == 2
    store.clear()
    after = store.counts()
    assert not any(k.startswith("[:") for k in after)
    assert all(k == ":SchemaInfo" for k in after)
    # the schema survives a clear
    assert store.apply_schema().created == []
