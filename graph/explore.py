"""Read functions over saved queries, shared by the CLI, the app and the benchmarks."""

from __future__ import annotations

from typing import Any

import cypher
from graph.store.base import GraphStore, Row


def run_saved(store: GraphStore, name: str, **params: Any) -> list[Row]:
    """Run saved query ``name`` on the store's backend with typed ``params``."""
    q = cypher.get(name)
    return store.read(q.text(store.backend), q.coerce(params)).rows


def label_counts(store: GraphStore) -> dict[str, int]:
    return {r["label"]: int(r["nodes"]) for r in run_saved(store, "label_counts")}


def relationship_type_counts(store: GraphStore) -> dict[str, int]:
    return {r["type"]: int(r["relationships"]) for r in run_saved(store, "relationship_type_counts")}


def stored_schema_version(store: GraphStore) -> int | None:
    rows = run_saved(store, "schema_version")
    return int(rows[0]["version"]) if rows and rows[0]["version"] is not None else None


def embedded_node_count(store: GraphStore) -> int:
    rows = run_saved(store, "overview_embedded_nodes")
    return int(rows[0]["embedded_nodes"]) if rows else 0


def neighbourhood(store: GraphStore, node_id: str, limit: int = 200) -> list[Row]:
    return run_saved(store, "neighbourhood", id=node_id, limit=limit)


def publisher_two_hop(store: GraphStore, publisher_id: str, limit: int = 500) -> list[Row]:
    return run_saved(store, "publisher_two_hop", id=publisher_id, limit=limit)


def topic_partners(store: GraphStore, topic_id: str, k: int = 20) -> list[Row]:
    return run_saved(store, "topic_partners", topic=topic_id, k=k)


def taxonomy_children(store: GraphStore, node_id: str) -> list[Row]:
    return run_saved(store, "taxonomy_children", id=node_id)


def brand_partner_performance(store: GraphStore, brand_id: str, k: int = 50) -> list[Row]:
    return run_saved(store, "brand_partner_performance", brand=brand_id, k=k)


def find_by_name(store: GraphStore, text: str, limit: int = 20) -> list[Row]:
    return run_saved(store, "find_by_name", text=text, limit=limit)


def shortest_path(store: GraphStore, a: str, b: str) -> list[Row]:
    return run_saved(store, "shortest_path", a=a, b=b)


def partner_websites(store: GraphStore, limit: int = 100_000) -> list[str]:
    return [r["domain"] for r in run_saved(store, "partner_websites", limit=limit)]
