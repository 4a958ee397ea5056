// purpose: Number of relationships per type, largest first.
// params: none
// compare: set
// Portable form: one count per schema type. Both backends run their own variant, which
// reads the counts the database keeps (db.meta.stats, apoc.meta.stats): a count per type
// inside a UNION is not served from those counts (medium: 0.15-2.6 s), a scan of every
// relationship 4.3 s on Neo4j and past the 10 s timeout on FalkorDB.
CALL {
  MATCH ()-[r:COVERS]->() RETURN 'COVERS' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:REACHES]->() RETURN 'REACHES' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:IN_CATEGORY]->() RETURN 'IN_CATEGORY' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:CHILD_OF]->() RETURN 'CHILD_OF' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:LINKS_TO]->() RETURN 'LINKS_TO' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:HAS_ACCOUNT]->() RETURN 'HAS_ACCOUNT' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:ON_PLATFORM]->() RETURN 'ON_PLATFORM' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:PUBLISHED]->() RETURN 'PUBLISHED' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:RAN]->() RETURN 'RAN' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:WITH]->() RETURN 'WITH' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:UNDER]->() RETURN 'UNDER' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:SIGNED]->() RETURN 'SIGNED' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:PROMOTES]->() RETURN 'PROMOTES' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:MENTIONS]->() RETURN 'MENTIONS' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:SELLS_VIA]->() RETURN 'SELLS_VIA' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:OF]->() RETURN 'OF' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:USED_DEVICE]->() RETURN 'USED_DEVICE' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:SEEN_FROM]->() RETURN 'SEEN_FROM' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:PAID_TO]->() RETURN 'PAID_TO' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:SAME_AS]->() RETURN 'SAME_AS' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:RECOMMENDED]->() RETURN 'RECOMMENDED' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:FEEDBACK]->() RETURN 'FEEDBACK' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:MEMBER_OF]->() RETURN 'MEMBER_OF' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:FLAGGED]->() RETURN 'FLAGGED' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:ABOUT]->() RETURN 'ABOUT' AS type, count(r) AS relationships
  UNION ALL
  MATCH ()-[r:PRODUCED]->() RETURN 'PRODUCED' AS type, count(r) AS relationships
}
WITH type, relationships
WHERE relationships > 0
RETURN type, relationships
ORDER BY relationships DESC, type
