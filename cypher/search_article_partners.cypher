// purpose: Semantic search: the partners that published the matched articles, with the fields search filters on.
// params: ids:list
// compare: set
MATCH (p)-[:PUBLISHED]->(a:Article)
WHERE a.id IN $ids AND (p:Publisher OR p:Influencer)
RETURN a.id AS article, a.title AS title, p.id AS id, p.name AS name,
       CASE WHEN p:Influencer THEN 'Influencer' ELSE 'Publisher' END AS type,
       p.country AS country, p.language AS language, p.audience_size AS audience_size,
       p.brand_safety_flag AS brand_safety_flag
