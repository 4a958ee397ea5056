// Neo4j variant: apoc.meta.stats() reads every label's count from the count store (60-150 ms on
// medium; a count per label inside a UNION does not use it there: 150-290 ms).
CALL apoc.meta.stats() YIELD labels
UNWIND keys(labels) AS label
WITH label, labels[label] AS nodes
WHERE nodes > 0
RETURN label, nodes
ORDER BY nodes DESC, label
