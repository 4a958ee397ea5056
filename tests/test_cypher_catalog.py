"""Saved queries: headers parse, every file is used by code, values arrive only as $params."""

from __future__ import annotations

import re
import subprocess
from importlib import resources
from pathlib import Path

import pytest

import cypher
from graph.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("graph", "crawlers", "embeddings", "gnn", "app", "bench")


def _code_text() -> str:
    parts = []
    for d in CODE_DIRS:
        for p in (ROOT / d).rglob("*.py"):
            parts.append(p.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_catalog_parses_every_file() -> None:
    names = {p.name.split(".")[0] for p in resources.files("cypher").iterdir() if p.name.endswith(".cypher")}
    assert names == set(cypher.catalog())
    for q in cypher.catalog().values():
        assert q.purpose and q.compare in ("exact", "set", "topk")
        for backend in cypher.BACKENDS:
            used = set(re.findall(r"\$([A-Za-z_]\w*)", q.text(backend)))
            assert used == set(q.params), f"{q.name} ({backend}) declares {set(q.params)} but uses {used}"


def test_every_saved_query_is_used_by_code() -> None:
    code = _code_text()
    unused = [name for name in cypher.catalog() if f'"{name}"' not in code and f"'{name}'" not in code]
    assert not unused, f"saved queries not referenced by any module: {unused}"


@pytest.mark.parametrize("name", sorted(cypher.catalog()))
def test_no_literal_values_in_where_clauses(name: str) -> None:
    text = "\n".join(ln for ln in cypher.load(name, "neo4j").splitlines() if not ln.startswith("//"))
    # A quoted literal compared with '=' or CONTAINS is a formatted value; only the schema
    # singleton id 'schema' is a fixed key.
    literals = re.findall(r"(?:=|CONTAINS|STARTS WITH)\s*'([^']*)'", text)
    assert set(literals) <= {"schema"}, f"{name} compares with literal values {literals}"


def test_coerce_types_and_errors() -> None:
    q = cypher.get("neighbourhood")
    assert q.coerce({"id": "x", "limit": "5"}) == {"id": "x", "limit": 5}
    with pytest.raises(InputError, match="not a valid int"):
        q.coerce({"id": "x", "limit": "five"})
    with pytest.raises(InputError, match=r"needs \$limit"):
        q.coerce({"id": "x"})
    with pytest.raises(InputError, match="no parameter"):
        q.coerce({"id": "x", "limit": "1", "other": "2"})
    with pytest.raises(InputError, match="no saved query"):
        cypher.get("drop_everything")


def test_no_cypher_built_by_fstring_with_values() -> None:
    out = subprocess.run(["git", "grep", "--untracked", "-nIE", r"f['\"](MATCH|MERGE|CREATE|UNWIND|CALL) ", "--", "*.py"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "", out.stdout
