// purpose: Topics a partner (or brand) covers and audiences it reaches, best score first.
// params: id:string
// compare: set
// The WITH after the subquery is needed: FalkorDB binds its node only through one.
CALL {
  MATCH (p:Publisher {id: $id}) RETURN p
  UNION
  MATCH (p:Influencer {id: $id}) RETURN p
  UNION
  MATCH (p:Brand {id: $id}) RETURN p
}
WITH p
MATCH (p)-[r:COVERS|REACHES]->(t)
RETURN type(r) AS rel, t.id AS id, t.name AS name, t.path AS path, r.score AS score
ORDER BY rel, score DESC, id
