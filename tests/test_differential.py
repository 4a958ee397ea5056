"""Every saved query in cypher/ runs on both backends over one fixture graph and agrees."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cypher
from graph.bulk import write_frames
from graph.store import open_store
from graph.store.base import GraphStore, QueryResult
from tests.fixture_graph import QUERY_PARAMS, fixture_export

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def both(falkor_settings: Any, neo4j_settings: Any) -> dict[str, GraphStore]:
    stores: dict[str, GraphStore] = {}
    for name, settings in (("falkordb", falkor_settings), ("neo4j", neo4j_settings)):
        s = open_store(settings)
        s.clear()
        s.apply_schema()
        write_frames(s, fixture_export(), progress=False)
        stores[name] = s
    yield stores
    for s in stores.values():
        s.clear()
        s.close()


def _canon(value: Any) -> Any:
    # FalkorDB returns sum() of integers as a float; compare numbers by value.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 6)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in sorted(value.items()) if k != "element_id"}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value


def _rows(result: QueryResult, columns: tuple[str, ...]) -> list[str]:
    cols = list(columns) or result.columns
    return [json.dumps(_canon({c: r.get(c) for c in cols}), sort_keys=True, default=str) for r in result.rows]


def test_every_saved_query_has_fixture_params() -> None:
    assert set(cypher.catalog()) == set(QUERY_PARAMS), "add fixture params for new saved queries"


@pytest.mark.parametrize("name", sorted(cypher.catalog()))
def test_saved_query_agrees_across_backends(name: str, both: dict[str, GraphStore]) -> None:
    q = cypher.get(name)
    params = q.coerce({k: str(v) for k, v in QUERY_PARAMS[name].items()})
    results = {b: s.read(q.text(b), params) for b, s in both.items()}
    for backend, res in results.items():
        assert len(res.rows) >= 1, f"{name} returned no row on {backend}"
    a, b = (_rows(results[k], q.compare_columns) for k in ("falkordb", "neo4j"))
    if q.compare == "exact":
        assert a == b
    elif q.compare == "set":
        assert sorted(a) == sorted(b)
    else:  # topk: the same items in the same order, compared on the ranking columns
        assert a == b
