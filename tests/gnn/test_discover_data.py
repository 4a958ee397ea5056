"""Which ids discovery recommends: records joined into partners (pure), and the world it reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnn.coldstart import ContentRanker, finite_vectors, mean_vectors
from gnn.discover_data import canonical_records, load_world, typical_costs
from graph.store.base import GraphStore
from tests.gnn import discover_world as W


def test_records_join_into_crm_partners() -> None:
    records = [
        {"id": "partner:crm:1", "crm_id": "1", "domain": "www.foot.fr"},
        {"id": "partner:crm:1b", "crm_id": "1b", "domain": "foot.fr"},  # a CRM duplicate
        {"id": "affiliate:net:7", "domain": "foot.fr"},  # the network's record of it
        {"id": "pub:foot.fr", "domain": "foot.fr"},  # its crawled website
        {"id": "pub:other.fr", "domain": "other.fr"},  # crawled, no CRM partner
        {"id": "partner:crm:2", "crm_id": "2", "domain": "dup.fr"},
        {"id": "partner:crm:3", "crm_id": "3", "domain": "dup.fr"},
        {"id": "pub:dup.fr", "domain": "dup.fr"},  # two CRM partners share the domain: not joined
    ]
    same_as = [("partner:crm:1b", "partner:crm:1"), ("affiliate:net:7", "partner:crm:1b"),
               ("ghost", "partner:crm:1")]
    c = canonical_records(records, same_as)
    assert c.candidates == ["partner:crm:1", "partner:crm:2", "partner:crm:3"]
    assert {r for r, root in c.of.items() if root == "partner:crm:1"} == {
        "partner:crm:1", "partner:crm:1b", "affiliate:net:7", "pub:foot.fr"}
    assert c.links["affiliate:net:7"] == [("affiliate:net:7", "SAME_AS", "partner:crm:1b"),
                                          ("partner:crm:1b", "SAME_AS", "partner:crm:1")]
    assert c.links["pub:foot.fr"] == [("partner:crm:1", "SAME_DOMAIN", "pub:foot.fr")]
    assert "pub:other.fr" not in c.of and "pub:dup.fr" not in c.of
    assert c.stats["left_out"] == 2 and c.stats["ambiguous_domains"] == 1 and c.stats["domain_joined"] == 1


def test_a_graph_without_crm_ids_uses_every_root() -> None:
    c = canonical_records([{"id": "pub:a.fr", "domain": "a.fr"}, {"id": "pub:b.fr"}], [("pub:b.fr", "pub:a.fr")])
    assert c.candidates == ["pub:a.fr"] and c.of == {"pub:a.fr": "pub:a.fr", "pub:b.fr": "pub:a.fr"}


def test_typical_cost_is_the_median_campaign_cost() -> None:
    h = pd.DataFrame({"partner": ["p", "p", "p", "p", "q", "r"], "campaign": ["c1", "c1", "c2", "c3", "c4", "c5"],
                      "cost": [100.0, 50.0, 400.0, 20.0, 0.0, np.nan]})
    assert typical_costs(h) == {"p": 150.0}  # campaigns cost 150, 400, 20: median 150; q and r unknown


def test_vectors_with_nan_are_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    vecs = np.array([[1, 0], [np.nan, 1], [0, 0], [np.inf, 0]], dtype=np.float32)
    out = finite_vectors(["a", "b", "c", "d"], vecs, "Publisher")
    assert list(out) == ["a"]  # NaN/inf left out; the zero vector is an empty text
    assert "2 :Publisher vector(s) hold NaN or infinite values and are ignored (e.g. b, d)" in caplog.text
    m = mean_vectors({"x": ["a", "missing"], "y": ["missing"]}, out)
    assert list(m) == ["x"] and np.allclose(m["x"], [1, 0])
    r = ContentRanker({"B": np.array([1.0, 0.0])}, {"p": np.array([2.0, 0.0]), "q": np.array([0.0, 3.0])})
    s = r.score(["B", "unknown"], ["p", "q", "zzz"])
    assert np.allclose(s[0, :2], [1.0, 0.0]) and np.isnan(s[0, 2]) and np.isnan(s[1]).all()


def test_load_world_from_the_store(store: GraphStore, tmp_path: Path) -> None:
    W.build(store, tmp_path)
    w = load_world(store)
    assert sorted(w.brands) == ["brand:gen:A", "brand:gen:B", "brand:gen:C"]
    assert w.brands["brand:gen:A"].records == ("brand:gen:A", "brand:alpha.fr")
    assert len(w.partners) == 7 and w.partners["partner:gen:p3"].label == "Influencer"
    p5 = w.partners["partner:gen:p5"]
    assert p5.records == ("partner:gen:p5", "pub:veggie.de") and p5.typical_cost == 8000.0
    assert w.topics["partner:gen:p5"] == {"iab-content-3.1:210": "pub:veggie.de"}  # from the crawled record
    assert "iab-content-3.1:483" not in w.topics["partner:gen:p1"]  # tier 1: too broad to explain
    assert w.partners["partner:gen:p2"].records == ("partner:gen:p2", "affiliate:net:9")
    assert w.partners["partner:gen:p4"].flagged and not w.partners["partner:gen:p1"].flagged
    assert w.existing_partners() == {"brand:gen:A": {"partner:gen:p1", "partner:gen:p3"},
                                     "brand:gen:B": {"partner:gen:p2", "partner:gen:p5"}}
    assert len(w.history) == 4 and set(w.history["cost"]) == {1000.0, 2000.0, 500.0, 8000.0}
    assert w.payout == {"brand:gen:A": "CPA", "brand:gen:B": "CPA"}  # C signed nothing
