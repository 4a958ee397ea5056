"""The importer's own Cypher, as templates. Only labels and types checked by graph.schema are
spliced in (``str.format``); every value travels as a ``$param``."""

from __future__ import annotations

from typing import Any

from graph.schema import check_label, check_rel_type
from graph.store.base import GraphStore

ALL = 10_000_000

PARTNER_RECORDS = """MATCH (n:{label})
RETURN n.id AS id, labels(n) AS labels, n.name AS name, n.domain AS domain, n.handle AS handle,
       n.crm_id AS crm_id, n.network_id AS network_id"""

SAME_AS_EDGES = """MATCH (a:{label})-[r:SAME_AS]->(b)
RETURN a.id AS src, b.id AS dst, r.score AS score, r.evidence AS evidence"""

BRANDS = """MATCH (n:Brand)
RETURN n.id AS id, n.name AS name, n.domain AS domain, n.crm_id AS crm_id"""

LABEL_IDS = """MATCH (n:{label})
RETURN n.id AS id"""

RUN_EXISTS = """MATCH (r:ImportRun {{id: $id}})
RETURN count(r) AS n"""

DELETE_NODES = """MATCH (n:{label})
WHERE n.id IN $ids
DETACH DELETE n"""

DELETE_ACCOUNTS_OF = """MATCH (n:{label})-[:HAS_ACCOUNT]->(s:SocialAccount)
WHERE n.id IN $ids
DETACH DELETE s"""

IDENTIFIERS_OF = """MATCH (a:Affiliate)-->(i:{label})
WHERE a.id IN $ids
RETURN DISTINCT i.id AS id"""

DELETE_UNSHARED = """MATCH (i:{label})
WHERE i.id IN $ids
OPTIONAL MATCH (a:Affiliate)-->(i)
WITH i, count(DISTINCT a) AS users
WHERE users < 2
DETACH DELETE i
RETURN count(*) AS deleted"""

DELETE_PERIOD_EDGES = """MATCH (a:Affiliate)-[r:{rel}]->()
WHERE a.id IN $ids AND r.period IN $periods
DELETE r"""

#: aggregates of the event store (graph.ingest.events): lists instead of one map per row
MERGE_DEVICES = """UNWIND $rows AS id
MERGE (n:{label} {{id: id}})
ON CREATE SET n.first_seen = $seen
SET n.kind = 'device', n.source = $source, n.last_seen = $seen, n.run_id = $run
RETURN count(n) AS n"""

LABEL_COUNT = """MATCH (n:{label})
RETURN count(n) AS n"""

#: the ids of a batch the graph already has (the rest are CREATEd: much cheaper than MERGE)
EXISTING_IDS = """UNWIND $ids AS id
MATCH (n:{label} {{id: id}})
RETURN n.id AS id"""

CREATE_DEVICES = """UNWIND $rows AS id
CREATE (n:{label} {{id: id, kind: 'device', source: $source, first_seen: $seen, last_seen: $seen, run_id: $run}})
RETURN count(n) AS n"""

CREATE_NETWORKS = """UNWIND $rows AS row
CREATE (n:{label} {{id: row[0], network: row[0], version: row[1], source: $source, first_seen: $seen,
  last_seen: $seen, run_id: $run}})
RETURN count(n) AS n"""

MERGE_NETWORKS = """UNWIND $rows AS row
MERGE (n:{label} {{id: row[0]}})
ON CREATE SET n.first_seen = $seen
SET n.network = row[0], n.version = row[1], n.source = $source, n.last_seen = $seen, n.run_id = $run
RETURN count(n) AS n"""

CREATE_PERIOD_EDGES = """UNWIND $groups AS g
MATCH (a:Affiliate {{id: g[0]}})
UNWIND g[1] AS row
MATCH (d:{label} {{id: row[0]}})
CREATE (a)-[r:{rel} {{period: row[1], count: row[2], source: $source, first_seen: $seen, last_seen: $seen,
  run_id: $run}}]->(d)
RETURN count(r) AS n"""

IMPORT_RUNS = """MATCH (r:ImportRun)
RETURN r.id AS id, r.file AS file, r.preset AS preset, r.status AS status, r.rows_in AS rows_in,
       r.rows_imported AS rows_imported, r.rows_quarantined AS rows_quarantined, r.started_at AS started_at
ORDER BY r.started_at DESC"""


def render(template: str, **idents: str) -> str:
    """A template with its labels (``label``) and relationship types (``rel``) checked and filled."""
    return template.format(**{k: (check_rel_type(v) if k == "rel" else check_label(v)) for k, v in idents.items()})


def read_all(store: GraphStore, template: str, params: dict[str, Any] | None = None, **idents: str
             ) -> list[dict[str, Any]]:
    return store.read(render(template, **idents), params or {}, limit=ALL, timeout=600).rows


def write(store: GraphStore, template: str, params: dict[str, Any], **idents: str) -> list[dict[str, Any]]:
    """Run a write template; its result rows (most templates return none)."""
    return store.write(render(template, **idents), params).rows
