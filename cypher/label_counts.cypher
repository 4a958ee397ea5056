// purpose: Number of nodes per label, largest first.
// params: none
// compare: set
// Portable form: one count per schema label. Both backends run their own variant, which
// reads the counts the database keeps (db.meta.stats, apoc.meta.stats): a count per label
// inside a UNION is not served from those counts (medium: 0.15-2.6 s), a scan of every
// node takes 1 s.
CALL {
  MATCH (n:Publisher) RETURN 'Publisher' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Influencer) RETURN 'Influencer' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Affiliate) RETURN 'Affiliate' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Brand) RETURN 'Brand' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Contract) RETURN 'Contract' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Campaign) RETURN 'Campaign' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Article) RETURN 'Article' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Topic) RETURN 'Topic' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Audience) RETURN 'Audience' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:ProductCategory) RETURN 'ProductCategory' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Platform) RETURN 'Platform' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:SocialAccount) RETURN 'SocialAccount' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:AdSystem) RETURN 'AdSystem' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:SellerAccount) RETURN 'SellerAccount' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Device) RETURN 'Device' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:IPNetwork) RETURN 'IPNetwork' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:PaymentAccount) RETURN 'PaymentAccount' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Ring) RETURN 'Ring' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Alert) RETURN 'Alert' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Case) RETURN 'Case' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:DiscoveryRun) RETURN 'DiscoveryRun' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:ImportRun) RETURN 'ImportRun' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:CrawlRun) RETURN 'CrawlRun' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:Model) RETURN 'Model' AS label, count(n) AS nodes
  UNION ALL
  MATCH (n:SchemaInfo) RETURN 'SchemaInfo' AS label, count(n) AS nodes
}
WITH label, nodes
WHERE nodes > 0
RETURN label, nodes
ORDER BY nodes DESC, label
