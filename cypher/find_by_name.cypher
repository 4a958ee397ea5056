// purpose: Partners and brands whose name contains a text, case-insensitively.
// params: text:string, limit:int
// compare: set
// One label scan per branch: a scan of every node (738k on medium, most of them devices)
// took 1.4 s on FalkorDB.
CALL {
  MATCH (n:Publisher)
  WHERE toLower(n.name) CONTAINS toLower($text)
  RETURN n.id AS id, labels(n)[0] AS label, n.name AS name
  UNION
  MATCH (n:Influencer)
  WHERE toLower(n.name) CONTAINS toLower($text)
  RETURN n.id AS id, labels(n)[0] AS label, n.name AS name
  UNION
  MATCH (n:Brand)
  WHERE toLower(n.name) CONTAINS toLower($text)
  RETURN n.id AS id, labels(n)[0] AS label, n.name AS name
}
RETURN id, label, name
ORDER BY name, id
LIMIT $limit
