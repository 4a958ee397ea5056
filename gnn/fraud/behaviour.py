"""Behaviour features per affiliate, from the event store (DuckDB over the Parquet events).

Figures (whole history; :func:`graph.ingest.events.behaviour` keeps the per-period ones):

- volume: ``clicks``, ``active_days``, ``conversions``;
- click-to-conversion time (conversions joined to their click): ``ctit_fast_share`` (< 60 s, click
  injection), ``ctit_slow_share`` (> 1 day), ``ctit_median_log10``, ``orphan_share``
  (conversions whose click is not in the log: cookie stuffing), ``negative_ctit_share``;
- conversion rate and its anomaly against peers of the same vertical (``cvr_z``, a robust z of
  the shrunk log-odds);
- ``burstiness`` of inter-click gaps ((sd - mean) / (sd + mean)), ``night_share`` (00-06 UTC),
  ``empty_referrer_share``;
- diversity: ``clicks_per_device``, ``top_device_share``, ``top_ip_share``, ``os_entropy``;
- customers: ``new_customer_share`` (the customer's first conversion in the network);
- ``refund_share``: refunded, declined, reversed or charged-back conversions, where known.

Shares of small affiliates are shrunk towards the typical rate (a few events prove nothing). :func:`anomaly` turns the figures into one unsupervised score in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnn.fraud.eventdb import EventDB

BAD_STATUSES = ("refunded", "declined", "reversed", "chargeback", "rejected")

CLICK_SQL = """SELECT network, affiliate, count(*) AS clicks,
  count(DISTINCT strftime(ts, '%Y-%m-%d')) AS active_days,
  sum(CASE WHEN hour(ts) < 6 THEN 1 ELSE 0 END) AS night_clicks,
  {empty_ref} AS empty_referrer_clicks,
  {devices} AS devices,
  strftime(min(ts), '%Y-%m-%d') AS first_click, strftime(max(ts), '%Y-%m-%d') AS last_click
FROM clk GROUP BY ALL"""

GAPS_SQL = """SELECT network, affiliate, avg(gap) AS gap_mean, stddev_pop(gap) AS gap_sd FROM (
  SELECT network, affiliate, epoch(ts) - lag(epoch(ts)) OVER (PARTITION BY network, affiliate ORDER BY ts) AS gap
  FROM clk) WHERE gap IS NOT NULL GROUP BY ALL"""

OS_SQL = """SELECT network, affiliate, os, count(*) AS n FROM clk
WHERE os IS NOT NULL AND os <> '' GROUP BY ALL"""

ATTRIBUTED_SQL = """SELECT network, affiliate, sum(CASE WHEN is_attributed THEN 1 ELSE 0 END) AS conversions
FROM clk GROUP BY ALL"""

CONV_SQL = """WITH c AS (SELECT network, click, min(ts) AS click_ts FROM clk WHERE click IS NOT NULL GROUP BY ALL),
v AS (SELECT cv.*, {first_of_customer} AS first_of_customer FROM conv cv)
SELECT v.network, v.affiliate, count(*) AS conversions,
  sum(CASE WHEN c.click_ts IS NULL THEN 1 ELSE 0 END) AS orphans,
  sum(CASE WHEN epoch(v.ts) - epoch(c.click_ts) < 0 THEN 1 ELSE 0 END) AS negative_ctit,
  sum(CASE WHEN epoch(v.ts) - epoch(c.click_ts) BETWEEN 0 AND 59 THEN 1 ELSE 0 END) AS fast,
  sum(CASE WHEN epoch(v.ts) - epoch(c.click_ts) > 86400 THEN 1 ELSE 0 END) AS slow,
  count(c.click_ts) AS matched,
  median(log10(greatest(epoch(v.ts) - epoch(c.click_ts), 1))) AS ctit_median_log10,
  {bad} AS bad, {status_known} AS status_known,
  sum(CASE WHEN v.first_of_customer THEN 1 ELSE 0 END) AS new_customers, {customer_known} AS customer_known
FROM v LEFT JOIN c ON v.click = c.click AND v.network = c.network
GROUP BY ALL"""

#: (feature, direction) that make up the anomaly score: +1 high is suspicious, -1 low is
DIRECTIONS: dict[str, int] = {
    "ctit_fast_share": 1, "ctit_slow_share": 1, "orphan_share": 1, "negative_ctit_share": 1,
    "empty_referrer_share": 1, "night_share": 1, "cvr_z_high": 1, "cvr_z_low": 1,
    "log_clicks_per_device": 1, "top_device_share": 1, "top_ip_share": 1, "refund_share": 1,
}
#: smallest spread used for a robust z (so a feature where most affiliates sit at 0 stays sane)
FLOORS: dict[str, float] = {"log_clicks_per_device": 0.25, "cvr_z_high": 1.0, "cvr_z_low": 1.0}
FEATURES = (
    "log_clicks", "active_days", "clicks_per_day", "conversions", "cvr", "cvr_z", "ctit_fast_share",
    "ctit_slow_share", "ctit_median_log10", "orphan_share", "negative_ctit_share", "burstiness",
    "night_share", "empty_referrer_share", "log_clicks_per_device", "top_device_share", "top_ip_share",
    "os_entropy", "new_customer_share", "refund_share",
)
#: features derived from the refund/chargeback status (excluded from models trained on labels
#: derived from the same status, so they cannot learn the label back)
STATUS_FEATURES = ("refund_share",)


def raw_figures(db: EventDB) -> pd.DataFrame:
    """Counts per affiliate (graph id) from clicks and conversions; NaN where there are none."""
    ccols, vcols = db.columns["clk"], db.columns["conv"]
    has_clicks, has_conv = db.rows("clk") > 0, db.rows("conv") > 0
    frames: list[pd.DataFrame] = []
    if has_clicks:
        empty_ref = ("sum(CASE WHEN referrer IS NULL OR referrer = '' THEN 1 ELSE 0 END)"
                     if "referrer" in ccols else "NULL")
        devices = "count(DISTINCT device)" if "device" in ccols else "NULL"
        frames.append(db.df(CLICK_SQL.format(empty_ref=empty_ref, devices=devices)))
        frames.append(db.df(GAPS_SQL))
        if "os" in ccols:
            frames.append(_entropy(db.df(OS_SQL)))
        if "is_attributed" in ccols and not has_conv:  # click logs that carry the conversion flag
            frames.append(db.df(ATTRIBUTED_SQL))
    if has_conv:
        bad = ("sum(CASE WHEN lower(v.status) IN (SELECT unnest(?::VARCHAR[])) THEN 1 ELSE 0 END)"
               if "status" in vcols else "NULL")
        has_cust = "customer" in vcols
        sql = CONV_SQL.format(
            bad=bad, status_known="count(v.status)" if "status" in vcols else "NULL",
            first_of_customer=("(ts = min(ts) OVER (PARTITION BY network, customer)) AND customer IS NOT NULL"
                               if has_cust else "NULL"),
            customer_known="count(v.customer)" if has_cust else "NULL")
        frames.append(db.df(sql, [list(BAD_STATUSES)] if "status" in vcols else []))
    out: pd.DataFrame | None = None
    for f in frames:
        if f.empty:
            continue
        f = f.copy()
        f["affiliate"] = f["affiliate"].astype(str)
        out = f if out is None else out.merge(f, on=["network", "affiliate"], how="outer")
    if out is None:
        return pd.DataFrame(columns=["id"])
    out.insert(0, "id", "affiliate:" + out["network"].astype(str) + ":" + out["affiliate"].astype(str))
    return out.drop(columns=["network", "affiliate"]).drop_duplicates("id").reset_index(drop=True)


def _entropy(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=["network", "affiliate", "os_entropy"])
    p = df["n"] / df.groupby(["network", "affiliate"])["n"].transform("sum")
    df = df.assign(h=-(p * np.log2(p)))
    return df.groupby(["network", "affiliate"], as_index=False)["h"].sum().rename(columns={"h": "os_entropy"})


def _shrunk(k: pd.Series, n: pd.Series, strength: float) -> pd.Series:
    """(k + a * p0) / (n + a): the typical rate p0 for small n, the own rate for large n.

    p0 pools the affiliates' rates with each one's weight capped at the median volume, so
    neither the largest sources (often the fraudulent ones) nor a crowd of near-empty ones
    decide what "typical" is."""
    k = k.fillna(0.0).astype(float)
    n = n.fillna(0.0).astype(float)
    has = n > 0
    if not has.any():
        return pd.Series(0.0, index=k.index)
    cap = np.minimum(n[has], max(float(n[has].median()), 1.0))
    p0 = float(((k[has] / n[has]) * cap).sum() / cap.sum())
    return (k + strength * p0) / (n + strength)


def features(raw: pd.DataFrame, affiliates: pd.DataFrame, uses: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per affiliate (``affiliates['id']``) with :data:`FEATURES` (no NaN).

    ``affiliates`` may carry a ``vertical`` column (peers for the conversion-rate anomaly) and
    ``uses`` (weighted identifier uses) gives the top device/IP shares.
    """
    base = affiliates[["id"]].copy()
    vertical = affiliates["vertical"] if "vertical" in affiliates else pd.Series("", index=affiliates.index)
    base["vertical"] = vertical.fillna("").astype(str).to_numpy()
    f = base.merge(raw, on="id", how="left")

    def col(name: str) -> pd.Series:
        return f[name].astype(float) if name in f else pd.Series(np.nan, index=f.index)

    clicks = col("clicks").fillna(0.0)
    conv = col("conversions").fillna(0.0)
    out = pd.DataFrame({"id": f["id"], "vertical": f["vertical"]})
    out["clicks"] = clicks
    out["log_clicks"] = np.log1p(clicks)
    out["active_days"] = col("active_days").fillna(0.0)
    out["clicks_per_day"] = clicks / np.maximum(out["active_days"], 1.0)
    out["conversions"] = conv
    out["cvr"] = _shrunk(conv, clicks, 50.0)
    p = out["cvr"].clip(1e-6, 1 - 1e-6)
    out["cvr_z"] = _peer_z(np.log(p / (1 - p)), out["vertical"])
    out["cvr_z_high"] = out["cvr_z"].clip(lower=0.0)
    out["cvr_z_low"] = (-out["cvr_z"]).clip(lower=0.0) * (clicks >= 50)
    matched = col("matched").fillna(0.0)
    out["ctit_fast_share"] = _shrunk(col("fast"), matched, 5.0)
    out["ctit_slow_share"] = _shrunk(col("slow"), matched, 5.0)
    out["negative_ctit_share"] = _shrunk(col("negative_ctit"), matched, 5.0)
    med = col("ctit_median_log10")
    out["ctit_median_log10"] = med.fillna(med.median() if med.notna().any() else 0.0)
    out["orphan_share"] = _shrunk(col("orphans"), conv, 5.0)
    mu, sd = col("gap_mean"), col("gap_sd")
    out["burstiness"] = ((sd - mu) / (sd + mu)).replace([np.inf, -np.inf], np.nan).fillna(0.0)
    out["night_share"] = _shrunk(col("night_clicks"), clicks, 20.0)
    out["empty_referrer_share"] = _shrunk(col("empty_referrer_clicks"), clicks, 20.0)
    devices = col("devices")
    out["log_clicks_per_device"] = np.log((clicks + 5.0) / (devices.fillna(clicks) + 5.0))
    out["top_device_share"] = _top_share(uses, "device", out["id"], clicks)
    out["top_ip_share"] = _top_share(uses, "ip", out["id"], clicks)
    out["os_entropy"] = col("os_entropy").fillna(col("os_entropy").median() if "os_entropy" in f else 0.0)
    out["new_customer_share"] = _shrunk(col("new_customers"), col("customer_known"), 5.0)
    out["refund_share"] = _shrunk(col("bad"), col("status_known"), 5.0)
    return out.fillna(0.0).reset_index(drop=True)


def _top_share(uses: pd.DataFrame | None, kind: str, ids: pd.Series, clicks: pd.Series) -> pd.Series:
    if uses is None or uses.empty:
        return pd.Series(0.0, index=ids.index)
    u = uses[uses["kind"] == kind]
    top = u.groupby("affiliate")["n"].max()
    k = ids.map(top).fillna(0.0).astype(float)
    return _shrunk(k, pd.Series(clicks.to_numpy(), index=ids.index), 20.0)


def _peer_z(x: pd.Series, group: pd.Series, min_peers: int = 10, floor: float = 0.5) -> pd.Series:
    """Robust z against peers of the same group (all affiliates when the group is small); the
    spread is at least ``floor`` (0.5 in log-odds: a 1.6x difference in odds is not an outlier)."""
    out = (x - x.median()) / _scale(x, floor)
    for _g, idx in x.groupby(group).groups.items():
        if len(idx) >= min_peers:
            xs = x.loc[idx]
            out.loc[idx] = (xs - xs.median()) / _scale(xs, floor)
    return out.fillna(0.0)


def _scale(x: pd.Series, floor: float = 1e-6) -> float:
    mad = float((x - x.median()).abs().median()) * 1.4826
    iqr = float(x.quantile(0.75) - x.quantile(0.25)) / 1.349
    sd = float(x.std()) if len(x) > 1 else 0.0
    return max(mad, iqr, 0.1 * sd, floor)


def anomaly(feats: pd.DataFrame, top: int = 2, scale: float = 8.0) -> tuple[pd.Series, pd.DataFrame]:
    """Unsupervised behaviour score in [0, 1] and the per-feature suspicious z (for evidence).

    Each figure of :data:`DIRECTIONS` gets a robust z against all affiliates (its suspicious
    side only); the score is ``1 - exp(-(sum of the top two z) / scale)``.
    """
    zs = pd.DataFrame(index=feats.index)
    for name, sign in DIRECTIONS.items():
        if name not in feats:
            continue
        x = feats[name].astype(float)
        if name in ("cvr_z_high", "cvr_z_low"):
            z = x  # already a z against vertical peers
        else:
            floor = FLOORS.get(name, 0.05)
            z = (x - x.median()) / max(_scale(x), floor)
        zs[name] = (sign * z).clip(lower=0.0)
    if zs.empty:
        return pd.Series(0.0, index=feats.index), zs
    topz = np.sort(zs.to_numpy(), axis=1)[:, ::-1][:, :top].sum(axis=1)
    score = pd.Series(1.0 - np.exp(-topz / scale), index=feats.index)
    return score, zs
