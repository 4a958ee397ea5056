"""The embeddings layer's own Cypher. Only labels checked by graph.schema are spliced in; every
value (the query vector, counts, filter values) travels as a ``$param``.

Search asks every vector index it needs in one round trip (:func:`nearest_query`): per partner
label the nearest partners by their own text, and the nearest articles joined to the partners
that published them. The filters (country, language, audience size, brand safety, type) are
applied in the query, so only passing rows come back, and each branch returns at most ``$n`` rows
although the index is asked for ``$k`` nodes (the index's search breadth: more nodes asked, better
recall). Only the fields search ranks, filters on and shows are returned
(``store.vector_search`` returns whole nodes, article texts included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph.schema import PARTNERS, check_label
from graph.store.base import GraphStore
from graph.store.builders import with_names

#: The filter each search option adds to the partner ``p``; values only as ``$params``
#: (``$country`` upper-case, ``$language`` lower-case: the caller normalises them).
FILTERS: dict[str, str] = {
    "country": "toUpper(p.country) = $country",
    "language": "toLower(p.language) = $language",
    "min_audience": "p.audience_size >= $min_audience",
    "safe_only": "coalesce(p.brand_safety_flag, false) <> true",
}

#: Columns of every branch, in order (UNION ALL needs the same names).
_PARTNER_FIELDS = ("p.id AS id, p.name AS name, p.country AS country, p.language AS language, "
                   "p.audience_size AS audience_size, p.brand_safety_flag AS brand_safety_flag")

#: FalkorDB reports the cosine distance; ``(2 - d) / 2`` is Neo4j's ``(1 + cos) / 2``.
_FALKOR_CALL = ("CALL db.idx.vector.queryNodes('{label}', 'embedding', $k, vecf32($q)) YIELD node, score\n"
                "WITH node, (2.0 - score) / 2.0 AS sim\n")
_NEO4J_CALL = ("CALL db.index.vector.queryNodes('{index}', $k, $q) YIELD node, score\n"
               "WITH node, score AS sim\n")
_PARTNER_BRANCH = ("WITH node AS p, sim{where}\n"
                   "WITH p, sim ORDER BY sim DESC LIMIT $n\n"
                   "RETURN '{label}' AS label, {fields}, null AS article, null AS title, sim AS score")
_ARTICLE_BRANCH = ("MATCH (p)-[:PUBLISHED]->(node)\n"
                   "WHERE ({partner}){filters}\n"
                   "WITH p, node, sim ORDER BY sim DESC LIMIT $n\n"
                   "RETURN CASE WHEN p:Influencer THEN 'Influencer' ELSE 'Publisher' END AS label, {fields}, "
                   "node.id AS article, node.title AS title, sim AS score")


def _call(backend: str, label: str) -> str:
    if backend == "neo4j":
        from graph.store.neo4j_store import vector_index_name

        return with_names(_NEO4J_CALL, index=vector_index_name(label))
    return with_names(_FALKOR_CALL, label=label)


def nearest_query(backend: str, labels: Sequence[str], filters: Sequence[str] = ()) -> str:
    """One query: per label, the ``$n`` best of the ``$k`` nearest nodes to ``$q`` that pass ``filters``.

    Partner labels return their own matches; ``Article`` returns matched articles joined to the
    partners (of the partner labels asked, or any when none is) that published them. Rows:
    label (the partner's), id, name, country, language, audience_size, brand_safety_flag,
    article, title (null for own-text matches), score in [0, 1] (higher is closer).
    """
    checked = [check_label(x) for x in labels]
    unknown = [f for f in filters if f not in FILTERS]
    if unknown:
        raise ValueError(f"unknown search filters {unknown}")
    conds = [FILTERS[f] for f in filters]
    partners = [x for x in checked if x != "Article"] or list(PARTNERS)
    branches = []
    for label in checked:
        if label == "Article":
            body = _ARTICLE_BRANCH.replace("{fields}", _PARTNER_FIELDS).format(
                partner=" OR ".join(f"p:{x}" for x in partners),
                filters="".join(f" AND {c}" for c in conds))
        else:
            where = "\nWHERE " + " AND ".join(conds) if conds else ""
            body = _PARTNER_BRANCH.replace("{fields}", _PARTNER_FIELDS).format(where=where, label=label)
        branches.append(_call(backend, label) + body)
    return "\nUNION ALL\n".join(branches)


def nearest(store: GraphStore, labels: Sequence[str], vector: Iterable[float], k: int, n: int | None = None,
            filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of :func:`nearest_query` on the store's backend: ``k`` nodes asked of each index, at most
    ``n`` (default ``k``) rows kept per label; ``filters`` maps :data:`FILTERS` names to values."""
    active = {f: v for f, v in (filters or {}).items() if v is not None and v is not False}
    params: dict[str, Any] = {"k": int(k), "n": int(n if n is not None else k),
                              "q": [float(x) for x in vector]}
    params.update({f: v for f, v in active.items() if f != "safe_only"})
    query = nearest_query(store.backend, labels, sorted(active))
    return [dict(r) for r in store.read(query, params).rows]


def partner_fields_query(label: str) -> str:
    """The fields search filters on and shows, of the ``$ids`` partners of one label (brute-force path)."""
    return with_names("MATCH (p:{label}) WHERE p.id IN $ids\nRETURN " + _PARTNER_FIELDS, label=check_label(label))
