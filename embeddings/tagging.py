"""Zero-shot taxonomy tagging: cosine similarity of texts to IAB category paths, tier-aware.

A node's vector is compared with every category's path vector (``Sports > Soccer``). The raw
similarity picks the most specific matches; the hierarchy is then respected by propagation: a
parent's score is at least the best score of its descendants, so a Tier-3 match supports its
Tier-2 and Tier-1 ancestors, which are written too (``method = zero-shot:inherited``).

Which tags are kept is decided by :class:`Thresholds`: an absolute floor on the similarity,
a margin below the node's best match, and a cap on direct tags. The defaults were calibrated
on the generator's ``ci`` truth (see ``bench/embed.py --calibrate``); the scores written are
the raw cosine similarities, so readers can apply stricter cut-offs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from embeddings.texts import taxonomy_text
from graph.taxonomy import TaxonomyNode, load_taxonomy

METHOD = "zero-shot"
INHERITED = "zero-shot:inherited"


@dataclass(frozen=True)
class Thresholds:
    floor: float  # minimum cosine similarity of a direct tag
    margin: float  # keep tags within this of the node's best similarity
    max_tags: int  # direct tags per node (ancestors come on top)


#: Calibrated on the ci truth (see module doc). Topic tags for articles are single-topic.
DEFAULTS: dict[str, Thresholds] = {
    "Article": Thresholds(floor=0.30, margin=0.04, max_tags=2),
    "Publisher": Thresholds(floor=0.30, margin=0.06, max_tags=3),
    "Influencer": Thresholds(floor=0.30, margin=0.06, max_tags=3),
    "audience": Thresholds(floor=0.25, margin=0.06, max_tags=5),
    "Brand": Thresholds(floor=0.20, margin=0.05, max_tags=2),
}


@dataclass
class LabelSpace:
    """The categories of one taxonomy (optionally a subtree) with their vectors."""

    taxonomy: str
    label: str  # Topic | Audience | ProductCategory
    nodes: list[TaxonomyNode]
    vectors: np.ndarray  # (m, dim), normalised
    parent: np.ndarray = field(init=False)  # index of parent or -1

    def __post_init__(self) -> None:
        pos = {n.id: i for i, n in enumerate(self.nodes)}
        self.parent = np.array([pos.get(n.parent_id or "", -1) for n in self.nodes], dtype=np.int64)
        self.ids = [n.id for n in self.nodes]
        self.tiers = np.array([n.tier for n in self.nodes])
        # children before parents, so one pass carries a leaf's score to the root
        self.order = [i for i in np.argsort(-self.tiers, kind="stable") if self.parent[i] >= 0]

    def ancestors(self, i: int) -> list[int]:
        out = []
        j = int(self.parent[i])
        while j >= 0 and j not in out:
            out.append(j)
            j = int(self.parent[j])
        return out


def taxonomy_nodes(taxonomy: str, subtree: str | None = None) -> list[TaxonomyNode]:
    """The taxonomy's nodes; ``subtree`` keeps one Tier-1 branch (``Interest`` for audiences)."""
    nodes = list(load_taxonomy(taxonomy))
    if subtree:
        nodes = [n for n in nodes if n.path.split(" > ")[0].rstrip("*") == subtree]
    return nodes


def label_space(taxonomy: str, embed: Callable[[list[str]], np.ndarray], subtree: str | None = None) -> LabelSpace:
    nodes = taxonomy_nodes(taxonomy, subtree)
    vecs = embed([taxonomy_text(n) for n in nodes])
    return LabelSpace(taxonomy, nodes[0].label if nodes else "", nodes, np.asarray(vecs, np.float32))


def similarities(x: np.ndarray, space: LabelSpace) -> np.ndarray:
    """Cosine similarities (n, m) of normalised node vectors to the categories."""
    return np.asarray(x, np.float32) @ space.vectors.T


def propagate(sims: np.ndarray, space: LabelSpace) -> np.ndarray:
    """Each category's score raised to the best score among its descendants."""
    out = sims.copy()
    for i in space.order:
        p = space.parent[i]
        np.maximum(out[:, p], out[:, i], out=out[:, p])
    return out


def top_k(sims: np.ndarray, space: LabelSpace, k: int = 3) -> list[list[str]]:
    """The ``k`` best categories per row by raw similarity (most specific matches)."""
    k = min(k, sims.shape[1])
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    out = []
    for row, cand in zip(sims, idx, strict=True):
        order = cand[np.argsort(-row[cand])]
        out.append([space.ids[j] for j in order])
    return out


@dataclass(frozen=True)
class Tag:
    node: str
    category: str
    score: float
    method: str


def tag(node_ids: Sequence[str], x: np.ndarray, space: LabelSpace, th: Thresholds,
        *, hierarchy: bool = True, sims: np.ndarray | None = None) -> list[Tag]:
    """Direct tags passing ``th`` plus (``hierarchy``) their ancestors with propagated scores."""
    s = similarities(x, space) if sims is None else sims
    if not len(node_ids) or not s.size:
        return []
    prop = propagate(s, space) if hierarchy else s
    out: list[Tag] = []
    k = min(th.max_tags, s.shape[1])
    cand_all = np.argpartition(-s, k - 1, axis=1)[:, :k]
    for r, node in enumerate(node_ids):
        row = s[r]
        if not np.any(row):
            continue  # empty text: no evidence
        cand = cand_all[r][np.argsort(-row[cand_all[r]])]
        best = float(row[cand[0]])
        chosen: dict[int, tuple[float, str]] = {}
        for j in cand:
            v = float(row[j])
            if v < th.floor or v < best - th.margin:
                break
            chosen[int(j)] = (v, METHOD)
        if hierarchy:
            for j in list(chosen):
                for a in space.ancestors(j):
                    if a not in chosen:
                        chosen[a] = (float(prop[r, a]), INHERITED)
        out.extend(Tag(node, space.ids[j], round(v, 4), m) for j, (v, m) in chosen.items())
    return out


def tag_rows(tags: Sequence[Tag], *, with_method: bool = True) -> list[dict[str, object]]:
    """Relationship rows for ``upsert_relationships`` (``src``, ``dst``, ``score``[, ``method``])."""
    rows: list[dict[str, object]] = []
    for t in tags:
        row: dict[str, object] = {"src": t.node, "dst": t.category, "score": t.score}
        if with_method:
            row["method"] = t.method
        rows.append(row)
    return rows


def accuracy(predicted: Sequence[Sequence[str]], truth: Sequence[set[str]], k: int) -> float:
    """Share of rows whose top ``k`` predictions hit one of the true categories."""
    if not truth:
        return float("nan")
    hits = sum(1 for p, t in zip(predicted, truth, strict=True) if set(p[:k]) & t)
    return hits / len(truth)
