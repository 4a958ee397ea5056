"""The console's bounded shortest path (graph/paths.py): the pure bidirectional search against
networkx on random graphs, its limits (hops, step cap, time), and on a real store the same hops as
the saved query ``shortest_path`` (algo.SPpaths on FalkorDB, shortestPath on Neo4j)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import networkx as nx
import pytest

import cypher
from app import console_run
from graph import paths
from graph.bulk import write_frames
from graph.errors import InputError, QueryTimeout
from graph.store.base import GraphStore
from tests.fixture_graph import fixture_export


def _expander(g: nx.Graph, calls: list[int] | None = None) -> paths.Expand:
    def expand(frontier: Sequence[int], limit: int, _timeout: float) -> list[tuple[int, int]]:
        if calls is not None:
            calls.append(len(frontier))
        out = [(a, b) for a in frontier for b in g.neighbors(a)]
        return out[: limit + 1]

    return expand


@pytest.mark.parametrize("seed", range(6))
def test_search_finds_a_shortest_path_like_networkx(seed: int) -> None:
    rng = random.Random(seed)
    g = nx.gnm_random_graph(300, 330 + 40 * seed, seed=seed)  # sparse: some pairs far apart or cut off
    for _ in range(40):
        a, b = rng.randrange(300), rng.randrange(300)
        found = paths.search(a, b, _expander(g), max_hops=6)
        try:
            want: int | None = nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            want = None
        if want is not None and want <= 6:
            assert found.found and found.hops == want, (a, b)
            assert found.nodes[0] == a and found.nodes[-1] == b
            assert all(g.has_edge(u, v) for u, v in zip(found.nodes, found.nodes[1:], strict=False))
        else:
            assert not found.found and found.exhausted and found.stopped is None, (a, b, want)


def test_search_expands_the_smaller_side_and_stops_within_its_limits() -> None:
    star = nx.star_graph(500)  # hub 0 with 500 leaves, plus a tail 501-502-503 on leaf 1
    star.add_edges_from([(1, 501), (501, 502), (502, 503)])
    calls: list[int] = []
    found = paths.search(2, 503, _expander(star, calls))
    assert found.hops == 5 and found.nodes == [2, 0, 1, 501, 502, 503]
    assert max(calls) == 1  # the 500 leaves were never a frontier: the tail side went on instead

    capped = paths.search(0, 503, _expander(star), step_cap=100)
    assert not capped.found and not capped.exhausted and "more than 100 relationships" in str(capped.stopped)
    assert "No path found: the search stopped" in paths.summary(capped)

    near = paths.search(2, 503, _expander(star), max_hops=4)
    assert near.exhausted and paths.summary(near, max_hops=4).startswith("No path found within 4 hops")

    ticks = iter([0.0, 0.0, 5.0, 11.0, 11.0, 11.0])
    slow = paths.search(2, 503, _expander(star), budget_s=10.0, clock=lambda: next(ticks))
    assert not slow.found and slow.stopped == "stopped after 10 s"

    def timing_out(_f: Sequence[int], _l: int, _t: float) -> list[tuple[int, int]]:
        raise QueryTimeout("query timed out")

    assert paths.search(2, 503, timing_out).stopped == "stopped after 10 s"
    assert paths.search(7, 7, _expander(star)).hops == 0


@pytest.fixture
def fixture_store(store: GraphStore) -> GraphStore:
    write_frames(store, fixture_export(), progress=False)
    return store


def test_bounded_path_has_the_saved_query_hops_on_each_backend(fixture_store: GraphStore) -> None:
    q = cypher.get("shortest_path")
    export = fixture_export()
    ids = sorted({str(i) for frame in export.nodes.values() for i in frame["id"]})
    rng = random.Random(3)
    pairs = [("pub:lemonde.fr", "inf:@tennisqueen")] + [(rng.choice(ids), rng.choice(ids)) for _ in range(8)]
    compared = 0
    for a, b in pairs:
        if a == b:
            continue
        saved = fixture_store.read(q.text(fixture_store.backend), {"a": a, "b": b}).rows
        found, path_ids = paths.shortest_path(fixture_store, a, b)
        assert found.hops == (saved[0]["hops"] if saved else None), (a, b)
        if found.found:
            assert path_ids[0] == a and path_ids[-1] == b and len(path_ids) == (found.hops or 0) + 1
        compared += 1
    assert compared >= 7
    with pytest.raises(InputError, match="no node has the id"):
        paths.shortest_path(fixture_store, "pub:lemonde.fr", "pub:nowhere")


def test_console_runs_shortest_path_bounded_on_falkordb_natively_on_neo4j(fixture_store: GraphStore) -> None:
    text = cypher.load("shortest_path", fixture_store.backend)
    params = {"a": "pub:lemonde.fr", "b": "inf:@tennisqueen"}
    for saved in ("shortest_path", None):  # picked from the list, or its text in the editor
        result, note = console_run.run(fixture_store, "  " + text.replace("\n", "\n  "), params, saved=saved,
                                       timeout=10.0, limit=100)
        want = fixture_store.read(text, params).rows[0]["hops"]
        assert [r["hops"] for r in result.rows] == [want]
        if fixture_store.backend == "falkordb":
            assert note is not None and note.startswith(f"A shortest path of {want} hop(s)")
        else:
            assert note is None  # Neo4j's shortestPath honours the transaction timeout
    other, note = console_run.run(fixture_store, "MATCH (n:Publisher) RETURN count(n) AS n", {}, saved=None,
                                  timeout=10.0, limit=100)
    assert note is None and other.rows[0]["n"] == 3
    if fixture_store.backend == "falkordb":
        with pytest.raises(InputError, match=r"needs \$a and \$b"):
            console_run.run(fixture_store, text, {"a": "pub:lemonde.fr", "b": 7}, saved=None, timeout=10.0, limit=10)
