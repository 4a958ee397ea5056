"""Pure helpers of the Cypher console: forms for saved queries, results as table/graph/CSV,
and plain-words explanations of refusals, timeouts and the row cap.

Nothing here runs a query: the page sends every query through ``store.guarded_read`` (EXPLAIN
allow-list, read-only, timeout, row cap) and hands the result or the error here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cypher
from app import explore_view
from graph.errors import InputError, PartnerGraphError, QueryError, QueryRefused, QueryTimeout
from graph.store.base import QueryResult

#: Longest query text accepted (characters); longer text is refused before it reaches the store.
MAX_QUERY_CHARS = 20_000
#: Longest parameter value accepted (characters).
MAX_PARAM_CHARS = 2_000
#: Rows shown in the table (the CSV holds every row the cap let through).
TABLE_ROWS = 500
#: Queries kept in the session history.
HISTORY_SIZE = 25
#: Most nodes drawn from a result (the rest are counted, not drawn).
GRAPH_NODES = 300

INPUT_TYPES = {"int": "number", "float": "number", "bool": "text", "list": "text", "string": "text"}
PLACEHOLDERS = {
    "int": "a whole number, e.g. 10",
    "float": "a number, e.g. 0.5",
    "bool": "true or false",
    "list": "comma-separated values (may be empty)",
    "string": "text",
}


# ------------------------------------------------------------------------------- saved queries


def saved_options(queries: Mapping[str, cypher.SavedQuery] | None = None) -> list[dict[str, str]]:
    """Dropdown options: each saved query labelled by its header purpose, sorted by label."""
    queries = queries if queries is not None else cypher.catalog()
    opts = [{"label": q.purpose.rstrip("."), "value": name, "title": name} for name, q in queries.items()]
    return sorted(opts, key=lambda o: o["label"].lower())


@dataclass(frozen=True)
class ParamField:
    name: str
    kind: str
    input_type: str
    placeholder: str
    step: str | None


def param_fields(q: cypher.SavedQuery) -> list[ParamField]:
    """One typed form field per ``$param`` of ``q``, in header order."""
    return [
        ParamField(
            name=name,
            kind=kind,
            input_type=INPUT_TYPES.get(kind, "text"),
            placeholder=PLACEHOLDERS.get(kind, "text"),
            step="1" if kind == "int" else ("any" if kind == "float" else None),
        )
        for name, kind in q.params.items()
    ]


def coerce_params(q: cypher.SavedQuery, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed parameters from the form, or :class:`InputError` saying which one is wrong and why.

    A ``list`` left empty is an empty list (e.g. "no type filter"); every other parameter is
    required. Numbers arrive from ``<input type=number>`` as numbers or strings.
    """
    cleaned: dict[str, Any] = {}
    for name, kind in q.params.items():
        value = raw.get(name)
        if isinstance(value, str):
            if len(value) > MAX_PARAM_CHARS:
                raise InputError(f"${name} is {len(value):,} characters long; the most accepted is {MAX_PARAM_CHARS:,}")
            value = value.strip()
        if kind == "list" and (value is None or value == ""):
            cleaned[name] = []
            continue
        if kind == "int" and isinstance(value, float):
            if not value.is_integer():
                raise InputError(f"${name}={value!r} is not a valid int", hint="use a whole number")
            value = int(value)
        if kind in ("int", "float") and isinstance(value, bool):
            raise InputError(f"${name}={value!r} is not a valid {kind}")
        if value is None or value == "":
            raise InputError(f"${name} is required: enter {PLACEHOLDERS.get(kind, kind)}")
        cleaned[name] = value
    out: dict[str, Any] = {}
    for name, kind in q.params.items():
        value = cleaned[name]
        out[name] = value if (kind == "list" and isinstance(value, list)) else cypher.coerce_value(value, kind, name)
        if kind in ("int", "float") and not isinstance(out[name], int | float):
            raise InputError(f"${name}={value!r} is not a valid {kind}")
        if kind == "int" and out[name] < 0:
            raise InputError(f"${name} must not be negative (got {out[name]})")
    return out


def check_query_text(text: str | None) -> str:
    """The query to run, or :class:`InputError` when it is empty or too long to be a query."""
    text = (text or "").strip()
    if not text:
        raise InputError("the editor is empty: write a Cypher query, or pick a saved query")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            f"the query is {len(text):,} characters long; the console accepts at most {MAX_QUERY_CHARS:,}",
            hint="a query that long is almost always pasted data: pass values as parameters or use a saved query",
        )
    if "\x00" in text:
        raise InputError("the query contains a NUL character; paste it as plain text")
    return text


# ------------------------------------------------------------------------------- messages


def explain_error(exc: BaseException, *, timeout: float | None = None) -> str:
    """What went wrong, in plain words, for the console's status line."""
    if isinstance(exc, QueryRefused):
        return (
            f"Refused: {exc}. The console only reads the graph; queries that create, change or "
            "delete data, load files or call administrative procedures are not run."
        )
    if isinstance(exc, QueryTimeout):
        limit = f" of {timeout:g} s" if timeout else ""
        return (
            f"Stopped: the query ran past the time limit{limit} and was cancelled ({exc}). "
            "Add a LIMIT, start from a node by id, or bound variable-length paths (e.g. [*1..3])."
        )
    if isinstance(exc, InputError):
        return f"Not run: {exc}."
    if isinstance(exc, QueryError):
        return f"The database could not run the query: {exc}."
    if isinstance(exc, PartnerGraphError):
        return str(exc)
    return f"Something went wrong on the server ({type(exc).__name__}); the details are in the server log."


def result_summary(result: QueryResult, *, cap: int) -> str:
    """One line: how many rows, how long, and whether the row cap cut the answer."""
    n = len(result.rows)
    text = f"{n:,} row{'s' if n != 1 else ''} in {result.elapsed_ms:,.0f} ms"
    if result.truncated:
        text += (
            f". Only the first {cap:,} rows are kept: the answer has more, and the console stops at "
            f"{cap:,}. Add a LIMIT or narrow the MATCH to see the rest"
        )
    elif n > TABLE_ROWS:
        text += f"; the table shows the first {TABLE_ROWS:,}, the CSV has all {n:,}"
    return text + "."


# ------------------------------------------------------------------------------- results


def _is_node(v: Any) -> bool:
    return isinstance(v, Mapping) and v.get("kind") == "node" and "labels" in v


def _is_rel(v: Any) -> bool:
    return isinstance(v, Mapping) and v.get("kind") == "relationship" and "start" in v


def _is_path(v: Any) -> bool:
    return isinstance(v, Mapping) and v.get("kind") == "path" and "nodes" in v


def cell_text(value: Any) -> str:
    """A value as table text: nodes as ``(:Label {id})``, relationships as ``[:TYPE]``, the rest JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if _is_node(value):
        props = value.get("properties") or {}
        ident = props.get("name") or props.get("id") or value.get("element_id")
        return f"(:{':'.join(value.get('labels') or [])} {ident})"
    if _is_rel(value):
        return f"[:{value.get('type')}]"
    if _is_path(value):
        return " → ".join(cell_text(n) for n in value.get("nodes") or [])
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def table(result: QueryResult, *, max_rows: int = TABLE_ROWS) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``(columns, data)`` for a DataTable: every cell as text (never markup)."""
    cols = list(result.columns) or (list(result.rows[0]) if result.rows else [])
    columns = [{"name": c, "id": f"c{i}"} for i, c in enumerate(cols)]
    data = [{f"c{i}": cell_text(row.get(c)) for i, c in enumerate(cols)} for row in result.rows[:max_rows]]
    return columns, data


def to_csv(result: QueryResult) -> str:
    """Every row as CSV text, cells as in the table. Cells starting with = + - @ are prefixed with
    a quote so spreadsheets do not run them as formulas."""
    cols = list(result.columns) or (list(result.rows[0]) if result.rows else [])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for row in result.rows:
        w.writerow([_csv_safe(cell_text(row.get(c))) for c in cols])
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _numeric(text) else text


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _walk(value: Any) -> Iterable[Mapping[str, Any]]:
    if _is_node(value) or _is_rel(value):
        yield value
    elif _is_path(value):
        yield from value.get("nodes") or []
        yield from value.get("relationships") or []
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def graph_elements(rows: Sequence[Mapping[str, Any]], *, max_nodes: int = GRAPH_NODES) -> tuple[list[dict[str, Any]], int]:
    """Cytoscape elements for the nodes, relationships and paths in ``rows``.

    Returns ``(elements, not_drawn)``: at most ``max_nodes`` nodes, relationships whose two ends
    are drawn, and how many nodes were left out. Empty when the result holds no graph values.
    """
    nodes: dict[str, dict[str, Any]] = {}
    rels: dict[str, dict[str, Any]] = {}
    extra = 0
    for row in rows:
        for value in row.values():
            for item in _walk(value):
                eid = str(item.get("element_id"))
                if _is_node(item):
                    if eid in nodes:
                        continue
                    if len(nodes) >= max_nodes:
                        extra += 1
                        continue
                    props = item.get("properties") or {}
                    label = (item.get("labels") or ["Node"])[0]
                    name = props.get("name") or props.get("title") or props.get("id") or eid
                    el = explore_view.node_element(f"n{eid}", label, str(name), props.get("audience_size"))
                    el["data"]["node_id"] = str(props.get("id") or "")
                    nodes[eid] = el
                elif eid not in rels:
                    rels[eid] = item  # type: ignore[assignment]
    edges = []
    for eid, r in rels.items():
        s, t = str(r.get("start")), str(r.get("end"))
        if s in nodes and t in nodes:
            edges.append({"data": {"id": f"r{eid}", "source": f"n{s}", "target": f"n{t}", "rel": str(r.get("type")),
                                   "links": 1, "width": 1.5}})
    return list(nodes.values()) + edges, extra


# ------------------------------------------------------------------------------- history


def history_entry(*, text: str, saved: str | None, params: Mapping[str, Any] | None, status: str,
                  rows: int | None, now: datetime | None = None) -> dict[str, Any]:
    """One history record (JSON-safe; long query text is shortened for the list)."""
    now = now or datetime.now(UTC)
    return {
        "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": text[:MAX_QUERY_CHARS],
        "saved": saved,
        "params": {k: v for k, v in (params or {}).items()},
        "status": status,
        "rows": rows,
    }


def add_history(history: Sequence[Mapping[str, Any]] | None, entry: Mapping[str, Any],
                size: int = HISTORY_SIZE) -> list[dict[str, Any]]:
    """Newest first, at most ``size`` entries; re-running the same query moves it to the top."""
    old = [dict(h) for h in history or [] if not (h.get("text") == entry["text"] and h.get("params") == entry.get("params"))]
    return [dict(entry)] + old[: size - 1]


def history_label(entry: Mapping[str, Any], width: int = 80) -> str:
    """A one-line caption for a history entry."""
    what = entry.get("saved") or " ".join(str(entry.get("text", "")).split())
    if len(what) > width:
        what = what[: width - 1] + "…"
    rows = entry.get("rows")
    outcome = f"{rows:,} rows" if isinstance(rows, int) else str(entry.get("status", ""))
    at = str(entry.get("at", ""))
    when = at[5:16].replace("T", " ") if len(at) >= 16 else at  # MM-DD HH:MM
    return f"{when} · {what} · {outcome}"


# ------------------------------------------------------------------------------- editor parameters

PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_PARAMS = 50


def parse_params(text: str | None) -> dict[str, Any]:
    """The editor's ``$parameters``: a JSON object of names to numbers, text, booleans, null or
    lists of those; :class:`InputError` saying what is wrong otherwise."""
    text = (text or "").strip()
    if not text:
        return {}
    if len(text) > MAX_PARAM_CHARS * 10:
        raise InputError(f"the parameters are {len(text):,} characters long; the most accepted is {MAX_PARAM_CHARS * 10:,}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"the parameters are not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                         hint='write an object, e.g. {"id": "pub:lemonde.fr", "k": 10}') from None
    if not isinstance(data, dict):
        raise InputError("the parameters must be a JSON object of name: value",
                         hint='e.g. {"id": "pub:lemonde.fr", "k": 10}')
    if len(data) > MAX_PARAMS:
        raise InputError(f"{len(data)} parameters; the most accepted is {MAX_PARAMS}")
    for name, value in data.items():
        if not PARAM_NAME.match(name):
            raise InputError(f"${name!r} is not a parameter name", hint="use letters, digits and _ (not first)")
        items = value if isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, str | int | float | bool) for v in items):
            raise InputError(f"${name} must be a number, text, true/false, null or a list of those")
    return data


def params_text(params: Mapping[str, Any] | None) -> str:
    """Parameters as the editor shows them (``{}`` when there are none)."""
    return json.dumps(dict(params or {}), ensure_ascii=False, sort_keys=True) if params else "{}"


# ------------------------------------------------------------------------------- schema


def schema_rows(label_counts: Mapping[str, int], rel_counts: Mapping[str, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Labels and relationship types with counts and their documented properties, largest first.

    Labels and types the schema documents but the graph does not hold yet are listed with 0.
    """
    from graph.schema import NODES, RELS

    labels = []
    for name in sorted(set(label_counts) | set(NODES), key=lambda n: (-int(label_counts.get(n, 0)), n)):
        if name == "SchemaInfo":
            continue
        nt = NODES.get(name)
        labels.append({"name": name, "count": int(label_counts.get(name, 0)),
                       "properties": list(nt.properties) if nt else [], "doc": nt.doc if nt else ""})
    rels = []
    for name in sorted(set(rel_counts) | set(RELS), key=lambda n: (-int(rel_counts.get(n, 0)), n)):
        rt = RELS.get(name)
        rels.append({"name": name, "count": int(rel_counts.get(name, 0)),
                     "properties": list(rt.properties) if rt else [], "doc": rt.doc if rt else ""})
    return labels, rels


def label_query(label: str) -> str:
    """A starter query for a label from the schema browser (the label is checked by the schema)."""
    from graph.schema import check_label

    return "MATCH (n:" + check_label(label) + ")\nRETURN n\nLIMIT 25"


def rel_query(rel_type: str) -> str:
    from graph.schema import check_rel_type

    return "MATCH (a)-[r:" + check_rel_type(rel_type) + "]->(b)\nRETURN a, r, b\nLIMIT 25"
