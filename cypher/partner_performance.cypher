// purpose: A partner's campaign performance per period, summed over campaigns (WITH edges).
// params: id:string
// compare: exact
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (p:Publisher {id: $id}) RETURN p
  UNION
  MATCH (p:Influencer {id: $id}) RETURN p
}
WITH p
MATCH (:Campaign)-[w:WITH]->(p)
WHERE w.period IS NOT NULL
RETURN w.period AS period, sum(w.cost) AS cost, sum(w.revenue) AS revenue,
       sum(w.impressions) AS impressions, sum(w.clicks) AS clicks,
       sum(w.conversions) AS conversions, count(w) AS campaigns
ORDER BY period
