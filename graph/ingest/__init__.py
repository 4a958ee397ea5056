"""Importers for the files partnership teams actually have.

CRM and affiliate-network exports (CSV, xlsx, JSON, JSON Lines) are read in chunks
(:mod:`readers`), mapped by a YAML mapping (:mod:`mapping`, presets in ``presets/``), validated
column by column (:mod:`validate`), written through :class:`graph.writers.GraphWriter` with
``file://…#row=N`` provenance (:mod:`pipeline`), and every rejected row lands in a quarantine
file (:mod:`quarantine`). Click and conversion events go to a day-partitioned Parquet store
(:mod:`events`); the graph receives aggregates. Partner records are resolved against each other
(:mod:`resolve`); end-user identifiers are pseudonymised on read (:mod:`pseudonym`); GDPR
erasure and retention live in :mod:`privacy`. CLI: :mod:`commands`.
"""
