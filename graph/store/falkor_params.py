"""A fast encoder for FalkorDB's ``CYPHER name=value`` parameter header.

FalkorDB receives parameters as Cypher literals in front of the query text. The client's own
encoder makes several calls per value and dominated bulk loads (about 45% of the time of a
``ci`` load). This one produces the same text with one type dispatch per value; a unit test
checks it against the client's encoder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _encode(value: Any, out: list[str]) -> None:
    """Append ``value``'s literal to ``out``; scalars inside containers are handled inline,
    so a batch of rows costs one call per row and per nested map, not one per value."""
    t = type(value)
    if t is dict or t is list or t is tuple:
        is_map = t is dict
        out.append("{" if is_map else "[")
        items = value.items() if is_map else enumerate(value)
        first = True
        for k, v in items:
            if is_map:
                key = str(k)
                if not key or "`" in key:
                    raise ValueError(f"map key {key!r} cannot be sent to FalkorDB")
                out.append(("`" if first else ",`") + key + "`:")
            elif not first:
                out.append(",")
            first = False
            vt = type(v)
            if vt is str:
                out.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
            elif v is None:
                out.append("null")
            elif vt is int or vt is float or vt is bool:
                out.append(str(v))
            else:
                _encode(v, out)
        out.append("}" if is_map else "]")
    elif t is str:
        out.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    elif value is None:
        out.append("null")
    elif t is bytes:
        _encode(value.decode(), out)
    elif isinstance(value, Mapping):
        _encode(dict(value), out)
    else:  # int, float, bool and anything else: as the client does
        out.append(str(value))


def encode(value: Any) -> str:
    """One parameter value as FalkorDB Cypher literal text."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def params_header(params: Mapping[str, Any] | None) -> str:
    """``CYPHER `a`=1 `b`="x" `` for ``params``; empty without parameters."""
    if not params:
        return ""
    parts = ["CYPHER"]
    for key, value in params.items():
        if not key or "`" in key:
            raise ValueError(f"parameter name {key!r} cannot be sent to FalkorDB")
        parts.append(f"`{key}`={encode(value)}")
    return " ".join(parts) + " "
