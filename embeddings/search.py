"""Semantic partner search on the active backend's vector index; a function the app calls.

``search(store, encoder, "eco-friendly family travel podcasts in France", type="Influencer")``
embeds the query (a long-lived caller passes :func:`embeddings.encoder.shared_encoder`: model
loaded once, fast one-text path), then asks the vector indexes in one round trip for the nearest
partners (their own text) and the nearest articles joined to the partners that published them,
with the filters (type, country, language, audience size, brand safety) applied in that query.
It merges both (a partner scores its best own or ``ARTICLE_WEIGHT`` x article match), and reads
the topics of the ``k`` best partners in a second round trip, as reasons.

The index is asked for ``INDEX_CANDIDATES`` nodes per label (its search breadth) although only
``k`` partners are returned: FalkorDB's HNSW searches about as many nodes as it is asked for, and
on medium asking for 20 found 0.88 of the exact top 20, 30 found 0.93 and 100 found 0.99
(profile queries, not the benchmark's). Filtered searches ask for ``FILTERED_CANDIDATES`` x k,
and once more for ``ESCALATED_CANDIDATES`` x k when fewer than ``k`` partners passed.

:class:`ExactVectors` is the brute-force path over the vector cache (one normalised float32
matrix per label, a partner-only matrix per partner label): exact, for the benchmark's baseline
and recall, and for a store without vector indexes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.queries import nearest
from graph.errors import InputError
from graph.explore import run_saved
from graph.schema import PARTNERS
from graph.store.base import GraphStore

#: Nodes asked of each vector index for an unfiltered search (see the module doc).
INDEX_CANDIDATES = 100
#: For a filtered search, nodes asked per label per requested result ...
FILTERED_CANDIDATES = 10
#: ... and once more when fewer than ``k`` partners passed the filters.
ESCALATED_CANDIDATES = 50
#: Weight of the best matching article against the partner's own text.
ARTICLE_WEIGHT = 0.9
#: Partners kept per label and round for the topics and the merge: a few more than ``k``.
SPARE = 10


@dataclass
class Hit:
    id: str
    type: str
    name: str
    score: float
    country: str | None = None
    language: str | None = None
    audience_size: int | None = None
    brand_safety_flag: bool | None = None
    matched: list[dict[str, Any]] = field(default_factory=list)  # {kind, id, text, score}
    topics: list[dict[str, Any]] = field(default_factory=list)  # {id, name, score}

    def reasons(self) -> str:
        texts = "; ".join(f"{m['text'][:60]} ({m['score']:.2f})" for m in self.matched[:2])
        tops = ", ".join(t["name"] for t in self.topics[:3])
        return " | ".join(x for x in (texts, f"topics: {tops}" if tops else "") if x)


@dataclass(frozen=True)
class Filters:
    """The search's filters, normalised (country upper-case, language lower-case)."""

    country: str | None = None
    language: str | None = None
    min_audience: int | None = None
    safe_only: bool = False

    @classmethod
    def of(cls, country: str | None, language: str | None, min_audience: int | None,
           safe_only: bool) -> Filters:
        return cls(country.strip().upper() if country else None, language.strip().lower() if language else None,
                   min_audience, bool(safe_only))

    @property
    def active(self) -> bool:
        return bool(self.country or self.language or self.min_audience is not None or self.safe_only)

    def params(self) -> dict[str, Any]:
        """The values :func:`embeddings.queries.nearest` filters on (inactive ones left out)."""
        out: dict[str, Any] = {"country": self.country, "language": self.language,
                               "min_audience": self.min_audience, "safe_only": self.safe_only}
        return {k: v for k, v in out.items() if v is not None and v is not False}

    def passes(self, row: dict[str, Any]) -> bool:
        return _passes(row, self.country, self.language, self.min_audience, self.safe_only)


def _type(value: str | None) -> list[str]:
    if value is None or value == "" or value.lower() == "any":
        return list(PARTNERS)
    norm = value.strip().lower().rstrip("s")
    for label in PARTNERS:
        if label.lower() == norm:
            return [label]
    raise InputError(f"unknown partner type {value!r}", hint="use publisher or influencer")


def _passes(row: dict[str, Any], country: str | None, language: str | None, min_audience: int | None,
            safe_only: bool) -> bool:
    if country and str(row.get("country") or "").upper() != country.upper():
        return False
    if language and str(row.get("language") or "").lower() != language.lower():
        return False
    if min_audience is not None:
        size = row.get("audience_size")
        if size is None or float(size) < min_audience:
            return False
    return not (safe_only and row.get("brand_safety_flag") is True)


def merge(rows: Iterable[dict[str, Any]], labels: list[str], filters: Filters) -> dict[str, Hit]:
    """Partners of the rows (own-text and article matches), each scored by its best match; rows of
    other labels or failing the filters are dropped (the query filters too; this is the check)."""
    hits: dict[str, Hit] = {}
    for row in rows:
        label = str(row["label"])
        if label not in labels or not filters.passes(row):
            continue
        sim = float(row["score"])
        if row.get("article") is not None:
            match = {"kind": "Article", "id": row["article"], "text": str(row.get("title") or ""), "score": sim}
            score = ARTICLE_WEIGHT * sim
        else:
            match = {"kind": label, "id": row["id"], "text": str(row.get("name") or ""), "score": sim}
            score = sim
        pid = str(row["id"])
        h = hits.get(pid)
        if h is None:
            h = hits[pid] = Hit(pid, label, str(row.get("name") or pid), score, row.get("country"),
                                row.get("language"), row.get("audience_size"), row.get("brand_safety_flag"))
        h.score = max(h.score, score)
        if all(m["id"] != match["id"] for m in h.matched):
            h.matched.append(match)
    return hits


def search(store: GraphStore, encoder: Callable[[list[str]], np.ndarray], text: str, *,
           type: str | None = None, country: str | None = None, language: str | None = None,
           min_audience: int | None = None, safe_only: bool = False, k: int = 20,
           exact: ExactVectors | None = None) -> list[Hit]:
    """Ranked partners for a free-text need, with the matched texts and topics as reasons.

    ``exact`` switches retrieval from the store's vector indexes to brute force over the vector
    cache (same filters, same scores).
    """
    if not text or not text.strip():
        raise InputError("empty search text", hint='describe the partners you want, e.g. "family travel podcasts"')
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    labels = _type(type)
    filters = Filters.of(country, language, min_audience, safe_only)
    vec = np.asarray(encoder([text.strip()]), np.float32)[0]
    if exact is not None:
        hits = exact.retrieve(store, vec, labels, filters, k)
    else:
        hits = _retrieve_index(store, vec, labels, filters, k)
    ranked = sorted(hits.values(), key=lambda h: (-h.score, h.id))[:k]
    for h in ranked:
        h.matched.sort(key=lambda m: -m["score"])
    if ranked:
        topics: dict[str, list[dict[str, Any]]] = {}
        rows = run_saved(store, "search_partner_topics", ids=[h.id for h in ranked])
        for row in sorted(rows, key=lambda r: (str(r["id"]), -float(r["score"] or 0), str(r["topic"]))):
            topics.setdefault(str(row["id"]), []).append(
                {"id": row["topic"], "name": row["name"], "score": row["score"]})
        for h in ranked:
            h.topics = topics.get(h.id, [])[:5]
    return ranked


def _retrieve_index(store: GraphStore, vec: np.ndarray, labels: list[str], filters: Filters,
                    k: int) -> dict[str, Hit]:
    asked = max(INDEX_CANDIDATES, k + SPARE) if not filters.active else max(INDEX_CANDIDATES,
                                                                           FILTERED_CANDIDATES * k)
    hits = merge(nearest(store, [*labels, "Article"], vec, asked, k + SPARE, filters.params()), labels, filters)
    if filters.active and len(hits) < k and asked < ESCALATED_CANDIDATES * k:
        asked = ESCALATED_CANDIDATES * k
        hits = merge(nearest(store, [*labels, "Article"], vec, asked, k + SPARE, filters.params()), labels,
                     filters)
    return hits


def timed_search(store: GraphStore, encoder: Callable[[list[str]], np.ndarray], text: str,
                 **kw: Any) -> tuple[list[Hit], float]:
    t0 = time.perf_counter()
    out = search(store, encoder, text, **kw)
    return out, (time.perf_counter() - t0) * 1000


# ---- brute force over the vector cache ----------------------------------------------------------


def top_indices(matrix: np.ndarray, vec: np.ndarray, n: int,
                mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` rows of ``matrix`` (among ``mask``) with the largest ``matrix @ vec``, best first,
    exact: (rows, cosines)."""
    import torch

    from embeddings.encoder import one_thread

    if not len(matrix):
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    with one_thread(True):  # a matrix-vector product is memory-bound: a second thread only spins
        sims = torch.mv(torch.from_numpy(matrix), torch.from_numpy(np.ascontiguousarray(vec, np.float32))).numpy()
    cand = np.arange(len(sims)) if mask is None else np.flatnonzero(mask)
    if len(cand) > n:
        cand = cand[np.argpartition(-sims[cand], n - 1)[:n]]
    order = cand[np.lexsort((cand, -sims[cand]))]
    return order, sims[order]


@dataclass
class _Snapshot:
    """One label's normalised vectors and, per row, the fields search filters on."""

    mtime: float
    ids: list[str]
    matrix: np.ndarray
    rows: list[dict[str, Any]]  # partner fields; for articles {"partners": [partner rows]}
    masks: dict[tuple[Filters, tuple[str, ...]], np.ndarray] = field(default_factory=dict)


class ExactVectors:
    """Brute-force retrieval over the vector cache under ``home`` (what ``partnergraph embed``
    wrote): one row-normalised float32 matrix per partner label and one for articles, with a
    snapshot of the partners' filter fields and the article -> partner links, read from the graph
    once (and again when a label's vector file changes). Exact under every filter; the snapshot
    can lag the graph, which is why the product searches the index and this is the benchmark's
    reference (and a fallback for a store without vector indexes)."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self._snaps: dict[str, _Snapshot] = {}

    def snapshot(self, store: GraphStore, label: str) -> _Snapshot:
        import cypher
        from embeddings.cache import cache_dir, read_vectors
        from embeddings.queries import partner_fields_query

        path = cache_dir(self.home) / f"{label}.parquet"
        mtime = os.stat(path).st_mtime if path.exists() else -1.0
        snap = self._snaps.get(label)
        if snap is not None and snap.mtime == mtime:
            return snap
        ids, vecs, _ = read_vectors(self.home, label)
        norms = np.linalg.norm(vecs, axis=1)
        keep = np.flatnonzero(norms > 0)  # empty texts have zero vectors and are not indexed
        ids = [ids[i] for i in keep]
        mat = np.ascontiguousarray(vecs[keep] / norms[keep, None], dtype=np.float32)
        rows: list[dict[str, Any]]
        if label == "Article":
            links: dict[str, list[dict[str, Any]]] = {}
            saved = cypher.get("search_article_partners")
            for row in store.read(saved.text(store.backend), saved.coerce({"ids": ids}),
                                  limit=10 * len(ids) + 1).rows:
                links.setdefault(str(row["article"]), []).append({**row, "label": row["type"]})
            rows = [{"partners": links.get(i, [])} for i in ids]
        else:
            got = {str(r["id"]): r for r in store.read(partner_fields_query(label), {"ids": ids},
                                                       limit=len(ids) + 1).rows}
            rows = [got.get(i) or {"id": i, "missing": True} for i in ids]
        snap = self._snaps[label] = _Snapshot(mtime, ids, mat, rows)
        return snap

    def _mask(self, snap: _Snapshot, filters: Filters, labels: list[str], article: bool) -> np.ndarray:
        key = (filters, tuple(labels))
        if key not in snap.masks:
            if article:
                ok = [any(p["label"] in labels and filters.passes(p) for p in r["partners"]) for r in snap.rows]
            else:
                ok = [not r.get("missing") and filters.passes(r) for r in snap.rows]
            snap.masks[key] = np.asarray(ok, dtype=bool)
        return snap.masks[key]

    def retrieve(self, store: GraphStore, vec: np.ndarray, labels: list[str], filters: Filters,
                 k: int) -> dict[str, Hit]:
        """The exact best ``k + SPARE`` partners per label by own text and the partners of the
        exact best ``k + SPARE`` passing articles: enough for the exact top ``k``."""
        rows: list[dict[str, Any]] = []
        for label in labels:
            snap = self.snapshot(store, label)
            order, cos = top_indices(snap.matrix, vec, k + SPARE, self._mask(snap, filters, labels, False))
            rows.extend({**snap.rows[i], "label": label, "article": None, "title": None, "score": (1.0 + float(c)) / 2.0}
                        for i, c in zip(order, cos, strict=True))
        snap = self.snapshot(store, "Article")
        mask = self._mask(snap, filters, labels, True)
        n = k + SPARE
        while True:  # articles until k + SPARE distinct partners (a partner can have several)
            order, cos = top_indices(snap.matrix, vec, n, mask)
            found = merge(({**p, "score": 0.0} for i in order for p in snap.rows[i]["partners"]), labels, filters)
            if len(found) >= k + SPARE or len(order) < n:
                break
            n *= 4
        rows.extend({**p, "score": (1.0 + float(c)) / 2.0} for i, c in zip(order, cos, strict=True)
                    for p in snap.rows[i]["partners"])
        return merge(rows, labels, filters)
