"""Copy a whole graph from one store to another (embedded -> Neo4j, or back)."""

from __future__ import annotations

import logging

from graph.bulk import write_frames
from graph.errors import PartnerGraphError
from graph.store.base import GraphStore

log = logging.getLogger(__name__)


class MigrationMismatch(PartnerGraphError):
    """After a copy, the target's counts differ from the source's."""


def migrate(source: GraphStore, target: GraphStore, *, progress: bool = True) -> dict[str, int]:
    """Export everything from ``source``, apply the schema on ``target`` and upsert it all.

    Parallel edges are copied as they are into an empty target. Idempotent: running it twice
    leaves the same graph. Returns the target's counts, which are
    checked against the source's.
    """
    export = source.export()
    log.info("exported %s nodes and %s relationships from %s",
             f"{sum(len(v) for v in export.nodes.values()):,}",
             f"{sum(len(v) for v in export.edges.values()):,}", source.backend)
    target.apply_schema()
    write_frames(target, export, progress=progress, exact=True)
    before, after = source.counts(), target.counts()
    diff = {k: (v, after.get(k, 0)) for k, v in before.items() if after.get(k, 0) < v}
    if diff:
        raise MigrationMismatch(f"target has fewer items than source: {diff}")
    return after
