// purpose: Past campaigns a partner ran in, with the brand and summed performance, latest first.
// params: id:string, k:int
// compare: exact
MATCH (c:Campaign)-[w:WITH]->(p)
WHERE p.id = $id
WITH c, sum(w.cost) AS cost, sum(w.revenue) AS revenue, sum(w.conversions) AS conversions
WITH c, cost, revenue, conversions, head([(b:Brand)-[:RAN]->(c) | [b.id, b.name]]) AS brand
RETURN c.id AS id, c.name AS name, brand[0] AS brand_id, brand[1] AS brand, c.start AS start,
       c.end AS end, cost, revenue, conversions
ORDER BY start DESC, id
LIMIT $k
