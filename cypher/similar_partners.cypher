// purpose: Partners sharing the most topics with a partner (covers the same topics), most shared first.
// params: id:string, k:int
// compare: exact
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (p:Publisher {id: $id}) RETURN p
  UNION
  MATCH (p:Influencer {id: $id}) RETURN p
}
WITH p
MATCH (p)-[:COVERS]->(t:Topic)
WITH DISTINCT t
MATCH (t)<-[:COVERS]-(o)
WHERE o.id <> $id AND (o:Publisher OR o:Influencer)
WITH o, count(t) AS shared
RETURN o.id AS id, labels(o)[0] AS label, o.name AS name, shared
ORDER BY shared DESC, id
LIMIT $k
