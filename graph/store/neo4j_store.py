"""The Neo4j backend of :class:`~graph.store.base.GraphStore` (Neo4j 5.26, driver 6).

- Untrusted and caller reads run in ``execute_read``: the server itself refuses writes there.
- Every query has a transaction timeout; managed transactions retry only transient errors,
  for at most :data:`MAX_RETRY_SECONDS`.
- Driver types never leave this module: nodes, relationships and paths become the plain dicts
  of :mod:`graph.store.base`, temporal values ISO strings and points WKT strings.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import neo4j
import neo4j.exceptions as nex
import pandas as pd
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from graph.errors import (
    AuthError,
    PartnerGraphError,
    QueryError,
    QueryRefused,
    QueryTimeout,
    SchemaVersionError,
    StoreUnavailable,
)
from graph.schema import NODES, RELS, SCHEMA_VERSION, check_identifier, check_label, check_rel_type
from graph.settings import Settings
from graph.store.base import (
    GraphExport,
    NodeValue,
    PathValue,
    QueryResult,
    RelValue,
    Row,
    SchemaReport,
    batched,
    prefetch,
)
from graph.store.builders import (
    batch_params,
    node_rows,
    rel_rows,
    upsert_nodes_query,
    upsert_relationships_query,
    with_names,
)
from graph.store.guard import check_plan, check_procedure

log = logging.getLogger(__name__)

T = TypeVar("T")

VECTOR_DIMENSIONS = 384
MAX_RETRY_SECONDS = 15.0
EXPORT_FETCH_SIZE = 5_000
CLEAR_BATCH = 10_000

#: Plan operators (Neo4j 5.26 names, without the ``@neo4j`` suffix) an untrusted query may use.
#: Read-only by construction; anything else (Create, Merge, SetProperty, Delete, Foreach,
#: LoadCSV, TransactionApply, ...) is refused, including operators of future server versions.
NEO4J_ALLOWED_OPERATORS = frozenset({
    # leaves: scans and seeks
    "AllNodesScan", "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan",
    "SubtractionNodeByLabelsScan", "NodeByIdSeek", "NodeByElementIdSeek",
    "NodeIndexSeek", "NodeUniqueIndexSeek", "NodeIndexSeekByRange", "NodeUniqueIndexSeekByRange",
    "NodeIndexScan", "NodeIndexContainsScan", "NodeIndexEndsWithScan", "MultiNodeIndexSeek",
    "AssertingMultiNodeIndexSeek",
    "DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan",
    "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan",
    "DirectedUnionRelationshipTypesScan", "UndirectedUnionRelationshipTypesScan",
    "DirectedRelationshipByIdSeek", "UndirectedRelationshipByIdSeek",
    "DirectedRelationshipByElementIdSeek", "UndirectedRelationshipByElementIdSeek",
    "DirectedRelationshipIndexSeek", "UndirectedRelationshipIndexSeek",
    "DirectedRelationshipIndexScan", "UndirectedRelationshipIndexScan",
    "DirectedRelationshipIndexSeekByRange", "UndirectedRelationshipIndexSeekByRange",
    "DirectedRelationshipIndexContainsScan", "UndirectedRelationshipIndexContainsScan",
    "DirectedRelationshipIndexEndsWithScan", "UndirectedRelationshipIndexEndsWithScan",
    "DirectedRelationshipUniqueIndexSeek", "UndirectedRelationshipUniqueIndexSeek",
    "NodeCountFromCountStore", "RelationshipCountFromCountStore", "Argument", "Input",
    # expansion and paths
    "Expand(All)", "Expand(Into)", "OptionalExpand(All)", "OptionalExpand(Into)",
    "VarLengthExpand(All)", "VarLengthExpand(Into)", "VarLengthExpand(Pruning)",
    "VarLengthExpand(Pruning,BFS,All)", "VarLengthExpand(Pruning,BFS,Into)",
    "BFSPruningVarLengthExpand(All)", "BFSPruningVarLengthExpand(Into)",
    "ShortestPath", "StatefulShortestPath(All)", "StatefulShortestPath(Into)", "Trail",
    "Repeat(Trail)", "ProjectEndpoints", "TriadicSelection", "TriadicBuild", "TriadicFilter",
    # row operators
    "Filter", "Projection", "ProduceResults", "Sort", "PartialSort", "Top", "PartialTop",
    "Limit", "ExhaustiveLimit", "Skip", "EagerAggregation", "OrderedAggregation", "Distinct",
    "OrderedDistinct", "Unwind", "CacheProperties", "Eager", "NullifyMetadata", "Optional",
    "ProcedureCall", "EmptyRow", "UnionAll",
    # joins and subqueries
    "Apply", "SemiApply", "AntiSemiApply", "LetSemiApply", "LetAntiSemiApply",
    "SelectOrSemiApply", "SelectOrAntiSemiApply", "LetSelectOrSemiApply",
    "LetSelectOrAntiSemiApply", "RollUpApply", "ConditionalApply", "AntiConditionalApply",
    "CartesianProduct", "NodeHashJoin", "ValueHashJoin", "NodeLeftOuterHashJoin",
    "NodeRightOuterHashJoin", "Union", "OrderedUnion", "AssertSameNode",
    "AssertSameRelationship", "Anti",
})

_PROC_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*\(")
_CALLED = re.compile(r"\b((?:apoc|gds|dbms|db)\.[\w.]+)\s*\(", re.IGNORECASE)
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_LUCENE_WORDS = re.compile(r"\b(AND|OR|NOT|TO)\b")
_TIMEOUT_CODES = ("TransactionTimedOut", "TransactionTimedOutClientConfiguration")


def constraint_name(label: str) -> str:
    return f"{label.lower()}_id_unique"


def range_index_name(label: str, prop: str) -> str:
    return f"{label.lower()}_{prop.lower()}_range"


def fulltext_index_name(label: str) -> str:
    return f"{label.lower()}_fulltext"


def vector_index_name(label: str, prop: str = "embedding") -> str:
    return f"{label.lower()}_{prop.lower()}_vector"


def escape_lucene(text: str) -> str:
    """User text -> a Lucene query that matches its words literally."""
    escaped = _LUCENE_SPECIAL.sub(r"\\\1", text)
    return _LUCENE_WORDS.sub(lambda m: m.group(1).lower(), escaped).strip()


# --------------------------------------------------------------------------- value conversion


def to_python(value: Any) -> Any:
    """Driver values -> plain Python (NodeValue / RelValue / PathValue dicts, ISO strings)."""
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, Node):
        return node_value(value)
    if isinstance(value, Relationship):
        return rel_value(value)
    if isinstance(value, Path):
        return PathValue(kind="path", nodes=[node_value(n) for n in value.nodes],
                         relationships=[rel_value(r) for r in value.relationships])
    iso = getattr(value, "iso_format", None)  # neo4j.time Date/Time/DateTime/Duration
    if callable(iso):
        return iso()
    if isinstance(value, Point):
        coords = " ".join(repr(float(c)) for c in value)
        return f"POINT{' Z' if len(value) == 3 else ''}({coords})"
    if isinstance(value, list | tuple):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _props(entity: Node | Relationship) -> dict[str, Any]:
    return {k: to_python(v) for k, v in entity.items()}


def node_value(node: Node) -> NodeValue:
    return NodeValue(kind="node", element_id=node.element_id, labels=sorted(node.labels),
                     properties=_props(node))


def rel_value(rel: Relationship) -> RelValue:
    start = rel.start_node.element_id if rel.start_node is not None else ""
    end = rel.end_node.element_id if rel.end_node is not None else ""
    return RelValue(kind="relationship", element_id=rel.element_id, type=rel.type or "",
                    start=start, end=end, properties=_props(rel))


def _param(value: Any) -> Any:
    """Parameters -> what the driver packs (numpy arrays and scalars become lists / floats)."""
    if isinstance(value, Mapping):
        return {str(k): _param(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, str | bytes):
        return tolist()
    return value


# --------------------------------------------------------------------------- errors


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def raise_mapped(exc: Exception, uri: str) -> NoReturn:
    """Translate a driver error into the PartnerGraph error tree (one line, no chain)."""
    if isinstance(exc, PartnerGraphError):
        raise exc
    if isinstance(exc, nex.AuthError | nex.TokenExpired) or (
        isinstance(exc, nex.Neo4jError) and (exc.code or "").startswith("Neo.ClientError.Security.Unauthorized")
    ):
        raise AuthError(f"Neo4j at {uri} refused the credentials",
                        hint="check NEO4J_USER and NEO4J_PASSWORD") from None
    if isinstance(exc, nex.ServiceUnavailable | nex.SessionExpired | OSError):
        raise StoreUnavailable(f"cannot reach Neo4j at {uri}: {_one_line(str(exc))[:200]}",
                               hint="check PARTNERGRAPH_GRAPH_URI and that the server is running") from None
    if isinstance(exc, nex.Neo4jError):
        code = exc.code or ""
        message = _one_line(exc.message or str(exc))
        if any(code.endswith(c) for c in _TIMEOUT_CODES) or "timed out" in message.lower() and "Transaction" in code:
            raise QueryTimeout(f"the query ran longer than its timeout: {message}",
                               hint="narrow the query or raise PARTNERGRAPH_QUERY_TIMEOUT") from None
        if code == "Neo.ClientError.Statement.AccessMode":
            raise QueryRefused(f"Neo4j refused a write in a read-only transaction: {message}",
                               hint="reads cannot change the graph") from None
        if code.startswith("Neo.ClientError.Security.Forbidden"):
            raise QueryError(f"Neo4j refused the query: {message}") from None
        if code.startswith("Neo.ClientError.Database.DatabaseNotFound"):
            raise StoreUnavailable(f"Neo4j has no such database: {message}",
                                   hint="check NEO4J_DATABASE") from None
        raise QueryError(f"Neo4j: {message}" + (f" [{code}]" if code else "")) from None
    if isinstance(exc, nex.DriverError):
        raise QueryError(f"Neo4j driver: {_one_line(str(exc))}") from None
    raise exc


# --------------------------------------------------------------------------- the store


class Neo4jStore:
    """GraphStore on a Neo4j 5 server (bolt://, neo4j://, neo4j+s://)."""

    backend = "neo4j"

    def __init__(self, driver: neo4j.Driver, settings: Settings) -> None:
        self._driver = driver
        self.settings = settings
        self.uri = settings.graph_uri
        self.database = settings.neo4j_database or None

    # ---------------------------------------------------------------- lifecycle

    @classmethod
    def open(cls, settings: Settings) -> Neo4jStore:
        auth = (settings.neo4j_user or "neo4j", settings.neo4j_password) \
            if settings.neo4j_password is not None else None
        try:
            driver = neo4j.GraphDatabase.driver(
                settings.graph_uri, auth=auth,
                max_transaction_retry_time=MAX_RETRY_SECONDS,
                connection_timeout=10.0,
                connection_acquisition_timeout=30.0,
                notifications_min_severity="OFF",
                user_agent="partnergraph",
            )
        except (ValueError, nex.ConfigurationError) as exc:
            raise StoreUnavailable(f"invalid Neo4j URI {settings.graph_uri!r}: {_one_line(str(exc))}",
                                   hint="check PARTNERGRAPH_GRAPH_URI") from None
        store = cls(driver, settings)
        try:
            store._auto("RETURN 1 AS ok")  # connectivity, credentials and database in one go
        except Exception as exc:  # noqa: BLE001 - mapped below
            driver.close()
            raise_mapped(exc, settings.graph_uri)
        log.info("opened Neo4j store at %s (database %s)", settings.graph_uri, store.database or "default")
        return store

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- plumbing

    def _session(self, read: bool = False) -> neo4j.Session:
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode,
                                    fetch_size=EXPORT_FETCH_SIZE)

    def _managed(self, read: bool, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        try:
            with self._session(read) as session:
                if read:
                    return session.execute_read(work)
                return session.execute_write(work)
        except Exception as exc:  # noqa: BLE001 - mapped
            raise_mapped(exc, self.uri)

    def _run_collect(self, read: bool, query: str, params: Mapping[str, Any] | None,
                     timeout: float | None, limit: int | None) -> QueryResult:
        p = _param(dict(params or {}))

        @neo4j.unit_of_work(timeout=timeout if timeout and timeout > 0 else None)
        def work(tx: neo4j.ManagedTransaction) -> QueryResult:
            started = time.perf_counter()
            result = tx.run(query, p)
            columns = list(result.keys())
            rows: list[Row] = []
            truncated = False
            for record in result:
                if limit is not None and len(rows) >= limit:
                    truncated = True
                    break
                rows.append({k: to_python(v) for k, v in record.items()})
            if not truncated:
                result.consume()
            return QueryResult(columns=columns, rows=rows, truncated=truncated,
                               elapsed_ms=(time.perf_counter() - started) * 1000.0)

        return self._managed(read, work)

    def _auto(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Auto-commit query (schema commands, CALL {} IN TRANSACTIONS)."""
        try:
            with self._session() as session:
                return [dict(r) for r in session.run(query, _param(dict(params or {})))]
        except Exception as exc:  # noqa: BLE001 - mapped
            raise_mapped(exc, self.uri)

    # ---------------------------------------------------------------- schema

    def schema_version(self) -> int | None:
        rows = self.read("MATCH (s:SchemaInfo {id: 'schema'}) RETURN s.version AS version").rows
        if not rows or rows[0]["version"] is None:
            return None
        return int(rows[0]["version"])

    def _schema_names(self) -> tuple[set[str], set[str]]:
        constraints = {r["name"] for r in self._auto("SHOW CONSTRAINTS YIELD name RETURN name")}
        indexes = {r["name"] for r in self._auto("SHOW INDEXES YIELD name RETURN name")}
        return constraints, indexes

    def schema_statements(self) -> list[tuple[str, str, str]]:
        """(kind, name, statement) for every constraint and index of graph.schema."""
        out: list[tuple[str, str, str]] = []
        for label, node in NODES.items():
            check_label(label)
            name = constraint_name(label)
            out.append(("constraint", name,
                        with_names("CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE",
                                   name=name, label=label)))
            for prop in node.indexed:
                name = range_index_name(label, check_identifier(prop))
                out.append(("index", name, with_names("CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})",
                                                           name=name, label=label, prop=prop)))
            if node.fulltext:
                name = fulltext_index_name(label)
                props = ", ".join(f"n.{check_identifier(p)}" for p in node.fulltext)
                out.append(("index", name,
                            "CREATE FULLTEXT INDEX " + with_names("{name} IF NOT EXISTS FOR (n:{label})", name=name, label=label)
                            + f" ON EACH [{props}]"))
            if node.vector:
                prop = check_identifier(node.vector)
                name = vector_index_name(label, prop)
                out.append(("index", name,
                            with_names("CREATE VECTOR INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop}) ",
                                       name=name, label=label, prop=prop) +
                            f"OPTIONS {{indexConfig: {{`vector.dimensions`: {VECTOR_DIMENSIONS}, "
                            "`vector.similarity_function`: 'cosine'}}"))
        return out

    def apply_schema(self) -> SchemaReport:
        stored = self.schema_version()
        if stored is not None and stored > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the graph at {self.uri} has schema version {stored}, newer than this "
                f"PartnerGraph's {SCHEMA_VERSION}",
                hint="upgrade PartnerGraph before using this graph")
        before_c, before_i = self._schema_names()
        statements = self.schema_statements()
        for kind, name, statement in statements:
            if name not in (before_c if kind == "constraint" else before_i):
                self._auto(statement)  # IF NOT EXISTS: a no-op when an equivalent one exists
        after_c, after_i = self._schema_names()
        created = sorted((after_c - before_c) | (after_i - before_i))
        if created:
            self._auto("CALL db.awaitIndexes(300)")
        self.write(
            "MERGE (s:SchemaInfo {id: 'schema'}) SET s.version = $version, s.applied_at = $at",
            {"version": SCHEMA_VERSION, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        )
        return SchemaReport(
            version=SCHEMA_VERSION,
            constraints=sum(1 for k, _, _ in statements if k == "constraint"),
            indexes=sum(1 for k, _, _ in statements if k == "index"),
            created=created,
        )

    # ---------------------------------------------------------------- writes

    def _write_batches(self, query: str, rows: Iterable[Row], size: int, *, upsert: bool = True) -> int:
        """Run ``query`` per batch; upsert batches send their common properties once."""
        written = 0
        prepared = (_param(batch_params(batch) if upsert else {"rows": batch}) for batch in batched(rows, max(1, size)))
        for params in prefetch(prepared):  # the next batch is prepared while this one runs
            def work(tx: neo4j.ManagedTransaction, params: dict[str, Any] = params) -> int:
                record = tx.run(query, params).single()
                return int(record["written"]) if record is not None else 0

            written += self._managed(False, work)
        return written

    def upsert_nodes(self, label: str, rows: Iterable[Row], *, extra_labels: Sequence[str] = (),
                     batch_size: int | None = None, new: bool = False) -> int:
        query = upsert_nodes_query(label, extra_labels, new=new)
        return self._write_batches(query, node_rows(rows), batch_size or self.settings.batch_size)

    def upsert_relationships(self, rel_type: str, rows: Iterable[Row], *, src_label: str,
                             dst_label: str, key: Sequence[str] = (),
                             batch_size: int | None = None, new: bool = False) -> int:
        query = upsert_relationships_query(rel_type, src_label, dst_label, key, new=new)
        return self._write_batches(query, rel_rows(rows, key), batch_size or self.settings.batch_size)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        return self._run_collect(False, query, params, None, None)

    def set_vectors(self, label: str, ids: Sequence[str], vectors: Any, *, prop: str = "embedding") -> int:
        lbl, key = check_label(label), check_identifier(prop)
        vecs = _param(vectors)
        if len(vecs) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(vecs)} vectors")
        rows = [{"id": str(i), "v": [float(x) for x in v]} for i, v in zip(ids, vecs, strict=True)]
        query = with_names("UNWIND $rows AS row MATCH (n:{lbl} {{id: row.id}}) "
                           "SET n.{key} = row.v RETURN count(n) AS written", lbl=lbl, key=key)
        return self._write_batches(query, rows, min(self.settings.batch_size, 2_000), upsert=False)

    def clear(self) -> None:
        """Delete every node and relationship, in batches; constraints and indexes stay."""
        # relationships first, so a dense node's edges never land in one transaction
        self._auto(with_names("MATCH ()-[r]->() CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {n} ROWS",
                              n=CLEAR_BATCH))
        self._auto(with_names("MATCH (n) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {n} ROWS", n=CLEAR_BATCH))

    # ---------------------------------------------------------------- reads

    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout: float | None = None, limit: int | None = None) -> QueryResult:
        return self._run_collect(True, query, params, timeout, limit)

    def explain(self, query: str, params: Mapping[str, Any] | None = None
                ) -> tuple[list[str], list[str], list[str], str]:
        """EXPLAIN ``query``: (operators, procedures called, APOC/GDS functions named, query type)."""
        p = _param(dict(params or {}))

        def work(tx: neo4j.ManagedTransaction) -> tuple[dict[str, Any] | None, str | None]:
            summary = tx.run("EXPLAIN " + query, p).consume()
            plan = summary.plan
            return (plan if isinstance(plan, dict) else None), summary.query_type

        plan, query_type = self._managed(True, work)
        ops: list[str] = []
        procs: list[str] = []
        funcs: list[str] = []
        stack = [plan] if plan else []
        while stack:
            node = stack.pop()
            op = str(node.get("operatorType", "")).split("@", 1)[0]
            ops.append(op)
            details = str((node.get("args") or node.get("arguments") or {}).get("Details") or "")
            if op == "ProcedureCall":
                m = _PROC_NAME.match(details)
                procs.append(m.group(1) if m else details or "unknown procedure")
            else:
                funcs.extend(_CALLED.findall(details))
            stack.extend(node.get("children") or [])
        # report a write operator rather than the EmptyResult that sits on top of it
        ops.sort(key=lambda o: o in ("EmptyResult", "ProduceResults"))
        return ops, procs, funcs, str(query_type or "")

    def guarded_read(self, query: str, params: Mapping[str, Any] | None = None, *,
                     timeout: float | None = None, limit: int | None = None) -> QueryResult:
        """Run an untrusted query: plan allow-list first, then read-only with timeout and cap."""
        if not query or not query.strip():
            raise QueryError("empty query")
        if re.match(r"^\s*(EXPLAIN|PROFILE)\b", query, re.IGNORECASE):
            raise QueryRefused("EXPLAIN and PROFILE are added by the console; send the query alone")
        try:
            ops, procedures, functions, query_type = self.explain(query, params)
        except QueryError as exc:
            # an uninstalled procedure (e.g. GDS) is still refused by family before "not found"
            missing = re.search(r"no procedure with the name `?([\w.]+)`?", exc.message, re.IGNORECASE)
            if missing:
                check_procedure(missing.group(1))
            raise
        # Functions named in expressions are checked against the refused families only.
        for name in functions:
            _check_function(name)
        check_plan(ops, procedures, NEO4J_ALLOWED_OPERATORS)
        if query_type != "r":
            raise QueryRefused(f"the query is of type '{query_type}', not read-only",
                               hint="the console runs read-only queries")
        return self.read(query, params,
                         timeout=timeout if timeout is not None else self.settings.query_timeout,
                         limit=limit if limit is not None else self.settings.row_cap)

    # ---------------------------------------------------------------- search

    def vector_search(self, label: str, vector: Sequence[float], k: int, *,
                      prop: str = "embedding") -> list[tuple[Row, float]]:
        lbl, key = check_label(label), check_identifier(prop)
        result = self.read(
            "CALL db.index.vector.queryNodes($index, $k, $vector) YIELD node, score "
            "RETURN node, score ORDER BY score DESC",
            {"index": vector_index_name(lbl, key), "k": int(k), "vector": [float(x) for x in _param(vector)]},
        )
        return [(_search_row(r["node"], key), float(r["score"])) for r in result.rows]

    def fulltext_search(self, label: str, text: str, k: int = 20) -> list[tuple[Row, float]]:
        lbl = check_label(label)
        if not NODES[lbl].fulltext:
            return []
        lucene = escape_lucene(text)
        if not lucene:
            return []
        result = self.read(
            "CALL db.index.fulltext.queryNodes($index, $q, {limit: $k}) YIELD node, score "
            "RETURN node, score ORDER BY score DESC LIMIT $k",
            {"index": fulltext_index_name(lbl), "q": lucene, "k": int(k)},
        )
        return [(_search_row(r["node"], NODES[lbl].vector), float(r["score"])) for r in result.rows]

    # ---------------------------------------------------------------- export and counts

    def _stream(self, query: str, params: Mapping[str, Any] | None = None) -> Iterable[neo4j.Record]:
        try:
            with self._session(read=True) as session, session.begin_transaction() as tx:
                yield from tx.run(query, _param(dict(params or {})))
        except Exception as exc:  # noqa: BLE001 - mapped
            raise_mapped(exc, self.uri)

    def _present_labels(self) -> list[str]:
        return [r["label"] for r in self.read("CALL db.labels() YIELD label RETURN label").rows]

    def _present_types(self) -> list[str]:
        return [r["relationshipType"] for r in
                self.read("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType").rows]

    def export(self, labels: Sequence[str] | None = None,
               rel_types: Sequence[str] | None = None) -> GraphExport:
        present = set(self._present_labels())
        wanted = [check_label(x) for x in labels] if labels is not None else \
            [x for x in NODES if x != "SchemaInfo"]
        nodes: dict[str, pd.DataFrame] = {}
        for label in wanted:
            if labels is None and label in present and not self._count(label):
                continue
            if label not in present:
                if labels is not None:
                    nodes[label] = pd.DataFrame(columns=["id", "labels"])
                continue
            records = [
                {"id": r["id"], "labels": sorted(r["labels"]), **{k: to_python(v) for k, v in r["props"].items()
                                                                 if k != "id"}}
                for r in self._stream(with_names("MATCH (n:{label}) RETURN n.id AS id, labels(n) AS labels, "
                                                 "properties(n) AS props", label=label))
            ]
            nodes[label] = pd.DataFrame.from_records(records, columns=_columns(records, ["id", "labels"]))
        types_present = set(self._present_types())
        wanted_types = [check_rel_type(t) for t in rel_types] if rel_types is not None else list(RELS)
        allowed = set(wanted) if labels is not None else None
        edges: dict[str, pd.DataFrame] = {}
        for rel_type in wanted_types:
            if rel_type not in types_present:
                if rel_types is not None:
                    edges[rel_type] = pd.DataFrame(columns=["src", "dst", "src_label", "dst_label"])
                continue
            srcs = [p[0] for p in RELS[rel_type].pairs]
            dsts = [p[1] for p in RELS[rel_type].pairs]
            records = []
            for r in self._stream(with_names("MATCH (a)-[r:{rel}]->(b) RETURN a.id AS src, b.id AS dst, "
                                             "labels(a) AS la, labels(b) AS lb, properties(r) AS props",
                                             rel=rel_type)):
                sl, dl = _pick_label(r["la"], srcs), _pick_label(r["lb"], dsts)
                if allowed is not None and (sl not in allowed or dl not in allowed):
                    continue
                records.append({"src": r["src"], "dst": r["dst"], "src_label": sl, "dst_label": dl,
                                **{k: to_python(v) for k, v in r["props"].items()}})
            if records or rel_types is not None:
                edges[rel_type] = pd.DataFrame.from_records(
                    records, columns=_columns(records, ["src", "dst", "src_label", "dst_label"]))
        return GraphExport(nodes=nodes, edges=edges).sorted()

    def _count(self, label: str) -> int:
        return int(self.read("MATCH (n:" + _quote(label) + ") RETURN count(n) AS n").rows[0]["n"])

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for label in sorted(self._present_labels()):  # SchemaInfo included, as on FalkorDB
            n = self._count(label)
            if n:
                out[f":{label}"] = int(n)
        for rel_type in sorted(self._present_types()):
            n = self.read("MATCH ()-[r:" + _quote(rel_type) + "]->() RETURN count(r) AS n").rows[0]["n"]
            if n:
                out[f"[:{rel_type}]"] = int(n)
        return out


# --------------------------------------------------------------------------- helpers


def _check_function(name: str) -> None:
    try:
        check_procedure(name)
    except QueryRefused as exc:
        if "not on the console's allow-list" in exc.message:
            return  # read-only functions (apoc.text.*, apoc.coll.*, ...) are fine
        raise


def _search_row(node: Any, vector_prop: str | None) -> Row:
    props = dict(node["properties"]) if isinstance(node, dict) else {}
    if vector_prop:
        props.pop(vector_prop, None)
    return props


def _pick_label(labels: Sequence[str], preferred: Sequence[str]) -> str:
    for label in preferred:
        if label in labels:
            return label
    return sorted(labels)[0] if labels else ""


def _columns(records: list[dict[str, Any]], first: list[str]) -> list[str]:
    seen = dict.fromkeys(first)
    for r in records:
        for k in r:
            seen.setdefault(k)
    return list(seen)


def _quote(name: str) -> str:
    """A label or type read from the database, as a backtick-quoted Cypher name."""
    return "`" + name.replace("`", "``") + "`"
