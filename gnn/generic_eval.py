"""``partnergraph eval linkpred``: models vs baselines on any edge list (held-out edges).

The graph comes through the generic import (:func:`graph.generic.read_graph`) and is treated
as undirected and simple (self-loops and duplicates dropped; with a ``sign`` column only
positive edges are links).

**Split.** With a ``time`` column: edges sorted by time, the last 10% are test, the 10% before
validation (temporal). Otherwise a random 80/10/10 split with ``--seed``. Validation is scored
on the training graph, test on training + validation edges; the shipped model is chosen on
validation (Hits@50, then MRR), never on test.

**Protocol (OGB-style, filtered, full candidate lists).** A held-out edge ``(u, v)`` is ranked
against *every* node that is not a neighbour of ``u`` in the full graph (so other held-out
edges never count as negatives). ``mrr`` is the mean reciprocal rank, ``hits@K`` the share of
held-out edges ranked in the top K, ``auc`` the share of negatives ranked below the positive
(ties 1/2), averaged over held-out edges. By default up to ``max_edges`` held-out edges per
split (a fixed random subset) are ranked, each against all of its candidates — the negatives
are never sampled.

**Models.** Heuristics (common neighbours, Adamic-Adar, resource allocation, preferential
attachment, feature cosine); a GraphSAGE encoder (inputs: degree, a 32-d SVD of the graph, the
node features) with a decoder that adds to the embeddings' dot product (weighted by a learned
gate that starts small) a small MLP over the pair's structure (log common neighbours, Adamic-Adar and resource allocation on the graph it
scores on, :data:`GNN_STRUCTURE`; as in NCN/BUDDY: a dot product cannot count paths), trained on
85% of the training edges (the message edges; each step's structure is read on that step's
message graph, so a supervision edge never counts its own path; early-stopped on validation);
a LightGBM model (binary loss, monotone constraints) on
pair features (:data:`PAIR_FEATURES`: the heuristics relative to the source, paths of length
3, personalised PageRank, word similarity of the pair and of their neighbourhoods, and the
categories of a node list's low-cardinality columns), trained on the other 15% (the
supervision edges): each supervision source's edges among its top-100 Adamic-Adar
non-neighbours, 60 of the next 4,900 and 40 random ones, with features from the message graph;
and the hybrid, the same model plus the GNN's score (out of sample on the supervision edges, as
the GNN never trained on them).

**Input checks.** Missing files, edges whose ends are not in ``--nodes``, a file of mostly
self-loops, a graph too small to split (under 20 edges or 10 nodes) and unreadable features are
one-line :class:`~graph.errors.InputError`. A few self-loops (MUSAE has 179) are dropped and
counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from graph.errors import InputError

log = logging.getLogger(__name__)

MAX_EDGES = 1000
MIN_EDGES = 20
MIN_NODES = 10
VALID_SHARE = 0.1
TEST_SHARE = 0.1
SELECT = "hits@50"
HEURISTICS = ("common_neighbours", "adamic_adar", "resource_allocation", "preferential_attachment",
              "feature_cosine")
#: Pair features. Heuristic scores enter relative to the source (share of the source's best
#: score, and rank percentile), so they mean the same on the 85% message graph the GBM trains on
#: and on the denser graphs it ranks on (raw Adamic-Adar values beyond the training range all
#: fell into the same leaves, which tied the top of the ranking).
#: The source's own degree is left out: it is constant within a source's ranking, and the trees
#: extrapolated it badly for the high-degree sources that dominate held-out edges. A spectral
#: (SVD) similarity is left out too: the SVD of the 85% message graph and of the evaluation
#: graph are different bases, and the trees trusted near-1 similarities of unrelated nodes.
#: The candidate's degree is left out as well (on MUSAE validation edges: Hits@50 0.655 with
#: it, 0.690 without).
#: Added after validation runs on MUSAE (seed 7; see docs): personalised PageRank from the
#: source (relative and rank), the candidate's words against the source's neighbours' words and
#: both neighbourhoods' words (cosine and rank), and for categorical node-list columns (MUSAE's
#: page type) the share of the source's neighbours in the candidate's category, and same-category.
PAIR_FEATURES = ("cn", "aa_rel", "aa_rank", "ra_rel", "ra_rank", "cn_rank", "jaccard",
                 "feat_cos", "feat_rank", "cn2_rel",
                 "ppr_rel", "ppr_rank", "nbr_feat", "nbr_feat_rank", "nbr_nbr", "nbr_nbr_rank",
                 "cat_share", "same_cat")
#: Monotone constraints (+1 more is better, -1 less is better, 0 free): the trees may not rank a
#: candidate with fewer common neighbours above an otherwise equal one (without them they put
#: candidates without any common neighbour of high-degree sources at the top).
MONOTONE = {"cn": 1, "aa_rel": 1, "aa_rank": -1, "ra_rel": 1, "ra_rank": -1, "cn_rank": -1, "jaccard": 1,
            "feat_cos": 1, "feat_rank": -1, "cn2_rel": 1, "gnn": 1, "ppr_rel": 1, "ppr_rank": -1,
            "nbr_feat": 1, "nbr_feat_rank": -1, "nbr_nbr": 1, "nbr_nbr_rank": -1, "cat_share": 1, "same_cat": 1}
PPR_ALPHA = 0.15
PPR_STEPS = 8
MAX_CATEGORIES = 64  # a node-list column with 2..64 distinct values (and repeats) is a category
SOURCE_CHUNK = 64
#: Scores sources (rows) against every node, given the sources' heuristic block.
BlockScorer = Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]
FEATURE_DIM = 64


@dataclass
class Graph:
    n: int
    edges: np.ndarray  # (m, 2) undirected, u < v
    time: np.ndarray | None
    features: sp.csr_matrix | None
    node_ids: np.ndarray
    self_loops: int = 0
    categories: np.ndarray | None = None  # (n, k) one-hot of the node list's categorical columns


@dataclass
class Split:
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    temporal: bool


@dataclass
class GenericResult:
    shipped: str
    validation: dict[str, dict[str, float]]
    test: dict[str, dict[str, float]]
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` contract: ``{"shipped": NAME, "models": {NAME: {"auc", "mrr", "hits@50"}}}``
        (test metrics)."""
        return {"shipped": self.shipped, "models": _three(self.test)}

    def details(self) -> dict[str, Any]:
        """Everything: test and validation metrics of every model and the run's figures."""
        return {"shipped": self.shipped, "selected_on": f"validation {SELECT}", "test": self.test,
                "validation": self.validation, "info": self.info}


def _three(metrics: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {n: {"auc": m["auc"], "mrr": m["mrr"], "hits@50": m["hits@50"]} for n, m in metrics.items()}


# ----------------------------------------------------------------------------- input


def load_graph(edges: Path, nodes: Path | None = None, features: Path | None = None) -> Graph:
    """The generic import, checked for what link prediction needs: files that exist, edges
    only between declared nodes (when a node list is given), and enough distinct edges to
    split. Self-loops are dropped (a node is never a candidate for itself) and counted in the
    log; a file that is mostly self-loops is refused. With a ``sign`` column only positive
    edges are links."""
    from graph.generic import read_graph

    for what, path in (("edges", edges), ("nodes", nodes), ("features", features)):
        if path is not None and not Path(path).is_file():
            raise InputError(f"--{what} {path} does not exist", hint=f"give the path of the {what} file")
    try:
        g = read_graph(Path(edges), Path(nodes) if nodes else None,
                       features=Path(features) if features else None)
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read the graph: {line}",
                         hint="edges: CSV source,target; features: CSV id + numbers, or JSON id -> [int]") from None
    categories = None
    if nodes is not None:
        categories = _check_declared(g.node_ids, g.src, g.dst, Path(nodes), Path(edges))
    src, dst = g.src, g.dst
    loops = int((src == dst).sum())
    if loops:
        if loops * 2 > len(src):
            raise InputError(f"{edges}: {loops} of {len(src)} edges are self-loops",
                             hint="link prediction needs edges between two different nodes")
        log.warning("dropped %d self-loops of %d edges", loops, len(src))
    keep = src != dst
    if g.sign is not None:
        keep &= np.asarray(g.sign, float) > 0
    u, v = np.minimum(src, dst)[keep], np.maximum(src, dst)[keep]
    tm = np.asarray(g.time, float)[keep] if g.time is not None else None
    key = u.astype(np.int64) * g.num_nodes + v
    if tm is not None:  # keep the first time an edge appears
        order = np.lexsort((tm, key))
        key, u, v, tm = key[order], u[order], v[order], tm[order]
    _, first = np.unique(key, return_index=True)
    e = np.stack([u[first], v[first]], axis=1).astype(np.int64)
    if len(e) < MIN_EDGES or g.num_nodes < MIN_NODES:
        raise InputError(f"{edges}: only {len(e)} distinct edges between {g.num_nodes} nodes, too small to split",
                         hint=f"link prediction needs at least {MIN_EDGES} edges and {MIN_NODES} nodes")
    feats = None
    if g.features is not None:
        feats = sp.csr_matrix(g.features)
        if not np.isfinite(feats.data).all():
            raise InputError(f"{features}: features contain NaN or infinite values")
    return Graph(g.num_nodes, e, tm[first] if tm is not None else None, feats, g.node_ids, loops, categories)


def _check_declared(node_ids: np.ndarray, src: np.ndarray, dst: np.ndarray, nodes: Path,
                    edges: Path) -> np.ndarray | None:
    """With a node list, every edge end must be one of its ids (the import lists the edge ids
    first, then the node list's new ids, so the node list is read again here). Returns the
    one-hot of its categorical columns (2..``MAX_CATEGORIES`` distinct values, at most one per
    two rows, so names and ids are not categories), or None."""
    import pandas as pd

    from graph.generic import read_csv

    ndf = read_csv(nodes)
    idcol = "id" if "id" in ndf.columns else ndf.columns[0]
    declared = pd.Index(ndf[idcol].astype(str).str.strip())
    used = np.unique(np.r_[src, dst])
    missing = used[declared.get_indexer(node_ids[used].astype(str)) < 0]
    if len(missing):
        examples = ", ".join(repr(str(x)) for x in node_ids[missing[:3]])
        raise InputError(f"{edges}: {len(missing)} node ids in edges are not in {nodes} (e.g. {examples})",
                         hint="add them to the node list or drop those edges")
    rows = pd.Index(node_ids.astype(str)).get_indexer(declared)
    blocks = []
    for col in ndf.columns:
        values = ndf[col]
        if col == idcol or not 2 <= values.nunique() <= min(MAX_CATEGORIES, len(ndf) // 2):
            continue
        codes, uniques = pd.factorize(values)  # missing values: code -1, no category
        block = np.zeros((len(node_ids), len(uniques)), np.float32)
        ok = (codes >= 0) & (rows >= 0)
        block[rows[ok], codes[ok]] = 1.0
        blocks.append(block)
        log.info("node list column %r: %d categories", col, len(uniques))
    return np.concatenate(blocks, axis=1) if blocks else None


def split_edges(g: Graph, seed: int) -> Split:
    m = len(g.edges)
    n_test, n_val = max(1, int(round(m * TEST_SHARE))), max(1, int(round(m * VALID_SHARE)))
    if g.time is not None:
        order = np.argsort(g.time, kind="stable")
        temporal = True
    else:
        order = np.random.default_rng(seed).permutation(m)
        temporal = False
    test = order[m - n_test:]
    val = order[m - n_test - n_val:m - n_test]
    train = order[:m - n_test - n_val]
    return Split(g.edges[train], g.edges[val], g.edges[test], temporal)


def adjacency(n: int, edges: np.ndarray) -> sp.csr_matrix:
    a = sp.coo_matrix((np.ones(2 * len(edges), np.float32), (np.r_[edges[:, 0], edges[:, 1]],
                                                             np.r_[edges[:, 1], edges[:, 0]])), shape=(n, n)).tocsr()
    a.data[:] = 1.0
    return a


#: The heuristics the GNN's decoder reads (log1p of each, from the graph it scores on).
GNN_STRUCTURE = ("common_neighbours", "adamic_adar", "resource_allocation")


def gnn_structure(heur: dict[str, np.ndarray]) -> np.ndarray:
    """``[..., len(GNN_STRUCTURE)]`` float32: the decoder's structural inputs from heuristic
    values (a :meth:`Context.heuristic_block` or :meth:`Context.pair_heuristics`)."""
    return np.log1p(np.stack([np.asarray(heur[k], np.float32) for k in GNN_STRUCTURE], axis=-1))


# ----------------------------------------------------------------------------- features


@dataclass
class Context:
    """A message graph (what is known) and the per-node quantities heuristics use."""

    A: sp.csr_matrix
    deg: np.ndarray
    aa_w: sp.dia_matrix
    ra_w: sp.dia_matrix
    F: np.ndarray | None  # normalised node features (n, d) or None
    Z: np.ndarray  # normalised structural embedding (SVD of A)
    T: np.ndarray | None = None  # one-hot node categories (n, k) or None
    Fn: np.ndarray | None = None  # normalised mean features of each node's neighbours

    @classmethod
    def build(cls, n: int, edges: np.ndarray, F: np.ndarray | None, seed: int,
              T: np.ndarray | None = None) -> Context:
        g = cls.graph_only(n, edges)
        A = g.A
        Fn = None
        if F is not None:
            Fn = np.asarray(A @ F, np.float32)
            Fn /= np.linalg.norm(Fn, axis=1, keepdims=True) + 1e-9
        from scipy.sparse.linalg import svds

        k = min(32, n - 2)
        try:
            u, s, _ = svds(A.astype(np.float64), k=k, random_state=seed)
            Z = u * np.sqrt(s)
        except Exception:  # noqa: BLE001 - tiny or degenerate graphs
            Z = np.zeros((n, 1))
        Z = Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-9)
        return cls(A, g.deg, g.aa_w, g.ra_w, F, Z.astype(np.float32), T, Fn)

    @classmethod
    def graph_only(cls, n: int, edges: np.ndarray) -> Context:
        """The graph and the heuristics' weights, without the SVD and features (what negative
        sampling and :meth:`pair_heuristics` need)."""
        A = adjacency(n, edges)
        deg = np.asarray(A.sum(1)).ravel()
        return cls(A, deg, sp.diags(1.0 / np.log(np.maximum(deg, 2.0))), sp.diags(1.0 / np.maximum(deg, 1.0)),
                   None, np.zeros((n, 1), np.float32))

    def pair_heuristics(self, u: np.ndarray, v: np.ndarray) -> dict[str, np.ndarray]:
        """Common neighbours, Adamic-Adar and resource allocation of aligned pairs ``(u[i], v[i])``
        (equal to :meth:`heuristic_block` at those cells, without the blocks)."""
        common = self.A[u].multiply(self.A[v]).tocsr()
        return {"common_neighbours": np.asarray(common.sum(1)).ravel(),
                "adamic_adar": common @ self.aa_w.diagonal(), "resource_allocation": common @ self.ra_w.diagonal()}

    def ppr(self, sources: np.ndarray, alpha: float = PPR_ALPHA, steps: int = PPR_STEPS) -> np.ndarray:
        """Personalised PageRank from each source (power iteration), the source itself zeroed."""
        n = self.A.shape[0]
        walk = (sp.diags(1.0 / np.maximum(self.deg, 1.0)) @ self.A).T.tocsr()
        e = np.zeros((n, len(sources)), np.float32)
        e[sources, np.arange(len(sources))] = 1.0
        p = e.copy()
        for _ in range(steps):
            p = alpha * e + (1.0 - alpha) * (walk @ p)
        out = np.ascontiguousarray(p.T)
        out[np.arange(len(sources)), sources] = 0.0
        return out

    def heuristic_block(self, sources: np.ndarray) -> dict[str, np.ndarray]:
        As = self.A[sources]
        cn = (As @ self.A).toarray()
        aa = (As @ self.aa_w @ self.A).toarray()
        ra = (As @ self.ra_w @ self.A).toarray()
        pa = np.broadcast_to(self.deg[None, :], cn.shape)
        fc = (self.F[sources] @ self.F.T) if self.F is not None else np.zeros(cn.shape, np.float32)
        return {"common_neighbours": cn, "adamic_adar": aa, "resource_allocation": ra,
                "preferential_attachment": pa, "feature_cosine": fc}

    def pair_block(self, sources: np.ndarray, h: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``[len(sources), n, len(PAIR_FEATURES)]``."""
        h = h or self.heuristic_block(sources)
        cn, aa, ra = h["common_neighbours"], h["adamic_adar"], h["resource_allocation"]
        du = self.deg[sources][:, None]
        dv = self.deg[None, :]
        jac = cn / np.maximum(du + dv - cn, 1.0)
        As = self.A[sources]
        cn2 = ((As @ self.A) @ self.A).toarray()  # paths of length 3
        fc = h["feature_cosine"]
        out = np.empty((len(sources), self.A.shape[0], len(PAIR_FEATURES)), np.float32)
        cols = [np.log1p(cn), _rel(aa), _rank(aa), _rel(ra), _rank(ra), _rank(cn), jac, fc, _rank(fc),
                _rel(cn2)]
        pr = self.ppr(sources)
        cols += [_rel(pr), _rank(pr)]
        if self.F is not None and self.Fn is not None:
            nf = self.Fn[sources] @ self.F.T  # the candidate vs the source's neighbours' words
            nn = self.Fn[sources] @ self.Fn.T  # both neighbourhoods' words
            cols += [nf, _rank(nf), nn, _rank(nn)]
        else:
            cols += [np.zeros_like(cn)] * 4
        if self.T is not None:
            share = (As @ self.T) / np.maximum(du, 1.0)  # the source's neighbours per category
            cols += [share @ self.T.T, np.broadcast_to(self.T[sources] @ self.T.T, cn.shape)]
        else:
            cols += [np.zeros_like(cn)] * 2
        for j, c in enumerate(cols):
            out[:, :, j] = c
        return out

    def pairs(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = np.zeros((len(u), len(PAIR_FEATURES)), np.float32)
        uniq = np.unique(u)
        for i in range(0, len(uniq), SOURCE_CHUNK):
            chunk = uniq[i:i + SOURCE_CHUNK]
            rows = np.flatnonzero(np.isin(u, chunk))
            blk = self.pair_block(chunk)
            out[rows] = blk[np.searchsorted(chunk, u[rows]), v[rows]]
        return out


def _rel(m: np.ndarray) -> np.ndarray:
    """Each row divided by its maximum (0 when the row is all zero)."""
    top = m.max(axis=1, keepdims=True)
    return np.where(top > 0, m / np.where(top > 0, top, 1.0), 0.0)


def _rank(m: np.ndarray) -> np.ndarray:
    """Per row, the share of entries scoring strictly higher (0 = best); ties share a rank."""
    n = m.shape[1]
    out = np.empty(m.shape, np.float32)
    for i in range(m.shape[0]):
        srt = np.sort(m[i])
        out[i] = (n - np.searchsorted(srt, m[i], side="right")) / n
    return out


def node_features(g: Graph, seed: int) -> np.ndarray | None:
    """TF-IDF of sparse features reduced to ``FEATURE_DIM`` by truncated SVD, normalised."""
    if g.features is None or g.features.shape[1] == 0:
        return None
    X = g.features.astype(np.float64)
    df = np.asarray((X > 0).sum(0)).ravel()
    idf = np.log((1 + X.shape[0]) / (1 + df)) + 1.0
    X = X @ sp.diags(idf)
    X = sp.diags(1.0 / (np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel()) + 1e-9)) @ X
    k = min(FEATURE_DIM, min(X.shape) - 1)
    if k < 1:
        return None
    from scipy.sparse.linalg import svds

    u, s, _ = svds(X, k=k, random_state=seed)
    Z = u * s
    return (Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-9)).astype(np.float32)


# ----------------------------------------------------------------------------- sampling


def sample_negatives(ctx: Context, u: np.ndarray, forbid: sp.csr_matrix, rng: np.random.Generator,
                     per_pos: int = 1, hard: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Random negatives and hard ones (2 hops away, not linked) for sources ``u``."""
    n = ctx.A.shape[0]
    nu = np.repeat(u, per_pos)
    nv = rng.integers(0, n, len(nu))
    hu, hv = [], []
    if hard:
        for x in u.tolist():
            nb = ctx.A.indices[ctx.A.indptr[x]:ctx.A.indptr[x + 1]]
            if not len(nb):
                continue
            mid = nb[rng.integers(0, len(nb), hard)]
            for y in mid.tolist():
                nb2 = ctx.A.indices[ctx.A.indptr[y]:ctx.A.indptr[y + 1]]
                if len(nb2):
                    hu.append(x)
                    hv.append(int(nb2[rng.integers(0, len(nb2))]))
    su = np.concatenate([nu, np.asarray(hu, np.int64)])
    sv = np.concatenate([nv, np.asarray(hv, np.int64)])
    ok = (su != sv) & ~(np.asarray(forbid[su, sv]).ravel() > 0)
    return su[ok], sv[ok]


RANK_TOP = 100  # candidates per training list taken from the top of Adamic-Adar,
RANK_MIDDLE = 60  # from its ranks RANK_TOP..RANK_DEEP (what a ranking meets just below the top),
RANK_DEEP = 5000
RANK_RANDOM = 40  # and random non-neighbours
RANK_SOURCES = 3000


def ranking_rows(ctx: Context, sup: np.ndarray, known: sp.csr_matrix, gnn: BlockScorer, rng: np.random.Generator,
                 *, n_sources: int = RANK_SOURCES) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training lists: for a supervision source ``u``, its supervision edges (label 1)
    among its top Adamic-Adar non-neighbours, a sample of the ranks below them, and random
    non-neighbours (the competition a positive meets at ranking time; without the middle ranks
    the trees scored never-seen moderate candidates above the positives). Features come from the message graph of ``ctx``; ``known``
    (every training edge) is never a negative; ``gnn`` scores a block of sources on it. Returns
    (X, y, group sizes, GNN score column)."""
    n = ctx.A.shape[0]
    sup_adj = adjacency(n, sup)
    # sources as held-out edges pick them (in proportion to their edges), not uniformly
    ends = np.r_[sup[:, 0], sup[:, 1]]
    sources = np.unique(ends[rng.permutation(len(ends))[: n_sources]])
    Xs, ys, gs, hs = [], [], [], []
    for i in range(0, len(sources), SOURCE_CHUNK):
        chunk = sources[i:i + SOURCE_CHUNK]
        heur = ctx.heuristic_block(chunk)
        blk = ctx.pair_block(chunk, heur)
        gblk = gnn(chunk, heur)
        for r, u in enumerate(chunk.tolist()):
            pos = sup_adj.indices[sup_adj.indptr[u]:sup_adj.indptr[u + 1]]
            banned = np.zeros(n, bool)
            banned[known.indices[known.indptr[u]:known.indptr[u + 1]]] = True
            banned[u] = True
            aa = np.where(banned, -np.inf, heur["adamic_adar"][r] + 1e-6 * rng.random(n))
            order = np.argsort(-aa)
            order = order[np.isfinite(aa[order])]
            top = order[:RANK_TOP]
            deep = order[RANK_TOP:RANK_DEEP]
            mid = deep[rng.choice(len(deep), min(RANK_MIDDLE, len(deep)), replace=False)] if len(deep) else deep
            rnd = rng.integers(0, n, RANK_RANDOM)
            rnd = rnd[~banned[rnd]]
            cand = np.unique(np.concatenate([top, mid, rnd, pos]))
            Xs.append(blk[r, cand])
            ys.append(np.isin(cand, pos).astype(float))
            gs.append(len(cand))
            hs.append(gblk[r, cand])
    return np.concatenate(Xs), np.concatenate(ys), np.asarray(gs), np.concatenate(hs).astype(np.float32)


# ----------------------------------------------------------------------------- GNN


@dataclass
class GNNResult:
    model: Any
    x: Any
    epochs: int


def _gnn_model(in_dim: int, n: int, hidden: int, use_embedding: bool) -> Any:
    import torch
    from torch import nn
    from torch_geometric.nn import SAGEConv

    class SAGE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(n, 32) if use_embedding else None
            d = in_dim + (32 if use_embedding else 0)
            self.inp = nn.Linear(d, hidden)
            self.c1 = SAGEConv(hidden, hidden)
            self.c2 = SAGEConv(hidden, hidden)
            self.norm = nn.LayerNorm(hidden)
            self.struct = nn.Sequential(nn.Linear(len(GNN_STRUCTURE), 16), nn.ReLU(), nn.Linear(16, 1))
            #: the embeddings' dot product is weighted by gate², learned from 0.01: unweighted, the
            #: dot products of 128-d layer-normed vectors swamp the structural term from the first
            #: step, and the model learns to tell random pairs apart rather than to rank
            self.gate = nn.Parameter(torch.tensor(0.1))

        def forward(self, x: torch.Tensor, ei: torch.Tensor) -> torch.Tensor:
            if self.emb is not None:
                x = torch.cat([x, self.emb.weight], dim=1)
            h = torch.relu(self.inp(x))
            h = h + torch.relu(self.c1(h, ei))
            h = nn.functional.dropout(h, 0.2, self.training)
            h = self.norm(h + self.c2(h, ei))
            return h

        def pairs(self, hu: torch.Tensor, hv: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
            """Logits of aligned pairs with structural inputs ``s`` ([n, len(GNN_STRUCTURE)])."""
            return self.gate ** 2 * (hu * hv).sum(-1) + self.struct(s).squeeze(-1)

    return SAGE()


def _edge_index(edges: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.vstack([np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]]]).astype(np.int64))


def fit_gnn(g: Graph, train: np.ndarray, F: np.ndarray | None, Z: np.ndarray,
            val_eval: Callable[[Any, Any], float], seed: int, *, max_epochs: int = 200, patience: int = 4,
            eval_every: int = 10, progress: bool = False) -> GNNResult:
    """Full-batch GraphSAGE link prediction: one optimiser step per epoch on a fresh random
    80/20 message/supervision split of ``train``, BCE against random and 2-hop negatives, the
    pairs' structure read on that step's message graph; early-stopped on ``val_eval`` every
    ``eval_every`` steps."""
    import torch
    import torch.nn.functional as Fn

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    full_ctx = Context.graph_only(g.n, train)
    deg = full_ctx.deg
    base = [np.log1p(deg)[:, None] / (np.log1p(deg).max() + 1e-9), Z]
    if F is not None:
        base.append(F)
    x = torch.from_numpy(np.concatenate(base, axis=1).astype(np.float32))
    model = _gnn_model(x.shape[1], g.n, 128, False)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    best, best_state, bad, best_epoch = -1.0, None, 0, 0
    it: Iterable[int] = range(1, max_epochs + 1)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="gnn", unit="epoch", leave=False)
    for epoch in it:
        model.train()
        perm = rng.permutation(len(train))
        cut = int(len(train) * 0.8)
        msg, sup = train[perm[:cut]], train[perm[cut:]]
        ei = _edge_index(msg)
        h = model(x, ei)
        u = np.r_[sup[:, 0], sup[:, 1]]
        v = np.r_[sup[:, 1], sup[:, 0]]
        nu, nv = sample_negatives(full_ctx, u, full_ctx.A, rng, per_pos=1, hard=1)
        pu = torch.from_numpy(np.r_[u, nu])
        pv = torch.from_numpy(np.r_[v, nv])
        y = torch.from_numpy(np.r_[np.ones(len(u)), np.zeros(len(nu))].astype(np.float32))
        msg_ctx = Context.graph_only(g.n, msg)
        st = torch.from_numpy(gnn_structure(msg_ctx.pair_heuristics(np.r_[u, nu], np.r_[v, nv])))
        logit = model.pairs(h[pu], h[pv], st)
        loss = Fn.binary_cross_entropy_with_logits(logit, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % eval_every == 0 or epoch == max_epochs:
            score = val_eval(model, x)
            if score > best + 1e-4:
                best, bad, best_epoch = score, 0, epoch
                best_state = {k: t.detach().clone() for k, t in model.state_dict().items()}
            else:
                bad += 1
                if bad >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return GNNResult(model, x, best_epoch)


def gnn_embed(res: GNNResult, edges: np.ndarray) -> np.ndarray:
    import torch

    res.model.eval()
    with torch.no_grad():
        return res.model(res.x, _edge_index(edges)).numpy()


def gnn_scorer(model: Any, h: np.ndarray) -> BlockScorer:
    """The GNN's logits of sources against every node: the embeddings' dot product (``h``, from
    the graph scored on) plus the structural term of the sources' heuristic block on it."""
    import torch

    def score(sources: np.ndarray, heur: dict[str, np.ndarray]) -> np.ndarray:
        with torch.no_grad():
            st = model.struct(torch.from_numpy(gnn_structure(heur))).squeeze(-1).numpy()
            w = float(model.gate) ** 2
        return w * (h[sources] @ h.T) + st

    return score


# ----------------------------------------------------------------------------- ranking


def _queries(held: np.ndarray, rng: np.random.Generator, max_edges: int) -> np.ndarray:
    if max_edges and len(held) > max_edges:
        held = held[np.sort(rng.choice(len(held), max_edges, replace=False))]
    return held


def rank_split(ctx: Context, held: np.ndarray, full: sp.csr_matrix,
               scorers: dict[str, Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray | dict[str, np.ndarray]]],
               progress: bool = False, heuristics: bool = True) -> dict[str, dict[str, float]]:
    """Every scorer on held-out edges ``(u, v)``: v ranked against all non-neighbours of u."""
    ranks: dict[str, list[float]] = {}
    aucs: dict[str, list[float]] = {}
    sources = np.unique(held[:, 0])
    chunks = [sources[i:i + SOURCE_CHUNK] for i in range(0, len(sources), SOURCE_CHUNK)]
    it: Iterable[np.ndarray] = chunks
    if progress:
        from tqdm import tqdm

        it = tqdm(chunks, desc="rank", unit="chunk", leave=False)
    n = ctx.A.shape[0]
    for chunk in it:
        heur = ctx.heuristic_block(chunk) if heuristics else {}
        out: dict[str, np.ndarray] = {}
        for name, fn in scorers.items():
            r = fn(chunk, heur)
            if isinstance(r, dict):
                out.update(r)
            else:
                out[name] = r
        for i, u in enumerate(chunk.tolist()):
            nbr = full.indices[full.indptr[u]:full.indptr[u + 1]]
            neg = np.ones(n, bool)
            neg[nbr] = False
            neg[u] = False
            for v in held[held[:, 0] == u, 1].tolist():
                for name, sc in out.items():
                    row = np.nan_to_num(np.asarray(sc[i], np.float64), nan=-np.inf)
                    pv = row[v]
                    negs = row[neg]
                    above = float((negs > pv).sum())
                    ties = float((negs == pv).sum())
                    ranks.setdefault(name, []).append(1.0 + above + 0.5 * ties)
                    aucs.setdefault(name, []).append((len(negs) - above - 0.5 * ties) / max(len(negs), 1))
    return {name: ranks_to_metrics(np.array(r), np.array(aucs[name])) for name, r in ranks.items()}


def ranks_to_metrics(ranks: np.ndarray, aucs: np.ndarray, ks: tuple[int, ...] = (20, 50, 100)) -> dict[str, float]:
    """Metrics from the (tie-shared) rank of each positive among its negatives."""
    out = {"auc": float(aucs.mean()) if len(aucs) else float("nan"),
           "mrr": float(np.mean(1.0 / ranks)) if len(ranks) else 0.0}
    for k in ks:
        out[f"hits@{k}"] = float(np.mean(ranks <= k)) if len(ranks) else 0.0
    out["positives"] = float(len(ranks))
    return out


def _cumulative(booster: Any, X: np.ndarray, checkpoints: list[int]) -> dict[int, np.ndarray]:
    flat = X.reshape(-1, X.shape[-1])
    raw = np.zeros(len(flat))
    out, start = {}, 0
    for c in checkpoints:
        raw = raw + booster.predict(flat, start_iteration=start, num_iteration=c - start, raw_score=True)
        start = c
        out[c] = raw.reshape(X.shape[:-1]).copy()
    return out


def evaluate_generic(edges: Path, nodes: Path | None = None, features: Path | None = None, *, seed: int = 7,
                     max_edges: int = MAX_EDGES, progress: bool = False) -> GenericResult:
    import lightgbm as lgb
    import torch

    t0 = time.perf_counter()
    g = load_graph(edges, nodes, features)
    split = split_edges(g, seed)
    rng = np.random.default_rng(seed)
    F = node_features(g, seed)
    full = adjacency(g.n, g.edges)
    val_q = _queries(split.valid, rng, max_edges)
    test_q = _queries(split.test, rng, max_edges)
    ctx_val = Context.build(g.n, split.train, F, seed, g.categories)
    ctx_test = Context.build(g.n, np.concatenate([split.train, split.valid]), F, seed, g.categories)
    info: dict[str, Any] = {"nodes": g.n, "edges": len(g.edges), "train": len(split.train),
                            "valid": len(split.valid), "test": len(split.test), "temporal": split.temporal,
                            "ranked_valid": len(val_q), "ranked_test": len(test_q), "seed": seed,
                            "features": F is not None, "self_loops_dropped": g.self_loops,
                            "protocol": "each held-out edge vs every non-neighbour of its source (filtered)"}
    log.info("eval linkpred: %s", info)
    # --- a disjoint message/supervision split of the training edges: the GNN trains on the
    # message edges only, so its scores on the supervision edges (where the GBM and the hybrid
    # learn) are out of sample
    perm = rng.permutation(len(split.train))
    cut = int(len(split.train) * 0.85)
    msg, sup = split.train[perm[:cut]], split.train[perm[cut:]]
    ctx_msg = Context.build(g.n, msg, F, seed, g.categories)
    # --- GNN (early-stopped on a slice of the validation edges, dot-product scores)
    stop_q = val_q[: min(300, len(val_q))]

    def gnn_val(model: Any, x: Any) -> float:
        model.eval()
        with torch.no_grad():
            h = model(x, _edge_index(split.train)).numpy()
        r = rank_split(ctx_val, stop_q, full, {"gnn": gnn_scorer(model, h)})
        model.train()
        return r["gnn"][SELECT]

    t1 = time.perf_counter()
    gnn = fit_gnn(g, msg, F, ctx_msg.Z, gnn_val, seed, progress=progress)
    info["gnn_epochs"] = gnn.epochs
    info["gnn_seconds"] = round(time.perf_counter() - t1, 1)
    log.info("gnn: best epoch %d, %.0f s", gnn.epochs, info["gnn_seconds"])
    # --- GBM / hybrid over ranking-like candidate lists of the supervision sources (binary loss:
    # on MUSAE validation edges Hits@50 0.650 against 0.615 with LambdaRank)
    X, y, group, gnn_col = ranking_rows(ctx_msg, sup, adjacency(g.n, split.train),
                                        gnn_scorer(gnn.model, gnn_embed(gnn, msg)), rng)
    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50,
              "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "verbose": -1,
              "num_threads": 1, "seed": seed, "deterministic": True}
    rounds = 300
    checkpoints = [100, 200, 300]
    names = list(PAIR_FEATURES)
    gbm = lgb.train({**params, "monotone_constraints": [MONOTONE[n] for n in names]},
                    lgb.Dataset(X, y, feature_name=names), num_boost_round=rounds)
    hyb = lgb.train({**params, "monotone_constraints": [MONOTONE[n] for n in [*names, "gnn"]]},
                    lgb.Dataset(np.c_[X, gnn_col], y, feature_name=[*names, "gnn"]),
                    num_boost_round=rounds)
    log.info("gbm and hybrid: %d candidate rows in %d source lists (%d positives)", len(y), len(group), int(y.sum()))

    def scorers(ctx: Context, gs: BlockScorer, gbm_ck: list[int], hyb_ck: list[int]) -> dict[str, Any]:
        def heur(name: str) -> Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]:
            return lambda s, hb: hb[name]

        out: dict[str, Any] = {name: heur(name) for name in HEURISTICS if name != "feature_cosine" or F is not None}

        def learned(s: np.ndarray, hb: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            """The GNN, and the GBM and hybrid over the block (the hybrid reads the GNN's score)."""
            blk = ctx.pair_block(s, hb)
            g = gs(s, hb)
            res = {"gnn": g, **{f"gbm@{c}": sc for c, sc in _cumulative(gbm, blk, gbm_ck).items()}}
            gcol = g[..., None].astype(np.float32)
            res.update({f"hybrid@{c}": sc for c, sc in
                        _cumulative(hyb, np.concatenate([blk, gcol], axis=-1), hyb_ck).items()})
            return res

        out["learned"] = learned
        return out

    val = rank_split(ctx_val, val_q, full, scorers(ctx_val, gnn_scorer(gnn.model, gnn_embed(gnn, split.train)),
                                                   checkpoints, checkpoints), progress)
    best_r: dict[str, int] = {}
    for base in ("gbm", "hybrid"):
        cands = {int(k.split("@")[1]): m for k, m in val.items() if k.startswith(base + "@")}
        best_r[base] = max(cands, key=lambda c: (cands[c][SELECT], cands[c]["mrr"]))
    val = _collapse(val, best_r)
    shipped = max(("gnn", "gbm", "hybrid"), key=lambda n: (val[n][SELECT], val[n]["mrr"]))
    log.info("validation ranked: shipped %s (%s %.4f), rounds %s", shipped, SELECT, val[shipped][SELECT], best_r)
    h_test = gnn_embed(gnn, np.concatenate([split.train, split.valid]))
    test = rank_split(ctx_test, test_q, full, scorers(ctx_test, gnn_scorer(gnn.model, h_test), [best_r["gbm"]],
                                                      [best_r["hybrid"]]), progress)
    test = _collapse(test, best_r)
    info["rounds"] = best_r
    info["seconds"] = round(time.perf_counter() - t0, 1)
    return GenericResult(shipped, val, test, info)


def _collapse(res: dict[str, dict[str, float]], rounds: dict[str, int]) -> dict[str, dict[str, float]]:
    out = {}
    for k, m in res.items():
        if "@" in k:
            base, c = k.split("@")
            if rounds.get(base) == int(c):
                out[base] = m
        else:
            out[k] = m
    return out


def format_table(res: GenericResult) -> str:
    cols = ("auc", "mrr", "hits@20", "hits@50", "hits@100")
    aa = res.test.get("adamic_adar", {})
    lines = []
    for split, met in (("validation", res.validation), ("test", res.test)):
        lines.append(f"{split}:")
        lines.append(f"  {'model':<24}" + "".join(f"{c:>10}" for c in cols) + f"{'vs AA (hits@50)':>17}")
        for name in sorted(met, key=lambda n: -met[n]["hits@50"]):
            m = met[name]
            ref = (res.validation if split == "validation" else res.test).get("adamic_adar", aa)
            ratio = m["hits@50"] / ref["hits@50"] if ref.get("hits@50") else float("nan")
            mark = " *" if name == res.shipped else ""
            lines.append(f"  {name + mark:<24}" + "".join(f"{m[c]:>10.4f}" for c in cols) + f"{ratio:>16.2f}x")
    lines.append(f"shipped (chosen on validation {SELECT}): {res.shipped}")
    lines.append("protocol: " + str(res.info.get("protocol")) + f"; ranked {res.info.get('ranked_test')} test edges; "
                 f"{'temporal' if res.info.get('temporal') else 'random'} split; {res.info.get('seconds')} s")
    return "\n".join(lines)
