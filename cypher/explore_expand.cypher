// purpose: A node's neighbours grouped by relationship, direction and label: group size and its top-k members (the explore view's expand).
// params: id:string, labels:list, k:int
// compare: set
MATCH (n) WHERE n.id = $id
MATCH (n)-[r]-(m)
WHERE size($labels) = 0 OR labels(m)[0] IN $labels
WITH type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS label, m, count(r) AS links
WITH rel, outgoing, label, m, links, coalesce(m.audience_size, m.followers, 0) AS weight
ORDER BY links DESC, weight DESC, m.id
WITH rel, outgoing, label, count(m) AS total, sum(links) AS edges,
     collect({id: m.id, name: coalesce(m.name, m.title, m.handle, m.id), weight: weight, links: links}) AS members
RETURN rel, outgoing, label, total, edges, members[0..$k] AS top
ORDER BY total DESC, rel, label, outgoing
