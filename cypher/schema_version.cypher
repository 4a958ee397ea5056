// purpose: The schema version recorded in the graph by apply_schema.
// params: none
// compare: exact
MATCH (s:SchemaInfo {id: 'schema'})
RETURN s.version AS version
