// purpose: Direct children of a taxonomy node (Topic, Audience or ProductCategory).
// params: id:string
// compare: set
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (p:Topic {id: $id}) RETURN p
  UNION
  MATCH (p:Audience {id: $id}) RETURN p
  UNION
  MATCH (p:ProductCategory {id: $id}) RETURN p
}
WITH p
MATCH (c)-[:CHILD_OF]->(p)
RETURN c.id AS id, c.name AS name, c.tier AS tier
ORDER BY id
