// FalkorDB variant: db.meta.stats() keeps the count of every label (3 ms on medium, where a
// count per label inside a UNION scans the label: 190-280 ms).
CALL db.meta.stats() YIELD labels
UNWIND keys(labels) AS label
WITH label, labels[label] AS nodes
WHERE nodes > 0
RETURN label, nodes
ORDER BY nodes DESC, label
