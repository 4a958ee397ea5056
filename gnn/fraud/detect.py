"""One fraud run: identifier graph -> behaviour -> rings -> models -> risk (read-only analysis).

:func:`analyse` reads the graph and the event store and returns a :class:`FraudRun`; it writes
nothing, so evaluations can run it on a shared graph. :mod:`gnn.fraud.stage` writes the
results (rings, risk, alerts) and the investigator cache.

The shipped risk of an affiliate is ``1 - (1 - ring) * (1 - 0.5 * anomaly)``: its ring's score
(its share of the ring's evidence) combined with its own behaviour anomaly. The GNN and the
baselines (rules, GBM) are scored in the same run, on the same known labels, and reported next
to it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.fraud import behaviour as B
from gnn.fraud import identifiers as I
from gnn.fraud import queries as Q
from gnn.fraud import rings as R
from gnn.fraud.baselines import gbm_scores, graph_figures, rule_scores
from gnn.fraud.eventdb import EventDB
from gnn.fraud.labels import Labels, known_labels
from gnn.fraud.model import GNNConfig, Relation, both_directions, train_gnn
from gnn.fraud.progress import bar
from graph.ingest.events import EventStore
from graph.settings import Settings
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

SHIPPED = "rings+behaviour"
MODELS = (SHIPPED, "anomaly", "rules", "gbm", "gnn")
MODEL_VERSION = "fraud-rings-1"


@dataclass(frozen=True)
class FraudConfig:
    links: I.LinkConfig = field(default_factory=I.LinkConfig)
    rings: R.RingConfig = field(default_factory=R.RingConfig)
    gnn: GNNConfig = field(default_factory=GNNConfig)
    anomaly_weight: float = 0.5  # weight of an affiliate's own behaviour in its risk
    min_link: float = 0.05  # weakest link the GNN passes messages over
    risk_threshold: float = 0.5  # risk at or above this flags an affiliate
    risk_jump: float = 0.3  # a rise this large (to above the threshold) raises an alert
    models: bool = True  # train the GNN and the GBM (off: the shipped score and rules only)


@dataclass
class FraudRun:
    affiliates: pd.DataFrame  # id, network, network_id, name, domain, vertical, risk (previous)
    uses: pd.DataFrame  # weighted identifier uses
    links: I.Links
    features: pd.DataFrame  # id + behaviour features
    anomaly: pd.Series  # id -> [0, 1]
    z: pd.DataFrame  # id -> per-feature suspicious z
    rings: list[R.Ring]
    scores: pd.DataFrame  # index id; one column per model, ``risk`` = shipped
    labels: Labels
    raw: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def flagged_rings(self) -> list[R.Ring]:
        return [r for r in self.rings if r.flagged]

    def summary(self) -> str:
        fl = self.flagged_rings
        flagged_aff = int((self.scores["risk"] >= 0.5).sum()) if "risk" in self.scores else 0
        lab = self.labels.counts()
        return (f"{len(self.affiliates):,} affiliates, {len(self.uses):,} identifier uses, "
                f"{len(self.links.pairs):,} links; {len(self.rings)} candidate rings, {len(fl)} flagged "
                f"({sum(r.size for r in fl)} members); {flagged_aff} affiliates at risk >= 0.5; "
                f"known labels {lab['positive']}+/{lab['negative']}-")


class Timer:
    """Times named phases (logged); with ``progress``, a bar over ``total`` phases."""

    def __init__(self, progress: bool = False, total: int = 0, desc: str = "fraud") -> None:
        self.times: dict[str, float] = {}
        self.bar = bar(total=total, desc=desc, unit="phase", progress=progress and total > 0)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        self.bar.set_postfix_str(name, refresh=True)
        try:
            yield
        finally:
            self.times[name] = round(self.times.get(name, 0.0) + time.perf_counter() - t0, 3)
            log.info("fraud: %s %.1fs", name, self.times[name])
            self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def load_affiliates(store: GraphStore, networks: list[str] | None = None) -> pd.DataFrame:
    """Affiliates with their vertical (strongest tier-1 topic, own or of a SAME_AS partner)."""
    cols = ["id", "network", "network_id", "name", "domain", "source", "risk"]
    aff = pd.DataFrame(Q.read_all(store, Q.AFFILIATES), columns=cols)
    if networks:
        aff = aff[aff["network"].isin(networks)]
    aff = aff.drop_duplicates("id").sort_values("id").reset_index(drop=True)
    if aff.empty:
        return aff.assign(vertical=pd.Series(dtype=object))
    topics = pd.DataFrame(Q.read_all(store, Q.TIER1_TOPICS), columns=["node", "topic", "name", "score"])
    same = pd.DataFrame(Q.read_all(store, Q.SAME_AS), columns=["affiliate", "partner"])
    link = pd.concat([pd.DataFrame({"affiliate": aff["id"], "partner": aff["id"]}), same], ignore_index=True)
    m = link.merge(topics, left_on="partner", right_on="node")
    if m.empty:
        aff["vertical"] = ""
    else:
        best = m.sort_values(["score", "topic"], ascending=[False, True]).drop_duplicates("affiliate")
        aff["vertical"] = aff["id"].map(best.set_index("affiliate")["name"]).fillna("")
    return aff


def allowlist(store: GraphStore) -> set[str]:
    """Identifiers allow-listed by dismissed cases (an office NAT, an agency's shared account)."""
    out: set[str] = set()
    for c in Q.read_all(store, Q.CASES):
        if c.get("status") == "dismissed" and c.get("allowlist"):
            out.update(json.loads(c["allowlist"]))
    return out


def model_matrix(feats: pd.DataFrame, gfig: pd.DataFrame, drop_status: bool) -> tuple[np.ndarray, list[str]]:
    names = [f for f in B.FEATURES if not (drop_status and f in B.STATUS_FEATURES)]
    x = pd.concat([feats.set_index("id")[names], gfig.reindex(feats["id"])], axis=1)
    return x.to_numpy(dtype=float), [*names, *gfig.columns]


def score_models(run: FraudRun, cfg: FraudConfig, timer: Timer, progress: bool = False) -> pd.DataFrame:
    ids = run.features["id"]
    idx = pd.Index(ids)
    scores = pd.DataFrame(index=idx)
    ring_of = pd.Series(0.0, index=idx)
    for r in run.rings:
        for m, s in r.member_scores.items():
            if m in ring_of.index and r.flagged:
                ring_of[m] = max(ring_of[m], s)
    anom = run.anomaly.reindex(idx).fillna(0.0)
    scores[SHIPPED] = 1.0 - (1.0 - ring_of) * (1.0 - cfg.anomaly_weight * anom)
    scores["anomaly"] = anom
    scores["ring"] = ring_of
    with timer.phase("rules"):
        scores["rules"] = rule_scores(run.uses, ids).reindex(idx).fillna(0.0)
    y = run.labels.y.reindex(idx)
    train = y.notna().to_numpy()
    enough = run.labels.counts()["positive"] >= 5 and run.labels.counts()["negative"] >= 5
    if cfg.models and enough:
        gfig = graph_figures(run.links.pairs, ids, cfg.rings.strong)
        x, _names = model_matrix(run.features, gfig, drop_status=True)
        yy = y.fillna(0).to_numpy(dtype=float)
        with timer.phase("gbm"):
            scores["gbm"] = gbm_scores(x, yy, train, cfg.gnn.seed)
        with timer.phase("gnn"):
            rel = affiliate_relations(run.links.pairs, idx, cfg.min_link)
            scores["gnn"] = train_gnn(x, rel, yy, train, cfg.gnn, progress=progress)
            log.info("fraud: gnn trained on %d known labels over %d links (both directions), %d features",
                     int(train.sum()), len(rel[0][0]) // 2, x.shape[1])
    elif cfg.models:
        log.info("fraud: gbm and gnn skipped (fewer than 5 known labels of a class)")
    scores["risk"] = scores[SHIPPED]
    return scores


def affiliate_relations(pairs: pd.DataFrame, idx: pd.Index, min_link: float) -> list[Relation]:
    p = pairs[pairs["strength"] >= min_link]
    a, b = idx.get_indexer(p["a"]), idx.get_indexer(p["b"])
    ok = (a >= 0) & (b >= 0)
    return [both_directions(a[ok], b[ok], p["strength"].to_numpy(dtype=float)[ok])]


def analyse(store: GraphStore, settings: Settings, cfg: FraudConfig | None = None, *,
            networks: list[str] | None = None, label_file: Path | None = None,
            progress: bool = False) -> FraudRun:
    """Run the whole detection read-only and return every intermediate result."""
    cfg = cfg or FraudConfig()
    timer = Timer(progress, total=10 if cfg.models else 8)
    try:
        return _analyse(store, settings, cfg, networks, label_file, timer, progress)
    finally:
        timer.close()


def _analyse(store: GraphStore, settings: Settings, cfg: FraudConfig, networks: list[str] | None,
             label_file: Path | None, timer: Timer, progress: bool) -> FraudRun:
    notes: list[str] = []
    with timer.phase("affiliates"):
        aff = load_affiliates(store, networks)
    log.info("fraud: %d affiliates%s", len(aff), f" of {', '.join(networks)}" if networks else "")
    with timer.phase("events"):
        db = EventDB(EventStore(settings.home / "events"), networks)
        log.info("fraud: %d click and %d conversion events loaded", db.rows("clk"), db.rows("conv"))
    try:
        with timer.phase("identifiers"):
            uses, totals = I.load_uses(store, db, aff, allowlist(store), progress=progress)
            weighted, links = I.build(uses, totals, cfg.links)
            kinds = weighted["kind"].value_counts() if len(weighted) else pd.Series(dtype=int)
            log.info("fraud: %d identifier uses (%s); %d links", len(weighted),
                     ", ".join(f"{k} {v}" for k, v in kinds.items()) or "none", len(links.pairs))
        with timer.phase("behaviour"):
            raw = B.raw_figures(db) if not aff.empty else pd.DataFrame(columns=["id"])
            raw = raw[raw["id"].isin(set(aff["id"]))] if not raw.empty else raw
    finally:
        db.close()
    with timer.phase("behaviour"):
        feats = B.features(raw, aff, weighted)
        anom, z = B.anomaly(feats)
        anom.index = pd.Index(feats["id"])
        z.index = pd.Index(feats["id"])
        log.info("fraud: behaviour of %d affiliates, %d with clicks, %d at anomaly >= 0.5", len(feats),
                 int((feats["clicks"] > 0).sum()) if len(feats) else 0, int((anom >= 0.5).sum()))
    no_clicks = int((feats["clicks"] == 0).sum()) if not feats.empty else 0
    if no_clicks:
        notes.append(f"{no_clicks} affiliates have no clicks (scored on accounts and conversions only)")
    with timer.phase("rings"):
        groups = R.communities(links.pairs, cfg.rings)
        rings = R.score_rings(groups, links.pairs, anom, cfg.rings)
        log.info("fraud: %d candidate rings, %d flagged (%d members)", len(rings), sum(r.flagged for r in rings),
                 sum(r.size for r in rings if r.flagged))
    with timer.phase("labels"):
        lab = known_labels(raw, store, set(aff["id"]), label_file, sorted(set(aff["network"].dropna())))
        c = lab.counts()
        log.info("fraud: known labels %d positive, %d negative (%s)", c["positive"], c["negative"],
                 ", ".join(f"{k} {v}" for k, v in lab.origin.value_counts().items()) or "none")
    notes += lab.notes
    run = FraudRun(aff, weighted, links, feats, anom, z, rings, pd.DataFrame(), lab, raw, notes=notes)
    if not feats.empty:
        run.scores = score_models(run, cfg, timer, progress)
    else:
        run.scores = pd.DataFrame(columns=[*MODELS, "ring", "risk"])
        notes.append("no affiliates in the graph: nothing to score (import an affiliate network first)")
    run.timings = timer.times
    log.info("fraud: %s", run.summary())
    return run


def risk_evidence_all(run: FraudRun, ring_of: dict[str, str], top: int = 3) -> dict[str, dict[str, Any]]:
    """Why each affiliate has its risk: its ring, its most anomalous figures, its strongest links."""
    ids = list(run.features["id"])
    feats = run.features.set_index("id")
    z = run.z.reindex(ids).fillna(0.0)
    names = np.array(z.columns)
    order = np.argsort(-z.to_numpy(), axis=1)[:, :top] if len(names) else np.zeros((len(ids), 0), dtype=int)
    p = run.links.pairs
    both = pd.concat([p[["a", "b", "strength"]].rename(columns={"a": "n", "b": "o"}),
                      p[["b", "a", "strength"]].rename(columns={"b": "n", "a": "o"})], ignore_index=True)
    best = both.sort_values("strength", ascending=False, kind="stable").groupby("n").head(top)
    links = {n: list(zip(g["o"], g["strength"], strict=True)) for n, g in best.groupby("n")}
    zz = z.to_numpy()
    out = {}
    for i, aff in enumerate(ids):
        beh = [{"feature": str(names[j]), "value": round(float(feats.at[aff, names[j]]), 4)
                if names[j] in feats.columns else None, "z": round(float(zz[i, j]), 2)}
               for j in order[i] if zz[i, j] > 0]
        lk = [{"with": o, "strength": round(float(s), 4)} for o, s in links.get(aff, [])]
        ring_id = ring_of.get(aff)
        out[aff] = {"v": 1, "nodes": [aff, *([ring_id] if ring_id else []), *[x["with"] for x in lk]],
                    "ring": ring_id, "anomaly": round(float(run.anomaly.get(aff, 0.0)), 4),
                    "behaviour": beh, "links": lk}
    return out


def risk_evidence(run: FraudRun, aff: str, ring_id: str | None, top: int = 3) -> dict[str, Any]:
    """The evidence of one affiliate (see :func:`risk_evidence_all`)."""
    one = FraudRun(run.affiliates, run.uses, run.links, run.features[run.features["id"] == aff], run.anomaly,
                   run.z, run.rings, run.scores, run.labels, run.raw)
    return risk_evidence_all(one, {aff: ring_id} if ring_id else {}, top).get(aff, {"v": 1, "nodes": [aff]})
