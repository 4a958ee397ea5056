// purpose: Partners and brands whose name contains a text, case-insensitively.
// params: text:string, limit:int
// compare: set
MATCH (n)
WHERE (n:Publisher OR n:Influencer OR n:Brand) AND toLower(n.name) CONTAINS toLower($text)
RETURN n.id AS id, labels(n)[0] AS label, n.name AS name
ORDER BY name, id
LIMIT $limit
