"""The life of a ``(:DiscoveryRun)`` and its ``RECOMMENDED`` edges, and the readers the app uses.

A run is written in this order, so an interrupted job never leaves half a run visible:
1. the run node with ``status: running``;
2. its ``RECOMMENDED`` edges, each carrying the run's id (readers do not see them yet: they
   filter by the latest *complete* run's id);
3. ``status: complete`` with metrics, drift and changes, in one write;
4. only then the superseded runs' edges are deleted (in batches).
A failure marks the run ``failed`` and deletes its own edges (best effort: leftovers carry a
run id no reader asks for, and the next complete run deletes them).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from gnn import discover_queries as Q
from graph.store.base import GraphStore, Row
from graph.writers import GraphWriter, Provenance, now_iso

log = logging.getLogger(__name__)

SOURCE = "partnergraph://discover"
RUNNING, COMPLETE, FAILED = "running", "complete", "failed"
CHANGES_VERSION = 1


def clean_json(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any) -> str:
    return json.dumps(clean_json(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def start_run(store: GraphStore, run_id: str, started_at: str) -> None:
    writer = GraphWriter(store, Provenance(SOURCE, run_id))
    writer.nodes("DiscoveryRun", [{"id": run_id, "status": RUNNING, "started_at": started_at}])


def set_run(store: GraphStore, run_id: str, **props: Any) -> None:
    props = {k: (dumps(v) if isinstance(v, dict | list) else v) for k, v in props.items() if v is not None}
    props["last_seen"] = now_iso()
    store.write(Q.SET_RUN, {"id": run_id, "props": props})


def complete_run(store: GraphStore, run_id: str, *, model_version: str, metrics: Mapping[str, Any],
                 drift: Mapping[str, Any], changes: Mapping[str, Any]) -> str:
    finished = now_iso()
    previous = latest_complete_run(store)
    while previous is not None and finished <= str(previous.get("finished_at") or ""):
        # Readers order complete runs by finished_at (ISO seconds): never tie with the previous
        # one, or a reader could pick the run whose edges are about to be deleted.
        time.sleep(0.05)
        finished = now_iso()
    set_run(store, run_id, status=COMPLETE, finished_at=finished, model_version=model_version,
            metrics=dict(metrics), drift=dict(drift), changes=dict(changes))
    return finished


def fail_run(store: GraphStore, run_id: str, error: str) -> None:
    """Mark a run failed and drop its edges; never raises (it runs while handling an error)."""
    try:
        set_run(store, run_id, status=FAILED, finished_at=now_iso(), metrics={"error": error[:2000]})
        n = Q.delete_in_batches(store, Q.DELETE_RUN_EDGES, {"run_id": run_id})
        log.info("run %s marked failed; %s of its RECOMMENDED edges deleted", run_id, f"{n:,}")
    except Exception as exc:  # noqa: BLE001 - the original error matters more
        log.warning("could not mark run %s failed: %s", run_id, exc)


def runs(store: GraphStore, status: str | None = None) -> list[Row]:
    if status is None:
        return Q.read_all(store, Q.RUNS)
    return Q.read_all(store, Q.RUNS_WITH_STATUS, {"status": status})


def latest_complete_run(store: GraphStore) -> dict[str, Any] | None:
    """The run readers use: the latest ``complete`` one by ``finished_at``, JSON fields decoded."""
    rows = store.read(Q.LATEST_COMPLETE, {"status": COMPLETE}).rows
    if not rows:
        return None
    out = dict(rows[0])
    for key in ("metrics", "drift", "changes"):
        if isinstance(out.get(key), str):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                out[key] = None
    return out


def run_pairs(store: GraphStore, run_id: str) -> pd.DataFrame:
    rows = Q.read_all(store, Q.RUN_PAIRS, {"run_id": run_id})
    cols = ["brand", "partner", "rank", "score", "predicted_roi"]
    return pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)


def recommendations(store: GraphStore, brand_id: str, *, k: int = 50, run_id: str | None = None
                    ) -> list[dict[str, Any]]:
    """A brand's recommendations from the latest complete run (or ``run_id``), best first, with
    ``reasons`` and ``evidence`` decoded. Empty when no run is complete."""
    if run_id is None:
        run = latest_complete_run(store)
        if run is None:
            return []
        run_id = str(run["id"])
    out = []
    for row in store.read(Q.BRAND_RECOMMENDATIONS, {"brand": brand_id, "run_id": run_id, "k": int(k)}).rows:
        item = dict(row)
        for key in ("reasons", "evidence"):
            try:
                item[key] = json.loads(item[key]) if isinstance(item.get(key), str) else item.get(key)
            except ValueError:
                item[key] = None
        out.append(item)
    return out


def write_recommendations(store: GraphStore, run_id: str, rows: Iterable[Mapping[str, Any]],
                          label_of: Mapping[str, str], *, batch_size: int | None = None) -> int:
    """``RECOMMENDED`` edges keyed by ``run_id`` (a new run never overwrites the visible one).
    ``rows``: brand, partner, score, rank, predicted_roi, reasons (JSON), evidence (JSON)."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_label[label_of[str(r["partner"])]].append({
            "src": r["brand"], "dst": r["partner"], "score": float(r["score"]), "rank": int(r["rank"]),
            "predicted_roi": r.get("predicted_roi"), "reasons": r["reasons"], "evidence": r["evidence"],
        })
    writer = GraphWriter(store, Provenance(SOURCE, run_id), batch_size=batch_size)
    n = 0
    for label, batch in sorted(by_label.items()):
        n += writer.relationships("RECOMMENDED", batch, src_label="Brand", dst_label=label, key=("run_id",))
    return n


def carried_rows(store: GraphStore, run_id: str, keep_brands: set[str]) -> list[dict[str, Any]]:
    """The edges of ``run_id`` for brands a partial run does not rescore (to carry them over)."""
    rows = Q.read_all(store, Q.RUN_EDGES_FULL, {"run_id": run_id})
    return [r for r in rows if str(r["brand"]) not in keep_brands]


def delete_superseded(store: GraphStore, keep: str) -> int:
    return Q.delete_in_batches(store, Q.DELETE_OTHER_RUNS_EDGES, {"keep": keep})


def model_node_id(version: str) -> str:
    """The ``(:Model)`` id of a model version (as ``gnn.train`` records it)."""
    return f"model:{version}"


def record_model(store: GraphStore, run_id: str, meta: Any, path: Any) -> None:
    """``(run)-[:PRODUCED]->(:Model)`` for a model this run trained. Training records the model
    node with its metrics; this upsert only fills the identity fields when it did not."""
    writer = GraphWriter(store, Provenance(SOURCE, run_id))
    node = model_node_id(str(meta.version))
    writer.nodes("Model", [{
        "id": node, "kind": str(meta.kind), "version": str(meta.version),
        "path": str(path) if path is not None else None, "schema_version": int(meta.schema_version),
        "trained_at": str(meta.trained_at),
    }])
    writer.relationships("PRODUCED", [{"src": run_id, "dst": node}], src_label="DiscoveryRun", dst_label="Model")


def changes(previous: Mapping[str, Sequence[str]] | None, current: Mapping[str, Sequence[str]],
            since: str | None) -> dict[str, Any]:
    """What is new and what dropped out of each brand's list since the last complete run.
    Only brands scored now are compared; a first run records ``first_run: true``."""
    if previous is None:
        return {"v": CHANGES_VERSION, "since": None, "first_run": True, "brands": {}}
    brands: dict[str, dict[str, list[str]]] = {}
    for b, now in current.items():
        before = list(previous.get(b, []))
        new = [p for p in now if p not in set(before)]
        dropped = [p for p in before if p not in set(now)]
        if new or dropped:
            brands[b] = {"new": new, "dropped": dropped}
    return {"v": CHANGES_VERSION, "since": since, "brands": brands}


def lists_of(pairs: pd.DataFrame) -> dict[str, list[str]]:
    """Brand -> partner ids in rank order, from :func:`run_pairs`."""
    if pairs.empty:
        return {}
    ordered = pairs.sort_values(["brand", "rank"], kind="stable")
    return {str(b): [str(p) for p in g["partner"]] for b, g in ordered.groupby("brand", sort=False)}
