// purpose: Past campaigns a partner ran in, with the brand and summed performance, latest first.
// params: id:string, k:int
// compare: exact
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (p:Publisher {id: $id}) RETURN p
  UNION
  MATCH (p:Influencer {id: $id}) RETURN p
}
WITH p
MATCH (c:Campaign)-[w:WITH]->(p)
WITH c, sum(w.cost) AS cost, sum(w.revenue) AS revenue, sum(w.conversions) AS conversions
WITH c, cost, revenue, conversions, head([(b:Brand)-[:RAN]->(c) | [b.id, b.name]]) AS brand
RETURN c.id AS id, c.name AS name, brand[0] AS brand_id, brand[1] AS brand, c.start AS start,
       c.end AS end, cost, revenue, conversions
ORDER BY start DESC, id
LIMIT $k
