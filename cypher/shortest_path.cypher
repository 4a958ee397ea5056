// purpose: A shortest path between two nodes, in either direction, up to 6 hops.
// params: a:string, b:string
// compare: exact
// compare-columns: hops
// On FalkorDB the console and `query --saved` answer it with a bounded search (graph/paths.py).
// Both ends are looked up per label (an id-index seek each) instead of scanning every node.
CALL {
  MATCH (x:Publisher {id: $a}) RETURN x
  UNION
  MATCH (x:Influencer {id: $a}) RETURN x
  UNION
  MATCH (x:Affiliate {id: $a}) RETURN x
  UNION
  MATCH (x:Brand {id: $a}) RETURN x
  UNION
  MATCH (x:Contract {id: $a}) RETURN x
  UNION
  MATCH (x:Campaign {id: $a}) RETURN x
  UNION
  MATCH (x:Article {id: $a}) RETURN x
  UNION
  MATCH (x:Topic {id: $a}) RETURN x
  UNION
  MATCH (x:Audience {id: $a}) RETURN x
  UNION
  MATCH (x:ProductCategory {id: $a}) RETURN x
  UNION
  MATCH (x:Platform {id: $a}) RETURN x
  UNION
  MATCH (x:SocialAccount {id: $a}) RETURN x
  UNION
  MATCH (x:AdSystem {id: $a}) RETURN x
  UNION
  MATCH (x:SellerAccount {id: $a}) RETURN x
  UNION
  MATCH (x:Device {id: $a}) RETURN x
  UNION
  MATCH (x:IPNetwork {id: $a}) RETURN x
  UNION
  MATCH (x:PaymentAccount {id: $a}) RETURN x
  UNION
  MATCH (x:Ring {id: $a}) RETURN x
  UNION
  MATCH (x:Alert {id: $a}) RETURN x
  UNION
  MATCH (x:Case {id: $a}) RETURN x
  UNION
  MATCH (x:DiscoveryRun {id: $a}) RETURN x
  UNION
  MATCH (x:ImportRun {id: $a}) RETURN x
  UNION
  MATCH (x:CrawlRun {id: $a}) RETURN x
  UNION
  MATCH (x:Model {id: $a}) RETURN x
  UNION
  MATCH (x:SchemaInfo {id: $a}) RETURN x
}
WITH x
CALL {
  MATCH (y:Publisher {id: $b}) RETURN y
  UNION
  MATCH (y:Influencer {id: $b}) RETURN y
  UNION
  MATCH (y:Affiliate {id: $b}) RETURN y
  UNION
  MATCH (y:Brand {id: $b}) RETURN y
  UNION
  MATCH (y:Contract {id: $b}) RETURN y
  UNION
  MATCH (y:Campaign {id: $b}) RETURN y
  UNION
  MATCH (y:Article {id: $b}) RETURN y
  UNION
  MATCH (y:Topic {id: $b}) RETURN y
  UNION
  MATCH (y:Audience {id: $b}) RETURN y
  UNION
  MATCH (y:ProductCategory {id: $b}) RETURN y
  UNION
  MATCH (y:Platform {id: $b}) RETURN y
  UNION
  MATCH (y:SocialAccount {id: $b}) RETURN y
  UNION
  MATCH (y:AdSystem {id: $b}) RETURN y
  UNION
  MATCH (y:SellerAccount {id: $b}) RETURN y
  UNION
  MATCH (y:Device {id: $b}) RETURN y
  UNION
  MATCH (y:IPNetwork {id: $b}) RETURN y
  UNION
  MATCH (y:PaymentAccount {id: $b}) RETURN y
  UNION
  MATCH (y:Ring {id: $b}) RETURN y
  UNION
  MATCH (y:Alert {id: $b}) RETURN y
  UNION
  MATCH (y:Case {id: $b}) RETURN y
  UNION
  MATCH (y:DiscoveryRun {id: $b}) RETURN y
  UNION
  MATCH (y:ImportRun {id: $b}) RETURN y
  UNION
  MATCH (y:CrawlRun {id: $b}) RETURN y
  UNION
  MATCH (y:Model {id: $b}) RETURN y
  UNION
  MATCH (y:SchemaInfo {id: $b}) RETURN y
}
WITH x, y
MATCH p = shortestPath((x)-[*..6]-(y))
RETURN [n IN nodes(p) | n.id] AS ids, length(p) AS hops
