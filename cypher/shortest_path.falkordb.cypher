// FalkorDB variant: shortestPath is only allowed on directed paths in WITH/RETURN, so use algo.SPpaths.
MATCH (x) WHERE x.id = $a
MATCH (y) WHERE y.id = $b
CALL algo.SPpaths({sourceNode: x, targetNode: y, relDirection: 'both', maxLen: 6, pathCount: 1})
YIELD path
RETURN [n IN nodes(path) | n.id] AS ids, length(path) AS hops
