// purpose: how many nodes carry an embedding vector (the overview's "embed" stage)
// params: none
// compare: exact
MATCH (n)
WHERE n.embedding IS NOT NULL
RETURN count(n) AS embedded_nodes
