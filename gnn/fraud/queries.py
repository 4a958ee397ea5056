"""The fraud area's own Cypher. Only schema-checked labels/types are spliced in; every value
travels as a ``$param``."""

from __future__ import annotations

from typing import Any

from graph.store.base import GraphStore

ALL = 10_000_000

AFFILIATES = """MATCH (a:Affiliate)
RETURN a.id AS id, a.network AS network, a.network_id AS network_id, a.name AS name,
       a.domain AS domain, a.source AS source, a.risk AS risk"""

#: per-period behaviour figures (JSON) the importer keeps on each affiliate
AFFILIATE_BEHAVIOUR = """MATCH (a:Affiliate)
WHERE a.behaviour IS NOT NULL
RETURN a.id AS id, a.behaviour AS behaviour"""

SAME_AS = """MATCH (a:Affiliate)-[:SAME_AS]-(p)
RETURN a.id AS affiliate, p.id AS partner"""

TIER1_TOPICS = """MATCH (p)-[c:COVERS]->(t:Topic)
WHERE t.tier = 1 AND (p:Publisher OR p:Influencer)
RETURN p.id AS node, t.id AS topic, t.name AS name, c.score AS score"""

PAID_TO = """MATCH (a:Affiliate)-[r:PAID_TO]->(p:PaymentAccount)
RETURN a.id AS affiliate, p.id AS ident, r.period AS period, r.count AS n, r.source AS source"""

#: the template's source is the affiliate's row in the network export (the row its PAID_TO came
#: from, in the same file); the node's own ``source`` names the last import that touched it
TEMPLATES = """MATCH (a:Affiliate)
WHERE a.tracking_template IS NOT NULL AND a.tracking_template <> ''
OPTIONAL MATCH (a)-[r:PAID_TO]->(:PaymentAccount)
WITH a, collect(r.source) AS rows
RETURN a.id AS affiliate, a.tracking_template AS template, coalesce(head(rows), a.source) AS source,
       a.first_seen AS first, a.last_seen AS last"""

SELLS_VIA = """MATCH (p)-[r:SELLS_VIA]->(s:SellerAccount)
RETURN p.id AS node, p.domain AS domain, s.id AS ident, r.relationship AS relationship,
       r.source AS source"""

#: identifier edges aggregated in the graph (used when the event store has no clicks)
IDENT_EDGES = """MATCH (a:Affiliate)-[r:{rel}]->(x:{label})
RETURN a.id AS affiliate, x.id AS ident, r.period AS period, r.count AS n, r.source AS source"""

IMPORT_RUNS = """MATCH (r:ImportRun)
RETURN r.file AS file, r.preset AS preset"""

KNOWN_AFFILIATES = """MATCH (a:Affiliate)
WHERE a.id IN $refs OR a.network_id IN $refs
RETURN a.id AS id"""

NAMES = """MATCH (a:Affiliate)
WHERE a.id IN $ids
RETURN a.id AS id, a.name AS name, a.domain AS domain"""

# ---- rings ----------------------------------------------------------------------------------

RING_IDS = """MATCH (r:Ring)
RETURN r.id AS id, r.score AS score, r.size AS size, r.status AS status
ORDER BY r.score DESC, r.id"""

RINGS = """MATCH (r:Ring)
OPTIONAL MATCH (a:Affiliate)-[m:MEMBER_OF]->(r)
RETURN r.id AS id, r.score AS score, r.size AS size, r.status AS status, r.evidence AS evidence,
       r.detected_at AS detected_at, r.first_seen AS first_seen, collect(a.id) AS members"""

RING = """MATCH (r:Ring {id: $id})
OPTIONAL MATCH (a:Affiliate)-[m:MEMBER_OF]->(r)
RETURN r.id AS id, r.score AS score, r.size AS size, r.status AS status, r.evidence AS evidence,
       r.detected_at AS detected_at, r.first_seen AS first_seen, r.source AS source, r.run_id AS run_id,
       collect({id: a.id, name: a.name, score: m.score, source: a.source}) AS members"""

#: membership edges the current run did not write again
PRUNE_MEMBERS = """MATCH (a:Affiliate)-[m:MEMBER_OF]->(r:Ring)
WHERE m.run_id <> $run_id
DELETE m
RETURN count(*) AS removed"""

#: rings the current run did not find again are kept (cases may cite them) but marked
RETIRE_RINGS = """MATCH (r:Ring)
WHERE r.run_id <> $run_id AND r.status <> 'retired'
SET r.status = 'retired', r.size = 0
RETURN count(r) AS retired"""

# ---- alerts and cases -----------------------------------------------------------------------

ALERTS = """MATCH (al:Alert)
OPTIONAL MATCH (al)-[:FLAGGED]->(x)
RETURN al.id AS id, al.kind AS kind, al.score AS score, al.status AS status,
       al.evidence AS evidence, al.created_at AS created_at, al.last_seen AS last_seen,
       collect(x.id) AS flagged
ORDER BY al.created_at DESC, al.id"""

ALERTS_BY_ID = """MATCH (al:Alert)
WHERE al.id IN $ids
OPTIONAL MATCH (al)-[:FLAGGED]->(x)
RETURN al.id AS id, al.kind AS kind, al.score AS score, al.status AS status,
       al.evidence AS evidence, al.created_at AS created_at, collect(x.id) AS flagged"""

CASES = """MATCH (c:Case)
OPTIONAL MATCH (c)-[:ABOUT]->(al:Alert)
RETURN c.id AS id, c.title AS title, c.status AS status, c.assignee AS assignee,
       c.notes AS notes, c.log AS log, c.opened_at AS opened_at, c.closed_at AS closed_at,
       c.allowlist AS allowlist, collect(al.id) AS alerts
ORDER BY c.opened_at, c.id"""

CASE = """MATCH (c:Case {id: $id})
OPTIONAL MATCH (c)-[:ABOUT]->(al:Alert)
RETURN c.id AS id, c.title AS title, c.status AS status, c.assignee AS assignee,
       c.notes AS notes, c.log AS log, c.opened_at AS opened_at, c.closed_at AS closed_at,
       c.allowlist AS allowlist, collect(al.id) AS alerts"""

SET_CASE = """MATCH (c:Case {id: $id})
SET c.status = $status, c.assignee = $assignee, c.notes = $notes, c.log = $log,
    c.closed_at = $closed_at, c.allowlist = $allowlist, c.last_seen = $now
RETURN c.id AS id"""

SET_ALERT_STATUS = """MATCH (al:Alert)
WHERE al.id IN $ids
SET al.status = $status
RETURN count(al) AS n"""

CASE_LABELS = """MATCH (c:Case)-[:ABOUT]->(al:Alert)-[:FLAGGED]->(x)
WHERE c.status IN ['confirmed', 'dismissed']
OPTIONAL MATCH (a:Affiliate)-[:MEMBER_OF]->(x)
RETURN c.id AS case_id, c.status AS status, collect(DISTINCT x.id) + collect(DISTINCT a.id) AS ids"""

SET_RISK = """UNWIND $rows AS row
MATCH (a:Affiliate {id: row.id})
SET a.risk = row.risk, a.risk_evidence = row.evidence, a.risk_run = $run_id
RETURN count(a) AS n"""


def read_all(store: GraphStore, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return store.read(query, params or {}, limit=ALL, timeout=600).rows
