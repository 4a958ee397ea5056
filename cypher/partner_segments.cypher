// purpose: Topics a partner covers and audiences it reaches, best score first.
// params: id:string
// compare: set
MATCH (p)-[r:COVERS|REACHES]->(t)
WHERE p.id = $id
RETURN type(r) AS rel, t.id AS id, t.name AS name, t.path AS path, r.score AS score
ORDER BY rel, score DESC, id
