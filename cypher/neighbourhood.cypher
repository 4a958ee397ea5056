// purpose: Direct neighbours of any node, by id, with the relationship that links them.
// params: id:string, limit:int
// compare: set
MATCH (n) WHERE n.id = $id
MATCH (n)-[r]-(m)
RETURN m.id AS id, labels(m)[0] AS label, coalesce(m.name, m.title, m.id) AS name,
       type(r) AS rel, startNode(r) = n AS outgoing
ORDER BY rel, id
LIMIT $limit
