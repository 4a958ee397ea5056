"""Importer state under ``HOME/ingest/state.sqlite``: the row ledger and the review queue.

The ledger remembers, per source file and mapping, a hash of every row written, so a re-import
writes only new or changed rows, and a killed import re-run writes what is missing. It is tied
to the graph through the id of the last run: when the graph no longer has that ``ImportRun``
(it was cleared or replaced), the ledger of that source is discarded and everything is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (source TEXT, mapping TEXT, key TEXT, hash TEXT,
  PRIMARY KEY (source, mapping, key));
CREATE TABLE IF NOT EXISTS runs (source TEXT, mapping TEXT, run_id TEXT, graph TEXT,
  PRIMARY KEY (source, mapping, graph));
CREATE TABLE IF NOT EXISTS review (id INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT, target TEXT,
  label TEXT, target_label TEXT, score REAL, evidence TEXT, status TEXT DEFAULT 'pending',
  decided_by TEXT, decided_at TEXT, created_at TEXT, UNIQUE (record, target));
"""


class State:
    def __init__(self, home: Path) -> None:
        path = home / "ingest" / "state.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---- ledger -----------------------------------------------------------------------------

    def last_run(self, source: str, mapping: str, graph: str) -> str | None:
        row = self.db.execute("SELECT run_id FROM runs WHERE source=? AND mapping=? AND graph=?",
                              (source, mapping, graph)).fetchone()
        return row[0] if row else None

    def set_run(self, source: str, mapping: str, graph: str, run_id: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?)", (source, mapping, run_id, graph))
        self.db.commit()

    def forget_source(self, source: str, mapping: str) -> None:
        self.db.execute("DELETE FROM ledger WHERE source=? AND mapping=?", (source, mapping))
        self.db.commit()

    def hashes(self, source: str, mapping: str, keys: Iterable[str]) -> dict[str, str]:
        want = set(keys)
        cur = self.db.execute("SELECT key, hash FROM ledger WHERE source=? AND mapping=?", (source, mapping))
        return {k: h for k, h in cur.fetchall() if k in want}

    def record(self, source: str, mapping: str, items: Iterable[tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO ledger VALUES (?,?,?,?)",
                            [(source, mapping, k, h) for k, h in items])
        self.db.commit()

    def drop_keys_like(self, pattern: str) -> int:
        cur = self.db.execute("DELETE FROM ledger WHERE key LIKE ?", (pattern,))
        self.db.commit()
        return cur.rowcount

    # ---- review queue -----------------------------------------------------------------------

    def queue(self, items: Iterable[dict[str, Any]]) -> int:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cur = self.db.executemany(
            "INSERT OR IGNORE INTO review (record, target, label, target_label, score, evidence, created_at) "
            "VALUES (:record, :target, :label, :target_label, :score, :evidence, :now)",
            [{**i, "now": now} for i in items])
        self.db.commit()
        return cur.rowcount

    def pending(self, limit: int = 50) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT id, record, target, label, target_label, score, evidence FROM review "
                              "WHERE status='pending' ORDER BY score DESC, id LIMIT ?", (limit,))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def get(self, item: int) -> dict[str, Any] | None:
        cur = self.db.execute("SELECT id, record, target, label, target_label, score, evidence, status "
                              "FROM review WHERE id=?", (item,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def decide(self, item: int, status: str, by: str) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.db.execute("UPDATE review SET status=?, decided_by=?, decided_at=? WHERE id=?", (status, by, now, item))
        self.db.commit()

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM review GROUP BY status").fetchall())

    def drop_review(self, node_id: str) -> int:
        cur = self.db.execute("DELETE FROM review WHERE record=? OR target=?", (node_id, node_id))
        self.db.commit()
        return cur.rowcount
