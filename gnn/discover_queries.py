"""The discovery job's own Cypher. Every value travels as a ``$param``; no label or type is
spliced in (the few label choices are fixed texts below). Portable: the same text runs on
FalkorDB-lite and Neo4j 5."""

from __future__ import annotations

from typing import Any

from graph.store.base import GraphStore, Row

ALL = 50_000_000
READ_TIMEOUT = 900.0

# ---- what the job reads ----------------------------------------------------------------------

BRANDS = """MATCH (b:Brand)
RETURN b.id AS id, b.name AS name, b.domain AS domain, b.country AS country, b.crm_id AS crm_id,
       b.preferences AS preferences"""

BRAND_SAME_AS = """MATCH (a:Brand)-[:SAME_AS]->(b:Brand)
RETURN a.id AS src, b.id AS dst"""

PARTNER_RECORDS = """MATCH (p)
WHERE p:Publisher OR p:Influencer
RETURN p.id AS id, labels(p) AS labels, p.name AS name, p.domain AS domain, p.country AS country,
       p.language AS language, p.crm_id AS crm_id, p.partner_type AS partner_type,
       p.brand_safety_flag AS flagged"""

PARTNER_SAME_AS = """MATCH (a)-[:SAME_AS]->(b)
WHERE (a:Publisher OR a:Influencer) AND (b:Publisher OR b:Influencer)
RETURN a.id AS src, b.id AS dst"""

#: One row per (campaign, partner record): the campaign's totals with that partner.
HISTORY = """MATCH (b:Brand)-[:RAN]->(c:Campaign)-[w:WITH]->(p)
RETURN b.id AS brand, p.id AS partner, c.id AS campaign, c.name AS campaign_name,
       c.start AS start, sum(w.cost) AS cost, sum(w.revenue) AS revenue,
       sum(w.conversions) AS conversions, sum(w.clicks) AS clicks,
       sum(w.impressions) AS impressions, min(w.first_seen) AS first_seen"""

CONTRACT_PAIRS = """MATCH (b:Brand)-[:SIGNED]->(k:Contract)<-[:SIGNED]-(p)
WHERE p:Publisher OR p:Influencer
RETURN DISTINCT b.id AS brand, p.id AS partner"""

#: Each brand's contracts per payout model (CPA, CPC, revenue share...): "brands like yours"
#: compares returns only between brands on the same terms.
BRAND_PAYOUT = """MATCH (b:Brand)-[:SIGNED]->(k:Contract)
WHERE k.model IS NOT NULL
RETURN b.id AS brand, k.model AS model, count(k) AS n"""

PARTNER_TOPICS = """MATCH (p)-[r:COVERS]->(t:Topic)
WHERE p:Publisher OR p:Influencer
RETURN p.id AS partner, t.id AS topic, t.name AS name, t.tier AS tier, r.score AS score"""

PARTNER_AUDIENCES = """MATCH (p)-[r:REACHES]->(a:Audience)
WHERE p:Publisher OR p:Influencer
RETURN p.id AS partner, a.id AS audience, a.name AS name, r.score AS score"""

BRAND_CATEGORIES = """MATCH (b:Brand)-[:IN_CATEGORY]->(c:ProductCategory)
RETURN b.id AS brand, c.id AS category"""

FEEDBACK = """MATCH (b:Brand)-[f:FEEDBACK]->(p)
WHERE p:Publisher OR p:Influencer
RETURN b.id AS brand, p.id AS partner, f.verdict AS verdict, f.by AS by, f.at AS at,
       f.run_id AS run_id, f.note AS note"""

# ---- runs ------------------------------------------------------------------------------------

RUNS = """MATCH (r:DiscoveryRun)
RETURN r.id AS id, r.status AS status, r.started_at AS started_at, r.finished_at AS finished_at,
       r.model_version AS model_version
ORDER BY r.started_at DESC"""

RUNS_WITH_STATUS = """MATCH (r:DiscoveryRun {status: $status})
RETURN r.id AS id, r.status AS status, r.started_at AS started_at, r.finished_at AS finished_at,
       r.model_version AS model_version
ORDER BY r.started_at DESC"""

LATEST_COMPLETE = """MATCH (r:DiscoveryRun {status: $status})
RETURN r.id AS id, r.status AS status, r.started_at AS started_at, r.finished_at AS finished_at,
       r.model_version AS model_version, r.metrics AS metrics, r.drift AS drift,
       r.changes AS changes
ORDER BY r.finished_at DESC
LIMIT 1"""

SET_RUN = """MATCH (r:DiscoveryRun {id: $id})
SET r += $props
RETURN count(r) AS n"""

RUN_PAIRS = """MATCH (b:Brand)-[r:RECOMMENDED]->(p)
WHERE r.run_id = $run_id
RETURN b.id AS brand, p.id AS partner, r.rank AS rank, r.score AS score,
       r.predicted_roi AS predicted_roi"""

RUN_EDGES_FULL = """MATCH (b:Brand)-[r:RECOMMENDED]->(p)
WHERE r.run_id = $run_id
RETURN b.id AS brand, p.id AS partner, r.rank AS rank, r.score AS score,
       r.predicted_roi AS predicted_roi, r.reasons AS reasons, r.evidence AS evidence"""

BRAND_RECOMMENDATIONS = """MATCH (b:Brand {id: $brand})-[r:RECOMMENDED]->(p)
WHERE r.run_id = $run_id
RETURN p.id AS partner, p.name AS name, labels(p) AS labels, p.country AS country,
       r.score AS score, r.rank AS rank, r.predicted_roi AS predicted_roi,
       r.reasons AS reasons, r.evidence AS evidence
ORDER BY r.rank
LIMIT $k"""

DELETE_OTHER_RUNS_EDGES = """MATCH ()-[r:RECOMMENDED]->()
WHERE r.run_id <> $keep
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS n"""

DELETE_RUN_EDGES = """MATCH ()-[r:RECOMMENDED]->()
WHERE r.run_id = $run_id
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS n"""

# ---- preferences -----------------------------------------------------------------------------

PREFS_ONE = """MATCH (b:Brand {id: $id})
RETURN b.id AS id, b.preferences AS preferences"""

PREFS_ALL = """MATCH (b:Brand)
WHERE b.preferences IS NOT NULL
RETURN b.id AS id, b.preferences AS preferences"""

PREFS_WRITE = """MATCH (b:Brand {id: $id})
SET b.preferences = $preferences, b.last_seen = $now
RETURN count(b) AS n"""

PREFS_CLEAR = """MATCH (b:Brand {id: $id})
REMOVE b.preferences
RETURN count(b) AS n"""


def read_all(store: GraphStore, query: str, params: dict[str, Any] | None = None) -> list[Row]:
    return store.read(query, params or {}, limit=ALL, timeout=READ_TIMEOUT).rows


def delete_in_batches(store: GraphStore, query: str, params: dict[str, Any], batch: int = 10_000) -> int:
    """Run a ``... WITH r LIMIT $batch DELETE r RETURN count(*) AS n`` query until it deletes
    nothing; returns how many it deleted."""
    total = 0
    while True:
        rows = store.write(query, {**params, "batch": batch}).rows
        n = int(rows[0]["n"]) if rows else 0
        total += n
        if n < batch:
            return total
