// purpose: One node by id, for the explore view's starting point: its label, name and size.
// params: id:string
// compare: exact
MATCH (n) WHERE n.id = $id
RETURN n.id AS id, labels(n)[0] AS label, coalesce(n.name, n.title, n.handle, n.id) AS name,
       coalesce(n.audience_size, n.followers, 0) AS weight
