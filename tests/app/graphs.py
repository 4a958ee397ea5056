"""Small hand-written graphs for the app's tests: discovery runs with recommendations, runs of
the import and crawl stages, campaign performance, and a fraud ring with alerts and a case.

Each ``seed_*`` writes through the store's own upserts (the way every stage writes), so the
app reads exactly what a stage would have left.
"""

from __future__ import annotations

import json
from typing import Any

from graph.store.base import GraphStore

PROV = {"source": "test://app", "run_id": "test-app", "first_seen": "2026-11-01T00:00:00Z"}
SCRIPT = "<script>alert('x')</script> Gear Lab"
IMG = "<img src=x onerror=alert(1)>Trail"

BRAND = "brand:acme"
TOPIC = "iab-content-3.1:483"


def _nodes(store: GraphStore, label: str, rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> None:
    store.upsert_nodes(label, [{**PROV, **r} for r in rows], extra_labels=extra)


def _rels(store: GraphStore, rel: str, rows: list[dict[str, Any]], src: str, dst: str, key: tuple[str, ...] = ()) -> None:
    store.upsert_relationships(rel, [{**PROV, **r} for r in rows], src_label=src, dst_label=dst, key=key)


def evidence(*edges: tuple[str, str, str]) -> str:
    nodes = list(dict.fromkeys(x for e in edges for x in (e[0], e[2])))
    return json.dumps({"v": 1, "nodes": nodes, "edges": [list(e) for e in edges]})


def reasons(*texts: str) -> str:
    return json.dumps({"v": 1, "items": [{"kind": "shared_topics", "text": t} for t in texts]})


def _metrics(recall: float, edges: int) -> dict[str, Any]:
    """A discovery run's metrics document, shaped like the job's (gnn/discover.py)."""
    return {"v": 1, "ranker": "sage", "brands": {"scored": 2, "model": 2}, "edges_written": edges,
            "distinct_partners_recommended": edges, "seconds": {"score": 1.5},
            "model_metrics": {"test": {"recall@20": recall, "ndcg@20": recall - 0.1}}}


def seed_recommendations(store: GraphStore) -> None:
    """Brand Acme with recommendations in two complete runs, a running and a failed run."""
    _nodes(store, "Brand", [
        {"id": BRAND, "name": "Acme Outdoor", "country": "FR"},
        {"id": "brand:other", "name": "Other Brand", "country": "DE"},
    ])
    _nodes(store, "Publisher", [
        {"id": "pub:trail", "name": "Trail Runner Weekly", "country": "FR", "language": "fr", "partner_type": "publisher"},
        {"id": "pub:xss", "name": SCRIPT, "country": "DE", "language": "de", "partner_type": "publisher"},
        {"id": "pub:summit", "name": "Summit Stories", "country": "FR", "language": "fr"},
        {"id": "pub:old", "name": "Old Partner", "country": "FR", "language": "fr"},
    ])
    _nodes(store, "Influencer", [{"id": "inf:alpine", "name": "Alpine Annie", "country": "CH", "language": "de",
                                  "partner_type": "creator"}])
    _nodes(store, "Topic", [{"id": TOPIC, "name": "Running and Jogging", "taxonomy": "iab-content-3.1"}])
    _rels(store, "COVERS", [{"src": "pub:trail", "dst": TOPIC, "score": 0.9}, {"src": "pub:summit", "dst": TOPIC, "score": 0.8}],
          "Publisher", "Topic")
    changes = {"v": 1, "brands": {BRAND: {"new": ["inf:alpine"], "dropped": ["pub:old"]}}}
    _nodes(store, "DiscoveryRun", [
        {"id": "disc-0", "status": "failed", "started_at": "2026-11-09T02:00:00Z", "finished_at": "2026-11-09T02:05:00Z"},
        {"id": "disc-1", "status": "complete", "started_at": "2026-11-16T02:00:00Z", "finished_at": "2026-11-16T02:30:00Z",
         "model_version": "sage-1", "metrics": json.dumps(_metrics(0.31, 2)),
         "drift": json.dumps({"features": {"audience": {"psi": 0.05, "ks": 0.1}}, "drifted": False, "why": []}),
         "changes": json.dumps({"v": 1, "brands": {BRAND: {"new": ["pub:old", "pub:trail"], "dropped": []}}})},
        {"id": "disc-2", "status": "complete", "started_at": "2026-11-23T02:00:00Z", "finished_at": "2026-11-23T02:40:00Z",
         "model_version": "sage-2", "metrics": json.dumps(_metrics(0.35, 3)),
         "drift": json.dumps({"features": {"audience": {"psi": 0.25, "ks": 0.12}},
                              "embeddings": {"Publisher": {"psi_max": 0.08, "ks_max": 0.3}},
                              "drifted": True, "why": ["feature audience PSI 0.25 >= 0.2"]}),
         "changes": json.dumps(changes)},
        {"id": "disc-3", "status": "running", "started_at": "2026-11-30T02:00:00Z"},
    ])
    why_trail = evidence(("pub:trail", "COVERS", TOPIC), ("pub:summit", "COVERS", TOPIC), (BRAND, "WORKED_WITH", "pub:summit"))
    _rels(store, "RECOMMENDED", [
        {"src": BRAND, "dst": "pub:trail", "rank": 1, "score": 0.91, "predicted_roi": 2.4, "run_id": "disc-2",
         "reasons": reasons("shares 3 topics with your best partners", "audience in FR"), "evidence": why_trail},
        {"src": BRAND, "dst": "pub:xss", "rank": 2, "score": 0.8, "run_id": "disc-2",
         "reasons": reasons(IMG + " is a look-alike"), "evidence": evidence(("pub:xss", "COVERS", TOPIC))},
        {"src": BRAND, "dst": "pub:old", "rank": 1, "score": 0.7, "predicted_roi": 1.0, "run_id": "disc-1",
         "reasons": reasons("old"), "evidence": "{}"},
        # a recommendation of a run that is still running: never shown
        {"src": "brand:other", "dst": "pub:summit", "rank": 1, "score": 0.5, "run_id": "disc-3", "reasons": "", "evidence": ""},
    ], "Brand", "Publisher")
    _rels(store, "RECOMMENDED", [
        {"src": BRAND, "dst": "inf:alpine", "rank": 3, "score": 0.72, "predicted_roi": 1.1, "run_id": "disc-2",
         "reasons": "not json", "evidence": json.dumps({"v": 9, "nodes": ["x"]})},
    ], "Brand", "Influencer")


def _months(start: tuple[int, int], n: int) -> list[str]:
    year, month = start
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


MONTHS = _months((2024, 8), 12)  # 2024-08 .. 2025-07


def seed_performance(store: GraphStore) -> None:
    """Two partners with a year of monthly performance: one with a spike (2025-06), one that
    stops earning (2025-07); a third with too few months to score; topics in a tier; runs."""
    _nodes(store, "Brand", [{"id": BRAND, "name": "Acme Outdoor"}])
    _nodes(store, "Publisher", [{"id": "pub:steady", "name": "Steady Mag", "country": "FR", "audience_size": 50000},
                                {"id": "pub:short", "name": "Short Lived", "country": "DE", "audience_size": 8000}])
    _nodes(store, "Influencer", [{"id": "inf:drop", "name": IMG, "country": "CH", "risk": 0.9}])
    _nodes(store, "Campaign", [{"id": "camp:1", "name": "Acme always-on"}])
    _rels(store, "RAN", [{"src": BRAND, "dst": "camp:1"}], "Brand", "Campaign")
    steady = [{"src": "camp:1", "dst": "pub:steady", "period": p, "revenue": 9000.0 if p == "2025-06" else 1000.0 + 10 * i,
               "cost": 400.0, "conversions": 10, "clicks": 100} for i, p in enumerate(MONTHS)]
    short = [{"src": "camp:1", "dst": "pub:short", "period": p, "revenue": 50.0, "cost": 20.0, "conversions": 1,
              "clicks": 5} for p in MONTHS[:3]]
    _rels(store, "WITH", steady + short, "Campaign", "Publisher", key=("period",))
    drop = [{"src": "camp:1", "dst": "inf:drop", "period": p, "revenue": 0.0 if p == "2025-07" else 800.0 + 5 * i,
             "cost": 300.0, "conversions": 8, "clicks": 80} for i, p in enumerate(MONTHS)]
    _rels(store, "WITH", drop, "Campaign", "Influencer", key=("period",))
    _nodes(store, "Topic", [
        {"id": "iab-content-3.1:483", "name": "Sports", "tier": 1},
        {"id": "iab-content-3.1:484", "name": "Running", "tier": 2},
    ])
    _rels(store, "CHILD_OF", [{"src": "iab-content-3.1:484", "dst": "iab-content-3.1:483"}], "Topic", "Topic")
    _rels(store, "COVERS", [{"src": "pub:steady", "dst": "iab-content-3.1:484", "score": 0.9}], "Publisher", "Topic")
    _rels(store, "COVERS", [{"src": "inf:drop", "dst": "iab-content-3.1:483", "score": 0.8},
                            {"src": "inf:drop", "dst": "iab-content-3.1:484", "score": 0.7}], "Influencer", "Topic")
    _nodes(store, "ImportRun", [
        {"id": "import-1", "file": "file:///data/crm/partners.csv", "preset": "hubspot", "status": "complete",
         "rows_in": 200, "rows_imported": 190, "rows_quarantined": 10,
         "started_at": "2026-11-01T10:00:00Z", "finished_at": "2026-11-01T10:00:42Z"},
        {"id": "import-2", "file": "file:///data/clicks/clicks-2025-07.csv.gz", "preset": "generic-clicks",
         "status": "failed", "rows_in": 0, "started_at": "2026-11-02T10:00:00Z"},
    ])
    _nodes(store, "CrawlRun", [{"id": "crawl-1", "status": "complete", "started_at": "2026-11-03T10:00:00Z",
                                "finished_at": "2026-11-03T10:03:00Z",
                                "stats": json.dumps({"partnergraph/sites": 12, "partnergraph/pages/extracted": 340,
                                                     "downloader/request_count": 410, "partnergraph/errors/http_404": 7,
                                                     "partnergraph/errors/timeout": 2, "partnergraph/write_errors": 0})}])


RING = "ring:1"


def seed_fraud(store: GraphStore) -> None:
    """Three affiliates acting as one (a ring sharing a device, an IP network and a payment
    account), a fourth on its own with an injected name, two alerts and a case."""
    _nodes(store, "Publisher", [
        {"id": "aff:a", "name": "Deal Hunter", "network": "gen-net", "network_id": "101", "risk": 0.91},
        {"id": "aff:b", "name": "Coupon Corner", "network": "gen-net", "network_id": "102", "risk": 0.88},
        {"id": "aff:c", "name": "Promo Planet", "network": "gen-net", "network_id": "103", "risk": 0.85},
        {"id": "aff:d", "name": SCRIPT, "network": "gen-net", "network_id": "104", "risk": 0.62},
        {"id": "aff:e", "name": "Honest Reviews", "network": "gen-net", "network_id": "105", "risk": 0.05},
    ], extra=("Affiliate",))
    _nodes(store, "Device", [{"id": "dev_1", "kind": "device"}, {"id": "dev_2", "kind": "device"}])
    _nodes(store, "IPNetwork", [{"id": "net_1", "network": "net_1/24", "version": 4}])
    _nodes(store, "PaymentAccount", [{"id": "pay_1", "kind": "iban"}])
    src = "file:///data/clicks/clicks-2025-07.csv.gz#row="
    _rels(store, "USED_DEVICE", [
        {"src": "aff:a", "dst": "dev_1", "period": "2025-06", "count": 40, "source": src + "10"},
        {"src": "aff:b", "dst": "dev_1", "period": "2025-06", "count": 35, "source": src + "11"},
        {"src": "aff:b", "dst": "dev_1", "period": "2025-07", "count": 50, "source": src + "12"},
        {"src": "aff:e", "dst": "dev_2", "period": "2025-07", "count": 3, "source": src + "13"},
    ], "Affiliate", "Device", key=("period",))
    _rels(store, "SEEN_FROM", [
        {"src": "aff:b", "dst": "net_1", "period": "2025-07", "count": 60, "source": src + "20"},
        {"src": "aff:c", "dst": "net_1", "period": "2025-07", "count": 45, "source": src + "21"},
    ], "Affiliate", "IPNetwork", key=("period",))
    _rels(store, "PAID_TO", [
        {"src": "aff:a", "dst": "pay_1", "period": "2025-07", "count": 1, "source": "file:///data/net/payouts.csv#row=4"},
        {"src": "aff:c", "dst": "pay_1", "period": "2025-07", "count": 1, "source": "file:///data/net/payouts.csv#row=5"},
    ], "Affiliate", "PaymentAccount", key=("period",))
    ring_evidence = {
        "v": 1, "nodes": [RING, "aff:a", "aff:b", "aff:c"], "members": ["aff:a", "aff:b", "aff:c"],
        "score": 0.9, "evidence": 0.41, "traffic": 0.6, "account": 1.0, "behaviour": 0.7,
        "kinds": ["device", "ip", "payment"],
        "identifiers": [
            {"kind": "payment", "id": "pay_1", "weight": 1.0, "affiliates_using": 2, "members": ["aff:a", "aff:c"]},
            {"kind": "device", "id": "dev_1", "weight": 0.95, "affiliates_using": 2, "members": ["aff:a", "aff:b"]},
            {"kind": "ip", "id": "net_1", "weight": 0.9, "affiliates_using": 2, "members": ["aff:b", "aff:c"]},
        ],
    }
    _nodes(store, "Ring", [{"id": RING, "score": 0.9, "size": 3, "status": "flagged",
                            "evidence": json.dumps(ring_evidence), "detected_at": "2026-11-20T03:00:00Z"}])
    _rels(store, "MEMBER_OF", [{"src": m, "dst": RING, "score": s} for m, s in
                               (("aff:a", 0.9), ("aff:b", 0.8), ("aff:c", 0.7))], "Affiliate", "Ring")
    _nodes(store, "Alert", [
        {"id": "alert:ring-1", "kind": "new_ring", "score": 0.9, "status": "open", "created_at": "2026-11-20T03:00:00Z",
         "evidence": json.dumps({"v": 1, "nodes": [RING], "summary": "3 affiliates share a payment account, a device "
                                 "and an IP network", "identifiers": ring_evidence["identifiers"]})},
        {"id": "alert:risk-d", "kind": "risk_jump", "score": 0.62, "status": "open", "created_at": "2026-11-21T03:00:00Z",
         "evidence": json.dumps({"v": 1, "nodes": ["aff:d"], "summary": f"risk of {IMG} jumped from 0.1 to 0.62"})},
        {"id": "alert:old", "kind": "risk_jump", "score": 0.3, "status": "dismissed", "created_at": "2026-10-01T03:00:00Z",
         "evidence": "{}"},
    ])
    _rels(store, "FLAGGED", [{"src": "alert:ring-1", "dst": RING}], "Alert", "Ring")
    _rels(store, "FLAGGED", [{"src": "alert:risk-d", "dst": "aff:d"}, {"src": "alert:old", "dst": "aff:e"}],
          "Alert", "Affiliate")
    _nodes(store, "Case", [{"id": "case:1", "title": "Dismissed office NAT", "status": "dismissed", "assignee": "ivy",
                            "notes": json.dumps([{"at": "2026-10-02T09:05:00Z", "by": "ivy", "text": "office IP"}]),
                            "allowlist": json.dumps(["net_9"]),
                            "opened_at": "2026-10-02T09:00:00Z", "closed_at": "2026-10-03T09:00:00Z",
                            "log": json.dumps([{"at": "2026-10-02T09:00:00Z", "by": "ivy", "action": "opened"},
                                               {"at": "2026-10-03T09:00:00Z", "by": "ivy", "action": "dismissed",
                                                "reason": "office NAT"}])}])
    _rels(store, "ABOUT", [{"src": "case:1", "dst": "alert:old"}], "Case", "Alert")
