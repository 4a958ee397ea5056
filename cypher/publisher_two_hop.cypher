// purpose: Entities within two hops of a publisher (the explore view's neighbourhood), capped.
// params: id:string, limit:int
// compare: set
// No ORDER BY: the expansion streams and stops at the cap, so a publisher next to a dense
// topic or IP network costs the cap, not the whole two-hop set (p95 1.5 s -> 21 ms on medium).
MATCH (p:Publisher {id: $id})-[*1..2]-(m)
WHERE m <> p
WITH DISTINCT m LIMIT $limit
RETURN m.id AS id, labels(m)[0] AS label
