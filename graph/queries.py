"""Internal Cypher of the graph core's own reads (see :mod:`graph.paths`), as named strings.

Values travel as ``$params``; the only text spliced in is a label or relationship type checked
by :func:`graph.schema.check_label` / :func:`graph.schema.check_rel_type`.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.schema import NODES, check_label, check_rel_type

NODE_REF_OF_LABEL = "MATCH (n:{label} {{id: $id}}) RETURN id(n) AS ref"
#: The internal id of the node whose ``id`` is ``$id``: one index seek per label (a scan of every
#: node without a label costs 280 ms on medium).
NODE_REF = "\nUNION\n".join(NODE_REF_OF_LABEL.format(label=check_label(x)) for x in NODES)

#: One step of the bounded path search (:mod:`graph.paths`): the neighbours, either
#: direction, of the nodes whose internal ids are in ``$refs`` (an id seek each), at most ``$cap``
#: in all, as one row per node (a row per relationship costs three times as much to decode).
PATH_EXPAND = """UNWIND $refs AS ref
MATCH (n)--(m)
WHERE id(n) = ref
WITH ref, id(m) AS m
LIMIT $cap
RETURN ref AS src, collect(m) AS dst"""


def path_expand(rel_types: Sequence[str] | None = None) -> str:
    """:data:`PATH_EXPAND`, or the same step over ``rel_types`` only (types checked)."""
    if not rel_types:
        return PATH_EXPAND
    types = "|".join(check_rel_type(t) for t in rel_types)
    return PATH_EXPAND.replace("MATCH (n)--(m)", "MATCH (n)-[:" + types + "]-(m)")


#: The ``id`` of each node whose internal id is in ``$refs``.
NODE_IDS_BY_REF = """UNWIND $refs AS ref
MATCH (n)
WHERE id(n) = ref
RETURN ref, n.id AS id"""
