// purpose: A partner's or brand's identity: labels and properties, with provenance and CRM link.
// params: id:string
// compare: exact
CALL {
  MATCH (p:Publisher {id: $id}) RETURN p
  UNION
  MATCH (p:Influencer {id: $id}) RETURN p
  UNION
  MATCH (p:Brand {id: $id}) RETURN p
}
RETURN p.id AS id, labels(p) AS labels, p.name AS name, p.domain AS domain, p.url AS url,
       p.handle AS handle, p.description AS description, p.country AS country,
       p.language AS language, p.audience_size AS audience_size, p.partner_type AS partner_type,
       p.crm_id AS crm_id, p.crm_url AS crm_url, p.brand_safety_flag AS brand_safety_flag,
       p.source AS source, p.first_seen AS first_seen, p.last_seen AS last_seen, p.run_id AS run_id
