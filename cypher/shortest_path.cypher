// purpose: A shortest path between two nodes, in either direction, up to 6 hops.
// params: a:string, b:string
// compare: exact
// compare-columns: hops
MATCH (x) WHERE x.id = $a
MATCH (y) WHERE y.id = $b
MATCH p = shortestPath((x)-[*..6]-(y))
RETURN [n IN nodes(p) | n.id] AS ids, length(p) AS hops
