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
         "audience_size": 3_000_000, "language": "de", "partner_type": "publisher", "crm_id": "CRM-7",
         "crm_url": "https://crm.example/partners/CRM-7", "first_seen": "2025-01-02T00:00:00Z",
         "last_seen": "2025-10-01T00:00:00Z", "run_id": "fixture-run"},
        {"id": "pub:foodblog.example", "name": "Food Blog <b>", "domain": "foodblog.example",
         "country": "GB", "audience_size": 40_000, "crm_url": "javascript:alert(1)"},
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
    audiences = _nodes([
        {"id": "iab-audience-1.1:2", "name": "Sports fans", "tier": 1, "path": "Interest > Sports"},
    ])
    platforms = _nodes([{"id": "platform:instagram", "name": "Instagram", "domain": "instagram.com"}])
    socials = _nodes([
        {"id": "social:instagram:kicker", "platform": "Instagram", "handle": "kicker",
         "url": "https://www.instagram.com/kicker/", "followers": 1_200_000},
    ])
    ad_systems = _nodes([{"id": "adsystem:google.com", "domain": "google.com", "name": "Google"}])
    sellers = _nodes([
        {"id": "seller:google.com:pub-1", "seller_id": "pub-1", "ad_system": "google.com",
         "seller_type": "PUBLISHER"},
    ])
    articles = _nodes([
        {"id": "article:kicker.de/derby", "url": "https://kicker.de/derby", "title": "Derby day: the match report",
         "language": "de"},
    ])
    nodes = {"Article": articles, "Topic": topics, "Publisher": publishers, "Influencer": influencers, "Brand": brands,
             "Campaign": campaigns, "Affiliate": affiliates, "Device": devices, "Audience": audiences,
             "Platform": platforms, "SocialAccount": socials, "AdSystem": ad_systems,
             "SellerAccount": sellers}
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
            ("camp:2", "Campaign", "pub:kicker.de", "Publisher",
             {"cost": 800.0, "impressions": 30000, "clicks": 400, "conversions": 12, "revenue": 1500.0,
              "currency": "EUR", "period": "2025-09"}),
        ]),
        "REACHES": _edges([
            ("pub:kicker.de", "Publisher", "iab-audience-1.1:2", "Audience", {"score": 0.7}),
        ]),
        "PUBLISHED": _edges([
            ("pub:kicker.de", "Publisher", "article:kicker.de/derby", "Article", {}),
        ]),
        "HAS_ACCOUNT": _edges([
            ("pub:kicker.de", "Publisher", "social:instagram:kicker", "SocialAccount", {}),
        ]),
        "ON_PLATFORM": _edges([
            ("social:instagram:kicker", "SocialAccount", "platform:instagram", "Platform", {}),
        ]),
        "SELLS_VIA": _edges([
            ("pub:kicker.de", "Publisher", "seller:google.com:pub-1", "SellerAccount",
             {"relationship": "DIRECT"}),
        ]),
        "OF": _edges([
            ("seller:google.com:pub-1", "SellerAccount", "adsystem:google.com", "AdSystem", {}),
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
    "search_article_partners": {"ids": "article:kicker.de/derby,article:missing"},
    "search_partner_topics": {"ids": "pub:kicker.de,inf:@tennisqueen"},
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
    "explore_expand": {"id": "pub:kicker.de", "labels": "Publisher,Campaign,Topic,Audience", "k": 2},
    "explore_node": {"id": "pub:kicker.de"},
    "partner_identity": {"id": "pub:kicker.de"},
    "partner_segments": {"id": "pub:kicker.de"},
    "partner_accounts": {"id": "pub:kicker.de"},
    "partner_performance": {"id": "pub:kicker.de"},
    "partner_campaigns": {"id": "pub:kicker.de", "k": 10},
    "similar_partners": {"id": "pub:kicker.de", "k": 10},
}
