// purpose: A brand's partners with summed campaign performance and ROI, best revenue first.
// params: brand:string, k:int
// compare: exact
MATCH (b:Brand {id: $brand})-[:RAN]->(:Campaign)-[w:WITH]->(p)
WITH p, sum(w.revenue) AS revenue, sum(w.cost) AS cost, sum(w.conversions) AS conversions,
     count(w) AS periods
RETURN p.id AS id, p.name AS name, revenue, cost, conversions, periods,
       CASE WHEN cost > 0 THEN revenue / cost ELSE null END AS roi
ORDER BY revenue DESC, id
LIMIT $k
