// Neo4j variant: the node is looked up per label as on FalkorDB, then its neighbours in one
// undirected expansion: Neo4j walks bound relationships cheaply (a 20.8k-edge audience: 0.6-1.6 s
// here against 4.3 s for the per-type branches, whose plan also takes 150-270 ms to check).
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
WHERE size($labels) = 0 OR labels(m)[0] IN $labels
WITH type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS label, m, count(r) AS links
WITH rel, outgoing, label, m, links, coalesce(m.audience_size, m.followers, 0) AS weight
ORDER BY links DESC, weight DESC, m.id
WITH rel, outgoing, label, count(m) AS total, sum(links) AS edges,
     collect({id: m.id, name: coalesce(m.name, m.title, m.handle, m.id), weight: weight, links: links}) AS members
RETURN rel, outgoing, label, total, edges, members[0..$k] AS top
ORDER BY total DESC, rel, label, outgoing
