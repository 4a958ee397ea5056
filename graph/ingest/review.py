"""The entity-resolution review queue: pairs in the middle band wait for a person."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from graph.errors import InputError
from graph.ingest.state import State
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance, new_run_id


def pending(settings: Settings, limit: int = 30) -> list[dict[str, Any]]:
    state = State(settings.home)
    try:
        items = state.pending(limit)
    finally:
        state.close()
    for it in items:
        ev = json.loads(it["evidence"] or "{}")
        it["why"] = ", ".join(f"{k}={v}" for k, v in ev.items() if k not in ("v", "nodes", "decision"))
    return items


def decide(store: GraphStore, settings: Settings, *, accept: Iterable[int] = (), reject: Iterable[int] = (),
           by: str = "cli") -> list[str]:
    state = State(settings.home)
    out = []
    try:
        writer = GraphWriter(store, Provenance(f"review://{by}", new_run_id("review")))
        for item, verdict in [(i, "accepted") for i in accept] + [(i, "rejected") for i in reject]:
            it = state.get(item)
            if it is None:
                raise InputError(f"no review item #{item}", hint="run partnergraph review to list them")
            if verdict == "accepted":
                ev = json.loads(it["evidence"] or "{}")
                ev.update(decision="accepted", by=by)
                writer.relationships("SAME_AS", [{"src": it["record"], "dst": it["target"], "score": it["score"],
                                                  "evidence": json.dumps(ev, sort_keys=True)}],
                                     src_label=it["label"], dst_label=it["target_label"])
            state.decide(item, verdict, by)
            out.append(f"#{item} {verdict}: {it['record']} ~ {it['target']}")
    finally:
        state.close()
    return out
