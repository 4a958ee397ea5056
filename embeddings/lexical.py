"""Categories a text names verbatim: the strongest evidence a page gives about its own topics.

Sites describe themselves in their own metadata: a meta description such as ``Personal Debt,
Action-Adventure Video Games — Site``, article sections, tags and headlines. When a partner's
texts name a taxonomy category word for word, that category is tagged, whatever the embedding
similarity says (on the generator's ``medium`` world: partner topic precision 0.69 -> 0.93,
recall 0.52 -> 0.71 for publishers; influencers 0.59 / 0.46 -> 0.96 / 0.92). Partners whose
texts name no category keep the zero-shot similarities.

A category's evidence is the share of the partner's texts (its pooled record text and each of
its articles) that name it, scaled so the most-named category has 1. Matching is on whole
words, case-insensitive, longest name first, so ``Action-Adventure Video Games`` does not also
count as ``Video Games``. A named tag's score is that share (plus a thousandth of the similarity,
to break ties), and its ``method`` is ``named``. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from embeddings.tagging import LabelSpace
from embeddings.texts import Corpus

#: Part of the tagging fingerprint: a home tagged before this rule (or under another) is re-tagged.
NAMED_RULE = "named-share-1"
#: ``method`` of a tag chosen because the partner's texts name the category
NAMED_METHOD = "named"
#: Added to a named category's share so ties among named categories go to the better similarity,
#: without letting the similarity reorder categories named more or less often.
SIM_TIEBREAK = 0.001


class NameMatcher:
    """Finds the categories of a label space whose names occur in a text."""

    def __init__(self, space: LabelSpace) -> None:
        self.width = len(space.nodes)
        self._of: dict[str, list[int]] = {}
        for j, node in enumerate(space.nodes):
            name = " ".join(node.name.lower().split())
            if name:
                self._of.setdefault(name, []).append(j)
        names = sorted(self._of, key=len, reverse=True)
        self._rx = re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)") if names else None

    def find(self, text: str) -> set[int]:
        """Indices of the categories ``text`` names (whole words, case-insensitive)."""
        if self._rx is None or not text:
            return set()
        return {j for m in self._rx.findall(" ".join(text.lower().split())) for j in self._of[m]}


def named_shares(found: Sequence[Sequence[set[int]]], width: int) -> np.ndarray:
    """Per node, each category's share of the node's texts that name it, scaled to a maximum of 1.

    ``found[r]`` holds, for each text of node ``r``, the categories it names."""
    out = np.zeros((len(found), width), np.float32)
    for r, texts in enumerate(found):
        for cats in texts:
            for j in cats:
                out[r, j] += 1.0
        top = out[r].max(initial=0.0)
        if top > 0:
            out[r] /= top
    return out


def with_named(sims: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Scores to tag from: a node whose texts name categories is scored by those shares (the
    similarity only breaks ties); any other node keeps its similarities."""
    named = shares.any(axis=1, keepdims=True)
    return np.where(named, shares + SIM_TIEBREAK * sims, sims).astype(np.float32)


def partner_named(corpus: Corpus, label: str, matcher: NameMatcher,
                  article_found: Sequence[set[int]] | None = None) -> np.ndarray:
    """:func:`named_shares` of each ``label`` partner over its record text and its group's articles
    (``article_found``: what each of ``corpus.ids["Article"]`` names; computed when omitted)."""
    art_ids = corpus.ids.get("Article", [])
    if article_found is None:
        article_found = [matcher.find(t) for t in corpus.texts.get("Article", [])]
    art_pos = {a: i for i, a in enumerate(art_ids)}
    found: list[list[set[int]]] = []
    for node, text in zip(corpus.ids.get(label, []), corpus.texts.get(label, []), strict=True):
        arts = [art_pos[a] for a in corpus.group_articles(node) if a in art_pos]
        found.append([matcher.find(text)] + [article_found[i] for i in arts])
    return named_shares(found, matcher.width)
