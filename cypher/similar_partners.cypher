// purpose: Partners sharing the most topics with a partner (covers the same topics), most shared first.
// params: id:string, k:int
// compare: exact
MATCH (p)-[:COVERS]->(t:Topic)
WHERE p.id = $id
WITH DISTINCT t
MATCH (t)<-[:COVERS]-(o)
WHERE o.id <> $id AND (o:Publisher OR o:Influencer)
WITH o, count(t) AS shared
RETURN o.id AS id, labels(o)[0] AS label, o.name AS name, shared
ORDER BY shared DESC, id
LIMIT $k
