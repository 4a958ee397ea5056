// purpose: A node's neighbours grouped by relationship, direction and label: group size and its top-k members (the explore view's expand).
// params: id:string, labels:list, k:int
// compare: set
// The node is looked up per label (an id-index seek each; `MATCH (n) WHERE n.id = $id` scans
// every node: 280 ms on medium FalkorDB). Its neighbours are walked one relationship type and
// direction at a time, binding the relationship only for the types that hold one edge per period
// (WITH, USED_DEVICE, SEEN_FROM, PAID_TO; FalkorDB returns one row per node pair for an unbound
// hop): on FalkorDB a bound relationship costs ~120 us per edge (an audience with 20.8k edges:
// 5.7 s before, 1.4 s now), an unbound typed hop a few us.
// The WITHs after the subqueries are needed: FalkorDB binds their variables only through one.
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
CALL {
  WITH n MATCH (n)-[r:COVERS]->(m) RETURN 'COVERS' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:COVERS]-(m) RETURN 'COVERS' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:REACHES]->(m) RETURN 'REACHES' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:REACHES]-(m) RETURN 'REACHES' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:IN_CATEGORY]->(m) RETURN 'IN_CATEGORY' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:IN_CATEGORY]-(m) RETURN 'IN_CATEGORY' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:CHILD_OF]->(m) RETURN 'CHILD_OF' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:CHILD_OF]-(m) RETURN 'CHILD_OF' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:LINKS_TO]->(m) RETURN 'LINKS_TO' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:LINKS_TO]-(m) RETURN 'LINKS_TO' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:HAS_ACCOUNT]->(m) RETURN 'HAS_ACCOUNT' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:HAS_ACCOUNT]-(m) RETURN 'HAS_ACCOUNT' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:ON_PLATFORM]->(m) RETURN 'ON_PLATFORM' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:ON_PLATFORM]-(m) RETURN 'ON_PLATFORM' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:PUBLISHED]->(m) RETURN 'PUBLISHED' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:PUBLISHED]-(m) RETURN 'PUBLISHED' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:RAN]->(m) RETURN 'RAN' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:RAN]-(m) RETURN 'RAN' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:WITH]->(m) RETURN 'WITH' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:WITH]-(m) RETURN 'WITH' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:UNDER]->(m) RETURN 'UNDER' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:UNDER]-(m) RETURN 'UNDER' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:SIGNED]->(m) RETURN 'SIGNED' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:SIGNED]-(m) RETURN 'SIGNED' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:PROMOTES]->(m) RETURN 'PROMOTES' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:PROMOTES]-(m) RETURN 'PROMOTES' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:MENTIONS]->(m) RETURN 'MENTIONS' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:MENTIONS]-(m) RETURN 'MENTIONS' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:SELLS_VIA]->(m) RETURN 'SELLS_VIA' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:SELLS_VIA]-(m) RETURN 'SELLS_VIA' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:OF]->(m) RETURN 'OF' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:OF]-(m) RETURN 'OF' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:USED_DEVICE]->(m) RETURN 'USED_DEVICE' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:USED_DEVICE]-(m) RETURN 'USED_DEVICE' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:SEEN_FROM]->(m) RETURN 'SEEN_FROM' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:SEEN_FROM]-(m) RETURN 'SEEN_FROM' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:PAID_TO]->(m) RETURN 'PAID_TO' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:PAID_TO]-(m) RETURN 'PAID_TO' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:SAME_AS]->(m) RETURN 'SAME_AS' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:SAME_AS]-(m) RETURN 'SAME_AS' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:RECOMMENDED]->(m) RETURN 'RECOMMENDED' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:RECOMMENDED]-(m) RETURN 'RECOMMENDED' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:FEEDBACK]->(m) RETURN 'FEEDBACK' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:FEEDBACK]-(m) RETURN 'FEEDBACK' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:MEMBER_OF]->(m) RETURN 'MEMBER_OF' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:MEMBER_OF]-(m) RETURN 'MEMBER_OF' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:FLAGGED]->(m) RETURN 'FLAGGED' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:FLAGGED]-(m) RETURN 'FLAGGED' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:ABOUT]->(m) RETURN 'ABOUT' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:ABOUT]-(m) RETURN 'ABOUT' AS rel, false AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)-[r:PRODUCED]->(m) RETURN 'PRODUCED' AS rel, true AS outgoing, m, count(r) AS links
  UNION ALL
  WITH n MATCH (n)<-[r:PRODUCED]-(m) RETURN 'PRODUCED' AS rel, false AS outgoing, m, count(r) AS links
}
WITH rel, outgoing, m, links
WHERE size($labels) = 0 OR labels(m)[0] IN $labels
WITH rel, outgoing, labels(m)[0] AS label, m, links
WITH rel, outgoing, label, m, links, coalesce(m.audience_size, m.followers, 0) AS weight
ORDER BY links DESC, weight DESC, m.id
WITH rel, outgoing, label, count(m) AS total, sum(links) AS edges, collect(m)[0..$k] AS top_nodes,
     collect(links)[0..$k] AS top_links, collect(weight)[0..$k] AS top_weights
RETURN rel, outgoing, label, total, edges,
       [i IN range(0, size(top_nodes) - 1) | {id: top_nodes[i].id,
         name: coalesce(top_nodes[i].name, top_nodes[i].title, top_nodes[i].handle, top_nodes[i].id),
         weight: top_weights[i], links: top_links[i]}] AS top
ORDER BY total DESC, rel, label, outgoing
