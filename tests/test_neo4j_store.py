"""Neo4j-specific behaviour of Neo4jStore, against the real 5.26 test server (with APOC)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph.errors import (
    AuthError,
    QueryError,
    QueryRefused,
    QueryTimeout,
    SchemaVersionError,
    StoreUnavailable,
)
from graph.schema import SCHEMA_VERSION
from graph.settings import Settings, load_settings
from graph.store.neo4j_store import Neo4jStore, escape_lucene

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def nstore(neo4j_settings: Settings) -> Neo4jStore:
    store = Neo4jStore.open(neo4j_settings)
    yield store
    store.close()


@pytest.fixture
def empty(nstore: Neo4jStore) -> Neo4jStore:
    nstore.clear()
    nstore.apply_schema()
    return nstore


def _seed(store: Neo4jStore) -> None:
    store.upsert_nodes("Publisher", [{"id": f"p{i}", "name": f"Site {i}", "domain": f"s{i}.example"}
                                     for i in range(30)])
    store.upsert_nodes("Brand", [{"id": "b1", "name": "Acme"}])
    store.upsert_relationships("MENTIONS", [{"src": f"p{i}", "dst": "b1", "count": i} for i in range(30)],
                               src_label="Publisher", dst_label="Brand")


def test_apoc_is_loaded(empty: Neo4jStore) -> None:
    version = empty.read("RETURN apoc.version() AS v").rows[0]["v"]
    assert version.startswith("5.26")


def test_server_refuses_write_in_read_transaction(empty: Neo4jStore) -> None:
    # read() applies no plan guard: this refusal is the server's, from the read access mode.
    with pytest.raises(QueryRefused) as info:
        empty.read("CREATE (n:Publisher {id: 'sneaky'}) RETURN n")
    assert "Writing in read access mode not allowed" in str(info.value)
    assert empty.read("MATCH (n:Publisher {id: 'sneaky'}) RETURN n").rows == []


def test_unreachable_uri_is_store_unavailable(tmp_path: Path) -> None:
    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:9"}, home=tmp_path)
    with pytest.raises(StoreUnavailable) as info:
        Neo4jStore.open(settings)
    assert not isinstance(info.value, AuthError)
    assert "PARTNERGRAPH_GRAPH_URI" in str(info.value)
    assert "\n" not in str(info.value)


def test_newer_schema_version_is_refused(empty: Neo4jStore) -> None:
    assert empty.schema_version() == SCHEMA_VERSION
    empty.write("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = $v", {"v": SCHEMA_VERSION + 1})
    try:
        with pytest.raises(SchemaVersionError):
            empty.apply_schema()
    finally:
        empty.write("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = $v", {"v": SCHEMA_VERSION})


def test_apply_schema_is_idempotent(empty: Neo4jStore) -> None:
    again = empty.apply_schema()
    assert again.created == []
    assert again.version == SCHEMA_VERSION
    names = {r["name"] for r in empty.read("SHOW INDEXES YIELD name, type RETURN name, type").rows}
    assert {"publisher_fulltext", "publisher_embedding_vector", "publisher_domain_range"} <= names
    unique = empty.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
                        "WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label, properties AS props").rows
    assert {"label": "Publisher", "props": ["id"]} in unique


REFUSED = [
    ("CREATE (n:Publisher {id: 'x'})", "Create"),
    ("MERGE (n:Publisher {id: 'x'}) RETURN n", "Merge"),
    ("MATCH (n:Publisher) SET n.name = 'x'", "SetProperty"),
    ("MATCH (n:Publisher) DETACH DELETE n", "DetachDelete"),
    ("MATCH (n:Publisher) DELETE n", "Delete"),
    ("MATCH (n:Publisher) REMOVE n.name", "SetProperty"),
    ("MATCH (n:Publisher) REMOVE n:Publisher", "RemoveLabels"),
    ("MATCH (n) FOREACH (x IN [1] | SET n.y = x)", "Foreach"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD CSV"),
    ("CALL apoc.load.json('file:///etc/x.json') YIELD value RETURN value", "apoc.load.json"),
    ("CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'SET n.x = 1', {})", "apoc.periodic.iterate"),
    ("CALL apoc.export.csv.all('/tmp/x.csv', {})", "apoc.export.csv.all"),
    ("CALL dbms.listConfig() YIELD name RETURN name", "dbms.listConfig"),
    ("CALL db.createLabel('Evil')", "db.createLabel"),
    ("MATCH (n) CALL (n) { SET n.x = 1 } IN TRANSACTIONS RETURN 1", ""),
    ("CALL gds.pageRank.write('g', {writeProperty: 'pr'}) YIELD nodePropertiesWritten "
     "RETURN nodePropertiesWritten", "gds.pageRank.write"),
    ("RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) RETURN count(n)', {}) AS c", "apoc.cypher"),
]


@pytest.mark.parametrize(("query", "named"), REFUSED, ids=[q[:40] for q, _ in REFUSED])
def test_guard_refuses(empty: Neo4jStore, query: str, named: str) -> None:
    with pytest.raises(QueryRefused) as info:
        empty.guarded_read(query)
    assert named in str(info.value)
    # nothing happened
    assert empty.read("MATCH (n) WHERE n.x IS NOT NULL OR n:Evil RETURN count(n) AS c").rows[0]["c"] == 0


def test_guard_allows_reads(empty: Neo4jStore) -> None:
    _seed(empty)
    result = empty.guarded_read(
        "MATCH (p:Publisher)-[m:MENTIONS]->(b:Brand {id: $brand}) WHERE m.count >= $min "
        "RETURN p.id AS id, m.count AS n ORDER BY n DESC LIMIT 3", {"brand": "b1", "min": 5})
    assert [r["id"] for r in result.rows] == ["p29", "p28", "p27"]
    paths = empty.guarded_read(
        "MATCH p = shortestPath((a:Publisher {id: 'p1'})-[*..4]-(b:Publisher {id: 'p2'})) RETURN p")
    path = paths.rows[0]["p"]
    assert path["kind"] == "path" and len(path["nodes"]) == 3
    assert path["relationships"][0]["type"] == "MENTIONS"
    labels = empty.guarded_read("CALL db.labels() YIELD label RETURN label")
    assert {"Publisher", "Brand"} <= {r["label"] for r in labels.rows}
    stats = empty.guarded_read("CALL apoc.meta.stats() YIELD labels RETURN labels")
    assert stats.rows[0]["labels"]["Publisher"] == 30


def test_row_cap_and_truncation(empty: Neo4jStore) -> None:
    _seed(empty)
    capped = empty.guarded_read("MATCH (p:Publisher) RETURN p", limit=10)
    assert len(capped) == 10 and capped.truncated
    assert capped.rows[0]["p"]["kind"] == "node" and capped.rows[0]["p"]["labels"] == ["Publisher"]
    full = empty.guarded_read("MATCH (p:Publisher) RETURN p.id AS id", limit=30)
    assert len(full) == 30 and not full.truncated


def test_timeout(empty: Neo4jStore) -> None:
    with pytest.raises(QueryTimeout):
        empty.guarded_read("UNWIND range(1, 1000000000) AS x WITH x WHERE x % 7 = 3 "
                           "RETURN sum(x) AS s", timeout=0.5)
    with pytest.raises(QueryTimeout):
        empty.read("CALL apoc.util.sleep(5000) RETURN 1", timeout=0.5)


def test_syntax_error_is_query_error(empty: Neo4jStore) -> None:
    with pytest.raises(QueryError) as info:
        empty.guarded_read("MATCH (n RETURN n")
    assert not isinstance(info.value, QueryRefused)
    assert "\n" not in str(info.value)


def test_temporal_values_become_iso_strings(empty: Neo4jStore) -> None:
    row = empty.read("RETURN date('2026-11-29') AS d, datetime('2026-11-29T07:42:00Z') AS t, "
                     "duration('P1D') AS span, point({x: 1, y: 2}) AS pt").rows[0]
    assert row["d"] == "2026-11-29"
    assert row["t"].startswith("2026-11-29T07:42:00")
    assert row["span"] == "P1D" or row["span"].startswith("P")
    assert row["pt"] == "POINT(1.0 2.0)"


def test_vectors_and_fulltext(empty: Neo4jStore) -> None:
    empty.upsert_nodes("Topic", [{"id": "t1", "name": "Sports (and games)"}, {"id": "t2", "name": "Cooking"}])
    vecs = [[1.0] + [0.0] * 383, [0.0, 1.0] + [0.0] * 382]
    assert empty.set_vectors("Topic", ["t1", "t2"], vecs) == 2
    empty.write("CALL db.awaitIndexes(60)")
    hits = empty.vector_search("Topic", [0.9, 0.1] + [0.0] * 382, 2)
    assert hits[0][0]["id"] == "t1" and "embedding" not in hits[0][0]
    text = empty.fulltext_search("Topic", "sports (and")
    assert [h[0]["id"] for h in text] == ["t1"]
    assert escape_lucene('a+b "c" OR d') == 'a\\+b \\"c\\" or d'


def test_export_and_counts(empty: Neo4jStore) -> None:
    _seed(empty)
    export = empty.export()
    assert len(export.nodes["Publisher"]) == 30
    edges = export.edges["MENTIONS"]
    assert set(edges.columns) >= {"src", "dst", "src_label", "dst_label", "count"}
    assert set(edges["dst_label"]) == {"Brand"}
    assert empty.counts() == {":Publisher": 30, ":Brand": 1, "[:MENTIONS]": 30, ":SchemaInfo": 1}
    assert "SchemaInfo" not in export.nodes
    assert export.counts() == {":Publisher": 30, ":Brand": 1, "[:MENTIONS]": 30}
    empty.clear()
    assert empty.counts() == {}


def test_upsert_is_batched_and_idempotent(empty: Neo4jStore) -> None:
    rows = [{"id": f"p{i}", "name": f"n{i}"} for i in range(25)]
    assert empty.upsert_nodes("Publisher", rows, batch_size=7) == 25
    assert empty.upsert_nodes("Publisher", rows, batch_size=7) == 25
    assert empty.counts()[":Publisher"] == 25


@pytest.mark.slow
def test_wrong_credentials_are_auth_error(tmp_path: Path) -> None:
    if os.environ.get("NEO4J_URI"):
        pytest.skip("uses the project's own test server with auth on")
    from tests.neo4j_server import Neo4jServerUnavailable, start_server

    try:
        server = start_server(tmp_path / "auth-server", auth_password="right-password-123")
    except Neo4jServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        env = {"PARTNERGRAPH_GRAPH_URI": server.uri, "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": "wrong-password"}
        with pytest.raises(AuthError) as info:
            Neo4jStore.open(load_settings(env=env, home=tmp_path))
        assert "NEO4J_USER" in str(info.value) and "wrong-password" not in str(info.value)
        env["NEO4J_PASSWORD"] = "right-password-123"
        store = Neo4jStore.open(load_settings(env=env, home=tmp_path))
        assert store.read("RETURN 1 AS one").rows == [{"one": 1}]
        store.close()
    finally:
        server.stop()
