"""Batched writers that stamp provenance in one shape on every fact.

``source`` is a URI (``file:///x/export.csv#row=12``, ``https://site/page``,
``generator://seed-7``); ``first_seen`` is kept from the first write, ``last_seen`` and
``run_id`` follow the latest one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph.store.base import GraphStore

Row = dict[str, Any]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(kind: str) -> str:
    return f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


@dataclass
class Provenance:
    """Where a batch of facts comes from and which run wrote it."""

    source: str
    run_id: str
    seen: str = field(default_factory=now_iso)

    def stamp(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[Row]:
        """Rows with provenance; a row's own ``source`` (e.g. ``#row=N``) wins."""
        for r in rows:
            out = dict(r)
            out.setdefault("source", self.source)
            out["first_seen"] = self.seen
            out["last_seen"] = self.seen
            out["run_id"] = self.run_id
            yield out


class GraphWriter:
    """Writes typed rows through one store, with provenance, and counts what it wrote."""

    def __init__(self, store: GraphStore, prov: Provenance, *, batch_size: int | None = None) -> None:
        self.store = store
        self.prov = prov
        self.batch_size = batch_size
        self.written: dict[str, int] = {}

    def nodes(self, label: str, rows: Iterable[Mapping[str, Any]], *,
              extra_labels: Sequence[str] = ()) -> int:
        n = self.store.upsert_nodes(label, self.prov.stamp(rows), extra_labels=extra_labels,
                                    batch_size=self.batch_size)
        self.written[f":{label}"] = self.written.get(f":{label}", 0) + n
        return n

    def relationships(self, rel_type: str, rows: Iterable[Mapping[str, Any]], *, src_label: str,
                      dst_label: str, key: Sequence[str] = ()) -> int:
        n = self.store.upsert_relationships(rel_type, self.prov.stamp(rows), src_label=src_label,
                                            dst_label=dst_label, key=key, batch_size=self.batch_size)
        self.written[f"[:{rel_type}]"] = self.written.get(f"[:{rel_type}]", 0) + n
        return n
