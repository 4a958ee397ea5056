"""Graph stores: one protocol, two backends chosen by ``PARTNERGRAPH_GRAPH_URI``."""

from __future__ import annotations

from graph.settings import Settings
from graph.store.base import GraphExport, GraphStore, QueryResult, SchemaReport

__all__ = ["GraphExport", "GraphStore", "QueryResult", "SchemaReport", "open_store"]


def open_store(settings: Settings, *, uri: str | None = None) -> GraphStore:
    """Open the store named by ``uri`` (default: the settings' graph URI)."""
    target = uri or settings.graph_uri
    if target.startswith("falkordb-lite:"):
        from graph.store.falkor_store import FalkorStore

        return FalkorStore.open(settings.with_overrides(graph_uri=target))
    from graph.store.neo4j_store import Neo4jStore

    return Neo4jStore.open(settings.with_overrides(graph_uri=target))
