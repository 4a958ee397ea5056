"""The app's own state file: one SQLite file under HOME (``app/console.sqlite``, mode 0600),
shared by the console's saved queries and history (:mod:`app.user_queries`) and the job records
(:mod:`app.job_records`). Each table set is created on first use; every call opens its own
connection, so Flask's threads never share one."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, Self

FILE = Path("app") / "console.sqlite"


class SQLiteFile:
    """Base of a store kept in :data:`FILE`: subclasses set :attr:`SCHEMA` and read and write
    through :meth:`_db` (a transaction per call)."""

    SCHEMA: ClassVar[str] = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def under(cls, home: Path) -> Self:
        return cls(Path(home) / FILE)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if not self.path.exists():
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            con = sqlite3.connect(self.path, timeout=10)
            try:
                if not self._ready:
                    con.executescript(self.SCHEMA)
                    self._ready = True
                with con:
                    yield con
            finally:
                con.close()
