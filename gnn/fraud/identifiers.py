"""The shared-identifier graph: which affiliates share which identifiers, and how strongly.

An identifier use is one affiliate's traffic (or account) touching one identifier: a device, an
IP, an IP network (/24, /48), a payment account, a seller id from ads.txt / sellers.json, a
referrer or landing domain, a click-tracking template. Uses come from the event store (clicks,
with the file and row of their first occurrence) and from the graph (``PAID_TO``, ``SELLS_VIA``,
the affiliate's ``tracking_template`` property, and ``USED_DEVICE`` / ``SEEN_FROM`` when the
event store holds no clicks).

A tracking template is compared with its ids stripped (:func:`normalise_template`): scheme, host
and path (id-like path segments become ``{id}``) and the sorted parameter names, so
``https://trk.x.io/r/1234?s={subid}&a=1234`` and ``https://TRK.x.io/r/987?a=987&s=…`` are one
identifier.

Two affiliates are linked by what they share, weighted by:

- **rarity** (an IDF): ``w = log(N / d) / log(N / 2)`` clipped to [0, 1], where ``d`` is how
  many affiliates use the identifier and ``N`` how many use any identifier of its kind. An
  identifier of two affiliates weighs 1; one used by everybody (a default device id
  ``00000000-…``, a carrier NAT) weighs 0;
- **intensity**: the share of each affiliate's traffic on it, ``n / (total + prior)`` (the
  prior keeps one shared click of a tiny affiliate from looking like a takeover), times a
  repetition factor ``m / (m + 2)`` of the smaller use count (end users who visit two sites
  share a device once or twice; a ring's devices and IPs carry hundreds of its clicks);
  accounts (payment, seller ids) count fully;
- **kind**: a per-kind weight (:data:`KIND_WEIGHTS`).

``strength(a, b) = sum over kinds of kind_weight * min(1, sum over shared identifiers of
w * min(share_a, share_b) * min(repeat_a, repeat_b))``. Pure functions here; I/O is in :func:`load_uses`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd

from gnn.fraud import queries as Q
from gnn.fraud.eventdb import EventDB
from gnn.fraud.progress import bar
from graph.schema import check_label, check_rel_type
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

#: weight of one kind of shared identifier in a link (traffic kinds and account kinds)
KIND_WEIGHTS: dict[str, float] = {
    "device": 1.0, "ip": 1.0, "ip_network": 0.5, "payment": 1.0, "seller": 1.0,
    "seller_reseller": 0.1, "referrer": 0.5, "landing": 0.1, "template": 0.5,
}
#: kinds that are accounts (shared ownership), the rest is traffic
ACCOUNT_KINDS = ("payment", "seller", "seller_reseller", "template")
#: event column (or SQL expression) -> identifier kind
EVENT_KINDS = {
    "device": "device", "ip": "ip", "ip_network": "ip_network",
    "referrer": "regexp_replace(lower(regexp_extract(referrer, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#]+)', 1)), "
                "'^www\\.', '')",
    "landing_domain": "lower(landing_domain)",
    "app": "CAST(app AS VARCHAR)",  # app-install click logs: the advertised app is the landing target
}
EVENT_KIND_NAMES = {"device": "device", "ip": "ip", "ip_network": "ip_network", "referrer": "referrer",
                    "landing_domain": "landing", "app": "landing"}
SRC = re.compile(r"src-([0-9a-f]{12})-\d+\.parquet$")
#: a path segment that is an id (digits, a placeholder, hex, or a token with digits) in a template
ID_SEGMENT = re.compile(r"^(\{[^{}]*\}|%7B.*%7D|\d+|[0-9a-f]{8,}|(?=[^/]*\d)[A-Za-z0-9_.~-]{6,})$", re.I)
TOTALS_SQL = "SELECT network, affiliate, count(*) AS total FROM clk GROUP BY ALL"
#: one identifier kind from the click events ({expr} is one of :data:`EVENT_KINDS`)
USES_SQL = """SELECT network, affiliate, {expr} AS ident, count(*) AS n,
  strftime(min(ts), '%Y-%m-%d') AS first, strftime(max(ts), '%Y-%m-%d') AS last,
  arg_min(filename, ts) AS file, arg_min(source_row, ts) AS row
FROM clk WHERE ({expr}) IS NOT NULL AND ({expr}) <> '' GROUP BY ALL"""


@dataclass(frozen=True)
class LinkConfig:
    """Frozen settings of the identifier graph (changing them re-runs the evaluation)."""

    kind_weights: dict[str, float] = field(default_factory=lambda: dict(KIND_WEIGHTS))
    max_degree: int = 60  # identifiers of more affiliates are not expanded into pairs (w ~ 0)
    prior: float = 20.0  # pseudo-events added to an affiliate's total when computing shares
    repeat: float = 2.0  # m / (m + repeat): one shared click is weak evidence, repeated use strong
    min_contribution: float = 1e-4  # pair-identifier evidence below this is dropped


# ---------------------------------------------------------------------------------- loading

def source_uris(store: GraphStore) -> dict[str, str]:
    """Event-file source id (``src-<sid>-…``) -> the imported file's URI, from ImportRun nodes."""
    out = {}
    for r in Q.read_all(store, Q.IMPORT_RUNS):
        if r.get("file") and r.get("preset"):
            sid = hashlib.sha256(f"{r['file']}|{r['preset']}".encode()).hexdigest()[:12]
            out[sid] = str(r["file"])
    return out


def _file_uri(files: pd.Series, rows: pd.Series, uris: dict[str, str]) -> list[str]:
    """``file:///…/export.csv#row=N`` per event (the imported file, found by its source id)."""
    table: dict[str, str] = {}
    for f in pd.unique(files.astype(str)):
        m = SRC.search(f)
        uri = uris.get(m.group(1)) if m else None
        table[f] = uri or Path(f).resolve().as_uri()
    base = files.astype(str).map(table)
    r = pd.to_numeric(rows, errors="coerce")
    suffix = ("#row=" + r.astype("Int64").astype(str)).where(r.notna(), "")
    return (base + suffix).tolist()


def event_uses(db: EventDB, uris: dict[str, str], progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Identifier uses and click totals from the click events."""
    cols = ["affiliate", "kind", "ident", "n", "first", "last", "source"]
    have = db.columns["clk"]
    if db.rows("clk") == 0:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=["affiliate", "total"])
    totals = db.df(TOTALS_SQL)
    frames = []
    for col in bar([c for c in EVENT_KINDS if c in have], progress=progress, desc="identifier kinds", unit="kind"):
        df = db.df(USES_SQL.format(expr=EVENT_KINDS[col]))
        df["kind"] = EVENT_KIND_NAMES[col]
        frames.append(df)
        log.debug("fraud: %d %s uses from the click events", len(df), EVENT_KIND_NAMES[col])
    if not frames:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=["affiliate", "total"])
    uses = pd.concat(frames, ignore_index=True)
    uses["affiliate"] = _ids(uses["network"], uses["affiliate"])
    uses["source"] = _file_uri(uses["file"], uses["row"], uris)
    totals["affiliate"] = _ids(totals["network"], totals["affiliate"])
    return uses[cols], totals[["affiliate", "total"]]


def _ids(networks: pd.Series, affiliates: pd.Series) -> pd.Series:
    return "affiliate:" + networks.astype(str) + ":" + affiliates.astype(str)


def graph_uses(store: GraphStore, affiliates: pd.DataFrame, with_traffic: bool) -> pd.DataFrame:
    """Account identifiers from the graph (payment, seller ids, tracking templates), and traffic
    identifiers from the aggregated ``USED_DEVICE`` / ``SEEN_FROM`` edges when ``with_traffic``."""
    frames = []
    pay = pd.DataFrame(Q.read_all(store, Q.PAID_TO))
    if not pay.empty:
        frames.append(_per_use(pay, "payment"))
    if with_traffic:
        for rel, label, kind in (("USED_DEVICE", "Device", "device"), ("SEEN_FROM", "IPNetwork", "ip_network")):
            q = Q.IDENT_EDGES.format(rel=check_rel_type(rel), label=check_label(label))
            df = pd.DataFrame(Q.read_all(store, q))
            if not df.empty:
                frames.append(_per_use(df, kind))
    sellers = seller_uses(store, affiliates)
    if not sellers.empty:
        frames.append(sellers)
    templates = template_uses(store)
    if not templates.empty:
        frames.append(templates)
    cols = ["affiliate", "kind", "ident", "n", "first", "last", "source"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def _per_use(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    df = df.sort_values("period", kind="stable")
    g = df.groupby(["affiliate", "ident"], as_index=False).agg(
        n=("n", lambda s: int(pd.to_numeric(s, errors="coerce").fillna(1).sum())),
        first=("period", "min"), last=("period", "max"), source=("source", "first"))
    g["kind"] = kind
    return g


def normalise_template(url: object) -> str | None:
    """A tracking template with its ids stripped: ``scheme://host/path?sorted&param&names``.

    Scheme and host are lower-cased (``www.`` dropped), id-like path segments become ``{id}``,
    parameter values are dropped; a template without a scheme counts as ``https``. ``None`` for an
    empty or unparseable value.
    """
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else "//" + text)
        host = (parts.hostname or "").lower().removeprefix("www.")
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return None
    if not host:
        return None
    segs = ["{id}" if ID_SEGMENT.match(seg) else seg.lower() for seg in parts.path.split("/") if seg]
    names = sorted({k.strip().lower() for k, _v in parse_qsl(parts.query, keep_blank_values=True) if k.strip()})
    path = "/" + "/".join(segs) if segs else ""
    return f"{parts.scheme.lower() or 'https'}://{host}{port}{path}" + ("?" + "&".join(names) if names else "")


def template_uses(store: GraphStore) -> pd.DataFrame:
    """Each affiliate's normalised tracking template (an account-like identifier, counted once),
    citing the affiliate's row in the network export."""
    cols = ["affiliate", "kind", "ident", "n", "first", "last", "source"]
    df = pd.DataFrame(Q.read_all(store, Q.TEMPLATES), columns=["affiliate", "template", "source", "first", "last"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["ident"] = df["template"].map(normalise_template)
    df = df.dropna(subset=["ident"]).drop_duplicates(["affiliate", "ident"])
    return df.assign(kind="template", n=1)[cols]


def seller_uses(store: GraphStore, affiliates: pd.DataFrame) -> pd.DataFrame:
    """Seller ids of the publisher an affiliate is: itself, its SAME_AS partners, or the crawled
    publisher with the same domain."""
    sells = pd.DataFrame(Q.read_all(store, Q.SELLS_VIA))
    if sells.empty or affiliates.empty:
        return pd.DataFrame()
    links = [pd.DataFrame({"affiliate": affiliates["id"], "node": affiliates["id"]})]
    same = pd.DataFrame(Q.read_all(store, Q.SAME_AS))
    if not same.empty:
        links.append(same.rename(columns={"partner": "node"}))
    dom = affiliates.dropna(subset=["domain"])
    by_domain = sells.dropna(subset=["domain"])[["node", "domain"]].drop_duplicates()
    links.append(dom[["id", "domain"]].rename(columns={"id": "affiliate"}).merge(by_domain, on="domain")[
        ["affiliate", "node"]])
    link = pd.concat(links, ignore_index=True).drop_duplicates()
    m = link.merge(sells, on="node")
    if m.empty:
        return pd.DataFrame()
    m["kind"] = np.where(m["relationship"].astype(str).str.upper() == "RESELLER", "seller_reseller", "seller")
    g = m.groupby(["affiliate", "kind", "ident"], as_index=False).agg(source=("source", "first"))
    g["n"], g["first"], g["last"] = 1, None, None
    return g


def load_uses(store: GraphStore, db: EventDB, affiliates: pd.DataFrame,
              allow: Iterable[str] = (), progress: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Every identifier use of the affiliates, and each affiliate's click total.

    Identifiers on the allow-list (dismissed cases: an office NAT, a shared agency account) are
    dropped here, so they never link anybody.
    """
    uses, totals = event_uses(db, source_uris(store), progress)
    known = set(affiliates["id"])
    uses = uses[uses["affiliate"].isin(known)]
    g = graph_uses(store, affiliates, with_traffic=uses.empty)
    g = g[g["affiliate"].isin(known)]
    all_uses = pd.concat([uses, g], ignore_index=True) if not g.empty else uses
    allow = set(allow)
    if allow:
        dropped = all_uses["ident"].isin(allow)
        log.info("allow-list: %d identifier uses of %d allow-listed identifiers ignored",
                 int(dropped.sum()), len(allow))
        all_uses = all_uses[~dropped]
    if totals.empty and not g.empty:
        totals = behaviour_totals(store)
    tot = totals.groupby("affiliate")["total"].sum() if not totals.empty else pd.Series(dtype=float)
    return all_uses.reset_index(drop=True), tot


def behaviour_totals(store: GraphStore) -> pd.DataFrame:
    """Each affiliate's click total from the behaviour figures on its node. Without click events,
    traffic uses come from the graph's edges, which hold shared identifiers only: shares of traffic
    need the affiliate's whole click count, not the sum over its shared identifiers."""
    rows = []
    for r in Q.read_all(store, Q.AFFILIATE_BEHAVIOUR):
        try:
            periods = json.loads(r["behaviour"]).get("periods") or {}
        except (TypeError, ValueError, AttributeError):
            continue
        clicks = sum(float(p.get("clicks") or 0) for p in periods.values() if isinstance(p, dict))
        if clicks > 0:
            rows.append({"affiliate": r["id"], "total": clicks})
    return pd.DataFrame(rows, columns=["affiliate", "total"])


# ---------------------------------------------------------------------------------- weights

def rarity(degree: pd.Series | np.ndarray, population: pd.Series | np.ndarray | int) -> np.ndarray:
    """IDF-like weight in [0, 1]: 1 for an identifier of two affiliates, 0 for one of everybody."""
    d = np.asarray(degree, dtype=float)
    n = np.broadcast_to(np.asarray(population, dtype=float), d.shape)
    denom = np.log(np.maximum(n, 2.0) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(denom > 0, np.log(np.maximum(n, 1.0) / np.maximum(d, 1.0)) / denom, 0.0)
    return np.clip(np.where(d >= n, 0.0, w), 0.0, 1.0)


def weigh(uses: pd.DataFrame, totals: pd.Series, cfg: LinkConfig = LinkConfig()) -> pd.DataFrame:
    """Uses with ``degree``, ``population``, ``weight`` (rarity) and ``share`` (intensity)."""
    u = uses.copy()
    if u.empty:
        for c in ("degree", "population", "weight", "share"):
            u[c] = pd.Series(dtype=float)
        return u
    u["degree"] = u.groupby(["kind", "ident"])["affiliate"].transform("nunique")
    u["population"] = u.groupby("kind")["affiliate"].transform("nunique")
    u["weight"] = rarity(u["degree"], u["population"])
    account = u["kind"].isin(ACCOUNT_KINDS)
    tot = u["affiliate"].map(totals).fillna(0.0).astype(float)
    tot = np.maximum(tot, u.groupby(["affiliate", "kind"])["n"].transform("sum").astype(float))
    u["share"] = np.where(account, 1.0, u["n"].astype(float) / (tot + cfg.prior))
    u["repeat"] = np.where(account, 1.0, u["n"].astype(float) / (u["n"].astype(float) + cfg.repeat))
    return u


@dataclass
class Links:
    """Affiliate pairs with their evidence.

    ``pairs``: ``a, b`` (a < b), ``strength``, ``traffic``, ``account``, one column per kind,
    ``shared`` (number of shared identifiers). ``evidence``: one row per pair and shared
    identifier (``a, b, kind, ident, weight, degree, n_a, n_b, contribution``).
    """

    pairs: pd.DataFrame
    evidence: pd.DataFrame

    def between(self, a: str, b: str) -> pd.DataFrame:
        lo, hi = sorted((a, b))
        e = self.evidence
        return e[(e["a"] == lo) & (e["b"] == hi)].sort_values("contribution", ascending=False)


def pair_links(weighted: pd.DataFrame, cfg: LinkConfig = LinkConfig()) -> Links:
    """Pairs of affiliates that share identifiers, with strength and per-identifier evidence."""
    import duckdb

    cols = ["a", "b", "kind", "ident", "weight", "degree", "n_a", "n_b", "contribution"]
    kinds = sorted(cfg.kind_weights)
    x = weighted[(weighted["degree"] >= 2) & (weighted["degree"] <= cfg.max_degree)
                 & (weighted["weight"] > 0)]
    if x.empty:
        empty = pd.DataFrame(columns=["a", "b", "strength", "traffic", "account", "shared", *kinds])
        return Links(empty, pd.DataFrame(columns=cols))
    x = x[["affiliate", "kind", "ident", "weight", "degree", "n", "share", "repeat"]]
    con = duckdb.connect()
    try:
        con.register("x", x)
        ev = con.execute(
            """SELECT l.affiliate AS a, r.affiliate AS b, l.kind, l.ident, l.weight, l.degree,
                      l.n AS n_a, r.n AS n_b,
                      l.weight * least(l.share, r.share) * least(l.repeat, r.repeat) AS contribution
               FROM x l JOIN x r ON l.kind = r.kind AND l.ident = r.ident AND l.affiliate < r.affiliate
               WHERE l.weight * least(l.share, r.share) * least(l.repeat, r.repeat) >= ?""", [cfg.min_contribution]).df()
    finally:
        con.close()
    if ev.empty:
        empty = pd.DataFrame(columns=["a", "b", "strength", "traffic", "account", "shared", *kinds])
        return Links(empty, pd.DataFrame(columns=cols))
    per = ev.groupby(["a", "b", "kind"])["contribution"].sum().clip(upper=1.0).unstack("kind", fill_value=0.0)
    for k in kinds:
        if k not in per:
            per[k] = 0.0
    per = per[kinds]
    kw = pd.Series(cfg.kind_weights)
    per["traffic"] = (per[[k for k in kinds if k not in ACCOUNT_KINDS]] * kw.drop(list(ACCOUNT_KINDS))).sum(axis=1)
    per["account"] = (per[[k for k in kinds if k in ACCOUNT_KINDS]] * kw[list(ACCOUNT_KINDS)]).sum(axis=1)
    per["strength"] = per["traffic"] + per["account"]
    per["shared"] = ev.groupby(["a", "b"]).size()
    pairs = per.reset_index()[["a", "b", "strength", "traffic", "account", "shared", *kinds]]
    return Links(pairs.sort_values("strength", ascending=False).reset_index(drop=True), ev[cols])


def build(uses: pd.DataFrame, totals: pd.Series, cfg: LinkConfig = LinkConfig()) -> tuple[pd.DataFrame, Links]:
    """Weighted uses and the links between affiliates."""
    weighted = weigh(uses, totals, cfg)
    return weighted, pair_links(weighted, cfg)
