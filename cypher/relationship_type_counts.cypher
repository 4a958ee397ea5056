// purpose: Number of relationships per type, largest first.
// params: none
// compare: set
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS relationships
ORDER BY relationships DESC, type
