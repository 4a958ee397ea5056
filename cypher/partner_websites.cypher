// purpose: Registrable domains of known partners' websites, to crawl and keep current.
// params: limit:int
// compare: set
MATCH (p)
WHERE (p:Publisher OR p:Influencer) AND p.domain IS NOT NULL AND p.domain <> ''
RETURN DISTINCT p.domain AS domain
ORDER BY domain
LIMIT $limit
