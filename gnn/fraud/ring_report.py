"""``ring ID``: one ring for an investigator, and its evidence pack.

The report has the members (name, risk, provenance of the affiliate record), the identifiers
two or more members share (kind, pseudonym, rarity, how many affiliates in the network use
it, first and last use), a monthly timeline of clicks and conversions per member, and the
behaviour figures on which the members stand out. The evidence pack is a folder with
``facts.csv`` (one fact per row, each with its ``source``: the imported file and row, the
crawled URL, or the model run for derived figures), ``ring.json`` and ``subgraph.png``.
Identifiers stay pseudonymised; the cited rows let the affiliate network look them up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.fraud import queries as Q
from gnn.fraud.draw import KIND_STYLE, Node, render
from gnn.fraud.identifiers import source_uris
from graph.errors import InputError, NotBuilt
from graph.ingest.events import EventStore
from graph.settings import Settings
from graph.store.base import GraphStore

FACT_COLUMNS = ("fact", "subject", "predicate", "object", "value", "first", "last", "source")

TIMELINE_SQL = """SELECT network, affiliate, strftime(ts, '%Y-%m') AS period, count(*) AS n,
  {bad} AS bad, list(DISTINCT filename ORDER BY filename) AS files
FROM ev WHERE network || ':' || affiliate IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL"""


@dataclass
class RingReport:
    ring: dict[str, Any]
    members: pd.DataFrame
    identifiers: pd.DataFrame
    uses: pd.DataFrame
    timeline: pd.DataFrame
    behaviour: pd.DataFrame

    @property
    def id(self) -> str:
        return str(self.ring["id"])

    def lines(self) -> list[str]:
        r = self.ring
        out = [f"{r['id']}: {r.get('status')} ring of {len(self.members)} affiliates, score {r.get('score')}, "
               f"detected {r.get('detected_at')} (first seen {r.get('first_seen')})", "members:"]
        for m in self.members.itertuples(index=False):
            out.append(f"  {m.id}  {m.name or ''}  risk {m.risk:.2f}  clicks {int(m.clicks):,}  "
                       f"conversions {int(m.conversions):,}")
        out.append(f"shared identifiers ({len(self.identifiers)}):")
        for i in self.identifiers.head(15).itertuples(index=False):
            out.append(f"  {i.kind:<15} {i.ident}  rarity {i.weight:.2f}  {i.members} members of "
                       f"{i.degree} affiliates  {i.first or ''}..{i.last or ''}")
        if not self.timeline.empty:
            t = self.timeline.groupby("period")[["clicks", "conversions"]].sum()
            out.append("timeline (all members): " + ", ".join(
                f"{p} {int(c):,}/{int(v):,}" for p, (c, v) in t.tail(12).iterrows()) + "  (clicks/conversions)")
        if not self.behaviour.empty:
            b = self.behaviour.groupby("feature").agg(value=("value", "median"), z=("z", "median"))
            b = b[b["z"] > 0].sort_values("z", ascending=False).head(6)
            out.append("behaviour (median of members, z against the network): " + "; ".join(
                f"{f} {row.value:.3g} (z {row.z:.1f})" for f, row in b.iterrows()))
        return out

    def facts(self) -> pd.DataFrame:
        rid, model_src = self.id, str(self.ring.get("source") or "")
        rows: list[tuple[Any, ...]] = [("ring", rid, "score", "", self.ring.get("score"),
                                        self.ring.get("first_seen"), self.ring.get("detected_at"), model_src)]
        for m in self.members.itertuples(index=False):
            rows.append(("member", rid, "has_member", m.id, m.member_score, "", "", m.source))
            rows.append(("risk", m.id, "risk", "", round(float(m.risk), 4), "", "", model_src))
        for u in self.uses.itertuples(index=False):
            rows.append(("identifier_use", u.affiliate, f"uses_{u.kind}", u.ident, int(u.n), u.first, u.last,
                         u.source))
        for i in self.identifiers.itertuples(index=False):
            rows.append(("shared_identifier", i.ident, "rarity", i.kind, round(float(i.weight), 4), i.first,
                         i.last, f"{model_src} (from the identifier_use rows of {i.ident})"))
        for t in self.timeline.itertuples(index=False):
            rows.append(("timeline", t.affiliate, f"clicks@{t.period}", "", int(t.clicks), t.period, t.period,
                         t.click_sources))
            if t.conversions:
                rows.append(("timeline", t.affiliate, f"conversions@{t.period}", "", int(t.conversions), t.period,
                             t.period, t.conversion_sources))
        for b in self.behaviour.itertuples(index=False):
            rows.append(("behaviour", b.affiliate, b.feature, f"z={b.z:.2f}", round(float(b.value), 5), "", "",
                         b.sources))
        return pd.DataFrame(rows, columns=list(FACT_COLUMNS))

    def figure(self, max_identifiers: int = 40) -> tuple[list[Node], list[tuple[int, int]], list[tuple[str, str]]]:
        nodes: list[Node] = []
        keys: list[tuple[str, str]] = []
        pos: dict[str, int] = {}
        for k, m in enumerate(self.members.itertuples(index=False), 1):
            pos[m.id] = len(nodes)
            nodes.append(Node(f"A{k}", "affiliate", float(m.risk)))
            keys.append((f"A{k}", m.id))
        counters: dict[str, int] = {}
        show = self.identifiers[self.identifiers["weight"] >= 0.3].head(max_identifiers)
        for i in show.itertuples(index=False):
            letter = KIND_STYLE.get(i.kind, ("X", (0, 0, 0)))[0]
            counters[letter] = counters.get(letter, 0) + 1
            key = f"{letter}{counters[letter]}"
            pos[f"{i.kind}|{i.ident}"] = len(nodes)
            nodes.append(Node(key, i.kind))
            keys.append((key, i.ident))
        edges = [(pos[u.affiliate], pos[f"{u.kind}|{u.ident}"]) for u in self.uses.itertuples(index=False)
                 if f"{u.kind}|{u.ident}" in pos and u.affiliate in pos]
        return nodes, edges, keys

    def write_pack(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        nodes, edges, keys = self.figure()
        facts = self.facts()
        legend = pd.DataFrame([("figure_label", k, "is", v, "", "", "", "subgraph.png") for k, v in keys],
                              columns=list(FACT_COLUMNS))
        facts = pd.concat([facts, legend], ignore_index=True)
        missing = facts[(facts["fact"] != "figure_label") & (facts["source"].fillna("").astype(str) == "")]
        if not missing.empty:  # every fact cites its provenance
            raise RuntimeError(f"bug: {len(missing)} facts without a source (e.g. {missing.iloc[0].to_dict()})")
        paths = [out / "facts.csv", out / "ring.json"]
        facts.to_csv(paths[0], index=False, lineterminator="\n")
        doc = {"v": 1, "ring": {k: v for k, v in self.ring.items() if k != "members"},
               "members": self.members.to_dict("records"), "identifiers": self.identifiers.to_dict("records"),
               "labels": dict(keys)}
        paths[1].write_text(json.dumps(doc, indent=1, default=str))
        title = f"{self.id}  score {float(self.ring.get('score') or 0):.2f}  {len(self.members)} members"
        paths.append(render(nodes, edges, title, out / "subgraph.png"))
        return paths


def resolve_ring(store: GraphStore, ref: str) -> str:
    ref = ref.strip()
    ids = [r["id"] for r in Q.read_all(store, Q.RING_IDS)]
    if ref in ids:
        return ref
    hits = [i for i in ids if i.removeprefix("ring:").startswith(ref.removeprefix("ring:")) and ref]
    if len(hits) == 1:
        return hits[0]
    if not ids:
        raise NotBuilt("no rings yet", hint="run: partnergraph fraud")
    raise InputError(f"unknown ring {ref!r}" if not hits else f"{ref!r} names {len(hits)} rings",
                     hint="list rings with: partnergraph ring --list")


def _read_cache(cache: Path, name: str) -> pd.DataFrame:
    path = cache / f"{name}.parquet"
    if not path.exists():
        raise NotBuilt("the fraud cache is missing", hint="run: partnergraph fraud")
    return pd.read_parquet(path)


def timeline(events: EventStore, uris: dict[str, str], members: list[str]) -> pd.DataFrame:
    """Clicks and conversions per member and month, with the files they come from."""
    import duckdb

    from gnn.fraud.identifiers import _file_uri

    keys = [m.removeprefix("affiliate:") for m in members]
    frames = {}
    for kind in ("click", "conversion"):
        files = events.files(kind)
        if not files:
            continue
        con = duckdb.connect()
        try:
            con.read_parquet(files, union_by_name=True, filename=True).create_view("ev")
            have = {r[0] for r in con.execute("DESCRIBE ev").fetchall()}
            bad = ("sum(CASE WHEN lower(status) IN ('refunded', 'declined', 'reversed', 'chargeback') THEN 1 "
                   "ELSE 0 END)") if "status" in have else "0"
            frames[kind] = con.execute(TIMELINE_SQL.format(bad=bad), [keys]).df()
        finally:
            con.close()
    out: pd.DataFrame | None = None
    for kind, df in frames.items():
        if df.empty:
            continue
        df = df.assign(affiliate="affiliate:" + df["network"] + ":" + df["affiliate"].astype(str))
        df[f"{kind}_sources"] = [" ".join(sorted(set(_file_uri(pd.Series(list(f)), pd.Series([None] * len(f)),
                                                                 uris)))) for f in df["files"]]
        df = df.rename(columns={"n": "clicks" if kind == "click" else "conversions",
                                "bad": "bad" if kind == "conversion" else "_bad"})
        keep = ["affiliate", "period", "clicks" if kind == "click" else "conversions", f"{kind}_sources"]
        keep += ["bad"] if kind == "conversion" else []
        df = df[keep]
        out = df if out is None else out.merge(df, on=["affiliate", "period"], how="outer")
    cols = ["affiliate", "period", "clicks", "conversions", "bad", "click_sources", "conversion_sources"]
    if out is None:
        return pd.DataFrame(columns=cols)
    for c in cols:
        if c not in out:
            out[c] = 0 if c in ("clicks", "conversions", "bad") else ""
    out[["clicks", "conversions", "bad"]] = out[["clicks", "conversions", "bad"]].fillna(0).astype(int)
    out[["click_sources", "conversion_sources"]] = out[["click_sources", "conversion_sources"]].fillna("")
    return out[cols].sort_values(["period", "affiliate"]).reset_index(drop=True)


def ring_report(store: GraphStore, settings: Settings, ref: str) -> RingReport:
    """Everything about one ring, from the graph, the fraud cache and the event store."""
    from gnn.fraud.stage import cache_dir

    rid = resolve_ring(store, ref)
    row = Q.read_all(store, Q.RING, {"id": rid})[0]
    ring = {k: v for k, v in row.items() if k != "members"}
    members = [m for m in row.get("members") or [] if m.get("id")]
    if not members:  # a retired ring: the members it had when it was last seen
        ev = json.loads(row.get("evidence") or "{}")
        members = [{"id": m, "name": "", "score": None, "source": ""} for m in ev.get("members", [])]
    mem = pd.DataFrame(members).sort_values("id").reset_index(drop=True)
    ids = mem["id"].tolist()
    cache = cache_dir(settings)
    uses_all = _read_cache(cache, "uses")
    feats = _read_cache(cache, "features").set_index("id")
    scores = _read_cache(cache, "scores").set_index("id")
    zc = _read_cache(cache, "z").set_index("id") if (cache / "z.parquet").exists() else pd.DataFrame()
    mu = uses_all[uses_all["affiliate"].isin(ids)]
    shared = mu.groupby(["kind", "ident"]).agg(
        members=("affiliate", "nunique"), weight=("weight", "first"), degree=("degree", "first"),
        n=("n", "sum"), first=("first", "min"), last=("last", "max")).reset_index()
    shared = shared[shared["members"] >= 2]
    shared = shared.assign(rank=shared["weight"] * shared["members"] * np.log1p(shared["n"]))
    shared = shared.sort_values(["rank", "ident"], ascending=[False, True]).drop(columns="rank")
    uses = mu.merge(shared[["kind", "ident"]], on=["kind", "ident"])[
        ["affiliate", "kind", "ident", "n", "first", "last", "source"]].sort_values(["affiliate", "kind", "ident"])
    mem["name"] = mem["name"].fillna("")
    mem["member_score"] = mem["score"].astype(float)
    mem["risk"] = mem["id"].map(scores["risk"]).fillna(0.0).astype(float)
    mem["anomaly"] = mem["id"].map(scores["anomaly"]).fillna(0.0).astype(float)
    mem["clicks"] = mem["id"].map(feats["clicks"]).fillna(0.0)
    mem["conversions"] = mem["id"].map(feats["conversions"]).fillna(0.0)
    # the affiliate record's row in the network export (its PAID_TO fact), else the node's source
    record = mu[mu["kind"] == "payment"].drop_duplicates("affiliate").set_index("affiliate")["source"]
    nodes = {r["id"]: r.get("source") for r in Q.read_all(store, Q.AFFILIATES) if r["id"] in set(ids)}
    mem["source"] = [record.get(i) or (s if isinstance(s, str) and s else nodes.get(i)) or ""
                     for i, s in zip(mem["id"], mem["source"], strict=True)]
    mem = mem[["id", "name", "risk", "member_score", "anomaly", "clicks", "conversions", "source"]]
    tl = timeline(EventStore(settings.home / "events"), source_uris(store), ids)
    beh = _behaviour(feats, zc, ids, tl)
    ring["source"] = f"{ring.get('source') or 'model://fraud'}#run={ring.get('run_id') or ''}"
    return RingReport(ring, mem, shared.reset_index(drop=True), uses.reset_index(drop=True), tl, beh)


def _behaviour(feats: pd.DataFrame, z: pd.DataFrame, ids: list[str], tl: pd.DataFrame) -> pd.DataFrame:
    src = {}
    for aff, g in tl.groupby("affiliate"):
        files = set(" ".join(g["click_sources"]).split()) | set(" ".join(g["conversion_sources"]).split())
        src[aff] = " ".join(sorted(files))
    rows = []
    for aff in ids:
        if aff not in feats.index:
            continue
        for f in z.columns if not z.empty else []:
            if f in feats.columns:
                zz = float(z.at[aff, f]) if aff in z.index else 0.0
                rows.append((aff, f, float(feats.at[aff, f]), zz, src.get(aff, "") or "event store (no events)"))
    return pd.DataFrame(rows, columns=["affiliate", "feature", "value", "z", "sources"])
