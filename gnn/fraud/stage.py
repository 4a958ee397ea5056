"""The fraud stage: analyse, then write rings, risk and alerts, and refresh the investigator
cache (``$PARTNERGRAPH_HOME/fraud/cache``) that ``trace`` and ``ring`` read.

``run_fraud_stage(store, settings) -> str`` is the demo's runner (one line of counts).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from gnn.fraud import alerts as A
from gnn.fraud import queries as Q
from gnn.fraud import rings as R
from gnn.fraud.detect import MODEL_VERSION, FraudConfig, FraudRun, Timer, analyse, risk_evidence_all
from gnn.fraud.progress import bar
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import Provenance, new_run_id, now_iso

log = logging.getLogger(__name__)

CACHE_FILES = ("uses", "pairs", "evidence", "features", "scores", "z", "trace_pairs", "trace_evidence")


def cache_dir(settings: Settings) -> Path:
    return settings.home / "fraud" / "cache"


def save_cache(settings: Settings, run: FraudRun, run_id: str) -> Path:
    """The identifier graph and scores of the latest run, as Parquet (read by trace and ring)."""
    d = cache_dir(settings)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / ".tmp"
    tmp.mkdir(exist_ok=True)
    from gnn.fraud.trace import prepare

    tp, te = prepare(run.links.pairs, run.links.evidence, run.uses)
    frames = {"uses": run.uses, "pairs": run.links.pairs, "evidence": run.links.evidence,
              "features": run.features, "scores": run.scores.reset_index(names="id"),
              "z": run.z.reset_index(names="id"), "trace_pairs": tp, "trace_evidence": te}
    for name, df in frames.items():
        df.to_parquet(tmp / f"{name}.parquet", index=False)
    for name in frames:
        (tmp / f"{name}.parquet").replace(d / f"{name}.parquet")
    (d / "meta.json").write_text(json.dumps({"run_id": run_id, "created_at": now_iso(),
                                             "model_version": MODEL_VERSION}, indent=1))
    tmp.rmdir()
    return d


def write_risk(store: GraphStore, run: FraudRun, evidence: dict[str, dict[str, Any]], run_id: str,
               batch: int = 2000, progress: bool = False) -> int:
    rows = [{"id": aff, "risk": round(float(r), 4), "evidence": json.dumps(evidence.get(aff, {}), sort_keys=True)}
            for aff, r in run.scores["risk"].items()]
    n = 0
    for i in bar(range(0, len(rows), batch), progress=progress, desc="risk", unit="batch"):
        res = store.write(Q.SET_RISK, {"rows": rows[i:i + batch], "run_id": run_id}).rows
        n += int(res[0]["n"]) if res else 0
    return n


def run_fraud(store: GraphStore, settings: Settings, cfg: FraudConfig | None = None, *,
              networks: list[str] | None = None, label_file: Path | None = None,
              write: bool = True, progress: bool = False) -> tuple[FraudRun, dict[str, Any]]:
    """Analyse and (unless ``write`` is False) write rings, risk, alerts and the cache."""
    cfg = cfg or FraudConfig()
    previous = [p for p in Q.read_all(store, Q.RINGS) if p.get("status") != "retired"]
    existing = Q.read_all(store, Q.ALERTS)
    run = analyse(store, settings, cfg, networks=networks, label_file=label_file, progress=progress)
    stats: dict[str, Any] = {}
    if not write or run.features.empty:
        return run, stats
    timer = Timer()
    run_id = new_run_id("fraud")
    prov = Provenance(f"model://{MODEL_VERSION}", run_id)
    now = now_iso()
    with timer.phase("write"):
        R.stable_ids(run.rings, previous)
        evidence = R.ring_evidence(run.rings, run.links.evidence)
        stats["rings"] = R.write_rings(store, run.rings, evidence, prov, now)
        ring_of = {m: r.id for r in run.rings if r.flagged for m in r.members}
        prev_risk = pd.Series({a: r for a, r in zip(run.affiliates["id"], run.affiliates["risk"], strict=True)
                               if r is not None and not pd.isna(r)}, dtype=float)
        revs = risk_evidence_all(run, ring_of)
        planned = A.plan(run.rings, evidence, previous, run.z, run.scores["risk"], prev_risk, existing,
                         now[:10], cfg.risk_threshold, cfg.risk_jump, revs)
        stats["alerts"] = A.write(store, planned, existing, prov, now)
        stats["risk_written"] = write_risk(store, run, revs, run_id, progress=progress)
    with timer.phase("cache"):
        save_cache(settings, run, run_id)
    run.timings.update(timer.times)
    stats["run_id"] = run_id
    log.info("fraud: wrote %d rings (%d flagged), %d alerts (%d new), risk of %d affiliates; cache refreshed",
             stats["rings"].get("rings", 0), stats["rings"].get("flagged", 0), stats["alerts"].get("alerts", 0),
             stats["alerts"].get("new", 0), stats["risk_written"])
    return run, stats


def run_fraud_stage(store: GraphStore, settings: Settings) -> str:
    """The demo's fraud stage: one line of what it found and wrote."""
    run, stats = run_fraud(store, settings)
    if run.features.empty:
        return "no affiliates in the graph: nothing to score"
    al = stats.get("alerts", {})
    return (run.summary() + f"; alerts {al.get('alerts', 0)} ({al.get('new', 0)} new); "
            f"{sum(run.timings.values()):.1f}s")
