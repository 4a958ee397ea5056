// purpose: Semantic search: the topics the found partners cover, shown as reasons (one branch per partner label, so each uses its id index).
// params: ids:list
// compare: set
MATCH (p:Publisher)-[c:COVERS]->(t:Topic)
WHERE p.id IN $ids
RETURN p.id AS id, t.id AS topic, t.name AS name, t.path AS path, c.score AS score
UNION ALL
MATCH (p:Influencer)-[c:COVERS]->(t:Topic)
WHERE p.id IN $ids
RETURN p.id AS id, t.id AS topic, t.name AS name, t.path AS path, c.score AS score
