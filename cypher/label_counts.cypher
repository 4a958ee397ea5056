// purpose: Number of nodes per label, largest first.
// params: none
// compare: set
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS nodes
ORDER BY nodes DESC, label
