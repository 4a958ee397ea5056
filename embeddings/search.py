"""Semantic partner search on the active backend's vector index; a function the app calls.

``search(store, encoder, "eco-friendly family travel podcasts in France", type="Influencer")``
embeds the query, asks the vector indexes in one round trip for the nearest partners (their own
text) and the nearest articles (credited to the partners that published them), merges both, filters on type,
country, language, audience size and brand safety, and returns ranked partners with the matched
texts and the topics they cover as reasons.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embeddings.queries import nearest
from graph.errors import InputError
from graph.explore import run_saved
from graph.schema import PARTNERS
from graph.store.base import GraphStore

#: Candidates fetched per requested result, so filters still leave ``k`` results.
OVERFETCH = 5
#: Weight of the best matching article against the partner's own text.
ARTICLE_WEIGHT = 0.9


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


def search(store: GraphStore, encoder: Callable[[list[str]], np.ndarray], text: str, *,
           type: str | None = None, country: str | None = None, language: str | None = None,
           min_audience: int | None = None, safe_only: bool = False, k: int = 20) -> list[Hit]:
    """Ranked partners for a free-text need, with the matched texts and topics as reasons."""
    if not text or not text.strip():
        raise InputError("empty search text", hint='describe the partners you want, e.g. "family travel podcasts"')
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    labels = _type(type)
    vec = np.asarray(encoder([text.strip()]), np.float32)[0]
    filtered = bool(country or language or min_audience is not None or safe_only)
    fetch = k * OVERFETCH if filtered else k + 10
    hits: dict[str, Hit] = {}

    def offer(row: dict[str, Any], label: str, score: float, match: dict[str, Any]) -> None:
        if not _passes(row, country, language, min_audience, safe_only):
            return
        pid = str(row["id"])
        h = hits.get(pid)
        if h is None:
            h = hits[pid] = Hit(pid, label, str(row.get("name") or pid), score, row.get("country"),
                                row.get("language"), row.get("audience_size"), row.get("brand_safety_flag"))
        h.score = max(h.score, score)
        h.matched.append(match)

    rows = nearest(store, [*labels, "Article"], vec, fetch)
    for row in rows:
        if row["label"] != "Article":
            offer(row, str(row["label"]), float(row["score"]),
                  {"kind": row["label"], "id": row["id"], "text": str(row.get("name") or ""),
                   "score": float(row["score"])})
    art_score = {str(r["id"]): float(r["score"]) for r in rows if r["label"] == "Article"}
    if art_score:
        for row in run_saved(store, "search_article_partners", ids=list(art_score)):
            if row["type"] not in labels:
                continue
            s = art_score[str(row["article"])]
            offer(row, row["type"], ARTICLE_WEIGHT * s,
                  {"kind": "Article", "id": row["article"], "text": str(row.get("title") or ""), "score": s})
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


def timed_search(store: GraphStore, encoder: Callable[[list[str]], np.ndarray], text: str,
                 **kw: Any) -> tuple[list[Hit], float]:
    t0 = time.perf_counter()
    out = search(store, encoder, text, **kw)
    return out, (time.perf_counter() - t0) * 1000
