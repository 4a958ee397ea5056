// purpose: A partner's social accounts and ad-system seller accounts, with their platform or ad system.
// params: id:string
// compare: set
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (p:Publisher {id: $id}) RETURN p
  UNION
  MATCH (p:Influencer {id: $id}) RETURN p
}
WITH p
MATCH (p)-[r:HAS_ACCOUNT|SELLS_VIA]->(a)
RETURN type(r) AS rel, a.id AS id, a.platform AS platform, a.handle AS handle, a.url AS url,
       a.followers AS followers, a.seller_id AS seller_id, a.seller_type AS seller_type,
       coalesce(a.ad_system, head([(a)-[:ON_PLATFORM|OF]->(s) | coalesce(s.domain, s.name)])) AS system, r.relationship AS relationship
ORDER BY rel, id
