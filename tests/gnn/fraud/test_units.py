"""Pure units of fraud detection: rarity, links, rings, alerts and evidence, labels, matching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnn.fraud import alerts as A
from gnn.fraud import behaviour as B
from gnn.fraud import identifiers as I
from gnn.fraud import rings as R
from gnn.fraud.baselines import rule_scores
from gnn.fraud.evaluate import binarise, match_rings
from gnn.fraud.labels import read_label_file, refund_labels
from graph.errors import InputError


def _uses(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["affiliate", "kind", "ident", "n"])
    return df.assign(first="2024-05-01", last="2024-05-30", source="file:///x.csv#row=1")


@pytest.fixture
def network() -> tuple[pd.DataFrame, pd.Series]:
    """10 affiliates; a default device on everybody; a ring of 3 on two heavy devices and one
    payment account; two honest sites sharing one end user's device once."""
    rows: list[tuple[str, str, str, int]] = []
    affs = [f"a{i}" for i in range(10)]
    for a in affs:
        rows += [(a, "device", "dev-default", 5), (a, "device", f"own-{a}", 95), (a, "payment", f"pay-{a}", 1)]
    for a in ("a0", "a1", "a2"):
        rows += [(a, "device", "ring-1", 120), (a, "device", "ring-2", 80)]
    rows = [r for r in rows if not (r[0] in ("a0", "a1") and r[1] == "payment")]
    rows += [("a0", "payment", "pay-ring", 1), ("a1", "payment", "pay-ring", 1)]
    rows += [("a5", "device", "user-x", 1), ("a6", "device", "user-x", 1)]
    totals = pd.Series({a: 300.0 if a in ("a0", "a1", "a2") else 100.0 for a in affs})
    return _uses(rows), totals


def test_rarity_gives_no_weight_to_an_identifier_of_everybody() -> None:
    w = I.rarity(np.array([2, 3, 10, 60, 100]), 100)
    assert w[0] == pytest.approx(1.0) and w[-1] == 0.0
    assert list(w) == sorted(w, reverse=True)  # rarer is stronger
    assert I.rarity(np.array([2]), 2)[0] == 0.0  # two affiliates, both use it: that is everybody


def test_links_rank_the_ring_first_and_ignore_the_default_device(network: tuple[pd.DataFrame, pd.Series]) -> None:
    uses, totals = network
    weighted, links = I.build(uses, totals)
    default = weighted[weighted["ident"] == "dev-default"]
    assert (default["weight"] < 0.05).all()  # used by all 10 affiliates
    top = links.pairs.head(3)
    assert {tuple(x) for x in top[["a", "b"]].to_numpy()} == {("a0", "a1"), ("a0", "a2"), ("a1", "a2")}
    assert top.loc[(top["a"] == "a0") & (top["b"] == "a1"), "account"].iloc[0] > 0.9  # shared payment
    once = links.pairs[(links.pairs["a"] == "a5") & (links.pairs["b"] == "a6")]
    assert len(once) == 1 and once["strength"].iloc[0] < 0.01  # one shared end user, once
    ev = links.between("a1", "a0")
    assert {"ring-1", "ring-2", "pay-ring"} <= set(ev["ident"]) and "dev-default" not in set(ev["ident"])


def test_rule_baseline_counts_partners_on_rare_identifiers(network: tuple[pd.DataFrame, pd.Series]) -> None:
    uses, totals = network
    weighted, _ = I.build(uses, totals)
    rules = rule_scores(weighted, pd.Series([f"a{i}" for i in range(10)]))
    assert rules["a0"] == pytest.approx(np.log1p(2)) and rules["a3"] == 0.0


def test_rings_from_strong_links_and_scores() -> None:
    def clique(members: list[str], s: float, kind: str = "traffic") -> list[dict[str, object]]:
        return [{"a": x, "b": y, "strength": s, "traffic": s if kind == "traffic" else 0.0,
                 "account": s if kind == "account" else 0.0, "shared": 3, "device": s}
                for i, x in enumerate(members) for y in members[i + 1:]]

    ring = ["r1", "r2", "r3", "r4"]
    owner = ["o1", "o2"]
    pairs = pd.DataFrame(clique(ring, 0.6) + clique(owner, 0.95, "account")
                         + [{"a": "r4", "b": "x1", "strength": 0.02, "traffic": 0.02, "account": 0.0,
                             "shared": 1, "device": 0.02}])
    groups = R.communities(pairs)
    assert sorted(map(tuple, groups)) == [("o1", "o2"), ("r1", "r2", "r3", "r4")]
    anomaly = pd.Series({"r1": 0.8, "r2": 0.9, "r3": 0.85, "r4": 0.8, "o1": 0.1, "o2": 0.2, "x1": 0.1})
    rings = {tuple(r.members): r for r in R.score_rings(groups, pairs, anomaly)}
    assert rings[tuple(ring)].flagged and rings[tuple(ring)].score > 0.8
    assert not rings[tuple(owner)].flagged  # shared ownership with normal behaviour: a candidate only
    # a chain is split by Louvain, not kept as one sprawling ring
    chain = pd.DataFrame([{"a": f"c{i}", "b": f"c{i + 1}", "strength": 0.3, "traffic": 0.3, "account": 0.0,
                           "shared": 1, "device": 0.3} for i in range(12)])
    assert max(len(g) for g in R.communities(chain)) < 13


def test_ring_ids_are_stable_when_a_ring_grows() -> None:
    r = R.Ring(R.provisional_id(["a", "b", "c", "d"]), ["a", "b", "c", "d"], 0.9, 1, 1, 0, 0.9, True)
    mapped = R.stable_ids([r], [{"id": "ring:old", "members": ["a", "b", "c"], "evidence": "{}"}])
    assert r.id == "ring:old" and mapped


def test_planted_ring_match_needs_80_percent_both_ways() -> None:
    planted = [{"a", "b", "c", "d", "e"}]
    assert match_rings([{"a", "b", "c", "d"}], planted)["recall"] == 1.0  # 4/5 and 4/4
    assert match_rings([{"a", "b", "c"}], planted)["recall"] == 0.0  # 3/5 < 80%
    res = match_rings([{"a", "b", "c", "d", "x", "y"}], planted)  # 4/6 of the flagged one
    assert res["precision"] == 0.0 and res["recall"] == 0.0


def _ring(members: list[str]) -> R.Ring:
    return R.Ring("ring:abc", members, 0.9, 0.8, 0.7, 0.1, 0.9, True, {m: 0.9 for m in members}, {"device": 0.5})


def _ring_evidence(members: list[str]) -> dict[str, dict[str, object]]:
    return {"ring:abc": {"v": 1, "nodes": ["ring:abc", *members], "members": members, "score": 0.9,
                         "identifiers": [{"kind": "device", "id": "dev_x", "weight": 0.9, "affiliates_using": 3,
                                          "members": members}]}}


def test_alerts_new_ring_then_deduplicated_then_grown() -> None:
    members = ["a1", "a2", "a3"]
    z = pd.DataFrame({"ctit_fast_share": [9.0, 8.0, 7.0]}, index=members)
    risk = pd.Series({"a1": 0.9, "a2": 0.9, "a3": 0.9, "b": 0.1})
    first = A.plan([_ring(members)], _ring_evidence(members), [], z, risk, pd.Series(dtype=float), [], "2026-01-01")
    assert [a.kind for a in first] == ["new_ring"] and first[0].id == "alert:new_ring:ring:abc"
    assert "click injection" in first[0].evidence["summary"] and first[0].evidence["identifiers"]
    prev = [{"id": "ring:abc", "status": "flagged", "members": members}]
    again = A.plan([_ring(members)], _ring_evidence(members), prev, z, risk, risk, [], "2026-01-02")
    assert again == []  # same ring, same members: nothing new
    grown = [*members, "a4"]
    z4 = pd.concat([z, pd.DataFrame({"ctit_fast_share": [6.0]}, index=["a4"])])
    g = A.plan([_ring(grown)], _ring_evidence(grown), prev, z4, risk, risk, [], "2026-01-03")
    assert [a.kind for a in g] == ["ring_grew"] and g[0].evidence["new_members"] == ["a4"]


def test_risk_jump_alert_and_no_duplicate_while_open() -> None:
    risk = pd.Series({"x": 0.8, "y": 0.55})
    prev = pd.Series({"x": 0.1, "y": 0.5})
    rev = {"x": {"v": 1, "nodes": ["x"], "behaviour": [{"feature": "night_share", "z": 5.0}], "links": []}}
    got = A.plan([], {}, [], pd.DataFrame(), risk, prev, [], "2026-01-01", risk_evidence=rev)
    assert [a.id for a in got] == ["alert:risk_jump:x:2026-01-01"]  # y rose by 0.05 only
    existing = [{"id": got[0].id, "kind": "risk_jump", "status": "open", "flagged": ["x"]}]
    assert A.plan([], {}, [], pd.DataFrame(), risk, prev, existing, "2026-01-02", risk_evidence=rev) == []


def test_an_alert_without_evidence_is_a_bug() -> None:
    with pytest.raises(A.MissingEvidence):
        A.require_evidence(A.Alert("alert:x", "new_ring", 0.9, {"summary": "x"}, ["ring:1"], ["a"]))
    with pytest.raises(A.MissingEvidence):  # evidence but nothing flagged
        A.require_evidence(A.Alert("alert:x", "new_ring", 0.9, {"summary": "x", "links": [1]}))
    with pytest.raises(A.MissingEvidence):  # a risk jump without figures or links is refused too
        A.plan([], {}, [], pd.DataFrame(), pd.Series({"x": 0.9}), pd.Series({"x": 0.0}), [], "d",
               risk_evidence={"x": {"v": 1, "nodes": ["x"], "behaviour": [], "links": []}})


def test_anomaly_flags_click_injection_and_cookie_stuffing() -> None:
    n = 40
    feats = pd.DataFrame({f: np.random.default_rng(1).normal(0.05, 0.01, n) for f in B.DIRECTIONS})
    feats.loc[0, "ctit_fast_share"] = 0.9
    feats.loc[1, "orphan_share"] = 0.6
    score, z = B.anomaly(feats)
    assert score.iloc[0] > 0.5 and score.iloc[1] > 0.5
    assert score.iloc[2:].max() < 0.5
    assert z.loc[0].idxmax() == "ctit_fast_share"


def test_refund_labels_need_significance() -> None:
    raw = pd.DataFrame({"id": ["a", "b", "c", "d"], "bad": [12, 1, 0, 2], "status_known": [20, 10, 3, 40]})
    y = refund_labels(raw)
    assert y["a"] == 1 and y["d"] == 0 and "c" not in y.index  # too few conversions to say


def test_label_file_reports_unknown_ids_and_refuses_odd_values(tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"
    f.write_text("id,label\n100,fraud\naffiliate:net:101,honest\n999,fraud\n")
    y, unknown = read_label_file(f, {"affiliate:net:100", "affiliate:net:101"}, ["net"])
    assert y.to_dict() == {"affiliate:net:100": 1, "affiliate:net:101": 0} and unknown == ["999"]
    f.write_text("id,label\n100,maybe\n")
    with pytest.raises(InputError, match="neither fraud nor honest"):
        read_label_file(f, {"affiliate:net:100"}, ["net"])


def test_binarise_follows_the_rev2_convention() -> None:
    y, pos = binarise(pd.Series(["-1", "1", "1"]))
    assert pos == "-1" and y.tolist() == [1, 0, 0]
    y, pos = binarise(pd.Series(["0", "1"]))
    assert pos == "1" and y.tolist() == [0, 1]
    with pytest.raises(InputError):
        binarise(pd.Series(["red", "blue"]))


def test_evidence_json_is_versioned_and_names_nodes() -> None:
    members = ["a1", "a2"]
    ev = R.ring_evidence([_ring(members)], pd.DataFrame(
        [{"a": "a1", "b": "a2", "kind": "device", "ident": "d1", "weight": 1.0, "degree": 2, "n_a": 5, "n_b": 7,
          "contribution": 0.4}]))
    doc = json.loads(json.dumps(ev["ring:abc"]))
    assert doc["v"] == 1 and doc["nodes"] == ["ring:abc", "a1", "a2"]
    assert doc["identifiers"][0]["members"] == ["a1", "a2"]


@pytest.mark.parametrize(("url", "norm"), [
    ("https://trk.x.io/r/1234?s={subid}&a=1234&u={landing}", "https://trk.x.io/r/{id}?a&s&u"),
    ("HTTPS://TRK.X.IO/r/987?u=&a=987&s=zz", "https://trk.x.io/r/{id}?a&s&u"),  # case, order, values
    (" https://www.site.fr/go/ab12cd34ef?sub={subid} ", "https://site.fr/go/{id}?sub"),
    ("trk.site.fr/c?aff=1", "https://trk.site.fr/c?aff"),
    ("https://a.example/deals/summer-sale", "https://a.example/deals/summer-sale"),  # words are kept
    ("", None), ("   ", None), ("http://[broken", None), (None, None),
])
def test_tracking_templates_compare_with_their_ids_stripped(url: str | None, norm: str | None) -> None:
    assert I.normalise_template(url) == norm


def test_a_shared_tracking_template_is_a_rare_account_link() -> None:
    rows = [(f"a{i}", "template", "https://trk.net.example/c?aff&sub", 1) for i in range(12)]
    rows += [("r1", "template", "https://trk.ring.io/r/{id}?a", 1), ("r2", "template", "https://trk.ring.io/r/{id}?a", 1)]
    weighted, links = I.build(_uses(rows), pd.Series(dtype=float))
    ring = links.pairs[(links.pairs["a"] == "r1") & (links.pairs["b"] == "r2")]
    assert len(ring) == 1 and ring["account"].iloc[0] == pytest.approx(I.KIND_WEIGHTS["template"])
    assert ring["traffic"].iloc[0] == 0.0
    common = weighted[weighted["ident"].str.contains("trk.net")]
    assert (common["weight"] < weighted.loc[weighted["affiliate"] == "r1", "weight"].iloc[0]).all()


def test_gnn_inputs_are_quantile_scaled_and_bounded() -> None:
    from gnn.fraud.model import quantile_normal, standardise

    rng = np.random.default_rng(0)
    x = np.c_[rng.lognormal(0, 2, 500), np.r_[np.zeros(400), rng.random(100)]]
    q = quantile_normal(x)
    assert q.dtype == np.float32 and np.abs(q).max() < 5.3  # heavy tails are bounded
    assert np.abs(standardise(x)).max() > 8  # plain z-scores are not
    order = np.argsort(x[:, 0])
    assert (np.diff(q[order, 0]) >= -1e-6).all()  # monotone: ranks are kept
    assert len(np.unique(q[:400, 1])) == 1  # ties stay tied
    assert quantile_normal(np.ones((1, 3))).shape == (1, 3)


def test_progress_bars_are_off_on_request() -> None:
    from gnn.fraud.progress import bar

    assert bar(range(3), progress=False).disable is True
    assert list(bar(range(3), progress=False)) == [0, 1, 2]
