"""Internal Cypher of the link-prediction stage (labels and types are fixed; no values spliced).

Most of the graph reaches gnn/ through ``GraphStore.export()``; these few bulk reads aggregate
what an export would ship in bulk (article texts) down to what training needs.
"""

from __future__ import annotations

#: Topics of the articles each site published (how many articles, best tagging score).
SITE_ARTICLE_TOPICS = """MATCH (s)-[:PUBLISHED]->(a:Article)-[c:COVERS]->(t:Topic)
RETURN s.id AS src, t.id AS dst, count(a) AS n, max(c.score) AS score ORDER BY src, dst"""

#: Number of articles each site published per publication date (a size signal of partners
#: without campaigns; link prediction counts those published before each cutoff).
SITE_ARTICLE_COUNTS = """MATCH (s)-[:PUBLISHED]->(a:Article)
RETURN s.id AS src, a.date AS date, count(a) AS n ORDER BY src, date"""

#: Limits of these internal reads (they are trusted; the untrusted console has its own caps).
READ_LIMIT = 50_000_000
READ_TIMEOUT = 600.0
