"""The ``GraphStore`` protocol and what both backends share.

A store is built once (``graph.connect()``) and passed down. Rows cross the boundary as plain
Python values: nodes become :class:`NodeValue` dicts, relationships :class:`RelValue` dicts,
paths :class:`PathValue` dicts, so callers never see driver types.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, runtime_checkable

import numpy as np
import pandas as pd

Row = dict[str, Any]


class NodeValue(TypedDict):
    kind: str  # "node"
    element_id: str
    labels: list[str]
    properties: dict[str, Any]


class RelValue(TypedDict):
    kind: str  # "relationship"
    element_id: str
    type: str
    start: str
    end: str
    properties: dict[str, Any]


class PathValue(TypedDict):
    kind: str  # "path"
    nodes: list[NodeValue]
    relationships: list[RelValue]


@dataclass
class QueryResult:
    """Rows of a query, with whether the row cap cut them."""

    columns: list[str]
    rows: list[Row]
    truncated: bool = False
    elapsed_ms: float = 0.0

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class SchemaReport:
    version: int
    constraints: int
    indexes: int
    created: list[str] = field(default_factory=list)


@dataclass
class GraphExport:
    """The graph as tables, for gnn/ and migration.

    ``nodes[label]`` has an ``id`` column plus properties; a node with several labels appears
    under each (``labels`` column lists them all). ``edges[type]`` has ``src``, ``dst``,
    ``src_label``, ``dst_label`` plus properties.
    """

    nodes: dict[str, pd.DataFrame]
    edges: dict[str, pd.DataFrame]
    #: frames are in key order (see :meth:`sorted`)
    ordered: bool = False

    def sorted(self) -> GraphExport:
        """The export with every frame in key order: nodes by ``id``; edges by ``src``, ``dst``,
        then the type's key properties. A store returns rows in storage order, which follows
        insertion order; the demo's concurrent crawl and import build the same graph in another
        order on each run. Every consumer that keeps a first match, truncates a list or sums
        floats would then give another answer (topic tags, training rows, the shipped model)."""
        if self.ordered:
            return self
        from graph.schema import RELS

        nodes = {k: _key_sorted(v, ("id",)) for k, v in self.nodes.items()}
        edges = {k: _key_sorted(v, ("src", "dst", *(RELS[k].key if k in RELS else ())))
                 for k, v in self.edges.items()}
        return GraphExport(nodes=nodes, edges=edges, ordered=True)

    def counts(self) -> dict[str, int]:
        out = {f":{k}": len(v) for k, v in self.nodes.items()}
        out.update({f"[:{k}]": len(v) for k, v in self.edges.items()})
        return out


def _key_sorted(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    cols = [k for k in keys if k in df.columns]
    if not cols or len(df) < 2:
        return df
    order = np.lexsort([df[c].astype(str).to_numpy() for c in reversed(cols)])
    return df.iloc[order].reset_index(drop=True)


@runtime_checkable
class GraphStore(Protocol):
    """One graph backend. ``upsert_*`` MERGE by id (and key); with ``new=True`` the caller
    promises the rows are unique and absent from the graph (a bulk load into an empty label or
    type), and they are CREATEd, skipping MERGE's lookup."""

    backend: str  # "neo4j" | "falkordb"
    uri: str

    def apply_schema(self) -> SchemaReport: ...

    def schema_version(self) -> int | None: ...

    def upsert_nodes(
        self,
        label: str,
        rows: Iterable[Row],
        *,
        extra_labels: Sequence[str] = (),
        batch_size: int | None = None,
        new: bool = False,
    ) -> int: ...

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
    ) -> int: ...

    def read(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult: ...

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> QueryResult: ...

    def guarded_read(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult: ...

    def vector_search(
        self, label: str, vector: Sequence[float], k: int, *, prop: str = "embedding"
    ) -> list[tuple[Row, float]]: ...

    def set_vectors(self, label: str, ids: Sequence[str], vectors: Any, *, prop: str = "embedding") -> int: ...

    def fulltext_search(self, label: str, text: str, k: int = 20) -> list[tuple[Row, float]]: ...

    def export(
        self, labels: Sequence[str] | None = None, rel_types: Sequence[str] | None = None
    ) -> GraphExport:
        """The graph as tables, in key order (:meth:`GraphExport.sorted`)."""
        ...

    def counts(self) -> dict[str, int]: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Yield lists of at most ``size`` rows."""
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def prefetch[T](items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced by a worker thread up to ``depth`` ahead of the consumer.

    Bulk writes use it to build the next batch (rows to dicts, parameter encoding: Python,
    holding the GIL) while the current one runs on the server (a socket wait, which releases
    the GIL): client and server then work on the two cores at once. An exception in the
    producer is raised in the consumer; a consumer that stops early stops the producer.
    """
    import queue
    import threading

    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer
            q.put(("error", exc))

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get_nowait()
            worker.join(timeout=0.05)

