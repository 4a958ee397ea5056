// purpose: Entities within two hops of a publisher (the explore view's neighbourhood), capped.
// params: id:string, limit:int
// compare: set
MATCH (p:Publisher {id: $id})-[*1..2]-(m)
WHERE m <> p
RETURN DISTINCT m.id AS id, labels(m)[0] AS label
ORDER BY id
LIMIT $limit
