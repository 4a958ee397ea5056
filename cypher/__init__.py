"""Saved, parameterised Cypher queries, one per ``.cypher`` file, named by intent.

Each file starts with a header comment::

    // purpose: what the query answers, in one line
    // params: id:string, limit:int          (or "none")
    // compare: exact | set | topk           (how the differential test compares backends)
    // compare-columns: hops                 (optional: compare only these columns)

A query is portable unless it has variants ``name.neo4j.cypher`` / ``name.falkordb.cypher``.
Values only ever arrive as ``$params``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from graph.errors import InputError

BACKENDS = ("neo4j", "falkordb")
PARAM_TYPES = {"string": str, "int": int, "float": float, "bool": bool, "list": list}
HEADER = re.compile(r"^//\s*([a-z-]+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class SavedQuery:
    name: str
    purpose: str
    params: dict[str, str]
    compare: str
    texts: dict[str, str]  # backend -> text
    compare_columns: tuple[str, ...] = field(default=())

    def text(self, backend: str) -> str:
        return self.texts[backend]

    def coerce(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Typed parameters from raw values (strings from a form or the CLI)."""
        out: dict[str, Any] = {}
        for name, kind in self.params.items():
            if name not in raw or raw[name] in (None, ""):
                raise InputError(f"query {self.name} needs ${name} ({kind})")
            out[name] = coerce_value(raw[name], kind, name)
        unknown = set(raw) - set(self.params)
        if unknown:
            raise InputError(f"query {self.name} has no parameter(s) {', '.join(sorted(unknown))}")
        return out


def coerce_value(value: Any, kind: str, name: str = "value") -> Any:
    if kind not in PARAM_TYPES:
        raise InputError(f"unknown parameter type {kind!r}", hint=f"use one of {', '.join(PARAM_TYPES)}")
    if not isinstance(value, str):
        return value
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if value.lower() in ("true", "1", "yes"):
                return True
            if value.lower() in ("false", "0", "no"):
                return False
            raise ValueError(value)
        if kind == "list":
            return [v.strip() for v in value.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"${name}={value!r} is not a valid {kind}") from None
    return value


def _parse(name: str, base: str, variants: dict[str, str]) -> SavedQuery:
    meta: dict[str, str] = {}
    for line in base.splitlines():
        m = HEADER.match(line.strip())
        if not m:
            if line.strip() and not line.strip().startswith("//"):
                break
            continue
        meta[m.group(1)] = m.group(2).strip()
    for key in ("purpose", "params", "compare"):
        if key not in meta:
            raise ValueError(f"cypher/{name}.cypher lacks a '// {key}:' header line")
    params: dict[str, str] = {}
    if meta["params"].lower() != "none":
        for part in meta["params"].split(","):
            pname, _, ptype = part.strip().lstrip("$").partition(":")
            params[pname.strip()] = ptype.strip() or "string"
    if meta["compare"] not in ("exact", "set", "topk"):
        raise ValueError(f"cypher/{name}.cypher: compare must be exact, set or topk")
    texts = {b: variants.get(b, base) for b in BACKENDS}
    cols = tuple(c.strip() for c in meta.get("compare-columns", "").split(",") if c.strip())
    return SavedQuery(name, meta["purpose"], params, meta["compare"], texts, cols)


@cache
def catalog() -> dict[str, SavedQuery]:
    """Every saved query by name."""
    files = {p.name: p.read_text(encoding="utf-8") for p in resources.files(__name__).iterdir()
             if p.name.endswith(".cypher")}
    out = {}
    for fname, text in sorted(files.items()):
        parts = fname.removesuffix(".cypher").split(".")
        if len(parts) == 1:
            variants = {b: files[f"{parts[0]}.{b}.cypher"] for b in BACKENDS
                        if f"{parts[0]}.{b}.cypher" in files}
            out[parts[0]] = _parse(parts[0], text, variants)
    return out


def get(name: str) -> SavedQuery:
    queries = catalog()
    if name not in queries:
        raise InputError(f"no saved query {name!r}", hint=f"saved queries: {', '.join(sorted(queries))}")
    return queries[name]


def load(name: str, backend: str) -> str:
    """The text of saved query ``name`` for ``backend``."""
    return get(name).text(backend)
