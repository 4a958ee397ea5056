"""Render query results as a text table, CSV or JSON (pure functions)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from graph.store.base import QueryResult

MAX_CELL = 60


def cell(value: Any) -> str:
    """A short text for one value; nodes, relationships and paths get a compact form."""
    if isinstance(value, dict) and value.get("kind") == "node":
        props = value.get("properties", {})
        name = props.get("name") or props.get("title") or props.get("id") or value.get("element_id")
        return f"({':'.join(value.get('labels', []))} {name})"
    if isinstance(value, dict) and value.get("kind") == "relationship":
        return f"[:{value.get('type')}]"
    if isinstance(value, dict) and value.get("kind") == "path":
        return f"<path of {len(value.get('relationships', []))} hops>"
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def to_table(result: QueryResult) -> str:
    cols = result.columns
    rows = [[cell(r.get(c)) for c in cols] for r in result.rows]
    rows = [[v if len(v) <= MAX_CELL else v[: MAX_CELL - 1] + "…" for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    note = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    note += ", truncated by the row cap)" if result.truncated else ")"
    return "\n".join(out + [note])


def to_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(result.columns)
    for r in result.rows:
        writer.writerow([cell(r.get(c)) for c in result.columns])
    return buf.getvalue()


def to_json(result: QueryResult) -> str:
    return json.dumps({"columns": result.columns, "rows": result.rows, "truncated": result.truncated},
                      default=str, ensure_ascii=False, indent=1)


FORMATS = {"table": to_table, "csv": to_csv, "json": to_json}


def parse_param(text: str) -> tuple[str, Any]:
    """``k=v`` (string) or ``k:type=v`` with type int, float, bool, list, string."""
    from cypher import coerce_value
    from graph.errors import InputError

    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise InputError(f"--param {text!r} is not name=value", hint="e.g. --param n:int=5")
    pname, _, kind = name.partition(":")
    if not pname.isidentifier():
        raise InputError(f"--param name {pname!r} is not a valid identifier")
    return pname, coerce_value(raw, kind or "string", pname)
