"""Brand safety: flag partners whose content falls in the Content Taxonomy's sensitive categories.

The IAB Content Taxonomy 3.1 has a ``Sensitive Topics`` branch (adult content, arms, crime,
hate speech, illegal drugs, ...). Each article is compared with those categories, described by
their path plus a few plain words (the bare names are short and abstract). A partner is flagged
when at least ``min_articles`` of its articles, or its own text, score above ``floor``; the flag
carries its evidence: the categories and the articles with their scores, as versioned JSON that
names node ids, so discovery, search and the app can filter on it and show why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embeddings.tagging import taxonomy_nodes
from graph.taxonomy import TaxonomyNode

#: Plain words that say what each sensitive category means (matched by the category name).
DESCRIPTIONS = {
    "Adult & Explicit Sexual Content": "pornography, explicit sex, nudity, adult entertainment, escorts",
    "Arms & Ammunition": "guns, firearms, rifles, ammunition, weapons for sale",
    "Crime & Harmful Acts": "crime, murder, assault, robbery, human trafficking, abuse",
    "Death, Injury, or Military Conflict": "death, fatal accidents, injuries, war, military conflict, killed",
    "Debated Sensitive Social Issues": "abortion, gun control, immigration debate, controversial social issues",
    "Hate Speech and Acts of Aggression": "hate speech, racism, slurs, harassment, violent extremism",
    "Illegal Drugs, Tobacco, eCigarettes, Vaping, Alcohol": "illegal drugs, cocaine, cannabis, smoking, vaping, "
                                                           "heavy drinking",
    "Obscenity and Profanity": "obscene language, profanity, swearing, vulgar content",
    "Online Piracy": "pirated movies, torrents, illegal streaming, cracked software downloads",
    "Spam or Harmful Content": "spam, malware, scams, phishing, fake giveaways",
    "Terrorism": "terrorism, terrorist attacks, bombings, extremist propaganda",
}
EVIDENCE_VERSION = 1


def sensitive_nodes() -> list[TaxonomyNode]:
    return [n for n in taxonomy_nodes("content", "Sensitive Topics") if n.tier >= 2]


def sensitive_text(node: TaxonomyNode) -> str:
    words = next((d for k, d in DESCRIPTIONS.items() if node.name.startswith(k)), "")
    return f"{node.path}: {words}" if words else node.path


@dataclass
class SafetyModel:
    nodes: list[TaxonomyNode]
    vectors: np.ndarray
    floor: float = 0.42
    min_articles: int = 1

    @classmethod
    def build(cls, embed: Callable[[list[str]], np.ndarray], **kw: float) -> SafetyModel:
        nodes = sensitive_nodes()
        return cls(nodes, np.asarray(embed([sensitive_text(n) for n in nodes]), np.float32), **kw)  # type: ignore[arg-type]

    def risk(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the best sensitive similarity and the index of its category."""
        s = np.asarray(x, np.float32) @ self.vectors.T
        return s.max(axis=1), s.argmax(axis=1)


@dataclass
class Verdict:
    partner: str
    flagged: bool
    evidence: dict[str, object] = field(default_factory=dict)

    def row(self) -> dict[str, object]:
        return {"id": self.partner, "brand_safety_flag": self.flagged,
                "brand_safety_evidence": json.dumps(self.evidence, sort_keys=True)}


def assess(model: SafetyModel, partner_ids: Sequence[str], partner_vecs: np.ndarray,
           articles_of: Mapping[str, Sequence[str]], article_index: Mapping[str, int],
           article_vecs: np.ndarray, titles: Mapping[str, str] | None = None) -> list[Verdict]:
    """A verdict per partner, with the articles and categories that triggered it."""
    titles = titles or {}
    a_risk, a_cat = model.risk(article_vecs) if len(article_vecs) else (np.zeros(0), np.zeros(0, int))
    p_risk, p_cat = model.risk(partner_vecs) if len(partner_vecs) else (np.zeros(0), np.zeros(0, int))
    out = []
    for i, pid in enumerate(partner_ids):
        hits: list[dict[str, Any]] = []
        for aid in articles_of.get(pid, ()):
            j = article_index.get(aid)
            if j is not None and a_risk[j] >= model.floor:
                hits.append({"article": aid, "title": titles.get(aid, ""), "score": round(float(a_risk[j]), 4),
                             "category": model.nodes[int(a_cat[j])].id})
        own = float(p_risk[i]) if len(p_risk) else 0.0
        flagged = len(hits) >= model.min_articles or own >= model.floor
        evidence: dict[str, object] = {"version": EVIDENCE_VERSION, "floor": model.floor}
        if flagged:
            cats = sorted({str(h["category"]) for h in hits} | ({model.nodes[int(p_cat[i])].id} if own >= model.floor
                                                            else set()))
            evidence.update({"categories": cats, "articles": sorted(hits, key=lambda h: -float(h["score"]))[:10],
                             "partner_score": round(own, 4)})
        out.append(Verdict(pid, flagged, evidence))
    return out
