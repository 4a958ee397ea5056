"""Long work started from the app (a discovery run, a fraud run) in a background thread.

Dash's background callbacks need a cache manager (diskcache or Celery); this small runner avoids
the dependency: :meth:`JobRunner.start` runs a function in a daemon thread and returns at once,
the page polls :meth:`JobRunner.snapshot` with a ``dcc.Interval``, so the server keeps serving
every other request while the job runs. One job per kind runs at a time: a second start is
refused, naming the running one (discovery also holds its own lock under HOME, so a run started
from the command line is refused the same way).

While a job runs, the log records of its thread (``gnn.*``, ``graph.*``: what the stage says it is
doing, in numbers) are kept as its progress lines. The outcome is the function's result or the
error, in plain words (:mod:`app.jobs_view`).

With :class:`~app.job_records.JobRecords` the runner also keeps every job under HOME (start,
progress lines every few seconds, outcome), so /jobs lists past runs after a restart, and a job
that was running when the app stopped shows as interrupted.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.job_records import JobRecords
from graph.errors import PartnerGraphError

log = logging.getLogger(__name__)

EXTENSION = "partnergraph-jobs"
#: Progress lines kept per job (the newest).
MAX_LINES = 200
#: Progress lines are written to the job records at most this often (seconds).
SAVE_EVERY = 2.0


class JobRefused(PartnerGraphError):
    """A job of that kind is already running."""

    exit_code = 9


@dataclass
class Job:
    """One background job and what is known about it so far."""

    id: str
    kind: str
    by: str
    started_at: str
    status: str = "running"  # running | done | failed (| interrupted, in the records only)
    finished_at: str | None = None
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    error_kind: str | None = None
    expected: bool = False  # the error is one of the product's own (its message is for users)
    _t0: float = field(default_factory=time.monotonic, repr=False)
    _thread: int | None = field(default=None, repr=False)

    def view(self) -> dict[str, Any]:
        """A JSON-safe copy for the page (``seconds`` is the time so far while it runs)."""
        seconds = self.seconds if self.status != "running" else time.monotonic() - self._t0
        return {"id": self.id, "kind": self.kind, "by": self.by, "status": self.status,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "seconds": round(seconds, 1), "lines": list(self.lines[-MAX_LINES:]),
                "result": self.result, "error": self.error, "error_kind": self.error_kind,
                "expected": self.expected}


class _ThreadLog(logging.Handler):
    """Keeps the records logged by the job's own thread as its progress lines."""

    def __init__(self, runner: JobRunner) -> None:
        super().__init__(logging.INFO)
        self.runner = runner

    def emit(self, record: logging.LogRecord) -> None:
        job = self.runner._by_thread.get(record.thread or 0)
        if job is None:
            return
        try:
            line = f"{datetime.fromtimestamp(record.created, UTC):%H:%M:%S} {record.getMessage()}"
        except Exception:  # a bad format string in someone's log call must not kill the job
            return
        with self.runner._lock:
            job.lines.append(line[:500])
            del job.lines[:-MAX_LINES]
        self.runner._persist(job, every=SAVE_EVERY)


class JobRunner:
    """Background jobs of the app, at most one running per kind."""

    def __init__(self, records: JobRecords | None = None) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # kind -> the running or the last finished job
        self._by_thread: dict[int, Job] = {}
        self._handler = _ThreadLog(self)
        self._count = 0
        self.records = records
        self._saved_at: dict[str, float] = {}
        if records is not None:
            try:
                gone = records.mark_interrupted()
            except Exception:  # noqa: BLE001 - the app serves without its job history
                log.exception("jobs: the job records under HOME cannot be read")
                self.records = None
            else:
                if gone:
                    log.info("jobs: %d job(s) interrupted by an app stop: %s", len(gone), ", ".join(gone))

    def _persist(self, job: Job, *, every: float = 0.0) -> None:
        """Write ``job`` to the records (at most once per ``every`` seconds while it runs)."""
        if self.records is None:
            return
        now = time.monotonic()
        if every and now - self._saved_at.get(job.id, 0.0) < every:
            return
        self._saved_at[job.id] = now
        with self._lock:
            snapshot = job.view()
        self._save(snapshot)

    def _save(self, record: dict[str, Any]) -> None:
        if self.records is None:
            return
        try:
            self.records.save(record)
        except Exception:  # noqa: BLE001 - a full disk must not stop the job
            log.warning("jobs: could not record %s under HOME", record.get("id"), exc_info=True)

    def history(self, n: int = 10) -> list[dict[str, Any]]:
        """The newest ``n`` recorded jobs of every kind, newest first (empty without records)."""
        if self.records is None:
            return []
        try:
            return self.records.recent(None, n)
        except Exception:  # noqa: BLE001
            log.warning("jobs: the job records under HOME cannot be read", exc_info=True)
            return []

    def running(self, kind: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(kind)
            return job if job is not None and job.status == "running" else None

    def snapshot(self, kind: str) -> dict[str, Any] | None:
        """The running or last job of ``kind`` (JSON-safe), or ``None``; after a restart, the
        last recorded one (which may say ``interrupted``)."""
        with self._lock:
            job = self._jobs.get(kind)
            if job is not None:
                return job.view()
        if self.records is None:
            return None
        try:
            recent = self.records.recent(kind, 1)
        except Exception:  # noqa: BLE001
            return None
        return recent[0] if recent else None

    def start(self, kind: str, fn: Callable[[], Any], *, by: str, describe: Callable[[Job], str] | None = None) -> Job:
        """Run ``fn()`` in a background thread; :class:`JobRefused` if a ``kind`` job runs.

        ``describe(job)`` names the running job in the refusal (default: who started it, when).
        """
        with self._lock:
            current = self._jobs.get(kind)
            if current is not None and current.status == "running":
                who = describe(current) if describe else f"{current.id}, started by {current.by} at {current.started_at}"
                raise JobRefused(f"a {kind} run is already going: {who}",
                                 hint="wait for it to finish; this page shows its progress")
            self._count += 1
            now = datetime.now(UTC)
            job = Job(id=f"{kind}-job-{now:%Y%m%dT%H%M%S}-{self._count}", kind=kind, by=by,
                      started_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
            self._jobs[kind] = job
            if self._handler not in logging.getLogger().handlers:
                logging.getLogger().addHandler(self._handler)
            for name in ("gnn", "graph", "embeddings"):  # the stages say what they do at INFO
                if logging.getLogger(name).getEffectiveLevel() > logging.INFO:
                    logging.getLogger(name).setLevel(logging.INFO)
        self._persist(job)
        thread = threading.Thread(target=self._run, args=(job, fn), name=job.id, daemon=True)
        thread.start()
        log.info("%s started by %s", job.id, by)
        return job

    def _run(self, job: Job, fn: Callable[[], Any]) -> None:
        ident = threading.get_ident()
        with self._lock:
            job._thread = ident
            self._by_thread[ident] = job
        outcome: dict[str, Any]
        try:
            result = fn()
        except BaseException as exc:  # the job's failure is its outcome; the server goes on
            outcome = {"status": "failed", "error": _error_text(exc), "error_kind": type(exc).__name__,
                       "expected": isinstance(exc, PartnerGraphError)}
            if isinstance(exc, PartnerGraphError):
                log.warning("%s failed: %s", job.id, exc)
            else:
                log.error("%s failed:\n%s", job.id, "".join(traceback.format_exception(exc)))
        else:
            outcome = {"status": "done", "result": result}
            log.info("%s done", job.id)
        outcome["seconds"] = time.monotonic() - job._t0
        outcome["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.records is not None:  # recorded before it shows as finished, so a reader never races it
            with self._lock:
                final = {**job.view(), **outcome}
            self._save(final)
        with self._lock:
            for key, value in outcome.items():
                setattr(job, key, value)
            self._by_thread.pop(ident, None)

    def wait(self, kind: str, timeout: float) -> dict[str, Any] | None:
        """Block until the ``kind`` job is finished (tests and scripts), then its snapshot."""
        end = time.monotonic() + timeout
        while self.running(kind) is not None and time.monotonic() < end:
            time.sleep(0.05)
        return self.snapshot(kind)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, PartnerGraphError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def install(server: Any, runner: JobRunner) -> None:
    """Put ``runner`` on the Flask ``server`` (one runner per app)."""
    server.extensions[EXTENSION] = runner


def current_jobs() -> JobRunner:
    """The :class:`JobRunner` of the app serving the current request."""
    import flask

    runner = flask.current_app.extensions.get(EXTENSION)
    if not isinstance(runner, JobRunner):
        raise RuntimeError("the job runner is not installed; build the app with create_app()")
    return runner
