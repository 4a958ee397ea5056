"""Reasons in a manager's words: every number comes from the facts given, evidence names ids."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gnn.discover_data import HISTORY_COLUMNS, payout_models
from gnn.explain import FEATURE_WORDS, ExplainContext, best_partners, explain, similar_brands
from gnn.features import HYBRID_FEATURES, PAIR_FEATURES


def _hist(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"brand": b, "brand_record": b, "partner": p, "record": p, "campaign": c,
                          "campaign_name": c.upper(), "start": "2025-01-01", "cost": cost, "revenue": rev,
                          "conversions": 0.0, "clicks": 0.0, "impressions": 0.0, "first_seen": None}
                         for b, p, c, cost, rev in rows], columns=HISTORY_COLUMNS)


def ctx() -> ExplainContext:
    pairs = {("A", "p1"): [("A", "c1", "p1", 100.0, 400.0)],  # ROI 4.0: best
             ("A", "p2"): [("A", "c2", "p2", 100.0, 50.0)],
             ("S1", "cand"): [("S1", "s1", "affiliate:9", 200.0, 300.0)],  # via its affiliate record
             ("S2", "cand"): [("S2", "s2", "cand", 100.0, 330.0)],
             ("S3", "cand"): [("S3", "s3", "cand", 0.0, 999.0)]}  # no cost: not an ROI
    return ExplainContext(
        brand_names={"A": "Alpha", "S1": "Sigma", "S2": "Tau", "S3": "Upsilon"},
        partner_names={"cand": "Candidate"},
        topics={"cand": {"t1": "pub:cand.example", "t2": "cand", "t9": "cand"},
                "p1": {"t1": "p1", "t2": "p1"}, "p2": {"t2": "p2", "t3": "p2"}},
        topic_names={"t1": "Soccer", "t2": "Tennis", "t3": "Golf", "t9": "Opera"},
        audiences={"cand": {"a1": "cand", "a2": "cand", "a3": "cand"}, "p1": {"a1": "p1"},
                   "p2": {"a1": "p2", "a2": "p2"}},
        links={"pub:cand.example": [("cand", "SAME_DOMAIN", "pub:cand.example")],
               "affiliate:9": [("affiliate:9", "SAME_AS", "cand")]},
        best={"A": ["p1", "p2"]}, pairs=pairs, campaigns={"A": ["c2", "c1"]},
        campaign_names={"c1": "Spring Cup", "c2": "Summer Serve"},
        campaign_partners={"c1": [("p1", "p1")], "c2": [("p2", "p2")]},
        campaign_brand={"c1": "A", "c2": "A"}, similar={"A": ["S1", "S2", "S3"]})


def _items(reasons: dict) -> dict[str, dict]:
    return {i["kind"]: i for i in reasons["items"]}


def test_reasons_are_computed_from_the_facts() -> None:
    ex = explain(ctx(), "A", "cand", mode="model", attributions={"adamic_adar": 0.31, "x_feature": 0.05,
                                                                  "common_neighbours": 0.2, "popularity": -0.2},
                 predicted_roi=2.04, typical_cost=3200.0, budget=5000.0)
    items = _items(ex.reasons)
    assert ex.reasons["v"] == 1
    # best partners p1 (Soccer, Tennis) and p2 (Tennis, Golf): shared with cand = Tennis (2 partners), Soccer
    assert items["shared_topics"]["text"] == "shares 2 topics with your best partners (Tennis, Soccer)"
    assert items["shared_topics"]["value"] == 2
    # c2's partner p2 reaches a1, a2 = 2 of cand's 3 segments; c1 only 1 of 3
    assert items["audience_overlap"]["text"] == "audience 67% overlapping with Summer Serve"
    # no payout model known: the similar brands, in the performance head's unit, the most spent
    # first: exp(mean(ln(301 / 201), ln(331 / 101))); S3 has no cost and is not counted
    assert items["similar_brands_roi"]["text"] == "brands like yours (Sigma, Tau) saw 2.2× ROI here"
    assert items["similar_brands_roi"]["value"] == round(math.sqrt(301 / 201 * 331 / 101), 4)
    assert items["similar_brands_roi"]["payout_model"] is None
    assert items["model_signals"]["text"] == "strongest signals: partners in common (+0.31), x feature (+0.05)"
    assert items["predicted_roi"]["text"] == "predicted ROI 2.0×"
    assert items["cost"]["text"] == "typical cost 3,200 EUR per campaign, within your 5,000 EUR budget"
    assert "cold_start" not in items


def test_evidence_names_real_ids_and_the_links_between_records() -> None:
    ev = explain(ctx(), "A", "cand", mode="model").evidence
    assert ev["v"] == 1 and ev["nodes"][:2] == ["A", "cand"]
    edges = [tuple(e) for e in ev["edges"]]
    # the topic sits on the crawled website record, linked to the CRM record by domain
    assert ("cand", "SAME_DOMAIN", "pub:cand.example") in edges and ("pub:cand.example", "COVERS", "t1") in edges
    assert ("p1", "COVERS", "t1") in edges and ("A", "RAN", "c1") in edges and ("c1", "WITH", "p1") in edges
    # the similar brand's campaign ran with the candidate's affiliate record
    assert ("s1", "WITH", "affiliate:9") in edges and ("affiliate:9", "SAME_AS", "cand") in edges
    assert ("cand", "REACHES", "a1") in edges
    assert all(src in ev["nodes"] and dst in ev["nodes"] for src, _, dst in edges)


def test_cold_start_and_missing_facts() -> None:
    c = ctx()
    ex = explain(c, "NEW", "cand", mode="cold_start", content_similarity=0.612, budget=1000.0)
    items = _items(ex.reasons)
    assert ex.reasons["items"][0] == {"kind": "cold_start",
                                      "text": "no campaign history yet: ranked by content similarity"}
    assert items["text_similarity"]["text"] == "text similarity 0.61 with your brand"
    assert items["cost"]["text"].startswith("no cost history")
    # a brand without history, best partners or similar brands gets no invented figures
    assert set(items) == {"cold_start", "text_similarity", "cost"}
    assert ex.evidence == {"v": 1, "nodes": ["NEW", "cand"], "edges": []}
    content = explain(c, "A", "cand", mode="content", attributions={"adamic_adar": 1.0})
    assert content.reasons["items"][0]["kind"] == "content" and "model_signals" not in _items(content.reasons)
    assert "predicted_roi" not in _items(content.reasons)


def test_best_partners_rank_by_return_then_revenue() -> None:
    h = _hist([("A", "p1", "c1", 100, 150), ("A", "p2", "c2", 100, 400), ("A", "p3", "c3", 0, 900),
               ("A", "p2", "c4", 100, 0), ("B", "p9", "c9", 0, 10)])
    assert best_partners(h) == {"A": ["p2", "p1", "p3"], "B": ["p9"]}  # p2: 400/200 = 2.0 > 1.5


def test_brands_like_yours_are_brands_on_the_same_terms() -> None:
    c = ctx()
    c.pairs[("S4", "cand")] = [("S4", "s4", "cand", 50.0, 20.0)]
    c.brand_names["S4"] = "Phi"
    # A pays per action; so do S2 and S4 (not among its similar brands), S1 a flat fee
    c.payout = {"A": "CPA", "S1": "flat_fee", "S2": "CPA", "S3": "CPA", "S4": "CPA"}
    ev = explain(c, "A", "cand", mode="model")
    item = _items(ev.reasons)["similar_brands_roi"]
    # S2 (cost 100) before S4 (cost 50); S1 is on other terms, S3 has no cost
    assert item["brands"] == ["S2", "S4"] and item["n_brands"] == 2 and item["payout_model"] == "CPA"
    assert item["value"] == round(math.sqrt(331 / 101 * 21 / 51), 4)
    assert item["text"] == "brands on CPA deals like yours (Tau, Phi) saw 1.2× ROI here"
    edges = [tuple(e) for e in ev.evidence["edges"]]
    assert ("S4", "RAN", "s4") in edges and ("s1", "WITH", "affiliate:9") not in edges
    # no brand on its terms worked with the partner: no figure from brands on other terms
    c.payout = {"A": "revenue_share", "S1": "flat_fee", "S2": "CPA"}
    assert "similar_brands_roi" not in _items(explain(c, "A", "cand", mode="model").reasons)


def test_payout_model_is_the_one_most_contracts_use() -> None:
    rows = [{"brand": "b1", "model": "CPA", "n": 3}, {"brand": "b1-crm", "model": "CPC", "n": 2},
            {"brand": "b1", "model": "CPC", "n": 2}, {"brand": "b2", "model": "flat_fee", "n": 1},
            {"brand": "b2", "model": "CPA", "n": 1}, {"brand": "b3", "model": " ", "n": 4},
            {"brand": "nobody", "model": "CPA", "n": 9}]
    out = payout_models(rows, {"b1": "B1", "b1-crm": "B1", "b2": "B2", "b3": "B3"})
    # B1: CPC 4 against CPA 3 over its two records; B2: a tie, by name; B3: blank, unknown
    assert out == {"B1": "CPC", "B2": "CPA"}


def test_similar_brands_prefer_the_same_category() -> None:
    v = {"A": np.array([1.0, 0.0]), "B": np.array([0.9, 0.1]), "C": np.array([0.0, 1.0]), "D": np.array([0.7, 0.7])}
    out = similar_brands(["A"], ["A", "B", "C", "D"], v, {"A": {"cat1"}, "C": {"cat1"}}, n=2)
    assert out == {"A": ["C", "B"]}  # same category first, then the closest vector


def test_every_ranker_feature_has_words_for_a_manager() -> None:
    # a reason is worded from the GBM's strongest features; an unnamed one would show as "z root"
    assert [f for f in PAIR_FEATURES + HYBRID_FEATURES if f not in FEATURE_WORDS] == []
