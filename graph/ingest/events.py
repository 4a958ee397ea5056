"""The event store: click and conversion events as day-partitioned Parquet under HOME/events.

Layout: ``events/<kind>/day=YYYY-MM-DD/src-<source id>-<part>.parquet``. Importing a file
replaces that file's events (its parts are deleted first), so re-imports and re-runs after a
crash converge. Identifiers are pseudonymised before they get here. Reads go through DuckDB.

The graph receives aggregates only (:func:`aggregate`): per affiliate and period (``YYYY-MM``),
``USED_DEVICE`` / ``SEEN_FROM`` edges with counts, and behaviour figures (clicks, distinct devices
and networks, conversions, commission, empty-referrer and night shares, ...) kept in
``events/aggregates/affiliate_period.parquet`` and, as versioned JSON, on the Affiliate node.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from graph.ingest import queries as Q
from graph.store.base import GraphStore
from graph.writers import GraphWriter

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
        day = frame["ts"].dt.strftime("%Y-%m-%d")
        written = set()
        for d, g in frame.groupby(day, sort=True):
            folder = self._kind_dir(kind) / f"day={d}"
            folder.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pandas(g.reset_index(drop=True), preserve_index=False)
            pq.write_table(table, folder / f"src-{sid}-{part:05d}.parquet", compression="zstd")
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

EDGE_SQL = """SELECT affiliate, strftime(ts, '%Y-%m') AS period, {col} AS dst, count(*) AS n,
  {version} AS version
FROM ev WHERE network = ? AND {col} IS NOT NULL AND {col} <> ''
  AND strftime(ts, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
GROUP BY ALL"""

BEHAVIOUR_SQL = """SELECT affiliate, strftime(ts, '%Y-%m') AS period, count(*) AS clicks,
  count(DISTINCT device) AS devices, count(DISTINCT ip_network) AS networks, count(DISTINCT ip) AS ips,
  avg(CASE WHEN referrer IS NULL OR referrer = '' THEN 1 ELSE 0 END) AS empty_referrer_share,
  avg(CASE WHEN hour(ts) < 6 THEN 1 ELSE 0 END) AS night_share,
  count(*) / greatest(count(DISTINCT device), 1) AS clicks_per_device,
  count(DISTINCT strftime(ts, '%Y-%m-%d')) AS active_days
FROM ev WHERE network = ? AND strftime(ts, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
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
    """Recompute the graph aggregates of ``network`` for ``periods`` from the event store."""
    periods = sorted(set(periods))
    out: dict[str, int] = {}
    if not periods:
        return out
    cols = _cols(events, "click", periods)
    beh = events.query(BEHAVIOUR_SQL, "click", periods, [network, periods]) if cols else pd.DataFrame()
    ccols = _cols(events, "conversion", periods)
    conv = events.query(CONVERSION_SQL, "conversion", periods, [network, periods]) if ccols else pd.DataFrame()
    frames = [f for f in (beh, conv) if not f.empty]
    if not frames:
        return out
    keys = pd.concat([f[["affiliate", "period"]] for f in frames]).drop_duplicates()
    affs = sorted(keys["affiliate"].astype(str).unique())
    out["affiliates_created"] = ensure_affiliates(store, writer, network, affs)
    ids = [affiliate_id(network, a) for a in affs]
    for col, (rel, label) in EDGES.items():
        if col not in cols:
            continue
        for i in range(0, len(ids), 2000):
            Q.write(store, Q.DELETE_PERIOD_EDGES, {"ids": ids[i:i + 2000], "periods": periods}, rel=rel)
        version = "max(ip_version)" if col == "ip_network" else "0"
        agg = events.query(EDGE_SQL.format(col=col, version=version), "click", periods, [network, periods])
        if agg.empty:
            continue
        nodes_df = agg.groupby("dst", as_index=False)["version"].max()
        node_rows: list[dict[str, Any]] = (
            [{"id": d, "kind": "device"} for d in nodes_df["dst"]] if label == "Device"
            else [{"id": d, "network": d, "version": int(v)} for d, v in nodes_df.itertuples(index=False)])
        out[f":{label}"] = writer.nodes(label, node_rows)
        rows = ({"src": affiliate_id(network, a), "dst": d, "period": p, "count": int(n)}
                for a, p, d, n in agg[["affiliate", "period", "dst", "n"]].itertuples(index=False, name=None))
        out[f"[:{rel}]"] = writer.relationships(rel, rows, src_label="Affiliate", dst_label=label, key=("period",))
    figures = keys
    for f in frames:
        figures = figures.merge(f, on=["affiliate", "period"], how="left")
    figures.insert(0, "network", network)
    if "clicks" in figures and "conversions" in figures:
        figures["conversion_rate"] = figures["conversions"].fillna(0) / figures["clicks"].where(figures["clicks"] > 0)
    _save_behaviour(events, network, periods, figures)
    out["behaviour_rows"] = _behaviour_to_graph(events, writer, network, affs)
    return out


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
