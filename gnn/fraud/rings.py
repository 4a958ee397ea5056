"""Candidate fraud rings from the weighted identifier graph, their scores, and their graph form.

1. Keep the strong links (``strength >= strong``) and take connected components.
2. Split every component that is large (``split_above``) or sparse (fewer than ``min_density``
   of its member pairs strongly linked: a chain, not a clique) with Louvain communities
   (``networkx.community.louvain_communities``, weighted by link strength, fixed seed).
3. Score each ring: ``evidence`` = mean link strength between members (the identifiers they
   share, weighted by rarity and traffic), ``behaviour`` = mean member anomaly, and
   ``score = max(behaviour * min(1, evidence / evidence_ref), traffic_weight * min(1, traffic))``:
   coordinated *and* anomalous, or sharing most of their traffic outright. Shared ownership
   alone (one payment account behind several honest sites) is a candidate, not a flag.
4. Keep ring ids stable across runs: a ring that covers most of an earlier ring keeps its id.

Rings are written as ``(:Ring)`` with ``(:Affiliate)-[:MEMBER_OF {score}]->(:Ring)``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gnn.fraud import queries as Q
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance


@dataclass(frozen=True)
class RingConfig:
    strong: float = 0.15  # a link this strong joins two affiliates into one candidate ring
    split_above: int = 30  # components larger than this are split with Louvain ...
    min_density: float = 0.5  # ... and so are sparser ones (share of member pairs strongly linked)
    resolution: float = 1.0
    evidence_ref: float = 0.2  # mean link strength that counts as full evidence
    traffic_weight: float = 0.8
    threshold: float = 0.5  # default flag threshold on the ring score
    seed: int = 7
    max_size: int = 200  # larger "rings" are infrastructure, not collusion: never flagged


@dataclass
class Ring:
    id: str
    members: list[str]
    score: float
    evidence: float
    traffic: float
    account: float
    behaviour: float
    flagged: bool
    member_scores: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)


def communities(pairs: pd.DataFrame, cfg: RingConfig = RingConfig()) -> list[list[str]]:
    """Candidate rings (sorted member lists, largest first) from the link table."""
    import networkx as nx

    strong = pairs[pairs["strength"] >= cfg.strong]
    g = nx.Graph()
    g.add_weighted_edges_from(zip(strong["a"], strong["b"], strong["strength"], strict=True))
    out: list[list[str]] = []
    for comp in nx.connected_components(g):
        sub = g.subgraph(comp)
        density = sub.number_of_edges() / (len(comp) * (len(comp) - 1) / 2)
        if len(comp) <= cfg.split_above and density >= cfg.min_density:
            out.append(sorted(comp))
            continue
        for c in nx.community.louvain_communities(sub, weight="weight", resolution=cfg.resolution,
                                                  seed=cfg.seed):
            if len(c) >= 2:
                out.append(sorted(c))
    return sorted(out, key=lambda m: (-len(m), m[0]))


def score_rings(groups: list[list[str]], pairs: pd.DataFrame, anomaly: pd.Series,
                cfg: RingConfig = RingConfig()) -> list[Ring]:
    """Score candidate rings (ids are provisional: :func:`stable_ids` fixes them)."""
    kinds = [c for c in pairs.columns if c not in ("a", "b", "strength", "traffic", "account", "shared")]
    rings = []
    for members in groups:
        mset = set(members)
        inside = pairs[pairs["a"].isin(mset) & pairs["b"].isin(mset)]
        n_pairs = len(members) * (len(members) - 1) / 2
        ev = float(inside["strength"].sum() / n_pairs) if n_pairs else 0.0
        tr = float(inside["traffic"].sum() / n_pairs) if n_pairs else 0.0
        ac = float(inside["account"].sum() / n_pairs) if n_pairs else 0.0
        beh = float(np.mean([float(anomaly.get(m, 0.0)) for m in members]))
        score = max(beh * min(1.0, ev / cfg.evidence_ref), cfg.traffic_weight * min(1.0, tr))
        if len(members) > cfg.max_size:
            score = 0.0
        per_member = {}
        for m in members:
            s = inside[(inside["a"] == m) | (inside["b"] == m)]["strength"].sum() / max(len(members) - 1, 1)
            per_member[m] = round(float(min(1.0, s / cfg.evidence_ref) * score), 4)
        rings.append(Ring(id=provisional_id(members), members=list(members), score=round(score, 4),
                          evidence=round(ev, 4), traffic=round(tr, 4), account=round(ac, 4),
                          behaviour=round(beh, 4), flagged=score >= cfg.threshold,
                          member_scores=per_member,
                          kinds={k: round(float(inside[k].sum() / n_pairs), 4) for k in kinds
                                 if n_pairs and inside[k].sum() > 0}))
    return sorted(rings, key=lambda r: (-r.score, r.id))


def provisional_id(members: list[str]) -> str:
    return "ring:" + hashlib.sha256("|".join(sorted(members)).encode()).hexdigest()[:12]


def overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller set covered by the other (1 = one contains the other)."""
    return len(a & b) / max(min(len(a), len(b)), 1)


def stable_ids(rings: list[Ring], previous: list[dict[str, Any]], min_overlap: float = 0.5) -> dict[str, str]:
    """Give each ring the id of the earlier ring it overlaps most (at least ``min_overlap`` of
    the smaller one), so a grown ring stays the same ring; returns new id -> earlier id."""
    prev = [(p["id"], set(p.get("members") or []) | set(json.loads(p.get("evidence") or "{}").get("members", [])))
            for p in previous]
    taken: set[str] = set()
    mapped: dict[str, str] = {}
    for r in sorted(rings, key=lambda r: -r.size):
        best, best_ov = None, 0.0
        for pid, pm in prev:
            if pid in taken or not pm:
                continue
            ov = overlap(set(r.members), pm)
            if ov > best_ov:
                best, best_ov = pid, ov
        if best is not None and best_ov >= min_overlap:
            taken.add(best)
            mapped[r.id] = best
            r.id = best
    return mapped


def ring_evidence(rings: list[Ring], links_evidence: pd.DataFrame, top: int = 12) -> dict[str, dict[str, Any]]:
    """Versioned evidence JSON per ring: members, scores, and its strongest shared identifiers."""
    ring_of = {m: r.id for r in rings for m in r.members}
    e = links_evidence
    if not e.empty and ring_of:
        ra, rb = e["a"].map(ring_of), e["b"].map(ring_of)
        e = e[ra.notna() & (ra == rb)].assign(ring=ra[ra.notna() & (ra == rb)])
    else:
        e = e.iloc[0:0].assign(ring=pd.Series(dtype=object))
    groups = dict(tuple(e.groupby("ring"))) if not e.empty else {}
    out: dict[str, dict[str, Any]] = {}
    for r in rings:
        idents: list[dict[str, Any]] = []
        g = groups.get(r.id)
        if g is not None and not g.empty:
            agg = g.groupby(["kind", "ident"]).agg(contribution=("contribution", "sum"), weight=("weight", "first"),
                                                   degree=("degree", "first")).reset_index()
            agg = agg.sort_values(["contribution", "ident"], ascending=[False, True]).head(top)
            keep = set(agg["ident"])
            sub = g[g["ident"].isin(keep)]
            users = pd.concat([sub[["ident", "a"]].rename(columns={"a": "m"}),
                               sub[["ident", "b"]].rename(columns={"b": "m"})])
            members_of = users.groupby("ident")["m"].apply(lambda s: sorted(set(s))).to_dict()
            for row in agg.itertuples(index=False):
                idents.append({"kind": row.kind, "id": row.ident, "weight": round(float(row.weight), 3),
                               "affiliates_using": int(row.degree), "members": members_of.get(row.ident, [])})
        out[r.id] = {"v": 1, "nodes": [r.id, *r.members], "members": r.members, "score": r.score,
                     "evidence": r.evidence, "traffic": r.traffic, "account": r.account, "behaviour": r.behaviour,
                     "kinds": r.kinds, "identifiers": idents}
    return out


def write_rings(store: GraphStore, rings: list[Ring], evidence: dict[str, dict[str, Any]],
                prov: Provenance, detected_at: str) -> dict[str, int]:
    """Upsert the rings and their memberships; memberships of earlier runs are removed and rings
    not found again are marked ``retired`` (kept: cases may cite them)."""
    w = GraphWriter(store, prov)
    rows = [{"id": r.id, "score": r.score, "size": r.size, "status": "flagged" if r.flagged else "candidate",
             "evidence": json.dumps(evidence[r.id], sort_keys=True), "detected_at": detected_at}
            for r in rings]
    w.nodes("Ring", rows)
    mem = [{"src": m, "dst": r.id, "score": r.member_scores.get(m, r.score)} for r in rings for m in r.members]
    w.relationships("MEMBER_OF", mem, src_label="Affiliate", dst_label="Ring")
    removed = store.write(Q.PRUNE_MEMBERS, {"run_id": prov.run_id}).rows
    retired = store.write(Q.RETIRE_RINGS, {"run_id": prov.run_id}).rows
    return {"rings": len(rows), "flagged": sum(r.flagged for r in rings), "members": len(mem),
            "memberships_removed": int(removed[0]["removed"]) if removed else 0,
            "retired": int(retired[0]["retired"]) if retired else 0}
