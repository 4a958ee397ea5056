// purpose: Partners covering a topic or any of its sub-topics, best score first.
// params: topic:string, k:int
// compare: topk
MATCH (t:Topic)-[:CHILD_OF*0..3]->(root:Topic {id: $topic})
MATCH (p)-[c:COVERS]->(t)
WHERE p:Publisher OR p:Influencer
RETURN p.id AS id, p.name AS name, max(c.score) AS score
ORDER BY score DESC, id
LIMIT $k
