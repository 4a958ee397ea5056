"""The embeddings layer's own Cypher. Only labels checked by graph.schema are spliced in; every
value (the query vector, k) travels as a ``$param``.

Search asks every vector index it needs in one round trip and returns only the fields it ranks
and filters on (``store.vector_search`` returns whole nodes, article texts included).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph.schema import check_label
from graph.store.base import GraphStore
from graph.store.builders import with_names

#: Fields of a partner the search filters on and shows.
_PARTNER_FIELDS = ("node.id AS id, node.name AS name, node.country AS country, node.language AS language, "
                   "node.audience_size AS audience_size, node.brand_safety_flag AS brand_safety_flag")
_ARTICLE_FIELDS = ("node.id AS id, null AS name, null AS country, null AS language, null AS audience_size, "
                   "null AS brand_safety_flag")

#: FalkorDB reports the cosine distance; ``(2 - d) / 2`` is Neo4j's ``(1 + cos) / 2``.
_FALKOR_BRANCH = ("CALL db.idx.vector.queryNodes('{label}', 'embedding', $k, vecf32($q)) YIELD node, score\n"
                  "RETURN '{label}' AS label, {fields}, (2.0 - score) / 2.0 AS score")
_NEO4J_BRANCH = ("CALL db.index.vector.queryNodes('{index}', $k, $q) YIELD node, score\n"
                 "RETURN '{label}' AS label, {fields}, score")


def nearest_query(backend: str, labels: Sequence[str]) -> str:
    """One query: the ``$k`` nearest nodes of each label to ``$q`` (label, id, filter fields, score)."""
    branches = []
    for raw in labels:
        label = check_label(raw)
        fields = _ARTICLE_FIELDS if label == "Article" else _PARTNER_FIELDS
        if backend == "neo4j":
            from graph.store.neo4j_store import vector_index_name

            branches.append(with_names(_NEO4J_BRANCH.replace("{fields}", fields),
                                       index=vector_index_name(label), label=label))
        else:
            branches.append(with_names(_FALKOR_BRANCH.replace("{fields}", fields), label=label))
    return "\nUNION ALL\n".join(branches)


def nearest(store: GraphStore, labels: Sequence[str], vector: Sequence[float], k: int) -> list[dict[str, Any]]:
    """Rows of :func:`nearest_query` on the store's backend."""
    q = [float(x) for x in vector]
    return [dict(r) for r in store.read(nearest_query(store.backend, labels), {"k": int(k), "q": q}).rows]
