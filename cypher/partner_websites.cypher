// purpose: Registrable domains of known partners' websites, to crawl and keep current.
// params: limit:int
// compare: set
// One label scan per branch instead of a scan of every node (1.5 s on medium FalkorDB).
CALL {
  MATCH (p:Publisher)
  WHERE p.domain IS NOT NULL AND p.domain <> ''
  RETURN p.domain AS domain
  UNION
  MATCH (p:Influencer)
  WHERE p.domain IS NOT NULL AND p.domain <> ''
  RETURN p.domain AS domain
}
RETURN DISTINCT domain
ORDER BY domain
LIMIT $limit
