"""The event store: click and conversion events as day-partitioned Parquet under HOME/events.

Layout: ``events/<kind>/day=YYYY-MM-DD/src-<source id>-<part>.parquet``. Importing a file
replaces that file's events (its parts are deleted first), so re-imports and re-runs after a
crash converge. Identifiers are pseudonymised before they get here. Reads go through DuckDB.

The graph receives aggregates only (:func:`aggregate`): per affiliate and period (``YYYY-MM``),
``USED_DEVICE`` / ``SEEN_FROM`` edges with counts to the identifiers two or more affiliates
share, and behaviour figures (clicks, distinct devices and networks, conversions, commission,
empty-referrer and night shares, ...) kept in
``events/aggregates/affiliate_period.parquet`` and, as versioned JSON, on the Affiliate node.
The events of the periods are read into DuckDB once; the edges of those periods are deleted and
created again (CREATE, grouped by affiliate, in statements of 50k rows), identifier nodes
CREATEd (MERGEd when the graph has them) from plain id lists, so a recomputation writes each
fact once with the usual provenance.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.ingest import queries as Q
from graph.store.base import GraphStore
from graph.writers import GraphWriter, now_iso

log = logging.getLogger(__name__)

KINDS = ("click", "conversion")
AFFILIATE_ID = "affiliate:{network}:{network_id}"
BEHAVIOUR_VERSION = 1


def affiliate_id(network: str, network_id: Any) -> str:
    return AFFILIATE_ID.format(network=network, network_id=network_id)


class EventStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _kind_dir(self, kind: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        return self.root / kind

    def days(self, kind: str) -> list[str]:
        d = self._kind_dir(kind)
        return sorted(p.name.removeprefix("day=") for p in d.glob("day=*") if p.is_dir()) if d.is_dir() else []

    def clear_source(self, kind: str, sid: str) -> set[str]:
        """Delete a source's parts; return the periods they covered."""
        periods = set()
        for f in self._kind_dir(kind).glob(f"day=*/src-{sid}-*.parquet"):
            periods.add(f.parent.name.removeprefix("day=")[:7])
            f.unlink()
        return periods

    def append(self, kind: str, sid: str, part: int, frame: pd.DataFrame) -> set[str]:
        """Write a chunk of events (with a ``ts`` UTC timestamp column); return the days written."""
        if frame.empty:
            return set()
        return self.append_table(kind, sid, part, pa.Table.from_pandas(frame.reset_index(drop=True),
                                                                       preserve_index=False))

    def append_table(self, kind: str, sid: str, part: int, table: pa.Table) -> set[str]:
        """Write an Arrow block of events: one file per day it covers, rows in their order."""
        if table.num_rows == 0:
            return set()
        day = pc.strftime(table.column("ts"), format="%Y-%m-%d")
        order = pc.sort_indices(day)  # stable: rows keep their order within a day
        day = day.take(order).combine_chunks()
        table = table.take(order)
        ends = np.flatnonzero(np.asarray(pc.not_equal(day[1:], day[:-1]).to_numpy(zero_copy_only=False))) + 1
        starts = np.concatenate([[0], ends])
        stops = np.concatenate([ends, [table.num_rows]])
        written = set()
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            d = day[a].as_py()
            folder = self._kind_dir(kind) / f"day={d}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.slice(a, b - a), folder / f"src-{sid}-{part:05d}.parquet", compression="zstd")
            written.add(str(d))
        return written

    def files(self, kind: str, periods: Iterable[str] | None = None) -> list[str]:
        d = self._kind_dir(kind)
        if not d.is_dir():
            return []
        want = set(periods) if periods is not None else None
        out: list[str] = []
        for p in sorted(d.glob("day=*")):
            if want is None or p.name.removeprefix("day=")[:7] in want:
                out.extend(str(f) for f in sorted(p.glob("*.parquet")))
        return out

    def query(self, sql: str, kind: str, periods: Iterable[str] | None = None,
              params: list[Any] | None = None) -> pd.DataFrame:
        """Run ``sql`` with the events of ``kind`` as the view ``ev`` (DuckDB)."""
        import duckdb

        files = self.files(kind, periods)
        con = duckdb.connect()
        try:
            if not files:
                return pd.DataFrame()
            con.read_parquet(files, union_by_name=True).create_view("ev")
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    @contextmanager
    def loaded(self, kind: str, network: str, periods: list[str]) -> Iterator[Any]:
        """A DuckDB connection holding the events of ``kind``, ``network`` and ``periods`` as
        the table ``ev`` (with a ``_period`` column), read from Parquet once for several
        queries; ``None`` when there are no files."""
        import duckdb

        files = self.files(kind, periods)
        if not files:
            yield None
            return
        con = duckdb.connect()
        try:
            con.execute(LOAD_SQL, [files, network, periods])
            yield con
        finally:
            con.close()

    def drop_before(self, day: str) -> list[str]:
        """Delete day partitions strictly before ``day`` (``YYYY-MM-DD``); return them."""
        dropped: list[str] = []
        for kind in KINDS:
            for d in self.days(kind):
                if d < day:
                    shutil.rmtree(self._kind_dir(kind) / f"day={d}")
                    dropped.append(f"{kind}/{d}")
        return dropped

    def remove_rows(self, column_values: dict[str, set[str]]) -> tuple[int, set[tuple[str, str]]]:
        """Rewrite partitions without rows whose column holds one of the values.

        Returns the number of rows removed and the (network, period) pairs touched.
        """
        removed = 0
        touched: set[tuple[str, str]] = set()
        for kind in KINDS:
            for f in self.files(kind):
                t = pq.read_table(f)
                mask = None
                for col, values in column_values.items():
                    if col in t.column_names:
                        m = pd.Series(t.column(col).to_pandas()).astype(str).isin(values).to_numpy()
                        mask = m if mask is None else (mask | m)
                if mask is None or not mask.any():
                    continue
                df = t.to_pandas()
                hit = df[mask]
                touched.update(zip(hit["network"].astype(str), hit["ts"].dt.strftime("%Y-%m"), strict=True))
                removed += int(mask.sum())
                keep = df[~mask]
                if keep.empty:
                    Path(f).unlink()
                else:
                    pq.write_table(pa.Table.from_pandas(keep, preserve_index=False), f, compression="zstd")
        return removed, touched


# --------------------------------------------------------------------------------- aggregates

#: the events of one network and some periods, read from Parquet once for the queries below
LOAD_SQL = """CREATE TABLE ev AS
SELECT *, strftime(ts, '%Y-%m') AS _period FROM read_parquet(?, union_by_name = true)
WHERE network = ? AND strftime(ts, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))"""

EDGE_SQL = """SELECT affiliate, _period AS period, {col} AS dst, count(*) AS n, {version} AS version,
  {col} IN (SELECT dst FROM shared) AS shared
FROM ev WHERE {col} IS NOT NULL AND {col} <> ''
GROUP BY ALL
ORDER BY affiliate"""

#: identifiers (of the events loaded as ``ev``) that two or more affiliates use, over the whole
#: event store: every period and network
SHARED_SQL = """CREATE OR REPLACE TABLE shared AS
SELECT {col} AS dst FROM read_parquet(?, union_by_name = true)
WHERE {col} IN (SELECT {col} FROM ev)
GROUP BY 1 HAVING count(DISTINCT network || ':' || affiliate) >= 2"""

#: the uses of newly shared identifiers outside the recomputed network and periods (their edges
#: were not written while only one affiliate used them)
BACKFILL_SQL = """SELECT network, affiliate, strftime(ts, '%Y-%m') AS period, {col} AS dst, count(*) AS n,
  {version} AS version
FROM read_parquet(?, union_by_name = true)
WHERE {col} IN (SELECT dst FROM fresh)
  AND NOT (network = ? AND strftime(ts, '%Y-%m') IN (SELECT unnest(?::VARCHAR[])))
GROUP BY ALL
ORDER BY network, affiliate"""

BEHAVIOUR_SQL = """SELECT affiliate, _period AS period, count(*) AS clicks,
  count(DISTINCT device) AS devices, count(DISTINCT ip_network) AS networks, count(DISTINCT ip) AS ips,
  avg(CASE WHEN referrer IS NULL OR referrer = '' THEN 1 ELSE 0 END) AS empty_referrer_share,
  avg(CASE WHEN hour(ts) < 6 THEN 1 ELSE 0 END) AS night_share,
  count(*) / greatest(count(DISTINCT device), 1) AS clicks_per_device,
  count(DISTINCT strftime(ts, '%Y-%m-%d')) AS active_days
FROM ev
GROUP BY ALL"""

CONVERSION_SQL = """SELECT affiliate, strftime(ts, '%Y-%m') AS period, count(*) AS conversions,
  sum(coalesce(commission, 0)) AS commission, sum(coalesce(sale_amount, 0)) AS sales,
  count(DISTINCT customer) AS customers
FROM ev WHERE network = ? AND strftime(ts, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
GROUP BY ALL"""

#: columns every event file has (None when the source lacks them)
STANDARD = {"click": ("ts", "network", "affiliate", "click", "ip", "ip_network", "ip_version", "device",
                      "referrer", "source_row"),
            "conversion": ("ts", "network", "affiliate", "click", "customer", "sale_amount", "commission",
                           "currency", "status", "source_row")}
#: event column -> (relationship, identifier label)
EDGES = {"device": ("USED_DEVICE", "Device"), "ip_network": ("SEEN_FROM", "IPNetwork")}


def _cols(events: EventStore, kind: str, periods: list[str]) -> set[str]:
    files = events.files(kind, periods)
    return set(pq.read_schema(files[0]).names) if files else set()


def ensure_affiliates(store: GraphStore, writer: GraphWriter, network: str, ids: Iterable[str]) -> int:
    """Create a Publisher:Affiliate node for network ids the graph does not know yet."""
    have = {r["id"] for r in Q.read_all(store, Q.LABEL_IDS, label="Affiliate")}
    rows = [{"id": affiliate_id(network, i), "network": network, "network_id": str(i)}
            for i in sorted(set(map(str, ids))) if affiliate_id(network, i) not in have]
    if rows:
        writer.nodes("Publisher", rows, extra_labels=["Affiliate"])
    return len(rows)


def aggregate(store: GraphStore, writer: GraphWriter, events: EventStore, network: str,
              periods: Iterable[str]) -> dict[str, int]:
    """Recompute the graph aggregates of ``network`` for ``periods`` from the event store.

    Identifier nodes and edges are written for identifiers that two or more affiliates use (in
    any period or network of the event store, or that the graph already holds): those are what
    links affiliates. An identifier of one affiliate only (most devices: 88% of the ``medium``
    generator's) links nobody; it stays in the event store and counts in the affiliate's
    behaviour figures (``devices``, ``networks``). When a later file makes it shared, its uses
    in earlier periods and other networks are written then.
    """
    periods = sorted(set(periods))
    out: dict[str, int] = {}
    if not periods:
        return out
    t0 = time.perf_counter()
    with events.loaded("click", network, periods) as con:
        if con is None:
            return _aggregate(store, writer, events, network, periods, None, {}, out, t0)
        beh = con.execute(BEHAVIOUR_SQL).df()
        cols = {r[0] for r in con.execute("DESCRIBE ev").fetchall()}
        edges = {}
        everything = events.files("click")
        for col in EDGES:
            if col in cols:
                version = "max(ip_version)" if col == "ip_network" else "0"
                con.execute(SHARED_SQL.format(col=col), [everything])
                edges[col] = con.execute(EDGE_SQL.format(col=col, version=version)).df()
    return _aggregate(store, writer, events, network, periods, beh, edges, out, t0)


def _aggregate(store: GraphStore, writer: GraphWriter, events: EventStore, network: str, periods: list[str],
               beh: pd.DataFrame | None, edges: dict[str, pd.DataFrame], out: dict[str, int], t0: float
               ) -> dict[str, int]:
    ccols = _cols(events, "conversion", periods)
    conv = events.query(CONVERSION_SQL, "conversion", periods, [network, periods]) if ccols else pd.DataFrame()
    frames = [f for f in (beh, conv) if f is not None and not f.empty]
    log.info("aggregates of %s, %d period(s): computed in %.1f s", network, len(periods), time.perf_counter() - t0)
    if not frames:
        return out
    keys = pd.concat([f[["affiliate", "period"]] for f in frames]).drop_duplicates()
    affs = sorted(keys["affiliate"].astype(str).unique())
    out["affiliates_created"] = ensure_affiliates(store, writer, network, affs)
    ids = [affiliate_id(network, a) for a in affs]
    for col, agg in edges.items():
        rel, label = EDGES[col]
        t1 = time.perf_counter()
        for i in range(0, len(ids), 2000):
            Q.write(store, Q.DELETE_PERIOD_EDGES, {"ids": ids[i:i + 2000], "periods": periods}, rel=rel)
        if agg.empty:
            continue
        # the uses of identifiers that link affiliates: shared in the event store, or already in
        # the graph (shared with events that retention has dropped since)
        have = _existing(store, label, agg["dst"].astype(str).unique().tolist())
        agg = agg[agg["shared"].astype(bool) | agg["dst"].astype(str).isin(have)]
        agg = agg.drop(columns="shared").reset_index(drop=True)
        if agg.empty:
            continue
        nodes_df = agg.groupby("dst", as_index=False)["version"].max()
        t2 = time.perf_counter()
        out[f":{label}"], fresh = _identifier_nodes(store, writer, label, nodes_df, have)
        t3 = time.perf_counter()
        created = _period_edges(store, writer, rel, label, network, agg)
        backfilled = _backfill(store, writer, events, col, fresh, network, periods)
        out[f"[:{rel}]"] = created + backfilled
        log.info("%s: old edges deleted in %.1f s, %d shared :%s nodes written in %.1f s (%d new), %d [:%s] "
                 "edges created in %.1f s (%d in other periods or networks)", network, t2 - t1, out[f":{label}"],
                 label, t3 - t2, len(fresh), out[f"[:{rel}]"], rel, time.perf_counter() - t3, backfilled)
    figures = keys
    for f in frames:
        figures = figures.merge(f, on=["affiliate", "period"], how="left")
    figures.insert(0, "network", network)
    if "clicks" in figures and "conversions" in figures:
        figures["conversion_rate"] = figures["conversions"].fillna(0) / figures["clicks"].where(figures["clicks"] > 0)
    _save_behaviour(events, network, periods, figures)
    out["behaviour_rows"] = _behaviour_to_graph(events, writer, network, affs)
    return out


#: rows per write statement for the aggregates (few big UNWIND batches)
AGG_BATCH = 50_000


def _prov(writer: GraphWriter) -> dict[str, str]:
    return {"source": writer.prov.source, "seen": writer.prov.seen or now_iso(), "run": writer.prov.run_id}


def _count(writer: GraphWriter, key: str, n: int) -> int:
    writer.written[key] = writer.written.get(key, 0) + n
    return n


def _identifier_nodes(store: GraphStore, writer: GraphWriter, label: str, nodes: pd.DataFrame,
                      have: set[str]) -> tuple[int, list[str]]:
    """The Device / IPNetwork nodes of the aggregates (same properties and provenance as
    ``GraphWriter.nodes``), sent as plain lists rather than one map per row: ids the graph has
    (``have``) are MERGEd (``last_seen``, ``run_id``), the others CREATEd (4x cheaper than
    MERGE on FalkorDB, and most identifiers of a new file are new). Returns the count and the
    new ids."""
    ids = nodes["dst"].astype(str).tolist()
    if label == "Device":
        rows: list[Any] = ids
        merge, create = Q.MERGE_DEVICES, Q.CREATE_DEVICES
    else:
        rows = [[d, int(v)] for d, v in zip(ids, nodes["version"], strict=True)]
        merge, create = Q.MERGE_NETWORKS, Q.CREATE_NETWORKS
    known = np.fromiter((i in have for i in ids), dtype=bool, count=len(ids))
    n = 0
    for template, part in ((merge, [r for r, k in zip(rows, known, strict=True) if k]),
                           (create, [r for r, k in zip(rows, known, strict=True) if not k])):
        for i in range(0, len(part), AGG_BATCH):
            res = store.write(Q.render(template, label=label), {"rows": part[i:i + AGG_BATCH], **_prov(writer)})
            n += int(res.rows[0]["n"]) if res.rows else 0
    return _count(writer, f":{label}", n), [i for i, k in zip(ids, known, strict=True) if not k]


def _backfill(store: GraphStore, writer: GraphWriter, events: EventStore, col: str, fresh: list[str],
              network: str, periods: list[str]) -> int:
    """Edges of identifiers that just became shared, in the periods and networks outside this
    recomputation (written nowhere while one affiliate used them)."""
    if not fresh:
        return 0
    import duckdb

    rel, label = EDGES[col]
    version = "max(ip_version)" if col == "ip_network" else "0"
    con = duckdb.connect()
    try:
        con.register("fresh_ids", pd.DataFrame({"dst": fresh}))
        con.execute("CREATE TABLE fresh AS SELECT dst FROM fresh_ids")
        uses = con.execute(BACKFILL_SQL.format(col=col, version=version),
                           [events.files("click"), network, periods]).df()
    finally:
        con.close()
    return sum(_period_edges(store, writer, rel, label, str(net), part.reset_index(drop=True))
               for net, part in uses.groupby("network", sort=True))


def _existing(store: GraphStore, label: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are nodes of ``label`` already (none when the label is empty)."""
    if not int(store.read(Q.render(Q.LABEL_COUNT, label=label)).rows[0]["n"]):
        return set()
    have: set[str] = set()
    query = Q.render(Q.EXISTING_IDS, label=label)
    for i in range(0, len(ids), AGG_BATCH):
        have.update(r["id"] for r in store.read(query, {"ids": ids[i:i + AGG_BATCH]}, limit=AGG_BATCH,
                                                 timeout=600).rows)
    return have


def _period_edges(store: GraphStore, writer: GraphWriter, rel: str, label: str, network: str,
                  agg: pd.DataFrame) -> int:
    """CREATE the per-period edges (their periods were just deleted, so every row is new),
    grouped by affiliate so each statement looks each affiliate up once."""
    query = Q.render(Q.CREATE_PERIOD_EDGES, rel=rel, label=label)
    prov = _prov(writer)
    n = 0
    batch: list[list[Any]] = []
    size = 0
    aff = agg["affiliate"].astype(str).to_numpy()
    cuts = np.flatnonzero(aff[1:] != aff[:-1]) + 1
    dst = agg["dst"].astype(str).tolist()
    per = agg["period"].astype(str).tolist()
    cnt = agg["n"].astype("int64").tolist()
    for a, b in zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [len(agg)]]).tolist(), strict=True):
        batch.append([affiliate_id(network, aff[a]), [[dst[k], per[k], cnt[k]] for k in range(a, b)]])
        size += b - a
        if size >= AGG_BATCH:
            n += _edge_batch(store, query, batch, prov)
            batch, size = [], 0
    if batch:
        n += _edge_batch(store, query, batch, prov)
    return _count(writer, f"[:{rel}]", n)


def _edge_batch(store: GraphStore, query: str, groups: list[list[Any]], prov: dict[str, str]) -> int:
    res = store.write(query, {"groups": groups, **prov})
    return int(res.rows[0]["n"]) if res.rows else 0


def _behaviour_path(events: EventStore) -> Path:
    return events.root / "aggregates" / "affiliate_period.parquet"


def _save_behaviour(events: EventStore, network: str, periods: list[str], figures: pd.DataFrame) -> None:
    path = _behaviour_path(events)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = pd.read_parquet(path) if path.exists() else pd.DataFrame()
    if not old.empty:
        old = old[~((old["network"] == network) & old["period"].isin(periods))]
    new = pd.concat([old, figures], ignore_index=True) if not old.empty else figures
    new["affiliate"] = new["affiliate"].astype(str)
    new.to_parquet(path, index=False)


def behaviour(events: EventStore) -> pd.DataFrame:
    """Per-affiliate, per-period behaviour figures (for gnn/fraud)."""
    path = _behaviour_path(events)
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _behaviour_to_graph(events: EventStore, writer: GraphWriter, network: str, affs: list[str]) -> int:
    allb = behaviour(events)
    allb = allb[(allb["network"] == network) & allb["affiliate"].isin(affs)]
    figs = [c for c in allb.columns if c not in ("network", "affiliate", "period")]
    values = allb[figs].astype("float64").round(4)
    values = values.astype(object).where(values.notna(), None)
    per_aff: dict[str, dict[str, dict[str, Any]]] = {}
    # one pass over plain tuples: to_dict per affiliate group costs ~3 ms each
    for a, p, vals in zip(allb["affiliate"].tolist(), allb["period"].astype(str).tolist(),
                          values.itertuples(index=False, name=None), strict=True):
        per_aff.setdefault(a, {})[p] = dict(zip(figs, vals, strict=True))
    rows = [{"id": affiliate_id(network, a),
             "behaviour": json.dumps({"v": BEHAVIOUR_VERSION, "periods": per}, sort_keys=True)}
            for a, per in sorted(per_aff.items())]
    if rows:
        writer.nodes("Affiliate", rows)
    return len(rows)
