"""The content-similarity ranker: cold start, and the fallback when no trained model exists.

Scores come from the text vectors of the embeddings cache (``embeddings.cache.read_vectors``):
- a partner's vector is the mean of the (unit) vectors of all its records (CRM record,
  affiliate-network record, crawled website with its article titles);
- a brand's vector likewise (CRM record plus the crawled ``brand:<domain>`` record);
- a brand **with** history also has a profile: the mean vector of the partners it worked with
  (and accepted in feedback). Its score is ``0.5 * cos(brand, partner) + 0.5 * cos(profile,
  partner)``; a brand without history is ranked by ``cos(brand, partner)`` alone, and its
  reasons say "no campaign history yet: ranked by content similarity".

It speaks the :class:`gnn.ranker.Ranker` protocol. It has no performance head, so
``predict_performance`` is empty and ``predicted_roi`` stays null: nothing is made up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from graph.errors import InputError

log = logging.getLogger(__name__)

NAME = "content"
PROFILE_WEIGHT = 0.5


def _unit(mat: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(mat, axis=-1, keepdims=True)
    out = np.zeros_like(mat, dtype=np.float32)
    np.divide(mat, norms, out=out, where=norms > 0)
    return out


def mean_vectors(groups: Mapping[str, Sequence[str]], vectors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Entity id -> unit mean of its records' unit vectors (records without a vector skipped)."""
    out: dict[str, np.ndarray] = {}
    for key, recs in groups.items():
        vs = [vectors[r] for r in recs if r in vectors]
        if not vs:
            continue
        m = _unit(np.mean(_unit(np.stack(vs)), axis=0, keepdims=True))[0]
        if np.any(m):
            out[key] = m
    return out


def finite_vectors(ids: Sequence[str], vecs: np.ndarray, label: str) -> dict[str, np.ndarray]:
    """id -> vector, leaving out zero vectors (empty texts) and, with a warning that counts them,
    vectors with NaN or infinite values."""
    vecs = np.asarray(vecs, dtype=np.float32)
    if vecs.ndim != 2 or len(ids) != len(vecs):
        raise InputError(f"vector cache of :{label} is malformed: {len(ids)} ids, shape {vecs.shape}",
                         hint="delete the vectors folder and run `partnergraph embed`")
    ok = np.isfinite(vecs).all(axis=1)
    bad = int((~ok).sum())
    if bad:
        examples = ", ".join(str(ids[int(i)]) for i in np.flatnonzero(~ok)[:3])
        log.warning("vector cache: %d :%s vector(s) hold NaN or infinite values and are ignored (e.g. %s)",
                    bad, label, examples)
    keep = ok & (np.abs(vecs).sum(axis=1) > 0)
    return {str(ids[int(i)]): vecs[int(i)] for i in np.flatnonzero(keep)}


def read_entity_vectors(home: Path, labels: Iterable[str]) -> tuple[dict[str, np.ndarray], str]:
    """All cached vectors of these labels, by record id, and the model id that made them."""
    from embeddings.cache import read_vectors

    out: dict[str, np.ndarray] = {}
    model_id = ""
    missing = []
    for label in labels:
        try:
            ids, vecs, model_id = read_vectors(home, label)
        except InputError:
            missing.append(label)
            continue
        out.update(finite_vectors(ids, vecs, label))
    if missing:
        log.warning("no cached vectors for %s under %s", ", ".join(":" + m for m in missing), home)
    return out, model_id


class ContentRanker:
    """Cosine similarity of text vectors (see the module doc)."""

    name = NAME

    def __init__(self, brand_vecs: Mapping[str, np.ndarray], partner_vecs: Mapping[str, np.ndarray],
                 profiles: Mapping[str, np.ndarray] | None = None, *, model_id: str = "") -> None:
        self.model_version = f"content:{model_id or 'unknown-encoder'}"
        self.brand_vecs = dict(brand_vecs)
        self.profiles = dict(profiles or {})
        self._pids = list(partner_vecs)
        self._pindex = {p: i for i, p in enumerate(self._pids)}
        dim = next(iter(partner_vecs.values())).shape[0] if partner_vecs else 1
        self._pmat = _unit(np.stack([partner_vecs[p] for p in self._pids])) if self._pids \
            else np.zeros((0, dim), np.float32)

    # ---- Ranker protocol ---------------------------------------------------------------------

    def score(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> np.ndarray:
        cols = np.array([self._pindex.get(p, -1) for p in partner_ids], dtype=np.int64)
        known = cols >= 0
        out = np.full((len(brand_ids), len(partner_ids)), np.nan, dtype=np.float32)
        if not known.any():
            return out
        pm = self._pmat[cols[known]]
        for i, b in enumerate(brand_ids):
            bv = self.brand_vecs.get(b)
            pv = self.profiles.get(b)
            if bv is None and pv is None:
                continue
            s = np.zeros(int(known.sum()), dtype=np.float32)
            if bv is not None and pv is not None:
                s = (1 - PROFILE_WEIGHT) * (pm @ _unit(bv[None])[0]) + PROFILE_WEIGHT * (pm @ _unit(pv[None])[0])
            else:
                s = pm @ _unit((bv if bv is not None else pv)[None])[0]  # type: ignore[index]
            out[i, known] = s
        return out

    def predict_performance(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {}

    def partner_embeddings(self) -> dict[str, np.ndarray]:
        return {}

    def attributions(self, brand_id: str, partner_id: str) -> dict[str, float]:
        """The two cosine terms of the score (before weighting)."""
        j = self._pindex.get(partner_id)
        if j is None:
            return {}
        out = {}
        if brand_id in self.brand_vecs:
            out["brand_text_similarity"] = float(self._pmat[j] @ _unit(self.brand_vecs[brand_id][None])[0])
        if brand_id in self.profiles:
            out["past_partner_similarity"] = float(self._pmat[j] @ _unit(self.profiles[brand_id][None])[0])
        return out

    # ---- helpers -----------------------------------------------------------------------------

    def knows_brand(self, brand_id: str) -> bool:
        return brand_id in self.brand_vecs or brand_id in self.profiles

    def has_profile(self, brand_id: str) -> bool:
        return brand_id in self.profiles


def build_content_ranker(home: Path, partner_records: Mapping[str, Sequence[str]],
                         brand_records: Mapping[str, Sequence[str]],
                         positives: Mapping[str, Iterable[str]]) -> ContentRanker:
    """The content ranker of a graph: ``partner_records`` / ``brand_records`` map each entity to
    its record ids; ``positives`` maps a brand to the partners it worked with (its profile)."""
    vectors, model_id = read_entity_vectors(home, ("Publisher", "Influencer", "Brand"))
    if not vectors:
        raise InputError(f"no text vectors under {home / 'vectors'}: content similarity needs them",
                         hint="run `partnergraph embed` first")
    partner_vecs = mean_vectors(partner_records, vectors)
    brand_vecs = mean_vectors(brand_records, vectors)
    profiles: dict[str, np.ndarray] = {}
    for b, ps in positives.items():
        vs = [partner_vecs[p] for p in ps if p in partner_vecs]
        if vs:
            m = _unit(np.mean(np.stack(vs), axis=0, keepdims=True))[0]
            if np.any(m):
                profiles[b] = m
    log.info("content ranker: %s of %s partners and %s of %s brands have a text vector; %s brands "
             "have a past-partner profile", f"{len(partner_vecs):,}", f"{len(partner_records):,}",
             f"{len(brand_vecs):,}", f"{len(brand_records):,}", f"{len(profiles):,}")
    return ContentRanker(brand_vecs, partner_vecs, profiles, model_id=model_id)
