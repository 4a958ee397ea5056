"""The differential-test fixture: one small graph loaded into both backends.

Every saved query in cypher/ must return at least one row on it. Issues that add queries add
the rows their queries need here, and the query's parameters in ``QUERY_PARAMS``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from graph.store.base import GraphExport

SRC = "fixture://differential"


def _nodes(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{**r, "source": SRC} for r in rows])


def _edges(rows: list[tuple[str, str, str, str, dict[str, Any]]]) -> pd.DataFrame:
    return pd.DataFrame([
        {"src": s, "dst": d, "src_label": sl, "dst_label": dl, "source": SRC, **p}
        for s, sl, d, dl, p in rows
    ])


def fixture_export() -> GraphExport:
    topics = _nodes([
        {"id": "iab-content-3.1:483", "name": "Sports", "tier": 1, "path": "Sports"},
        {"id": "iab-content-3.1:484", "name": "Soccer", "tier": 2, "path": "Sports > Soccer"},
        {"id": "iab-content-3.1:485", "name": "Tennis", "tier": 2, "path": "Sports > Tennis"},
        {"id": "iab-content-3.1:210", "name": "Food & Drink", "tier": 1, "path": "Food & Drink"},
    ])
    publishers = _nodes([
        {"id": "pub:lemonde.fr", "name": "Le Monde", "domain": "lemonde.fr", "country": "FR",
         "audience_size": 9_000_000},
        {"id": "pub:kicker.de", "name": "Kicker", "domain": "kicker.de", "country": "DE",
         "audience_size": 3_000_000},
        {"id": "pub:foodblog.example", "name": "Food Blog <b>", "domain": "foodblog.example",
         "country": "GB", "audience_size": 40_000},
    ])
    influencers = _nodes([
        {"id": "inf:@tennisqueen", "name": "Tennis Queen", "handle": "@tennisqueen", "country": "ES",
         "audience_size": 250_000},
    ])
    brands = _nodes([
        {"id": "brand:adidas", "name": "Adidas", "domain": "adidas.com", "country": "DE"},
        {"id": "brand:nestle", "name": "Nestle", "domain": "nestle.com", "country": "CH"},
    ])
    campaigns = _nodes([
        {"id": "camp:1", "name": "Adidas WC", "start": "2025-05-01", "end": "2025-07-31"},
        {"id": "camp:2", "name": "Adidas Tennis", "start": "2025-09-01", "end": "2025-10-31"},
    ])
    affiliates = _nodes([{"id": "pub:foodblog.example", "network": "awin", "network_id": "123"}])
    devices = _nodes([{"id": "dev:abc", "kind": "device"}])
    nodes = {"Topic": topics, "Publisher": publishers, "Influencer": influencers, "Brand": brands,
             "Campaign": campaigns, "Affiliate": affiliates, "Device": devices}
    edges = {
        "CHILD_OF": _edges([
            ("iab-content-3.1:484", "Topic", "iab-content-3.1:483", "Topic", {}),
            ("iab-content-3.1:485", "Topic", "iab-content-3.1:483", "Topic", {}),
        ]),
        "COVERS": _edges([
            ("pub:lemonde.fr", "Publisher", "iab-content-3.1:484", "Topic", {"score": 0.6, "method": "fixture"}),
            ("pub:kicker.de", "Publisher", "iab-content-3.1:484", "Topic", {"score": 0.9, "method": "fixture"}),
            ("inf:@tennisqueen", "Influencer", "iab-content-3.1:485", "Topic", {"score": 0.8, "method": "fixture"}),
            ("pub:foodblog.example", "Publisher", "iab-content-3.1:210", "Topic", {"score": 0.95, "method": "fixture"}),
        ]),
        "LINKS_TO": _edges([
            ("pub:lemonde.fr", "Publisher", "pub:kicker.de", "Publisher", {"count": 3}),
            ("pub:kicker.de", "Publisher", "pub:foodblog.example", "Publisher", {"count": 1}),
        ]),
        "RAN": _edges([
            ("brand:adidas", "Brand", "camp:1", "Campaign", {}),
            ("brand:adidas", "Brand", "camp:2", "Campaign", {}),
        ]),
        "WITH": _edges([
            ("camp:1", "Campaign", "pub:kicker.de", "Publisher",
             {"cost": 1000.0, "impressions": 50000, "clicks": 900, "conversions": 30, "revenue": 4200.0,
              "currency": "EUR", "period": "2025-06"}),
            ("camp:1", "Campaign", "pub:lemonde.fr", "Publisher",
             {"cost": 2000.0, "impressions": 90000, "clicks": 1100, "conversions": 25, "revenue": 3100.0,
              "currency": "EUR", "period": "2025-06"}),
            ("camp:2", "Campaign", "inf:@tennisqueen", "Influencer",
             {"cost": 500.0, "impressions": 20000, "clicks": 700, "conversions": 40, "revenue": 2500.0,
              "currency": "EUR", "period": "2025-09"}),
        ]),
        "USED_DEVICE": _edges([
            ("pub:foodblog.example", "Affiliate", "dev:abc", "Device", {"period": "2025-06", "count": 12}),
            ("pub:foodblog.example", "Affiliate", "dev:abc", "Device", {"period": "2025-07", "count": 4}),
        ]),
    }
    return GraphExport(nodes=nodes, edges=edges)


#: Parameters for each saved query on the fixture.
QUERY_PARAMS: dict[str, dict[str, Any]] = {
    "label_counts": {},
    "relationship_type_counts": {},
    "schema_version": {},
    "neighbourhood": {"id": "pub:kicker.de", "limit": 50},
    "publisher_two_hop": {"id": "pub:lemonde.fr", "limit": 100},
    "topic_partners": {"topic": "iab-content-3.1:483", "k": 10},
    "taxonomy_children": {"id": "iab-content-3.1:483"},
    "brand_partner_performance": {"brand": "brand:adidas", "k": 10},
    "find_by_name": {"text": "mon", "limit": 10},
    "shortest_path": {"a": "pub:lemonde.fr", "b": "inf:@tennisqueen"},
    "overview_embedded_nodes": {},
    "partner_websites": {"limit": 100},
}
