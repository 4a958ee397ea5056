"""Category scores of partners and brands from everything their records say (pure, no I/O).

- A partner's scores are the equal-weight mean of up to three parts, each pooled over the
  partner's group (its CRM, network and crawled records, see :func:`embeddings.texts.groups`):
  the similarities of its names, of its descriptions, and the mean similarities of its articles
  (title and text blended). Equal weights beat the alternatives tried on a dev half of the ci
  truth (entities hashed in two halves; the other half is only reported).
- A brand's Ad Product scores come from the partners it works with: the mean Content-topic
  scores of those partners (one entry per campaign month, contract or promotion) give a content
  profile, and its :data:`PROFILE_TOPICS` best topics are mapped to Ad Product categories by the
  similarity of the category paths (``Pets`` -> ``Pet Ownership``). A brand's own description,
  when it has one, is a second part; a brand with neither falls back to its own text.
- Calibrated gate: a partner known only by its name is tagged at its most specific level whose
  calibrated probability reaches :data:`P_MIN`: its best categories, else its Tier-1 category
  only, else nothing. The calibrations (isotonic, exact and Tier 1) are learnt without truth, from
  partners that have both names and articles (:func:`weak_view_calibrator`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from embeddings.classifier import Calibrator
from embeddings.tagging import LabelSpace, similarities
from embeddings.texts import DESC_SUFFIX, NAME_SUFFIX, PARTNER_LABELS, Corpus

#: Content topics of a brand's partner profile mapped to Ad Product categories.
PROFILE_TOPICS = 10
PARTS = ("names", "descriptions", "articles")
#: Calibrated probability a name-only partner's top category needs before it is tagged at all.
#: 0 (gate off) until its effect on link prediction is measured: at 0.5 on ci, 38% of partner
#: records lost every topic (434 of 624 influencers), which the topic heuristics and the GNN use.
P_MIN = 0.0


def blend(parts: Sequence[np.ndarray | None], width: int) -> np.ndarray:
    """The mean of the parts that exist (zeros when none)."""
    have = [p for p in parts if p is not None]
    return np.mean(np.stack(have), axis=0) if have else np.zeros(width, np.float32)


def _positions(corpus: Corpus, labels: Sequence[str]) -> dict[str, tuple[str, int]]:
    return {node: (label, r) for label in labels for r, node in enumerate(corpus.ids.get(label, []))}


@dataclass
class PartnerParts:
    """Per partner label: each part's pooled scores (``(n, categories)``) and which rows have it."""

    sims: dict[str, np.ndarray]  # part -> scores
    has: dict[str, np.ndarray]  # part -> bool (n,)
    own: np.ndarray  # the node's own text, used when it has no part

    def blended(self) -> np.ndarray:
        total = np.zeros_like(self.own)
        count = np.zeros(len(self.own), np.float32)
        for part, sims in self.sims.items():
            total += np.where(self.has[part][:, None], sims, 0.0)
            count += self.has[part]
        return np.where(count[:, None] > 0, total / np.maximum(count, 1)[:, None], self.own).astype(np.float32)


def partner_parts(corpus: Corpus, vecs: Mapping[str, np.ndarray], space: LabelSpace,
                  article_sims: np.ndarray | None) -> dict[str, PartnerParts]:
    """Per partner label, the name, description and article parts pooled over each partner's group."""
    labels = [x for x in PARTNER_LABELS if x in vecs]
    pos = _positions(corpus, labels)
    width = len(space.ids)
    part_sims: dict[tuple[str, str], np.ndarray] = {}
    part_has: dict[tuple[str, str], np.ndarray] = {}
    for label in labels:
        for suffix in (NAME_SUFFIX, DESC_SUFFIX):
            v = vecs.get(label + suffix)
            if v is None:
                v = np.zeros((len(corpus.ids[label]), space.vectors.shape[1]), np.float32)
            part_sims[(label, suffix)] = similarities(v, space)
            part_has[(label, suffix)] = np.any(v, axis=1)
    art_index = {a: i for i, a in enumerate(corpus.ids.get("Article", []))}
    out: dict[str, PartnerParts] = {}
    for label in labels:
        n = len(corpus.ids[label])
        sims = {k: np.zeros((n, width), np.float32) for k in PARTS}
        has = {k: np.zeros(n, bool) for k in PARTS}
        for r, node in enumerate(corpus.ids[label]):
            group = corpus.group.get(node, [node])
            members = [pos[m] for m in group if m in pos]
            for part, suffix in (("names", NAME_SUFFIX), ("descriptions", DESC_SUFFIX)):
                rows = [part_sims[(lb, suffix)][i] for lb, i in members if part_has[(lb, suffix)][i]]
                if rows:
                    sims[part][r], has[part][r] = np.mean(np.stack(rows), axis=0), True
            if article_sims is not None:
                arts = [art_index[a] for a in corpus.group_articles(node) if a in art_index]
                if arts:
                    sims["articles"][r], has["articles"][r] = article_sims[arts].mean(axis=0), True
        out[label] = PartnerParts(sims, has, similarities(vecs[label], space))
    return out


def partner_sims(corpus: Corpus, vecs: Mapping[str, np.ndarray], space: LabelSpace,
                 article_sims: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per partner label, ``(n, categories)`` scores pooled over each partner's group."""
    return {label: parts.blended() for label, parts in partner_parts(corpus, vecs, space, article_sims).items()}


def roots(space: LabelSpace) -> np.ndarray:
    """Column -> column of its Tier-1 ancestor."""
    out = np.arange(len(space.ids))
    for j in range(len(out)):
        k = j
        while space.parent[k] >= 0:
            k = int(space.parent[k])
        out[j] = k
    return out


def weak_view_calibrator(parts: Mapping[str, PartnerParts], root_of: np.ndarray | None = None,
                         min_pairs: int = 30) -> Calibrator | None:
    """P(a name-only top-1 category is right) as a function of its score, learnt without truth:
    on partners that also have articles, the articles' top-1 (the stronger view, measured at 0.79
    top-1 on the ci truth) is the label for the names' top-1; with ``root_of``, at Tier 1 only.
    ``None`` with too few such partners."""
    conf: list[float] = []
    correct: list[bool] = []
    for p in parts.values():
        both = p.has["names"] & p.has["articles"]
        if not both.any():
            continue
        weak, strong = p.sims["names"][both].argmax(axis=1), p.sims["articles"][both].argmax(axis=1)
        if root_of is not None:
            weak, strong = root_of[weak], root_of[strong]
        conf.extend(p.sims["names"][both].max(axis=1).tolist())
        correct.extend((weak == strong).tolist())
    if len(conf) < min_pairs or len(set(correct)) < 2:
        return None
    return Calibrator.fit(np.array(conf), np.array(correct))


def gate_weak(parts: PartnerParts, sims: np.ndarray, calibrator: Calibrator | None,
              p_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Zero the rows of partners known only by name whose calibrated top-1 probability is below
    ``p_min`` (they get no tags); returns the gated scores and the kept mask."""
    weak_only = parts.has["names"] & ~parts.has["articles"] & ~parts.has["descriptions"]
    if calibrator is None or not weak_only.any():
        return sims, np.ones(len(sims), bool)
    prob = calibrator(parts.sims["names"].max(axis=1))
    keep = ~weak_only | (prob >= p_min)
    return np.where(keep[:, None], sims, 0.0).astype(np.float32), keep


def tier1_only(sims: np.ndarray, space: LabelSpace) -> np.ndarray:
    """Scores kept on Tier-1 categories only, each raised to its best descendant's score."""
    from embeddings.tagging import propagate

    out = np.zeros_like(sims)
    top = space.parent < 0
    out[:, top] = propagate(sims, space)[:, top]
    return out


#: Part of the tagging fingerprint: a home tagged under another brand rule is re-tagged.
BRAND_RULE = "description-first-1"


def brand_sims(corpus: Corpus, vecs: Mapping[str, np.ndarray], products: LabelSpace, topics: LabelSpace | None,
               partner_topics: Mapping[str, np.ndarray]) -> np.ndarray:
    """``(brands, Ad Product categories)`` scores: from the brand's description when it has one
    (what the brand says it sells), else from the topics of its partners, else from its own text."""
    ids = corpus.ids.get("Brand", [])
    width = len(products.ids)
    own = similarities(vecs["Brand"], products) if len(ids) else np.zeros((0, width), np.float32)
    desc_v = vecs.get("Brand" + DESC_SUFFIX)
    desc = similarities(desc_v, products) if desc_v is not None else None
    desc_has = np.any(desc_v, axis=1) if desc_v is not None else None
    c2p = topics.vectors @ products.vectors.T if topics is not None else None
    ppos = _positions(corpus, [x for x in PARTNER_LABELS if x in partner_topics])
    bpos = {b: r for r, b in enumerate(ids)}
    out = np.zeros((len(ids), width), np.float32)
    for r, brand in enumerate(ids):
        members = corpus.group.get(brand, [brand])
        if desc is not None and desc_has is not None:
            rows = [bpos[m] for m in members if m in bpos and desc_has[bpos[m]]]
            if rows:  # the brand says what it sells: its partners do not override that
                out[r] = desc[rows].mean(axis=0)
                continue
        parts: list[np.ndarray | None] = []
        if c2p is not None:
            links = [ppos[p] for m in members for p in corpus.partners_of.get(m, ()) if p in ppos]
            if links:
                profile = np.mean(np.stack([partner_topics[lb][i] for lb, i in links]), axis=0)
                top = np.argsort(-profile)[:PROFILE_TOPICS]
                parts.append(c2p[top].mean(axis=0))
        out[r] = blend(parts, width) if any(p is not None for p in parts) else own[r]
    return out
