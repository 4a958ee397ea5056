"""Job records that outlive the app process: the runs started from /jobs, kept under HOME.

A sibling table of the console's per-user store (:mod:`app.user_queries`), in the same SQLite
file ``$PARTNERGRAPH_HOME/app/console.sqlite`` (mode 0600). The runner (:mod:`app.jobs`) writes
a record when a job starts, its progress lines now and then while it runs, and the outcome when
it ends. When the app starts again, a record still "running" whose process is gone (same host,
pid no longer alive) becomes ``interrupted``: the page says "interrupted (the app stopped)"
instead of forgetting the run.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.sqlite_file import SQLiteFile

#: Records kept (older ones are dropped on write).
KEEP = 200
INTERRUPTED = "the app stopped while the job was running"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, by TEXT NOT NULL,
  started_at TEXT NOT NULL, status TEXT NOT NULL, finished_at TEXT, seconds REAL NOT NULL DEFAULT 0,
  lines TEXT NOT NULL DEFAULT '[]', result TEXT, error TEXT, error_kind TEXT,
  expected INTEGER NOT NULL DEFAULT 0, host TEXT NOT NULL, pid INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_kind ON jobs (kind, started_at);
"""

FIELDS = ("id", "kind", "by", "started_at", "status", "finished_at", "seconds", "lines", "result",
          "error", "error_kind", "expected")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def stale(record: Mapping[str, Any], *, host: str, alive: Any = _alive) -> bool:
    """Whether a "running" record belongs to a process of this host that is gone."""
    return (record.get("status") == "running" and record.get("host") == host
            and not alive(int(record.get("pid") or 0)))


class JobRecords(SQLiteFile):
    """The jobs table: one row per job started from the app."""

    SCHEMA = SCHEMA

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.host = socket.gethostname()
        self.pid = os.getpid()

    def save(self, job: Mapping[str, Any]) -> None:
        """Insert or update a job (``Job.view()`` shape); keeps the newest :data:`KEEP`."""
        row = (str(job["id"]), str(job["kind"]), str(job["by"]), str(job["started_at"]),
               str(job["status"]), job.get("finished_at"), float(job.get("seconds") or 0),
               json.dumps(list(job.get("lines") or [])),
               None if job.get("result") is None else json.dumps(job["result"], default=str),
               job.get("error"), job.get("error_kind"), int(bool(job.get("expected"))), self.host, self.pid)
        with self._db() as con:
            # an upsert keeps the row (and its rowid: the order jobs started in) when a job updates
            con.execute("INSERT INTO jobs (id, kind, by, started_at, status, finished_at, seconds, "
                        "lines, result, error, error_kind, expected, host, pid) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                        "status = excluded.status, finished_at = excluded.finished_at, seconds = excluded.seconds, "
                        "lines = excluded.lines, result = excluded.result, error = excluded.error, "
                        "error_kind = excluded.error_kind, expected = excluded.expected", row)
            con.execute("DELETE FROM jobs WHERE rowid NOT IN (SELECT rowid FROM jobs ORDER BY rowid DESC LIMIT ?)",
                        (KEEP,))

    def recent(self, kind: str | None = None, n: int = 20) -> list[dict[str, Any]]:
        """The newest ``n`` jobs (of ``kind``), newest first, in ``Job.view()`` shape."""
        where, args = ("WHERE kind = ?", [kind]) if kind else ("", [])
        with self._db() as con:
            rows = con.execute(f"SELECT {', '.join(FIELDS)}, host, pid FROM jobs {where} "  # noqa: S608 - fixed text
                               "ORDER BY rowid DESC LIMIT ?", (*args, int(n))).fetchall()
        out = []
        for r in rows:
            rec = dict(zip((*FIELDS, "host", "pid"), r, strict=True))
            rec["lines"] = json.loads(rec["lines"] or "[]")
            rec["result"] = None if rec["result"] is None else json.loads(rec["result"])
            rec["expected"] = bool(rec["expected"])
            out.append(rec)
        return out

    def mark_interrupted(self) -> list[str]:
        """Turn the "running" jobs of dead app processes on this host into ``interrupted``."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._db() as con:
            rows = con.execute("SELECT id, host, pid, status FROM jobs WHERE status = 'running'").fetchall()
            gone = [i for i, host, pid, status in rows
                    if stale({"host": host, "pid": pid, "status": status}, host=self.host)]
            for job_id in gone:
                con.execute("UPDATE jobs SET status = 'interrupted', error = ?, finished_at = coalesce(finished_at, ?) "
                            "WHERE id = ?", (INTERRUPTED, now, job_id))
        return gone
