"""Pure helpers of the jobs page: what to run for each job, its result as plain numbers, and the
status line a user reads (running for how long, done with which counts, or what went wrong).

The job functions call the stages' own entry points (``gnn.discover.run_discovery``,
``gnn.fraud.stage.run_fraud``) on the app's one store; nothing here touches Dash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graph.settings import Settings
from graph.store.base import GraphStore

KINDS = ("discovery", "fraud")
TITLES = {"discovery": "Partner discovery", "fraud": "Fraud rings"}
RUN_NAMES = {"discovery": "discovery run", "fraud": "fraud run"}
#: Which action (``app.access.ACTION_ROLES``) starts which job.
ACTIONS = {"discovery": "discover", "fraud": "fraud"}
#: Progress lines shown under a running or finished job.
SHOWN_LINES = 20


def discovery_job(store: GraphStore, settings: Settings) -> Callable[[], dict[str, Any]]:
    """The discovery run (the weekly job, once), returning :func:`discovery_result`."""

    def run() -> dict[str, Any]:
        from gnn.discover import DiscoverOptions, run_discovery

        return discovery_result(run_discovery(store, settings, DiscoverOptions(), progress=False))

    return run


def discovery_result(report: Any) -> dict[str, Any]:
    """The figures of a ``DiscoveryReport`` a user wants to see, JSON-safe."""
    return {
        "run_id": str(report.run_id),
        "status": str(report.status),
        "summary": report.summary(),
        "counts": {
            "brands scored": int(report.brands_scored),
            "RECOMMENDED edges written": int(report.edges_written),
            "edges carried over": int(report.edges_carried),
            "superseded edges deleted": int(report.superseded_deleted),
        },
        "ranker": str(report.ranker),
        "model_version": str(report.model_version),
    }


def fraud_job(store: GraphStore, settings: Settings) -> Callable[[], dict[str, Any]]:
    """The fraud stage (rings, risk, alerts, the investigator cache), returning :func:`fraud_result`."""

    def run() -> dict[str, Any]:
        from gnn.fraud.stage import run_fraud

        run_, stats = run_fraud(store, settings)
        return fraud_result(run_, stats)

    return run


def fraud_result(run: Any, stats: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of a fraud run, JSON-safe (``stats`` is empty when nothing was written)."""
    if run.features.empty:
        return {"run_id": None, "summary": "no affiliates in the graph: nothing to score", "counts": {}}
    alerts = stats.get("alerts") or {}
    rings = stats.get("rings") or {}
    return {
        "run_id": stats.get("run_id"),
        "summary": run.summary(),
        "counts": {
            "affiliates scored": len(run.scores),
            "rings flagged": int(rings.get("flagged", len(run.flagged_rings))),
            "new alerts": int(alerts.get("new", 0)),
            "risk scores written": int(stats.get("risk_written", 0)),
        },
    }


def duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    return f"{minutes} min {sec:02d} s"


def status_line(kind: str, job: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(text, css class)`` of the status line of ``kind``'s card."""
    if not job:
        return f"No {RUN_NAMES.get(kind, kind)} started from the app yet.", "pg-status"
    took = duration(float(job.get("seconds") or 0))
    if job.get("status") == "running":
        return f"Running for {took} (started by {job.get('by')}); the page updates by itself.", "pg-status pg-status-warn"
    if job.get("status") == "done":
        result = job.get("result") or {}
        run_id = result.get("run_id")
        counts = "; ".join(f"{k} {v:,}" for k, v in (result.get("counts") or {}).items())
        head = f"Done in {took}: run {run_id}" if run_id else f"Done in {took}"
        return head + (f" — {counts}." if counts else f" — {result.get('summary', '')}."), "pg-status pg-status-ok"
    if job.get("status") == "interrupted":
        return (f"Interrupted (the app stopped): {job.get('id')}, started by {job.get('by')} at "
                f"{job.get('started_at')}, did not finish. Start it again.", "pg-status pg-status-error")
    return f"Failed after {took}: {failure_text(job)}", "pg-status pg-status-error"


def failure_text(job: Mapping[str, Any]) -> str:
    """What went wrong, in plain words: the product's own errors as they are (they say what to
    fix), anything else as a pointer to the server log."""
    error = str(job.get("error") or "unknown error")
    if not job.get("expected"):
        return f"something went wrong on the server ({error}); the details are in the server log."
    return error if error.endswith(".") else error + "."


def progress_lines(job: Mapping[str, Any] | None, n: int = SHOWN_LINES) -> list[str]:
    """The newest progress lines of a job (what the stage logged), oldest first."""
    if not job:
        return []
    lines = [str(x) for x in job.get("lines") or []]
    return lines[-n:]


#: Words for a recorded job's status in the past-runs table.
STATUS_WORDS = {"running": "running", "done": "done", "failed": "failed",
                "interrupted": "interrupted (the app stopped)"}


def history_rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Rows of the past-runs table: kind, job, who, when, status, how long, outcome."""
    rows = []
    for job in records:
        status = str(job.get("status") or "")
        result = job.get("result") or {}
        if status == "done":
            outcome = str(result.get("run_id") or result.get("summary") or "")
        elif status == "failed":
            outcome = failure_text(job)
        else:
            outcome = ""
        rows.append({
            "kind": RUN_NAMES.get(str(job.get("kind")), str(job.get("kind"))),
            "job": str(job.get("id") or ""),
            "by": str(job.get("by") or ""),
            "started": str(job.get("started_at") or ""),
            "status": STATUS_WORDS.get(status, status),
            "took": duration(float(job.get("seconds") or 0)) if status in ("done", "failed") else "",
            "outcome": outcome,
        })
    return rows
