"""Pure units of the partner/brand texts, profiles, classifier and search query: no model, no database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from embeddings.classifier import (
    Calibrator,
    VectorClassifier,
    expected_calibration_error,
    pseudo_labels,
    split,
    top_k_labels,
)
from embeddings.profiles import brand_sims, partner_sims
from embeddings.queries import nearest_query
from embeddings.tagging import LabelSpace, top_k
from embeddings.texts import DESC_SUFFIX, NAME_SUFFIX, build_corpus, domain_key, groups
from graph.errors import InputError
from graph.taxonomy import TaxonomyNode


def _edges(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["src", "dst", "src_label", "dst_label"])


def _world() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """A CRM record, a network record (SAME_AS) and a crawled site (same domain) of one partner."""
    nodes = {
        "Publisher": pd.DataFrame([
            {"id": "partner:crm:1", "name": "Kick Weekly", "domain": "kickweekly.de"},
            {"id": "pub:kickweekly.de", "name": "Kick Weekly", "domain": "www.KickWeekly.de",
             "description": "Soccer, Youth Soccer - Kick Weekly"},
            {"id": "affiliate:net:9", "name": "KICK WEEKLY", "domain": None},
            {"id": "partner:crm:2", "name": "Cellar Notes", "domain": "cellar.fr"},
        ]),
        "Influencer": pd.DataFrame([{"id": "inf:lea", "name": "Lea travels", "domain": "lea.bio.link"}]),
        "Article": pd.DataFrame([{"id": "a1", "title": "Bundesliga review", "text": "goals"}]),
        "Brand": pd.DataFrame([{"id": "brand:crm:b", "name": "Boots Co", "domain": "boots.com"},
                               {"id": "brand:boots.com", "name": "boots", "domain": "boots.com"}]),
    }
    edges = {
        "PUBLISHED": _edges([("pub:kickweekly.de", "a1", "Publisher", "Article")]),
        "SAME_AS": _edges([("affiliate:net:9", "partner:crm:1", "Publisher", "Publisher")]),
        "RAN": _edges([("brand:crm:b", "camp:1", "Brand", "Campaign")]),
        "WITH": _edges([("camp:1", "partner:crm:1", "Campaign", "Publisher"),
                        ("camp:1", "partner:crm:1", "Campaign", "Publisher")]),
        "SIGNED": _edges([("brand:crm:b", "k:1", "Brand", "Contract"), ("inf:lea", "k:1", "Influencer", "Contract")]),
        "PROMOTES": _edges([("a1", "brand:boots.com", "Article", "Brand")]),
    }
    return nodes, edges


def test_groups_join_same_as_and_domains() -> None:
    assert domain_key("https://www.Example.com/path?x=1") == "example.com"
    recs = {"a": {"domain": "x.com"}, "b": {"domain": "www.x.com"}, "c": {}, "d": {}}
    g = groups(recs, [("c", "b"), ("d", "zzz")])
    assert g["a"] == g["b"] == g["c"] == ["a", "b", "c"] and g["d"] == ["d"]


def test_corpus_pools_group_texts_and_brand_partners() -> None:
    c = build_corpus(*_world())
    pubs = dict(zip(c.ids["Publisher"], c.texts["Publisher"], strict=True))
    # the CRM record now carries its crawled twin's description and articles
    assert "Soccer, Youth Soccer" in pubs["partner:crm:1"] and "Bundesliga review" in pubs["partner:crm:1"]
    assert "Bundesliga review" in pubs["affiliate:net:9"] and "Bundesliga" not in pubs["partner:crm:2"]
    assert c.group["affiliate:net:9"] == ["affiliate:net:9", "partner:crm:1", "pub:kickweekly.de"]
    assert c.names["Publisher"][2] == "KICK WEEKLY" and c.descriptions["Publisher"][0] == ""
    # campaign months repeat a partner (weight); contracts and promotions count too
    assert sorted(c.partners_of["brand:crm:b"]) == ["inf:lea", "partner:crm:1", "partner:crm:1"]
    brands = dict(zip(c.ids["Brand"], c.texts["Brand"], strict=True))
    assert "Bundesliga review" in brands["brand:crm:b"]  # the promoted domain's article, via the domain group


def _space(names: list[str], dim: int) -> LabelSpace:
    nodes = [TaxonomyNode(f"t:{i}", str(i), n, None, 1, n, "Topic", "t") for i, n in enumerate(names)]
    return LabelSpace("t", "Topic", nodes, np.eye(len(names), dim, dtype=np.float32))


def test_partner_sims_pool_names_descriptions_articles() -> None:
    c = build_corpus(*_world())
    topics = _space(["Soccer", "Wine", "Travel"], 4)
    n = len(c.ids["Publisher"])
    own = np.zeros((n, 4), np.float32)
    own[:, 1] = 1.0  # every record's own text says "wine": pooled parts must win where they exist
    names = np.zeros((n, 4), np.float32)
    names[1, 0] = 1.0  # only the crawled record's name vector says soccer
    vecs = {"Publisher": own, "Publisher" + NAME_SUFFIX: names, "Publisher" + DESC_SUFFIX: np.zeros((n, 4), np.float32),
            "Influencer": np.zeros((1, 4), np.float32)}
    arts = np.array([[0.8, 0.0, 0.0]], np.float32)
    out = partner_sims(c, vecs, topics, arts)
    assert top_k(out["Publisher"], topics, 1)[0] == ["t:0"]  # CRM record: its group's name and articles
    assert out["Publisher"][0, 0] == pytest.approx((1.0 + 0.8) / 2)
    assert top_k(out["Publisher"], topics, 1)[3] == ["t:1"]  # nothing pooled: falls back to its own text
    assert not out["Influencer"].any()

    products = LabelSpace("p", "ProductCategory", [TaxonomyNode("p:0", "0", "Sporting Goods", None, 1, "Sporting Goods",
                                                                "ProductCategory", "p"),
                                                   TaxonomyNode("p:1", "1", "Alcohol", None, 1, "Alcohol",
                                                                "ProductCategory", "p")],
                          np.array([[0.9, 0.1, 0, 0], [0.1, 0.9, 0, 0]], np.float32))
    bvecs = {"Brand": np.zeros((2, 4), np.float32)}
    b = brand_sims(c, bvecs, products, topics, out)
    assert b[0].argmax() == 0  # works with a soccer partner -> sporting goods
    assert b[1].tolist() == b[0].tolist()  # same domain: the same brand
    desc = np.zeros((2, 4), np.float32)
    desc[0, 1] = 1.0  # the CRM record says it sells alcohol, whatever its partners cover
    b = brand_sims(c, {**bvecs, "Brand" + DESC_SUFFIX: desc}, products, topics, out)
    assert b[0].argmax() == 1 and b[0].tolist() == pytest.approx([0.1, 0.9])  # the description alone
    assert b[1].tolist() == b[0].tolist()  # the group shares the description


def test_classifier_calibration_and_pseudo_labels() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (80, 5)) + 2 * np.eye(5)[0], rng.normal(0, 1, (80, 5)) + 2 * np.eye(5)[1]])
    y = ["a"] * 80 + ["b"] * 80
    clf = VectorClassifier.fit(x, y)
    p = clf.expand(clf.proba(x), ["b", "z", "a"])
    assert p.shape == (160, 3) and not p[:, 1].any()
    acc = np.mean([lab == pred[0] for lab, pred in zip(y, top_k_labels(p, ["b", "z", "a"], 1), strict=True)])
    assert acc > 0.8
    conf = np.linspace(0, 1, 200)
    correct = conf > 0.6  # a step: calibrated probability 0 below, 1 above
    cal = Calibrator.fit(conf, correct)
    assert cal(np.array([0.1, 0.9])).tolist() == pytest.approx([0.0, 1.0])
    assert 0.55 < cal.threshold(0.5) <= 0.62 and cal.threshold(1.1) == float("inf")
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([1, 0])) == pytest.approx(0.4)
    rows, labels = pseudo_labels(np.array([[0.6, 0.5], [0.6, 0.2], [0.3, 0.0]]), ["u", "v"], 0.45, 0.05)
    assert rows.tolist() == [0, 1] and labels == ["u", "u"]
    parts = split([str(i) for i in range(1000)], [0.6, 0.4])
    assert set(parts.tolist()) == {0, 1} and 0.5 < (parts == 0).mean() < 0.7
    assert split(["x"], [0.5, 0.5]).tolist() == split(["x"], [0.5, 0.5]).tolist()


def test_nearest_query_per_backend_checks_labels() -> None:
    q = nearest_query("falkordb", ["Publisher", "Article"])
    assert q.count("UNION ALL") == 1 and "vecf32($q)" in q and "$k" in q and "(2.0 - score) / 2.0" in q
    n = nearest_query("neo4j", ["Influencer"])
    assert "db.index.vector.queryNodes('influencer_embedding_vector', $k, $q)" in n
    with pytest.raises(InputError):
        nearest_query("falkordb", ["Publisher) DETACH DELETE n //"])


def test_weak_view_calibration_gates_name_only_partners() -> None:
    from embeddings.profiles import PARTS, PartnerParts, gate_weak, weak_view_calibrator

    n, m = 60, 3
    sims = {k: np.zeros((n, m), np.float32) for k in PARTS}
    has = {k: np.zeros(n, bool) for k in PARTS}
    score = np.linspace(0.1, 0.9, 40)
    # 40 partners with names and articles: names agree with articles only when their score is high
    sims["names"][:40, 0] = score
    sims["articles"][:40, 0] = np.where(score > 0.5, 1.0, 0.0)
    sims["articles"][:40, 1] = 0.5
    has["names"][:], has["articles"][:40] = True, True
    sims["names"][40:50, 0], sims["names"][50:, 0] = 0.2, 0.8  # name-only partners: weak and strong names
    parts = PartnerParts(sims, has, np.zeros((n, m), np.float32))
    cal = weak_view_calibrator({"Publisher": parts})
    assert cal is not None and cal(np.array([0.2]))[0] < 0.5 <= cal(np.array([0.8]))[0]
    gated, kept = gate_weak(parts, parts.blended(), cal, 0.5)
    assert kept[:40].all() and not kept[40:50].any() and kept[50:].all()
    assert not gated[40:50].any() and gated[50:, 0].tolist() == pytest.approx([0.8] * 10)
    assert weak_view_calibrator({"Publisher": PartnerParts(sims, {k: np.zeros(n, bool) for k in PARTS},
                                                           np.zeros((n, m), np.float32))}) is None


def test_tier1_only_keeps_roots_with_best_descendant() -> None:
    from embeddings.profiles import roots, tier1_only

    nodes = [TaxonomyNode("t:1", "1", "Sports", None, 1, "Sports", "Topic", "t"),
             TaxonomyNode("t:2", "2", "Soccer", "t:1", 2, "Sports > Soccer", "Topic", "t"),
             TaxonomyNode("t:3", "3", "Food", None, 1, "Food", "Topic", "t")]
    space = LabelSpace("t", "Topic", nodes, np.eye(3, dtype=np.float32))
    assert roots(space).tolist() == [0, 0, 2]
    out = tier1_only(np.array([[0.1, 0.7, 0.2]], np.float32), space)
    assert out[0].tolist() == pytest.approx([0.7, 0.0, 0.2])
