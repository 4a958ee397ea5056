"""Categories named verbatim in a partner's texts (pure units: no model, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.lexical import SIM_TIEBREAK, NameMatcher, named_shares, partner_named, with_named
from embeddings.tagging import DEFAULTS, LabelSpace, tag
from embeddings.texts import Corpus
from graph.taxonomy import TaxonomyNode


def _space() -> LabelSpace:
    names = ["Video Games", "Action-Adventure Video Games", "Personal Debt", "Travel", "Bars & Restaurants"]
    nodes = [TaxonomyNode(f"t:{i}", str(i), n, None, 1, n, "Topic", "t") for i, n in enumerate(names)]
    return LabelSpace("t", "Topic", nodes, np.eye(len(names), dtype=np.float32))


def test_matcher_whole_words_longest_name_first() -> None:
    m = NameMatcher(_space())
    assert m.find("Action-Adventure Video Games, Personal Debt — Action Aktuell") == {1, 2}
    assert m.find("VIDEO   games and more") == {0}  # case and spacing do not matter
    assert m.find("Travelling light; travels") == set()  # whole words only: "Travelling" is not "Travel"
    assert m.find("bars & restaurants nearby") == {4}  # punctuation in a name is matched literally
    assert m.find("") == set()


def test_named_shares_scale_to_the_most_named_category() -> None:
    out = named_shares([[{0, 1}, {1}, {1, 2}], [], [set()]], 4)
    assert out[0].tolist() == pytest.approx([1 / 3, 1.0, 1 / 3, 0.0])
    assert not out[1].any() and not out[2].any()


def test_named_categories_win_unnamed_rows_keep_similarities() -> None:
    space = _space()
    sims = np.array([[0.9, 0.2, 0.35, 0.1, 0.0],  # the embedding prefers Video Games ...
                     [0.1, 0.6, 0.3, 0.2, 0.0]], np.float32)
    shares = np.array([[0.0, 1.0, 1.0, 0.0, 0.0],  # ... but the texts name two other categories
                       [0.0, 0.0, 0.0, 0.0, 0.0]], np.float32)
    scored = with_named(sims, shares)
    assert np.array_equal(scored[1], sims[1])
    assert scored[0, 2] == np.float32(1.0 + SIM_TIEBREAK * 0.35)
    tags = tag(["a", "b"], np.zeros((2, 5), np.float32), space, DEFAULTS["Publisher"], sims=scored)
    assert sorted(t.category for t in tags if t.node == "a") == ["t:1", "t:2"]  # both named, and only those
    assert [t.category for t in tags if t.node == "b"] == ["t:1"]  # the similarity as before


def test_partner_named_pools_the_group_and_its_articles() -> None:
    corpus = Corpus(
        ids={"Publisher": ["crm:1", "site:1", "crm:2"], "Article": ["a1", "a2"]},
        texts={"Publisher": ["Kick Weekly", "Travel, Personal Debt — Kick Weekly", "Nothing named here"],
               "Article": ["Our pick: Travel", "Tips: Personal Debt. Travel"]},
        publishers_of={"a1": ["site:1"], "a2": ["site:1"]},
        articles_of={"site:1": ["a1", "a2"]},
        group={"crm:1": ["crm:1", "site:1"], "site:1": ["crm:1", "site:1"]})
    out = partner_named(corpus, "Publisher", NameMatcher(_space()))
    # crm:1 and site:1 both see the group's articles: Travel in 2 of 3 texts, Personal Debt in 1 of 3 (crm:1)
    assert out[0].tolist() == [0.0, 0.0, 0.5, 1.0, 0.0]
    assert out[1].tolist() == pytest.approx([0.0, 0.0, 2 / 3, 1.0, 0.0])  # its own text names both
    assert not out[2].any()
