// purpose: Direct neighbours of any node, by id, with the relationship that links them.
// params: id:string, limit:int
// compare: set
// Looked up per label (one id-index seek each, UNION drops the repeats of a node with two
// labels): `MATCH (n) WHERE n.id = $id` scans every node (280 ms on medium FalkorDB).
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (n:Publisher {id: $id}) RETURN n
  UNION
  MATCH (n:Influencer {id: $id}) RETURN n
  UNION
  MATCH (n:Affiliate {id: $id}) RETURN n
  UNION
  MATCH (n:Brand {id: $id}) RETURN n
  UNION
  MATCH (n:Contract {id: $id}) RETURN n
  UNION
  MATCH (n:Campaign {id: $id}) RETURN n
  UNION
  MATCH (n:Article {id: $id}) RETURN n
  UNION
  MATCH (n:Topic {id: $id}) RETURN n
  UNION
  MATCH (n:Audience {id: $id}) RETURN n
  UNION
  MATCH (n:ProductCategory {id: $id}) RETURN n
  UNION
  MATCH (n:Platform {id: $id}) RETURN n
  UNION
  MATCH (n:SocialAccount {id: $id}) RETURN n
  UNION
  MATCH (n:AdSystem {id: $id}) RETURN n
  UNION
  MATCH (n:SellerAccount {id: $id}) RETURN n
  UNION
  MATCH (n:Device {id: $id}) RETURN n
  UNION
  MATCH (n:IPNetwork {id: $id}) RETURN n
  UNION
  MATCH (n:PaymentAccount {id: $id}) RETURN n
  UNION
  MATCH (n:Ring {id: $id}) RETURN n
  UNION
  MATCH (n:Alert {id: $id}) RETURN n
  UNION
  MATCH (n:Case {id: $id}) RETURN n
  UNION
  MATCH (n:DiscoveryRun {id: $id}) RETURN n
  UNION
  MATCH (n:ImportRun {id: $id}) RETURN n
  UNION
  MATCH (n:CrawlRun {id: $id}) RETURN n
  UNION
  MATCH (n:Model {id: $id}) RETURN n
  UNION
  MATCH (n:SchemaInfo {id: $id}) RETURN n
}
WITH n
MATCH (n)-[r]-(m)
RETURN m.id AS id, labels(m)[0] AS label, coalesce(m.name, m.title, m.id) AS name,
       type(r) AS rel, startNode(r) = n AS outgoing
ORDER BY rel, id
LIMIT $limit
