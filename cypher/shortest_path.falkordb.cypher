// FalkorDB variant: shortestPath is only allowed on directed paths in WITH/RETURN, so use algo.SPpaths.
// algo.SPpaths walks every simple path depth-first and keeps running on the server after the
// query timeout has answered the client, so the console and `query --saved` do not run this text:
// they run a bounded bidirectional search (graph/paths.py; same hops). Trusted code only.
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
CALL algo.SPpaths({sourceNode: x, targetNode: y, relDirection: 'both', maxLen: 6, pathCount: 1})
YIELD path
RETURN [n IN nodes(path) | n.id] AS ids, length(path) AS hops
