"""Tiny graphs for the link-prediction unit tests (pure: export frames, no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.store.base import GraphExport


def nodes(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["id", "labels"])


def edges(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["src", "dst", "src_label", "dst_label"])


def three_node_export() -> GraphExport:
    """One brand, two CRM partners (a publisher and an influencer) and two topics; one campaign
    of the brand with the publisher in January 2024; a duplicate CRM record and an affiliate
    record of the publisher (SAME_AS)."""
    return GraphExport(
        nodes={
            "Brand": nodes([{"id": "brand:a", "labels": ["Brand"], "crm_id": "A", "country": "FR"}]),
            "Publisher": nodes([
                {"id": "partner:p1", "labels": ["Publisher"], "crm_id": "P1", "country": "FR", "language": "fr",
                 "domain": "p1.fr", "partner_type": "publisher"},
                {"id": "partner:p1b", "labels": ["Publisher"], "crm_id": "P1B", "country": "FR", "domain": "p1.fr"},
                {"id": "affiliate:net:9", "labels": ["Publisher", "Affiliate"], "network_id": "9"},
                {"id": "pub:p1.fr", "labels": ["Publisher"], "domain": "p1.fr", "url": "https://p1.fr/"},
            ]),
            "Influencer": nodes([{"id": "partner:p2", "labels": ["Influencer"], "crm_id": "P2", "country": "DE",
                                  "language": "de", "partner_type": "influencer", "brand_safety_flag": True}]),
            "Campaign": nodes([{"id": "camp:1", "labels": ["Campaign"], "start": "2024-01-05"}]),
            "Topic": nodes([{"id": "topic:1", "labels": ["Topic"], "path": "Sports"},
                            {"id": "topic:2", "labels": ["Topic"], "path": "Sports > Golf"}]),
            "Audience": nodes([{"id": "aud:1", "labels": ["Audience"]}]),
            "ProductCategory": nodes([{"id": "cat:1", "labels": ["ProductCategory"]}]),
        },
        edges={
            "RAN": edges([{"src": "brand:a", "dst": "camp:1", "src_label": "Brand", "dst_label": "Campaign"}]),
            "WITH": edges([
                {"src": "camp:1", "dst": "partner:p1b", "src_label": "Campaign", "dst_label": "Publisher",
                 "period": "2024-01", "impressions": 1000, "clicks": 10, "conversions": 2, "revenue": 90.0,
                 "cost": 29.0},
                {"src": "camp:1", "dst": "partner:p1", "src_label": "Campaign", "dst_label": "Publisher",
                 "period": "2024-02", "impressions": 500, "clicks": 5, "conversions": 0, "revenue": 0.0,
                 "cost": 9.0},
            ]),
            "COVERS": edges([
                {"src": "partner:p1", "dst": "topic:2", "src_label": "Publisher", "dst_label": "Topic", "score": 0.9},
                {"src": "affiliate:net:9", "dst": "topic:1", "src_label": "Publisher", "dst_label": "Topic"},
                {"src": "partner:p2", "dst": "topic:2", "src_label": "Influencer", "dst_label": "Topic", "score": 0.5},
            ]),
            "REACHES": edges([{"src": "partner:p2", "dst": "aud:1", "src_label": "Influencer",
                               "dst_label": "Audience", "score": 0.7}]),
            "IN_CATEGORY": edges([{"src": "brand:a", "dst": "cat:1", "src_label": "Brand",
                                   "dst_label": "ProductCategory"}]),
            "LINKS_TO": edges([{"src": "pub:p1.fr", "dst": "partner:p2", "src_label": "Publisher",
                                "dst_label": "Influencer"}]),
            "SAME_AS": edges([
                {"src": "partner:p1b", "dst": "partner:p1", "src_label": "Publisher", "dst_label": "Publisher",
                 "evidence": '{"v": 1, "decision": "merge"}'},
                {"src": "affiliate:net:9", "dst": "partner:p1", "src_label": "Publisher", "dst_label": "Publisher"},
            ]),
            "CHILD_OF": edges([{"src": "topic:2", "dst": "topic:1", "src_label": "Topic", "dst_label": "Topic"}]),
        },
    )


def vectors(dim: int = 8, seed: int = 0) -> dict[str, tuple[list[str], np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for label, ids in (("Brand", ["brand:a"]), ("Publisher", ["partner:p1", "pub:p1.fr"]),
                       ("Influencer", ["partner:p2"]), ("Topic", ["topic:1", "topic:2"]),
                       ("Audience", ["aud:1"]), ("ProductCategory", ["cat:1"])):
        out[label] = (ids, rng.normal(size=(len(ids), dim)).astype(np.float32))
    return out


def bipartite_export(pairs: list[tuple[int, int, str]], partner_topics: dict[int, list[int]], *,
                     brands: int, partners: int, topics: int) -> GraphExport:
    """Brands ``brand:i``, CRM partners ``partner:j`` and topics ``topic:k``; one campaign per
    (brand, partner, start date) in ``pairs`` with one performance row in its start month."""
    camp, ran, with_ = [], [], []
    for n, (b, p, start) in enumerate(pairs):
        camp.append({"id": f"camp:{n}", "labels": ["Campaign"], "start": start})
        ran.append({"src": f"brand:{b}", "dst": f"camp:{n}", "src_label": "Brand", "dst_label": "Campaign"})
        with_.append({"src": f"camp:{n}", "dst": f"partner:{p}", "src_label": "Campaign", "dst_label": "Publisher",
                      "period": start[:7], "impressions": 1000 * (p + 1), "clicks": 10 * (p + 1),
                      "conversions": p, "revenue": 50.0 * (b + 1), "cost": 20.0 * (p + 1)})
    covers = [{"src": f"partner:{p}", "dst": f"topic:{k}", "src_label": "Publisher", "dst_label": "Topic"}
              for p, ks in partner_topics.items() for k in ks]
    return GraphExport(
        nodes={
            "Brand": nodes([{"id": f"brand:{i}", "labels": ["Brand"], "crm_id": f"B{i}", "country": "FR"}
                            for i in range(brands)]),
            "Publisher": nodes([{"id": f"partner:{j}", "labels": ["Publisher"], "crm_id": f"P{j}",
                                 "country": "FR" if j % 2 == 0 else "DE", "language": "fr"} for j in range(partners)]),
            "Campaign": nodes(camp),
            "Topic": nodes([{"id": f"topic:{k}", "labels": ["Topic"]} for k in range(topics)]),
        },
        edges={"RAN": edges(ran), "WITH": edges(with_), "COVERS": edges(covers)},
    )
