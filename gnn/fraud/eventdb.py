"""The event store loaded once into DuckDB for one fraud run.

The Parquet events are many small day partitions; scanning them once into in-memory tables
``clk`` and ``conv`` (with the ``filename`` each row came from, for provenance) and running every
figure on those tables is several times faster than re-reading the files per query.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

import pandas as pd

from graph.ingest.events import EventStore

LOAD_SQL = "CREATE TABLE {table} AS SELECT * FROM {view} {where}"
EMPTY_SQL = ("CREATE TABLE {table} (ts TIMESTAMPTZ, network VARCHAR, affiliate VARCHAR, click VARCHAR, "
             "filename VARCHAR, source_row BIGINT)")
DESCRIBE_SQL = "DESCRIBE {table}"
COUNT_SQL = "SELECT count(*) FROM {table}"
TABLES = ("clk", "conv")
NETWORK_WHERE = "WHERE network IN (SELECT unnest(?::VARCHAR[]))"


class EventDB:
    """``clk`` and ``conv`` tables (absent kinds are empty tables with the standard columns)."""

    def __init__(self, events: EventStore, networks: Iterable[str] | None = None, threads: int = 2) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute("SET threads TO " + str(int(threads)))
        self.con.execute("SET TimeZone = 'UTC'")  # hour() of a timestamp is the UTC hour
        nets = sorted(networks) if networks is not None else None
        self.columns: dict[str, set[str]] = {}
        for kind, table in (("click", "clk"), ("conversion", "conv")):
            files = events.files(kind)
            if files:
                self.con.read_parquet(files, union_by_name=True, filename=True).create_view(f"_{table}_files")
                self.con.execute(LOAD_SQL.format(table=table, view=f"_{table}_files",
                                                 where=NETWORK_WHERE if nets is not None else ""),
                                 [nets] if nets is not None else [])
            else:
                self.con.execute(EMPTY_SQL.format(table=table))
            self.columns[table] = {r[0] for r in self.con.execute(DESCRIBE_SQL.format(table=table)).fetchall()}

    def rows(self, table: str) -> int:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        return int(self.con.execute(COUNT_SQL.format(table=table)).fetchone()[0])  # type: ignore[index]

    def df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> EventDB:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
