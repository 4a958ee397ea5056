"""Each console user's own saved queries and query history, kept under HOME, not in the graph.

One SQLite file, ``$PARTNERGRAPH_HOME/app/console.sqlite`` (mode 0600), with two tables keyed by
the user name: ``saved`` (name, text, params as JSON) and ``history`` (the newest
:data:`HISTORY_KEEP` runs per user). Every read and write names the user, so nobody sees another
user's queries; the page passes the signed-in user's name, never one from the browser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from app.sqlite_file import SQLiteFile
from graph.errors import InputError

#: Runs kept per user (older ones are dropped on write).
HISTORY_KEEP = 50
#: Saved queries a user may keep.
MAX_SAVED = 200
MAX_NAME = 80
MAX_TEXT = 20_000
MAX_PARAMS = 20_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved (user TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL,
  params TEXT NOT NULL, saved_at TEXT NOT NULL, PRIMARY KEY (user, name));
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL,
  at TEXT NOT NULL, text TEXT NOT NULL, saved TEXT, params TEXT NOT NULL, status TEXT NOT NULL,
  rows INTEGER);
CREATE INDEX IF NOT EXISTS history_user ON history (user, id);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_name(name: str | None) -> str:
    """A saved query's name: 1-80 printable characters."""
    name = " ".join((name or "").split())
    if not name:
        raise InputError("give the query a name to save it under")
    if len(name) > MAX_NAME:
        raise InputError(f"the name is {len(name)} characters long; use at most {MAX_NAME}")
    return name


class UserQueries(SQLiteFile):
    """Per-user saved queries and history in one SQLite file."""

    SCHEMA = SCHEMA

    # ------------------------------------------------------------------------- saved queries

    def save(self, user: str, name: str, text: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Save (or replace) ``user``'s query ``name``."""
        name = check_name(name)
        text = (text or "").strip()
        if not text:
            raise InputError("the editor is empty: there is no query to save")
        if len(text) > MAX_TEXT:
            raise InputError(f"the query is {len(text):,} characters long; at most {MAX_TEXT:,} can be saved")
        params_json = json.dumps(dict(params or {}), sort_keys=True, default=str)
        if len(params_json) > MAX_PARAMS:
            raise InputError(f"the parameters take {len(params_json):,} characters; at most {MAX_PARAMS:,} can be saved")
        with self._db() as con:
            exists = con.execute("SELECT 1 FROM saved WHERE user = ? AND name = ?", (user, name)).fetchone()
            count = con.execute("SELECT count(*) FROM saved WHERE user = ?", (user,)).fetchone()[0]
            if not exists and count >= MAX_SAVED:
                raise InputError(f"you have {count} saved queries, the most kept; delete some first")
            con.execute("INSERT OR REPLACE INTO saved (user, name, text, params, saved_at) VALUES (?, ?, ?, ?, ?)",
                        (user, name, text, params_json, _now()))
        return {"name": name, "text": text, "params": json.loads(params_json)}

    def saved(self, user: str) -> list[dict[str, Any]]:
        """``user``'s saved queries, by name."""
        with self._db() as con:
            rows = con.execute("SELECT name, text, params, saved_at FROM saved WHERE user = ? ORDER BY name COLLATE NOCASE",
                               (user,)).fetchall()
        return [{"name": n, "text": t, "params": json.loads(p), "saved_at": at} for n, t, p, at in rows]

    def delete(self, user: str, name: str) -> bool:
        with self._db() as con:
            return con.execute("DELETE FROM saved WHERE user = ? AND name = ?", (user, name)).rowcount > 0

    # ------------------------------------------------------------------------- history

    def record(self, user: str, entry: Mapping[str, Any]) -> None:
        """Add a run to ``user``'s history; keep the newest :data:`HISTORY_KEEP`."""
        params = json.dumps(dict(entry.get("params") or {}), sort_keys=True, default=str)[:MAX_PARAMS]
        with self._db() as con:
            con.execute("INSERT INTO history (user, at, text, saved, params, status, rows) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (user, str(entry.get("at") or _now()), str(entry.get("text", ""))[:MAX_TEXT],
                         entry.get("saved"), params, str(entry.get("status", "")), entry.get("rows")))
            con.execute("DELETE FROM history WHERE user = ? AND id NOT IN "
                        "(SELECT id FROM history WHERE user = ? ORDER BY id DESC LIMIT ?)", (user, user, HISTORY_KEEP))

    def history(self, user: str, n: int = 25) -> list[dict[str, Any]]:
        """``user``'s last ``n`` distinct runs (same text and params once), newest first."""
        with self._db() as con:
            rows = con.execute("SELECT at, text, saved, params, status, rows FROM history WHERE user = ? "
                               "ORDER BY id DESC LIMIT ?", (user, HISTORY_KEEP)).fetchall()
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for at, text, saved, params, status, nrows in rows:
            if (text, params) in seen:
                continue
            seen.add((text, params))
            out.append({"at": at, "text": text, "saved": saved, "params": json.loads(params),
                        "status": status, "rows": nrows})
            if len(out) >= n:
                break
        return out
