"""A bounded shortest path between two nodes on the embedded store (console, ``query --saved``).

Why: on FalkorDB the saved query ``shortest_path`` has to use ``algo.SPpaths`` (``shortestPath``
is allowed there only on directed patterns in WITH/RETURN). That procedure is a depth-first walk
over every simple path up to ``maxLen``; on ``medium`` one pair ran for minutes, and the server
keeps walking after it has answered the client "Query timed out" (measured: see docs/app.md).

Here the same question is answered by a bidirectional breadth-first search done as a few short
Cypher reads (:data:`graph.queries.PATH_EXPAND`, one per frontier expansion, the smaller side
first, by what its last step read per node). Each read has the time left as its server timeout and a row limit, so the whole search
stops within the console's timeout, either with a path (same length as Neo4j's ``shortestPath``:
level-synchronous expansion from both ends finds a shortest one) or with a plain sentence: "no
path within 6 hops", or where and why it stopped.

:func:`search` is pure (it is handed an ``expand`` function); :func:`shortest_path` is the store
edge; :func:`console_result` gives the console (and ``partnergraph query --saved``) a table and a
sentence. The untrusted-query guard refuses ``algo.SPpaths`` / ``algo.SSpaths`` typed by hand
(:mod:`graph.store.guard`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph import queries
from graph.errors import InputError, QueryTimeout
from graph.store.base import GraphStore, QueryResult

#: Longest path looked for, in hops (as the saved query: ``[*..6]``).
MAX_HOPS = 6
#: Most relationships one expansion step may read; a frontier that touches more stops the search.
STEP_CAP = 60_000
#: Most nodes the search may hold (both sides together).
VISITED_CAP = 250_000

#: ``expand(frontier, limit, timeout_s)`` -> ``(from, to)`` pairs of internal node ids, at most
#: ``limit + 1`` of them (one more than ``limit`` says the step was cut).
Expand = Callable[[Sequence[int], int, float], list[tuple[int, int]]]


@dataclass
class PathSearch:
    """The outcome of a search: a path of internal node ids, or why there is none."""

    found: bool
    nodes: list[int] = field(default_factory=list)  # internal ids, from source to target
    exhausted: bool = False  # True: every path up to max_hops was ruled out
    stopped: str | None = None  # why the search stopped early, in words
    steps: int = 0
    visited: int = 0
    elapsed_s: float = 0.0

    @property
    def hops(self) -> int | None:
        return len(self.nodes) - 1 if self.found else None


def _walk(parents: Mapping[int, int | None], node: int) -> list[int]:
    out = [node]
    while (p := parents[out[-1]]) is not None:
        out.append(p)
    return out


def search(
    source: int,
    target: int,
    expand: Expand,
    *,
    max_hops: int = MAX_HOPS,
    budget_s: float = 10.0,
    step_cap: int = STEP_CAP,
    visited_cap: int = VISITED_CAP,
    clock: Callable[[], float] = time.monotonic,
) -> PathSearch:
    """Bidirectional BFS from ``source`` and ``target`` (undirected), within ``budget_s`` seconds.

    Each round expands every node of the cheaper frontier by one hop (the one whose nodes times
    the relationships per node its last step read is smaller). The first round that
    reaches a node the other side holds yields a shortest path: before it the two visited sets
    were disjoint, so no path was shorter than ``depth_a + depth_b + 1``, which it has.
    """
    start = clock()
    if source == target:
        return PathSearch(True, [source], exhausted=True, elapsed_s=0.0)
    parents: tuple[dict[int, int | None], dict[int, int | None]] = ({source: None}, {target: None})
    frontiers: list[list[int]] = [[source], [target]]
    depths = [0, 0]
    branching = [1.0, 1.0]  # relationships read per frontier node, at each side's last step
    steps = 0

    def out(**kw: Any) -> PathSearch:
        visited = len(parents[0]) + len(parents[1])
        return PathSearch(steps=steps, visited=visited, elapsed_s=clock() - start, **kw)

    while depths[0] + depths[1] < max_hops:
        if not frontiers[0] or not frontiers[1]:
            return out(found=False, exhausted=True)  # one side has nowhere left to go
        cost = [len(frontiers[i]) * branching[i] for i in (0, 1)]  # relationships the next step reads
        side = 0 if cost[0] <= cost[1] else 1
        left = budget_s - (clock() - start)
        if left <= 0:
            return out(found=False, stopped=f"stopped after {budget_s:g} s")
        try:
            pairs = expand(frontiers[side], step_cap, left)
        except QueryTimeout:
            return out(found=False, stopped=f"stopped after {budget_s:g} s")
        steps += 1
        if len(pairs) > step_cap:
            return out(found=False, stopped=(
                f"stopped: {len(frontiers[side]):,} nodes {depths[side] + 1} hop(s) from "
                f"{'the first' if side == 0 else 'the second'} node touch more than "
                f"{step_cap:,} relationships"))
        branching[side] = max(1.0, len(pairs) / len(frontiers[side]))
        mine, theirs = parents[side], parents[1 - side]
        nxt: list[int] = []
        for a, b in pairs:
            if b in theirs:  # the two searches meet at b
                near = _walk(mine, a)[::-1] + _walk(theirs, b)
                if side == 1:
                    near.reverse()
                return out(found=True, nodes=near)
            if b not in mine:
                mine[b] = a
                nxt.append(b)
        frontiers[side] = nxt
        depths[side] += 1
        if len(parents[0]) + len(parents[1]) > visited_cap:
            return out(found=False, stopped=f"stopped: the search reached more than {visited_cap:,} nodes")
    return out(found=False, exhausted=True)


# ------------------------------------------------------------------------------- store edge


def node_ref(store: GraphStore, node_id: str, timeout: float) -> int | None:
    """The internal id of the node whose ``id`` is ``node_id`` (one index seek per label)."""
    rows = store.read(queries.NODE_REF, {"id": node_id}, timeout=timeout, limit=2).rows
    return int(rows[0]["ref"]) if rows else None


def store_expand(store: GraphStore, rel_types: Sequence[str] | None = None) -> Expand:
    """One expansion step as a read of ``store`` (over ``rel_types`` only, when given)."""
    query = queries.path_expand(rel_types)

    def expand(frontier: Sequence[int], limit: int, timeout_s: float) -> list[tuple[int, int]]:
        rows = store.read(query, {"refs": list(frontier), "cap": limit + 1},
                          timeout=max(0.05, timeout_s), limit=len(frontier) + 1).rows
        return [(int(r["src"]), int(m)) for r in rows for m in r["dst"]]

    return expand


def shortest_path(store: GraphStore, a: str, b: str, *, max_hops: int = MAX_HOPS, budget_s: float = 10.0,
                  rel_types: Sequence[str] | None = None) -> tuple[PathSearch, list[str]]:
    """The search between the nodes with ids ``a`` and ``b`` (over ``rel_types`` only, when
    given), and the path as node ids.

    Raises :class:`InputError` when either id names no node.
    """
    t0 = time.monotonic()
    refs = []
    for name, value in (("a", a), ("b", b)):
        ref = node_ref(store, value, budget_s)
        if ref is None:
            raise InputError(f"${name}: no node has the id {value!r}", hint="copy an id from a profile or a search")
        refs.append(ref)
    left = budget_s - (time.monotonic() - t0)
    found = search(refs[0], refs[1], store_expand(store, rel_types), max_hops=max_hops, budget_s=left)
    if not found.found:
        return found, []
    rows = store.read(queries.NODE_IDS_BY_REF, {"refs": found.nodes}, timeout=max(1.0, left),
                      limit=len(found.nodes) + 1).rows
    by_ref = {int(r["ref"]): r["id"] for r in rows}
    return found, [str(by_ref.get(n, n)) for n in found.nodes]


def summary(found: PathSearch, *, max_hops: int = MAX_HOPS) -> str:
    """What the search found, in plain words."""
    took = f"{found.elapsed_s * 1000:,.0f} ms, {found.visited:,} nodes looked at"
    if found.found:
        return f"A shortest path of {found.hops} hop(s) ({took})."
    if found.exhausted:
        return f"No path found within {max_hops} hops ({took})."
    return (f"No path found: the search {found.stopped} before ruling out every path of up to "
            f"{max_hops} hops ({took}). Try two nodes closer together.")


def console_result(store: GraphStore, params: Mapping[str, Any], *, timeout: float) -> tuple[QueryResult, str]:
    """The saved query ``shortest_path`` as the console and the CLI run it on FalkorDB: rows and a
    sentence."""
    a, b = params.get("a"), params.get("b")
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        raise InputError("shortest_path needs $a and $b: two node ids as text")
    t0 = time.perf_counter()
    found, ids = shortest_path(store, a, b, budget_s=timeout)
    rows = [{"ids": ids, "hops": found.hops}] if found.found else []
    return QueryResult(["ids", "hops"], rows, elapsed_ms=(time.perf_counter() - t0) * 1000), summary(found)


#: Saved queries run as bounded searches on a backend, instead of their text.
BOUNDED: dict[tuple[str, str], Callable[..., tuple[QueryResult, str]]] = {
    ("shortest_path", "falkordb"): console_result,
}


def bounded_runner(name: str | None, backend: str) -> Callable[..., tuple[QueryResult, str]] | None:
    return BOUNDED.get((name, backend)) if name else None
