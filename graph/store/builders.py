"""Named builders for the store's own write queries.

Only labels, types and property names checked against the schema are spliced into the text;
every value travels in ``$rows``. Both backends run the same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph.schema import check_identifier, check_label, check_rel_type

Row = dict[str, Any]


def with_names(template: str, **names: str | int) -> str:
    """Query text with schema names (labels, types, property names) filled into ``{slots}``.

    Only identifiers that pass :func:`check_identifier` (and integers) are accepted; values
    always travel as ``$params``.
    """
    for value in names.values():
        if not isinstance(value, int):
            check_identifier(value)
    return template.format(**names)


UPSERT_NODES = """UNWIND $rows AS row
MERGE (n:{label} {{id: row.id}})
ON CREATE SET n.first_seen = coalesce(row.first_seen, $first_seen)
SET n += row.props
SET n += $common{extra}
RETURN count(n) AS written"""

UPSERT_RELS = """UNWIND $rows AS row
MATCH (a:{src} {{id: row.src}})
MATCH (b:{dst} {{id: row.dst}})
MERGE (a)-[r:{rel}{keytext}]->(b)
ON CREATE SET r.first_seen = coalesce(row.first_seen, $first_seen)
SET r += row.props
SET r += $common
RETURN count(r) AS written"""


#: Bulk-load forms for rows known to be new (an empty label or type, unique rows): ``CREATE``
#: skips MERGE's lookup per row. Same properties and provenance as the upserts.
CREATE_NODES = """UNWIND $rows AS row
CREATE (n:{label} {{id: row.id}})
SET n.first_seen = coalesce(row.first_seen, $first_seen)
SET n += row.props
SET n += $common{extra}
RETURN count(n) AS written"""

CREATE_RELS = """UNWIND $rows AS row
MATCH (a:{src} {{id: row.src}})
MATCH (b:{dst} {{id: row.dst}})
CREATE (a)-[r:{rel}]->(b)
SET r.first_seen = coalesce(row.first_seen, $first_seen)
SET r += row.props
SET r += $common
RETURN count(r) AS written"""


def upsert_nodes_query(label: str, extra_labels: Sequence[str] = (), *, new: bool = False) -> str:
    extra = "".join("\nSET n:" + check_label(x) for x in extra_labels)
    return (CREATE_NODES if new else UPSERT_NODES).format(label=check_label(label), extra=extra)


def upsert_relationships_query(
    rel_type: str, src_label: str, dst_label: str, key: Sequence[str] = (), *, new: bool = False
) -> str:
    if new:
        return CREATE_RELS.format(src=check_label(src_label), dst=check_label(dst_label),
                                  rel=check_rel_type(rel_type))
    keymap = ", ".join(f"{check_identifier(k)}: row.key.{k}" for k in key)
    keytext = f" {{{keymap}}}" if keymap else ""
    return UPSERT_RELS.format(src=check_label(src_label), dst=check_label(dst_label),
                              rel=check_rel_type(rel_type), keytext=keytext)


def node_rows(rows: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Flat dicts -> ``{id, first_seen, props}``; ``None`` values are dropped, never erase."""
    out = []
    for r in rows:
        if r.get("id") in (None, ""):
            raise ValueError("every node row needs an 'id'")
        props = {k: v for k, v in r.items() if v is not None and k != "id"}
        out.append({"id": str(r["id"]), "first_seen": props.pop("first_seen", None), "props": props})
    return out


def rel_rows(rows: Iterable[Mapping[str, Any]], key: Sequence[str] = ()) -> list[Row]:
    """Flat dicts with ``src``/``dst`` -> ``{src, dst, key, first_seen, props}``."""
    out = []
    for r in rows:
        if r.get("src") in (None, "") or r.get("dst") in (None, ""):
            raise ValueError("every relationship row needs 'src' and 'dst'")
        props = {k: v for k, v in r.items() if v is not None and k not in ("src", "dst")}
        keyvals = {k: props.get(k) for k in key}
        if any(v is None for v in keyvals.values()):
            raise ValueError(f"relationship rows need key properties {list(key)}")
        out.append({
            "src": str(r["src"]),
            "dst": str(r["dst"]),
            "key": keyvals,
            "first_seen": props.pop("first_seen", None),
            "props": props,
        })
    return out


def batch_params(rows: list[Row]) -> dict[str, Any]:
    """Parameters of one upsert batch: properties equal on every row (provenance, mostly) are
    sent once as ``$common`` and ``$first_seen`` instead of on each row, which shrinks what a
    batch sends (FalkorDB receives parameters as text) without changing what is written."""
    if not rows:
        return {"rows": rows, "common": {}, "first_seen": None}
    first = rows[0]["props"]
    common = {k: v for k, v in first.items()
              if not isinstance(v, list | dict) and all(r["props"].get(k, _MISSING) == v for r in rows)}
    first_seen = rows[0]["first_seen"]
    same_seen = all(r["first_seen"] == first_seen for r in rows)
    slim = []
    for r in rows:
        props = {k: v for k, v in r["props"].items() if k not in common} if common else r["props"]
        slim.append({**r, "props": props, "first_seen": None if same_seen else r["first_seen"]})
    return {"rows": slim, "common": common, "first_seen": first_seen if same_seen else None}


_MISSING = object()
