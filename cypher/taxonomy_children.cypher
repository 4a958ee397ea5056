// purpose: Direct children of a taxonomy node (Topic, Audience or ProductCategory).
// params: id:string
// compare: set
MATCH (c)-[:CHILD_OF]->(p {id: $id})
RETURN c.id AS id, c.name AS name, c.tier AS tier
ORDER BY id
