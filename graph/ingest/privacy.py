"""GDPR erasure and retention.

- ``forget_partner``: deletes the partner's record nodes (the record, records merged into it via
  ``SAME_AS``, its social accounts, its relationships), its event rows when it is an affiliate,
  the identifier nodes it shared with one other affiliate only (they link nobody now, and would
  keep a trace of it), its review items and its ledger rows (so the next import of an unchanged
  file writes it again only if it is still in the source: remove it from the CRM too).
- ``forget_identifier``: computes the value's pseudonyms (it is never stored raw), deletes the
  identifier nodes, rewrites the event partitions without its rows and recomputes the aggregates
  of the periods it touched.
- ``apply_retention``: deletes day partitions older than N days; graph aggregates stay.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from graph.errors import InputError
from graph.ingest import queries as Q
from graph.ingest.events import EventStore, aggregate
from graph.ingest.pseudonym import Pseudonymizer
from graph.ingest.state import State
from graph.schema import IDENTIFIERS, PARTNERS
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance, new_run_id


def forget_partner(store: GraphStore, settings: Settings, partner: str) -> list[str]:
    found: dict[str, str] = {}
    for label in PARTNERS:
        for r in Q.read_all(store, Q.PARTNER_RECORDS, label=label):
            if partner in (r["id"], r.get("crm_id"), r.get("network_id")):
                found[r["id"]] = label
    if not found:
        raise InputError(f"no partner with id or CRM id {partner!r}")
    same: dict[str, list[str]] = {}
    for label in PARTNERS:
        for e in Q.read_all(store, Q.SAME_AS_EDGES, label=label):
            same.setdefault(e["dst"], []).append(e["src"])
    todo = list(found)
    while todo:  # records merged into a forgotten record are the same partner
        for src in same.get(todo.pop(), []):
            if src not in found:
                found[src] = ""
                todo.append(src)
    ids = sorted(found)
    affiliates = [(i.split(":")[1], i.split(":", 2)[2]) for i in ids if i.startswith("affiliate:")]
    shared = {label: [r["id"] for r in Q.read_all(store, Q.IDENTIFIERS_OF, {"ids": ids}, label=label)]
              for label in IDENTIFIERS}
    for label in PARTNERS:
        Q.write(store, Q.DELETE_ACCOUNTS_OF, {"ids": ids}, label=label)
        Q.write(store, Q.DELETE_NODES, {"ids": ids}, label=label)
    unshared = sum(int(Q.write(store, Q.DELETE_UNSHARED, {"ids": v}, label=label)[0]["deleted"])
                   for label, v in shared.items() if v)
    removed = 0
    if affiliates:
        events = EventStore(settings.home / "events")
        removed, _ = events.remove_rows({"affiliate": {a for _, a in affiliates}})
    state = State(settings.home)
    try:
        reviews = sum(state.drop_review(i) for i in ids)
    finally:
        state.close()
    return [f"forgot partner {partner}: {len(ids)} record node(s) with their accounts and relationships, "
            f"{removed:,} event rows, {unshared} identifier node(s) no longer shared, {reviews} review item(s)"]


def forget_identifier(store: GraphStore, settings: Settings, value: str) -> list[str]:
    if not value.strip():
        raise InputError("the identifier is empty")
    pseudo = Pseudonymizer(settings.dev_pseudonym_key())
    tokens = pseudo.candidates(value)
    for label in IDENTIFIERS:
        Q.write(store, Q.DELETE_NODES, {"ids": sorted(tokens.values())}, label=label)
    events = EventStore(settings.home / "events")
    cols = {c: set(tokens.values()) for c in ("click", "ip", "device", "customer", "payment")}
    removed, touched = events.remove_rows(cols)
    writer = GraphWriter(store, Provenance("privacy://forget", new_run_id("forget")))
    networks: dict[str, set[str]] = {}
    for net, period in touched:
        networks.setdefault(net, set()).add(period)
    for net, periods in networks.items():
        aggregate(store, writer, events, net, periods)
    return [f"forgot an identifier: {removed:,} event rows removed, aggregates recomputed for "
            f"{sum(len(p) for p in networks.values())} period(s)"]


def apply_retention(settings: Settings, days: int, *, today: str | None = None) -> list[str]:
    ref = date.fromisoformat(today) if today else datetime.now(UTC).date()
    cutoff = (ref - timedelta(days=days)).isoformat()
    dropped = EventStore(settings.home / "events").drop_before(cutoff)
    return [f"dropped {len(dropped)} event partition(s) before {cutoff}; graph aggregates kept"]
