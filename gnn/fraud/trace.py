"""``trace A B``: how two affiliates are connected through shared identifiers, and the evidence.

Paths run over the cached identifier graph of the latest fraud run (``fraud/cache`` under
HOME): affiliates are nodes, a link is the set of identifiers two affiliates share, and its
cost is ``1 / min(strength, 1)`` (strong, rare, heavily used identifiers are short hops). The
result has the fewest-hop path and the ``k`` cheapest simple paths (Yen's algorithm, via
each spur path a scipy Dijkstra), each hop with its shared identifiers: kind, pseudonym,
rarity weight, how many affiliates use it, each side's event count and the provenance of each
side's first use (source file and row, or URL).

Load a :class:`TraceIndex` once and call :meth:`TraceIndex.trace` many times (the app does);
the CLI loads it per call. The store is read for the names of the affiliates on the paths.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.fraud import queries as Q
from graph.errors import InputError, NotBuilt
from graph.store.base import GraphStore

MIN_TRACE_LINK = 0.02  # weaker links (a few end users seen on both sites) are not walked


@dataclass
class Hop:
    src: str
    dst: str
    strength: float
    identifiers: list[dict[str, Any]]


@dataclass
class TracePath:
    affiliates: list[str]
    cost: float
    hops: list[Hop]

    def as_dict(self) -> dict[str, Any]:
        return {"affiliates": self.affiliates, "cost": round(self.cost, 4),
                "hops": [{"from": h.src, "to": h.dst, "strength": round(h.strength, 4),
                          "identifiers": h.identifiers} for h in self.hops]}


@dataclass
class TraceResult:
    a: str
    b: str
    shortest: TracePath | None
    paths: list[TracePath]
    names: dict[str, str] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"v": 1, "a": self.a, "b": self.b, "names": self.names,
                "nodes": sorted({x for p in self.paths for x in p.affiliates}),
                "shortest": self.shortest.as_dict() if self.shortest else None,
                "paths": [p.as_dict() for p in self.paths], "elapsed_ms": round(self.elapsed_ms, 1)}

    def lines(self) -> list[str]:
        def nm(x: str) -> str:
            return f"{x} ({self.names[x]})" if self.names.get(x) else x

        if not self.paths:
            return [f"no path between {nm(self.a)} and {nm(self.b)} through shared identifiers"]
        out = []
        for i, p in enumerate(self.paths, 1):
            out.append(f"path {i}: {len(p.hops)} hop(s), cost {p.cost:.2f}: " + " -> ".join(p.affiliates))
            for h in p.hops:
                out.append(f"  {nm(h.src)} -- {nm(h.dst)}  strength {h.strength:.3f}")
                for ident in h.identifiers:
                    out.append(f"    {ident['kind']:<15} {ident['id']}  rarity {ident['weight']:.2f}, "
                               f"used by {ident['affiliates_using']} affiliates, events {ident['n_from']}/"
                               f"{ident['n_to']}; source {ident.get('source_from') or '?'} | "
                               f"{ident.get('source_to') or '?'}")
        return out


def prepare(pairs: pd.DataFrame, evidence: pd.DataFrame, uses: pd.DataFrame, min_link: float = MIN_TRACE_LINK,
            top: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The part of the identifier graph ``trace`` walks: links of at least ``min_link`` and, per
    link, its ``top`` identifiers with both sides' first use and source (saved by the stage)."""
    p = pairs[pairs["strength"] >= min_link][["a", "b", "strength"]].reset_index(drop=True)
    e = evidence.merge(p[["a", "b"]], on=["a", "b"])
    e = e.sort_values(["a", "b", "contribution", "ident"], ascending=[True, True, False, True], kind="stable")
    e = e.groupby(["a", "b"], sort=False).head(top)
    u = uses[["affiliate", "ident", "source", "first"]].drop_duplicates(["affiliate", "ident"])
    for side in ("a", "b"):
        e = e.merge(u.rename(columns={"affiliate": side, "source": f"source_{side}", "first": f"first_{side}"}),
                    on=[side, "ident"], how="left")
    return p, e.reset_index(drop=True)


class TraceIndex:
    """The identifier graph of the latest fraud run, ready for path queries."""

    def __init__(self, pairs: pd.DataFrame, evidence: pd.DataFrame) -> None:
        import networkx as nx

        self.graph = nx.Graph()
        self.graph.add_edges_from(
            (a, b, {"strength": float(s), "cost": 1.0 / min(float(s), 1.0)})
            for a, b, s in zip(pairs["a"], pairs["b"], pairs["strength"], strict=True))
        self.affiliates = set(self.graph.nodes)
        self._nodes = list(self.graph.nodes)
        self._index = {n: i for i, n in enumerate(self._nodes)}
        self._csr = self._matrix()
        ev = evidence.sort_values(["a", "b", "contribution"], ascending=[True, True, False], kind="stable")
        self._ev = ev.reset_index(drop=True)
        keys = (self._ev["a"] + "\x00" + self._ev["b"]).to_numpy()
        uniq, start = np.unique(keys, return_index=True)
        ends = np.r_[start[1:], len(keys)]
        self._pos = {str(k): (int(s), int(e)) for k, s, e in zip(uniq, start, ends, strict=True)}
        self._cols = {c: self._ev[c].to_numpy() for c in ("kind", "ident", "weight", "degree", "n_a", "n_b",
                                                           "contribution", "source_a", "source_b", "first_a",
                                                           "first_b")}

    def _matrix(self) -> Any:
        """Symmetric CSR of link costs, with each entry's mirror position (to cut edges fast)."""
        import scipy.sparse as sp

        n = len(self._nodes)
        rows, cols, cost = [], [], []
        for u, v, c in self.graph.edges(data="cost"):
            i, j = self._index[u], self._index[v]
            rows += [i, j]
            cols += [j, i]
            cost += [c, c]
        m = sp.csr_matrix((np.array(cost, dtype=float), (rows, cols)), shape=(n, n))
        m.sort_indices()
        r = np.repeat(np.arange(n), np.diff(m.indptr))
        key = r.astype(np.int64) * n + m.indices
        mirror = m.indices.astype(np.int64) * n + r
        self._mirror = np.searchsorted(key, mirror)
        return m

    def _entry(self, i: int, j: int) -> int:
        lo, hi = self._csr.indptr[i], self._csr.indptr[i + 1]
        return int(lo + np.searchsorted(self._csr.indices[lo:hi], j))

    def k_cheapest(self, a: str, b: str, k: int) -> list[list[str]]:
        """The ``k`` cheapest simple paths from ``a`` to ``b`` (Yen's algorithm, each spur path a
        C-speed Dijkstra on a copy of the cost matrix with the forbidden nodes and edges cut)."""
        import heapq

        import scipy.sparse as sp
        from scipy.sparse.csgraph import dijkstra

        m, n = self._csr, len(self._nodes)
        s, t = self._index[a], self._index[b]

        def cheapest(data: np.ndarray, src: int) -> tuple[float, list[int]]:
            g = sp.csr_matrix((data, m.indices, m.indptr), shape=(n, n))
            dist, pred = dijkstra(g, directed=True, indices=src, return_predecessors=True)
            if not np.isfinite(dist[t]):
                return np.inf, []
            path, x = [t], t
            while x != src:
                x = int(pred[x])
                path.append(x)
            return float(dist[t]), path[::-1]

        def cost(path: list[int]) -> float:
            return float(sum(m.data[self._entry(u, v)] for u, v in itertools.pairwise(path)))

        _, first = cheapest(m.data, s)
        if not first:
            return []
        found: list[list[int]] = [first]
        heap: list[tuple[float, list[int]]] = []
        seen = {tuple(first)}
        while len(found) < k:
            prev = found[-1]
            for j in range(len(prev) - 1):
                spur, root = prev[j], prev[:j + 1]
                data = m.data.copy()
                for p in found:
                    if p[:j + 1] == root and len(p) > j + 1:
                        pos = self._entry(p[j], p[j + 1])
                        data[pos] = data[self._mirror[pos]] = np.inf
                for node in root[:-1]:
                    lo, hi = m.indptr[node], m.indptr[node + 1]
                    data[lo:hi] = np.inf
                    data[self._mirror[lo:hi]] = np.inf
                d, tail = cheapest(data, spur)
                if tail:
                    cand = root[:-1] + tail
                    if tuple(cand) not in seen:
                        seen.add(tuple(cand))
                        heapq.heappush(heap, (cost(root) + d, cand))
            if not heap:
                break
            found.append(heapq.heappop(heap)[1])
        return [[self._nodes[i] for i in p] for p in found]

    @classmethod
    def load(cls, cache: Path) -> TraceIndex:
        if not (cache / "trace_pairs.parquet").exists():
            raise NotBuilt("no fraud run yet", hint="run: partnergraph fraud")
        return cls(pd.read_parquet(cache / "trace_pairs.parquet"), pd.read_parquet(cache / "trace_evidence.parquet"))

    def add_known(self, ids: set[str]) -> None:
        """Affiliates without strong enough links (so ``trace`` says "no path", not "unknown")."""
        self.affiliates |= ids

    def resolve(self, ref: str) -> str:
        """An affiliate id from a graph id or a bare network id."""
        ref = ref.strip()
        if ref in self.affiliates:
            return ref
        hits = [x for x in self.affiliates if x.rsplit(":", 1)[-1] == ref]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise InputError(f"{ref!r} names {len(hits)} affiliates in different networks",
                             hint="give the full id affiliate:<network>:<id>")
        raise InputError(f"unknown affiliate {ref!r}", hint="give an id like affiliate:gen-net:107334")

    def hop(self, u: str, v: str) -> Hop:
        lo, hi = sorted((u, v))
        s, e = self._pos.get(lo + "\x00" + hi, (0, 0))
        c = self._cols
        idents = []
        for i in range(s, e):
            fwd = u == lo
            n_u, n_v = (c["n_a"][i], c["n_b"][i]) if fwd else (c["n_b"][i], c["n_a"][i])
            src_u, src_v = (c["source_a"][i], c["source_b"][i]) if fwd else (c["source_b"][i], c["source_a"][i])
            f_u, f_v = (c["first_a"][i], c["first_b"][i]) if fwd else (c["first_b"][i], c["first_a"][i])
            idents.append({"kind": str(c["kind"][i]), "id": str(c["ident"][i]),
                           "weight": round(float(c["weight"][i]), 4), "affiliates_using": int(c["degree"][i]),
                           "n_from": int(n_u), "n_to": int(n_v), "contribution": round(float(c["contribution"][i]), 5),
                           "source_from": _text(src_u), "source_to": _text(src_v),
                           "first_from": _text(f_u), "first_to": _text(f_v)})
        return Hop(u, v, float(self.graph.edges[u, v]["strength"]), idents)

    def _path(self, nodes: list[str]) -> TracePath:
        hops = [self.hop(u, v) for u, v in itertools.pairwise(nodes)]
        return TracePath(list(nodes), float(sum(self.graph.edges[u, v]["cost"] for u, v in itertools.pairwise(nodes))),
                         hops)

    def trace(self, a: str, b: str, k: int = 3) -> TraceResult:
        import time

        import networkx as nx

        t0 = time.perf_counter()
        a, b = self.resolve(a), self.resolve(b)
        if a == b:
            raise InputError("trace needs two different affiliates")
        if k < 1 or k > 20:
            raise InputError(f"k={k} is out of range", hint="use 1..20")
        if a not in self.graph or b not in self.graph or not nx.has_path(self.graph, a, b):
            return TraceResult(a, b, None, [], elapsed_ms=(time.perf_counter() - t0) * 1000)
        fewest = nx.bidirectional_shortest_path(self.graph, a, b)
        paths = [self._path(nodes) for nodes in self.k_cheapest(a, b, k)]
        return TraceResult(a, b, self._path(fewest), paths, elapsed_ms=(time.perf_counter() - t0) * 1000)


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def trace(store: GraphStore, index: TraceIndex, a: str, b: str, k: int = 3) -> TraceResult:
    """Trace and name the affiliates on the paths (one parameterised read of the store)."""
    import time

    t0 = time.perf_counter()
    unknown = [x for x in (a, b) if x.strip() not in index.affiliates and not any(
        y.rsplit(":", 1)[-1] == x.strip() for y in index.affiliates)]
    if unknown:  # an affiliate with no strong enough links is known to the graph, not to the index
        known = store.read(Q.KNOWN_AFFILIATES, {"refs": [x.strip() for x in unknown]}).rows
        index.add_known({r["id"] for r in known})
    res = index.trace(a, b, k)
    ids = sorted({x for p in res.paths for x in p.affiliates} | {res.a, res.b})
    res.names = {r["id"]: r.get("name") or "" for r in store.read(Q.NAMES, {"ids": ids}).rows}
    res.elapsed_ms = (time.perf_counter() - t0) * 1000
    return res


def to_json(res: TraceResult) -> str:
    return json.dumps(res.as_dict(), indent=1, default=str)
