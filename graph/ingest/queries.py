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

DELETE_PERIOD_EDGES = """MATCH (a:Affiliate)-[r:{rel}]->()
WHERE a.id IN $ids AND r.period IN $periods
DELETE r"""

IMPORT_RUNS = """MATCH (r:ImportRun)
RETURN r.id AS id, r.file AS file, r.preset AS preset, r.status AS status, r.rows_in AS rows_in,
       r.rows_imported AS rows_imported, r.rows_quarantined AS rows_quarantined, r.started_at AS started_at
ORDER BY r.started_at DESC"""


def read_all(store: GraphStore, template: str, params: dict[str, Any] | None = None, **idents: str
             ) -> list[dict[str, Any]]:
    query = template.format(**{k: (check_rel_type(v) if k == "rel" else check_label(v)) for k, v in idents.items()})
    return store.read(query, params or {}, limit=ALL, timeout=600).rows


def write(store: GraphStore, template: str, params: dict[str, Any], **idents: str) -> None:
    query = template.format(**{k: (check_rel_type(v) if k == "rel" else check_label(v)) for k, v in idents.items()})
    store.write(query, params)
