"""The app's own Cypher (reads and the few writes the app makes), as named strings.

Values always travel as ``$params``; the only text spliced in is a label checked by
:func:`graph.schema.check_label` (see :func:`nodes_by_ids`). Every query here runs unchanged on
FalkorDB-lite and Neo4j 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app import explore_view
from graph.schema import check_label
from graph.store.base import GraphStore

# ------------------------------------------------------------------------------- discovery runs

DISCOVERY_RUNS = """MATCH (r:DiscoveryRun)
RETURN r.id AS id, r.status AS status, r.started_at AS started_at, r.finished_at AS finished_at,
       r.model_version AS model_version, r.metrics AS metrics, r.drift AS drift, r.changes AS changes
ORDER BY coalesce(r.finished_at, r.started_at) DESC
LIMIT $k"""

LATEST_COMPLETE_RUN = """MATCH (r:DiscoveryRun)
WHERE r.status = 'complete'
RETURN r.id AS id, r.status AS status, r.started_at AS started_at, r.finished_at AS finished_at,
       r.model_version AS model_version, r.metrics AS metrics, r.drift AS drift, r.changes AS changes
ORDER BY r.finished_at DESC
LIMIT 1"""

# ------------------------------------------------------------------------------- recommendations

BRANDS = """MATCH (b:Brand)
RETURN b.id AS id, b.name AS name
ORDER BY name
LIMIT $limit"""

BRANDS_WITH_RECOMMENDATIONS = """MATCH (b:Brand)-[r:RECOMMENDED]->()
WHERE r.run_id = $run
RETURN b.id AS id, count(r) AS recommendations"""

RECOMMENDATIONS = """MATCH (b:Brand {id: $brand})-[r:RECOMMENDED]->(p)
WHERE r.run_id = $run
OPTIONAL MATCH (b)-[f:FEEDBACK]->(p)
RETURN p.id AS id, labels(p) AS labels, p.name AS name, p.partner_type AS partner_type,
       p.country AS country, p.language AS language, r.rank AS rank, r.score AS score,
       r.predicted_roi AS predicted_roi, r.reasons AS reasons, r.evidence AS evidence,
       f.verdict AS verdict, f.by AS verdict_by, f.at AS verdict_at, f.note AS note
ORDER BY r.rank, r.score DESC
LIMIT $k"""

BRAND = """MATCH (b:Brand {id: $brand})
RETURN b.id AS id, b.name AS name, b.country AS country"""

PARTNER_LABEL = """MATCH (b:Brand {id: $brand})-[:RECOMMENDED|FEEDBACK]->(p {id: $partner})
RETURN labels(p) AS labels
LIMIT 1"""

PARTNER_COUNTRIES = """MATCH (p:Publisher)
WHERE p.country IS NOT NULL
RETURN DISTINCT p.country AS value
UNION
MATCH (p:Influencer)
WHERE p.country IS NOT NULL
RETURN DISTINCT p.country AS value"""

PARTNER_LANGUAGES = """MATCH (p:Publisher)
WHERE p.language IS NOT NULL
RETURN DISTINCT p.language AS value
UNION
MATCH (p:Influencer)
WHERE p.language IS NOT NULL
RETURN DISTINCT p.language AS value"""

#: Labels looked up when an evidence document names node ids (the ids do not carry their label).
EVIDENCE_LABELS = (
    "Brand", "Publisher", "Influencer", "Topic", "Audience", "ProductCategory", "Campaign", "Article",
    "Contract", "SocialAccount", "SellerAccount", "AdSystem", "Platform", "Device", "IPNetwork",
    "PaymentAccount", "Ring", "Alert", "Case",
)

NODES_OF_LABEL = """MATCH (n:{label})
WHERE n.id IN $ids
RETURN n.id AS id, labels(n) AS labels, coalesce(n.name, n.title, n.handle, n.domain, n.id) AS name"""


def nodes_by_ids(labels: Sequence[str] = EVIDENCE_LABELS) -> str:
    """One query naming every node of ``labels`` whose id is in ``$ids`` (indexed lookups)."""
    return "\nUNION ALL\n".join(NODES_OF_LABEL.format(label=check_label(x)) for x in labels)

# ------------------------------------------------------------------------------- dashboards

PERFORMANCE_PERIODS = """MATCH (:Campaign)-[w:WITH]->()
WHERE w.period IS NOT NULL
RETURN DISTINCT w.period AS period
ORDER BY period"""

PERFORMANCE_BY_PERIOD = """MATCH (:Campaign)-[w:WITH]->(p)
WHERE w.period >= $since AND w.period <= $until
RETURN w.period AS period, CASE WHEN p:Influencer THEN 'Influencer' ELSE 'Publisher' END AS kind,
       sum(w.revenue) AS revenue, sum(w.cost) AS cost, sum(w.conversions) AS conversions,
       sum(w.clicks) AS clicks, count(*) AS facts
ORDER BY period, kind"""

#: Revenue and cost per IAB tier-1 topic; a partner counts once under each tier-1 topic it covers.
PERFORMANCE_BY_TOPIC = """MATCH (:Campaign)-[w:WITH]->(p)
WHERE w.period >= $since AND w.period <= $until
  AND (size($kinds) = 0 OR (p:Influencer AND 'Influencer' IN $kinds) OR (p:Publisher AND 'Publisher' IN $kinds))
WITH p, sum(w.revenue) AS revenue, sum(w.cost) AS cost
MATCH (p)-[:COVERS]->(:Topic)-[:CHILD_OF*0..5]->(top:Topic)
WHERE top.tier = 1
WITH DISTINCT top, p, revenue, cost
RETURN top.id AS id, top.name AS name, sum(revenue) AS revenue, sum(cost) AS cost, count(p) AS partners
ORDER BY revenue DESC
LIMIT $k"""

PARTNER_MONTHLY = """MATCH (:Campaign)-[w:WITH]->(p)
WHERE w.period >= $since AND w.period <= $until
  AND (size($kinds) = 0 OR (p:Influencer AND 'Influencer' IN $kinds) OR (p:Publisher AND 'Publisher' IN $kinds))
RETURN p.id AS id, p.name AS name, CASE WHEN p:Influencer THEN 'Influencer' ELSE 'Publisher' END AS kind,
       w.period AS period, sum(w.revenue) AS revenue, sum(w.cost) AS cost"""

IMPORT_RUNS = """MATCH (r:ImportRun)
RETURN r.id AS id, r.file AS file, r.preset AS preset, r.status AS status, r.rows_in AS rows_in,
       r.rows_imported AS rows_imported, r.rows_quarantined AS rows_quarantined,
       r.started_at AS started_at, r.finished_at AS finished_at
ORDER BY r.started_at DESC
LIMIT $k"""

CRAWL_RUNS = """MATCH (r:CrawlRun)
RETURN r.id AS id, r.status AS status, r.started_at AS started_at, r.finished_at AS finished_at,
       r.stats AS stats
ORDER BY r.started_at DESC
LIMIT $k"""

# ------------------------------------------------------------------------------- investigations

ALERTS_RANKED = """MATCH (al:Alert)
WHERE size($statuses) = 0 OR al.status IN $statuses
OPTIONAL MATCH (al)-[:FLAGGED]->(x)
WITH al, collect({id: x.id, name: coalesce(x.name, x.id), labels: labels(x)}) AS flagged
OPTIONAL MATCH (c:Case)-[:ABOUT]->(al)
RETURN al.id AS id, al.kind AS kind, al.score AS score, al.status AS status, al.evidence AS evidence,
       al.created_at AS created_at, flagged, collect(c.id) AS cases
ORDER BY al.score DESC, al.created_at DESC, al.id
LIMIT $k"""

ALERT = """MATCH (al:Alert {id: $id})
OPTIONAL MATCH (al)-[:FLAGGED]->(x)
WITH al, collect({id: x.id, name: coalesce(x.name, x.id), labels: labels(x)}) AS flagged
OPTIONAL MATCH (c:Case)-[:ABOUT]->(al)
RETURN al.id AS id, al.kind AS kind, al.score AS score, al.status AS status, al.evidence AS evidence,
       al.created_at AS created_at, flagged, collect(c.id) AS cases"""

RINGS_OF = """MATCH (a:Affiliate)-[:MEMBER_OF]->(r:Ring)
WHERE a.id IN $ids
RETURN DISTINCT r.id AS id, r.score AS score"""

RING_HEAD = """MATCH (r:Ring {id: $id})
RETURN r.id AS id, r.score AS score, r.size AS size, r.status AS status, r.evidence AS evidence,
       r.detected_at AS detected_at, r.source AS source, r.run_id AS run_id"""

RING_MEMBERS = """MATCH (a:Affiliate)-[m:MEMBER_OF]->(r:Ring {id: $id})
RETURN a.id AS id, a.name AS name, a.network AS network, a.network_id AS network_id, a.domain AS domain,
       a.risk AS risk, m.score AS score, labels(a) AS labels, a.source AS source
ORDER BY m.score DESC, a.id"""

#: Identifier uses of a ring's members, per period, for identifiers at least two members share.
RING_TIMELINE = """MATCH (a:Affiliate)-[:MEMBER_OF]->(:Ring {id: $id})
MATCH (a)-[e:USED_DEVICE|SEEN_FROM|PAID_TO]->(x)
WITH x, collect({affiliate: a.id, rel: type(e), period: e.period, n: e.count, source: e.source}) AS uses,
     count(DISTINCT a) AS members
WHERE members >= 2
UNWIND uses AS u
RETURN x.id AS ident, labels(x) AS labels, u.affiliate AS affiliate, u.rel AS rel, u.period AS period,
       u.n AS n, u.source AS source
ORDER BY period, ident, affiliate
LIMIT $k"""

CASES_LIST = """MATCH (c:Case)
OPTIONAL MATCH (c)-[:ABOUT]->(al:Alert)
RETURN c.id AS id, c.title AS title, c.status AS status, c.assignee AS assignee, c.notes AS notes,
       c.log AS log, c.opened_at AS opened_at, c.closed_at AS closed_at, collect(al.id) AS alerts
ORDER BY c.opened_at DESC, c.id
LIMIT $k"""

AFFILIATE_SEARCH = """MATCH (a:Affiliate)
WHERE toLower(a.name) CONTAINS $text OR toLower(a.id) CONTAINS $text OR a.network_id = $text
RETURN a.id AS id, a.name AS name, a.network AS network
ORDER BY a.name
LIMIT $k"""

AFFILIATE_NAMES = """MATCH (a:Affiliate)
WHERE a.id IN $ids
RETURN a.id AS id, a.name AS name, a.network AS network"""

#: Path tracing through shared identifiers (and rings) on Neo4j. On FalkorDB the page runs the
#: bounded search of :mod:`graph.paths` plus :data:`TRACE_HOPS` instead (``algo.SPpaths`` keeps
#: running on the server after its query timeout).
TRACE = {
    "neo4j": """MATCH (x:Affiliate {id: $a}), (y:Affiliate {id: $b})
MATCH p = shortestPath((x)-[:USED_DEVICE|SEEN_FROM|PAID_TO|SELLS_VIA*..6]-(y))
RETURN [n IN nodes(p) | {id: n.id, name: coalesce(n.name, n.id), labels: labels(n)}] AS nodes,
       [r IN relationships(p) | {type: type(r), from: startNode(r).id, to: endNode(r).id,
        period: r.period, n: r.count, source: r.source}] AS rels""",
}

# ------------------------------------------------------------------------------- search

#: Names containing a text, per label (label scans; the saved ``find_by_name`` scans every node).
FIND_BY_NAME = "\nUNION ALL\n".join(
    f"""MATCH (n:{check_label(label)})
WHERE toLower(n.name) CONTAINS $text
RETURN n.id AS id, '{label}' AS label, n.name AS name
LIMIT $limit""" for label in ("Publisher", "Influencer", "Brand"))


def find_by_name(store: GraphStore, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Partners and brands whose name contains ``text`` (case-insensitive), at most ``limit`` per label."""
    return store.read(FIND_BY_NAME, {"text": text.lower(), "limit": int(limit)}, limit=3 * int(limit)).rows


#: Labels the search box looks in.
SEARCH_LABELS = ("Publisher", "Influencer", "Brand")

EXACT_ID_OF_LABEL = "MATCH (n:{label} {{id: $id}}) RETURN n.id AS id, '{label}' AS label, n.name AS name"
#: Partners and brands whose id is ``$id`` (an index seek per label).
BY_EXACT_ID = "\nUNION ALL\n".join(EXACT_ID_OF_LABEL.format(label=check_label(x)) for x in SEARCH_LABELS)

#: One label's full-text index: id and name only (the node itself would carry its 384-d vector).
FULLTEXT = {
    "falkordb": """CALL db.idx.fulltext.queryNodes($label, $q) YIELD node, score
RETURN node.id AS id, node.name AS name, score
ORDER BY score DESC
LIMIT $k""",
    "neo4j": """CALL db.index.fulltext.queryNodes($index, $q, {limit: $k}) YIELD node, score
RETURN node.id AS id, node.name AS name, score
ORDER BY score DESC
LIMIT $k""",
}


def by_exact_id(store: GraphStore, text: str) -> list[dict[str, Any]]:
    """Partners and brands whose id is exactly ``text``."""
    return store.read(BY_EXACT_ID, {"id": text}, limit=len(SEARCH_LABELS)).rows


def fulltext(store: GraphStore, label: str, query: str, k: int = 10) -> list[tuple[dict[str, Any], float]]:
    """``(row, score)`` hits of ``label``'s full-text index for a query built by
    :func:`app.explore_view.fulltext_query` (letters, digits and the app's own operators only)."""
    lbl = check_label(label)
    if not query:
        return []
    params: dict[str, Any] = {"q": query, "k": int(k)}
    if store.backend == "neo4j":
        params["index"] = f"{lbl.lower()}_fulltext"  # graph.store.neo4j_store.fulltext_index_name
    else:
        params["label"] = lbl
    rows = store.read(FULLTEXT[store.backend], params, limit=int(k)).rows
    return [({"id": r["id"], "name": r["name"]}, float(r["score"])) for r in rows]

# ------------------------------------------------------------------------------- explore filters

#: Facts the explore filters look at, for partners on the page: country, risk, topics (with
#: their ancestors, so a tier-1 topic matches its sub-topics) and the months they had campaigns.
PARTNER_FACTS = """MATCH (p:{label})
WHERE p.id IN $ids
OPTIONAL MATCH (p)-[c:COVERS]->(:Topic)-[:CHILD_OF*0..4]->(t:Topic)
WITH p, collect({{topic: t.id, score: c.score}}) AS topics
OPTIONAL MATCH (:Campaign)-[w:WITH]->(p)
RETURN p.id AS id, p.country AS country, p.risk AS risk, topics, min(w.period) AS active_from,
       max(w.period) AS active_to"""

BRAND_FACTS = """MATCH (b:Brand)
WHERE b.id IN $ids
RETURN b.id AS id, b.country AS country"""

DATED_FACTS = """MATCH (n:{label})
WHERE n.id IN $ids
RETURN n.id AS id, coalesce(n.start, n.date) AS active_from, coalesce(n.end, n.start, n.date) AS active_to"""

TOPIC_OPTIONS = """MATCH (t:Topic)
WHERE t.tier <= 2
RETURN t.id AS id, t.path AS path, t.name AS name
ORDER BY path
LIMIT 2000"""

COUNTRY_OPTIONS = """MATCH (p:Publisher)
WHERE p.country IS NOT NULL
RETURN DISTINCT p.country AS value
UNION
MATCH (p:Influencer)
WHERE p.country IS NOT NULL
RETURN DISTINCT p.country AS value
UNION
MATCH (b:Brand)
WHERE b.country IS NOT NULL
RETURN DISTINCT b.country AS value"""


def node_facts(store: GraphStore, ids_by_label: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Filter facts of the nodes on the explore page, by id (labels checked, values as params)."""
    out: dict[str, dict[str, Any]] = {}
    for label, ids in ids_by_label.items():
        if not ids:
            continue
        if label in ("Publisher", "Influencer"):
            query = PARTNER_FACTS.format(label=check_label(label))
        elif label == "Brand":
            query = BRAND_FACTS
        elif label in ("Campaign", "Contract", "Article"):
            query = DATED_FACTS.format(label=check_label(label))
        else:
            continue
        for row in store.read(query, {"ids": sorted(set(ids))}, limit=len(ids) + 10).rows:
            out[str(row["id"])] = {k: v for k, v in row.items() if k != "id"}
    return out

# ------------------------------------------------------------------------------- path tracing

#: The hops of a traced path (consecutive internal ids), each with the identifier edge between.
TRACE_HOPS = """UNWIND $pairs AS pair
WITH pair[0] AS i, pair[1] AS s, pair[2] AS d
MATCH (x)
WHERE id(x) = s
MATCH (x)-[r:USED_DEVICE|SEEN_FROM|PAID_TO|SELLS_VIA]-(y)
WHERE id(y) = d
WITH i, x, y, collect(r)[0] AS r
RETURN i, {id: x.id, name: coalesce(x.name, x.id), labels: labels(x)} AS x,
       {id: y.id, name: coalesce(y.name, y.id), labels: labels(y)} AS y,
       {type: type(r), from: startNode(r).id, to: endNode(r).id, period: r.period, n: r.count,
        source: r.source} AS rel
ORDER BY i"""

#: Relationship types path tracing walks (shared identifiers and seller accounts).
TRACE_RELS = ("USED_DEVICE", "SEEN_FROM", "PAID_TO", "SELLS_VIA")

def search(store: GraphStore, text: str) -> list[explore_view.Match]:
    """The search box: id, full-text (prefix and fuzzy) and, failing those, name hits for
    ``text``, ranked by :func:`app.explore_view.rank_matches`."""
    view = explore_view
    return view.search_with(
        lambda probe: find_by_name(store, probe, limit=50),
        lambda label, q: fulltext(store, label, view.fulltext_query(q, store.backend), 10),
        text,
        exact=lambda t: by_exact_id(store, t),
    )
