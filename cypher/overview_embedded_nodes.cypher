// purpose: how many nodes carry an embedding vector (the overview's "embed" stage)
// params: none
// compare: exact
// Counted over the labels the schema gives a vector index (graph.schema: Publisher, Influencer,
// Brand, Article and the taxonomies), one label scan each, instead of a scan of every node (860 ms
// on medium FalkorDB, where most nodes are devices without a vector).
CALL {
  MATCH (n:Publisher) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
  UNION ALL
  MATCH (n:Influencer) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
  UNION ALL
  MATCH (n:Brand) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
  UNION ALL
  MATCH (n:Article) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
  UNION ALL
  MATCH (n:Topic) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
  UNION ALL
  MATCH (n:Audience) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
  UNION ALL
  MATCH (n:ProductCategory) WHERE n.embedding IS NOT NULL RETURN count(n) AS n
}
RETURN sum(n) AS embedded_nodes
