"""A small hand-built graph for the discovery tests: 3 CRM brands (one without history) plus a
crawled brand, 7 CRM partners, an affiliate-network record joined by SAME_AS, a crawled
website record joined by domain, campaigns with money figures, contracts with their payout
model, topics, audiences, a brand-safety flag, and text vectors in a vector cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from embeddings.cache import VectorCache
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance

SRC = "fixture://discover"
DIM = 8

TOPICS = [
    {"id": "iab-content-3.1:483", "name": "Sports", "tier": 1},
    {"id": "iab-content-3.1:484", "name": "Soccer", "tier": 2},
    {"id": "iab-content-3.1:210", "name": "Vegan Cooking", "tier": 2},
    {"id": "iab-content-3.1:655", "name": "Beaches", "tier": 2},
]
AUDIENCES = [{"id": f"iab-audience-1.1:{i}", "name": f"Segment {i}"} for i in range(1, 6)]
BRANDS = [
    {"id": "brand:gen:A", "name": "Alpha Sports", "country": "FR", "crm_id": "A", "domain": "alpha.fr"},
    {"id": "brand:gen:B", "name": "Beta Foods", "country": "DE", "crm_id": "B", "domain": "beta.de"},
    {"id": "brand:gen:C", "name": "Gamma Travel", "country": "FR", "crm_id": "C", "domain": "gamma.fr"},
    {"id": "brand:alpha.fr", "name": "alpha.fr", "domain": "alpha.fr"},  # crawled: not a customer
]
PUBLISHERS = [
    {"id": "partner:gen:p1", "name": "Foot Hebdo", "country": "FR", "language": "fr", "crm_id": "p1",
     "partner_type": "publisher", "domain": "foot.fr"},
    {"id": "partner:gen:p2", "name": "But Magazine", "country": "FR", "language": "fr", "crm_id": "p2",
     "partner_type": "publisher", "domain": "but.fr"},
    {"id": "partner:gen:p4", "name": "Shady Odds", "country": "GB", "language": "en", "crm_id": "p4",
     "partner_type": "publisher", "domain": "shady.co.uk", "brand_safety_flag": True},
    {"id": "partner:gen:p5", "name": "Veggie Welt", "country": "DE", "language": "de", "crm_id": "p5",
     "partner_type": "publisher", "domain": "veggie.de"},
    {"id": "partner:gen:p7", "name": "Plage Info", "country": "FR", "language": "fr", "crm_id": "p7",
     "partner_type": "publisher", "domain": "plage.fr"},
    # records that stand for partners above, never recommended on their own
    {"id": "pub:veggie.de", "name": "Veggie Welt", "domain": "veggie.de"},
]
AFFILIATES = [{"id": "affiliate:net:9", "name": "But Magazine", "domain": "but.fr", "network": "net"}]
INFLUENCERS = [
    {"id": "partner:gen:p3", "name": "Kicker Kim", "country": "DE", "language": "de", "crm_id": "p3",
     "partner_type": "influencer", "domain": "kim.bio.link"},
    {"id": "partner:gen:p6", "name": "Goal Gabi", "country": "FR", "language": "fr", "crm_id": "p6",
     "partner_type": "influencer", "domain": "gabi.bio.link"},
]
#: (campaign, brand, name, start, [(partner record, cost, revenue)])
CAMPAIGNS = [
    ("camp:A1", "brand:gen:A", "Alpha Cup 2025", "2025-03-01", [("partner:gen:p1", 1000.0, 3000.0)]),
    ("camp:A2", "brand:gen:A", "Alpha Summer 2025", "2025-06-01", [("partner:gen:p3", 2000.0, 1000.0)]),
    ("camp:B1", "brand:gen:B", "Beta Launch 2025", "2025-04-01",
     [("partner:gen:p2", 500.0, 1500.0), ("partner:gen:p5", 8000.0, 9000.0)]),
]
#: (contract, brand, partner record, payout model): A and B pay per action; C has no contract
CONTRACTS = [("contract:k1", "brand:gen:A", "partner:gen:p1", "CPA"),
             ("contract:k2", "brand:gen:B", "partner:gen:p2", "CPA")]
COVERS = [("partner:gen:p1", "iab-content-3.1:484"), ("partner:gen:p1", "iab-content-3.1:483"),
          ("partner:gen:p2", "iab-content-3.1:484"), ("partner:gen:p6", "iab-content-3.1:484"),
          ("partner:gen:p6", "iab-content-3.1:483"), ("pub:veggie.de", "iab-content-3.1:210"),
          ("partner:gen:p7", "iab-content-3.1:655"), ("partner:gen:p4", "iab-content-3.1:484")]
REACHES = [("partner:gen:p1", 1), ("partner:gen:p1", 2), ("partner:gen:p3", 3),
           ("partner:gen:p6", 1), ("partner:gen:p6", 2), ("partner:gen:p6", 4),
           ("partner:gen:p7", 4), ("partner:gen:p7", 5), ("partner:gen:p2", 2)]

#: a direction per theme; record vectors are a theme plus a little noise
THEMES = {"sport": 0, "food": 1, "travel": 2, "odds": 3}
RECORD_THEME = {
    "brand:gen:A": "sport", "brand:alpha.fr": "sport", "brand:gen:B": "food", "brand:gen:C": "travel",
    "partner:gen:p1": "sport", "partner:gen:p2": "sport", "affiliate:net:9": "sport", "partner:gen:p3": "sport",
    "partner:gen:p4": "odds", "partner:gen:p5": "food", "pub:veggie.de": "food", "partner:gen:p6": "sport",
    "partner:gen:p7": "travel",
}


def theme_vector(node_id: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(int(hashlib.sha256(f"{node_id}/{seed}".encode()).hexdigest()[:8], 16))
    v = 0.2 * rng.standard_normal(DIM)
    v[THEMES[RECORD_THEME[node_id]]] += 1.0
    return (v / np.linalg.norm(v)).astype(np.float32)


def write_vectors(home: Path, *, poison: str | None = None) -> None:
    """The vector cache under ``home``; ``poison`` gets a NaN vector."""
    cache = VectorCache(Path(home) / "vectors", "test-model@1", DIM)
    groups = {
        "Brand": [b["id"] for b in BRANDS],
        "Publisher": [p["id"] for p in PUBLISHERS] + [a["id"] for a in AFFILIATES],
        "Influencer": [i["id"] for i in INFLUENCERS],
    }
    for label, ids in groups.items():
        vecs = np.stack([theme_vector(i) for i in ids])
        if poison in ids:
            vecs[ids.index(poison)] = np.nan
        cache.replace(label, ids, [f"h-{i}" for i in ids], vecs)


def build(store: GraphStore, home: Path, *, with_history: bool = True, brands: list[str] | None = None) -> None:
    """Write the graph into an empty store and the vectors under ``home``."""
    w = GraphWriter(store, Provenance(SRC, "fixture-run"))
    w.nodes("Topic", TOPICS)
    w.nodes("Audience", AUDIENCES)
    w.nodes("Brand", [b for b in BRANDS if brands is None or b["id"] in brands])
    w.nodes("Publisher", PUBLISHERS)
    w.nodes("Publisher", AFFILIATES, extra_labels=["Affiliate"])
    w.nodes("Influencer", INFLUENCERS)
    w.relationships("SAME_AS", [{"src": "affiliate:net:9", "dst": "partner:gen:p2", "evidence": "domain"}],
                    src_label="Publisher", dst_label="Publisher")
    for label, people in (("Publisher", PUBLISHERS + AFFILIATES), ("Influencer", INFLUENCERS)):
        ids = {p["id"] for p in people}
        w.relationships("COVERS", [{"src": s, "dst": t, "score": 0.5} for s, t in COVERS if s in ids],
                        src_label=label, dst_label="Topic")
        w.relationships("REACHES", [{"src": s, "dst": f"iab-audience-1.1:{a}", "score": 0.5}
                                    for s, a in REACHES if s in ids], src_label=label, dst_label="Audience")
    if with_history:
        for camp, brand, name, start, partners in CAMPAIGNS:
            if brands is not None and brand not in brands:
                continue
            w.nodes("Campaign", [{"id": camp, "name": name, "start": start}])
            w.relationships("RAN", [{"src": brand, "dst": camp}], src_label="Brand", dst_label="Campaign")
            for rec, cost, rev in partners:
                label = "Influencer" if rec in {i["id"] for i in INFLUENCERS} else "Publisher"
                w.relationships("WITH", [{"src": camp, "dst": rec, "period": start[:7], "cost": cost,
                                          "revenue": rev, "clicks": 100, "conversions": 5, "impressions": 1000}],
                                src_label="Campaign", dst_label=label, key=("period",))
        for k, brand, partner, model in CONTRACTS:
            if brands is not None and brand not in brands:
                continue
            w.nodes("Contract", [{"id": k, "model": model, "start": "2025-01-01"}])
            w.relationships("SIGNED", [{"src": brand, "dst": k}], src_label="Brand", dst_label="Contract")
            w.relationships("SIGNED", [{"src": partner, "dst": k}], src_label="Publisher", dst_label="Contract")
    write_vectors(home)


def label_of(partner_id: str) -> str:
    return "Influencer" if partner_id in {i["id"] for i in INFLUENCERS} else "Publisher"
