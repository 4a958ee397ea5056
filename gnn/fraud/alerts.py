"""Alerts: a new ring, a ring that grew, a partner whose risk jumped.

Each alert is an ``(:Alert {kind, score, status, evidence, created_at})`` with ``FLAGGED``
edges to what it is about (the ring and its members, or the affiliate). Ids are deterministic,
so a re-run on the same data updates the same alerts instead of adding new ones:

- ``alert:new_ring:<ring id>``: a flagged ring no earlier run had flagged;
- ``alert:ring_grew:<ring id>:<hash of the new members>``: a flagged ring with new members;
- ``alert:risk_jump:<affiliate id>:<day>``: risk rose by at least ``risk_jump`` to at least the
  threshold, for an affiliate not covered by a ring alert of this run, and with no open
  risk-jump alert already.

Every alert carries an evidence summary; an alert without evidence is a bug and is refused.
Status and creation time of an existing alert are never overwritten by a re-run (an
investigator's ``dismissed`` stays).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gnn.fraud import rings as R
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance

OPEN = ("open", "investigating")
KIND_NAMES = {"device": "devices", "ip": "IPs", "ip_network": "IP networks", "payment": "payment accounts",
              "seller": "seller ids", "seller_reseller": "reseller ids", "referrer": "referrer domains",
              "landing": "landing domains", "template": "tracking templates"}
FEATURE_TEXT = {
    "ctit_fast_share": "conversions within a minute of the click (click injection)",
    "ctit_slow_share": "conversions days after the click (cookie stuffing)",
    "orphan_share": "conversions without a click in the log (cookie stuffing)",
    "negative_ctit_share": "conversions before their click",
    "empty_referrer_share": "clicks without a referrer",
    "night_share": "night-time clicks",
    "cvr_z_high": "conversion rate far above vertical peers",
    "cvr_z_low": "conversion rate far below vertical peers with high volume (click spam)",
    "log_clicks_per_device": "many clicks per device",
    "top_device_share": "traffic concentrated on one device",
    "top_ip_share": "traffic concentrated on one IP",
    "refund_share": "refunds and chargebacks",
}


class MissingEvidence(RuntimeError):
    """An alert without evidence: a bug, never written."""


@dataclass
class Alert:
    id: str
    kind: str
    score: float
    evidence: dict[str, Any]
    rings: list[str] = field(default_factory=list)
    affiliates: list[str] = field(default_factory=list)


def require_evidence(alert: Alert) -> None:
    ev = alert.evidence or {}
    has_facts = bool(ev.get("identifiers")) or bool(ev.get("behaviour")) or bool(ev.get("links"))
    if not ev.get("summary") or not has_facts or not (alert.rings or alert.affiliates):
        raise MissingEvidence(f"bug: alert {alert.id} has no evidence or flags nothing")


def _short(h: str) -> str:
    return hashlib.sha256(h.encode()).hexdigest()[:10]


def behaviour_reasons(z: pd.DataFrame, members: list[str], top: int = 3) -> list[dict[str, Any]]:
    """The figures on which the members are most anomalous (mean suspicious z)."""
    zz = z.reindex([m for m in members if m in z.index])
    if zz.empty:
        return []
    mean = zz.mean().sort_values(ascending=False)
    return [{"feature": k, "z": round(float(v), 2), "what": FEATURE_TEXT.get(k, k)}
            for k, v in mean.head(top).items() if v >= 1.0]


def ring_summary(ev: dict[str, Any], beh: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for i in ev.get("identifiers", []):
        counts[i["kind"]] = counts.get(i["kind"], 0) + 1
    shared = ", ".join(f"{n} {KIND_NAMES.get(k, k)}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    text = f"{len(ev['members'])} affiliates share {shared or 'identifiers'}"
    if beh:
        text += "; behaviour: " + "; ".join(b["what"] for b in beh)
    return text + f" (ring score {ev['score']:.2f})"


def plan(rings: list[R.Ring], ring_evidence: dict[str, dict[str, Any]], previous: list[dict[str, Any]],
         z: pd.DataFrame, risk: pd.Series, previous_risk: pd.Series, existing: list[dict[str, Any]],
         day: str, threshold: float = 0.5, jump: float = 0.3,
         risk_evidence: dict[str, dict[str, Any]] | None = None) -> list[Alert]:
    """The alerts of this run (pure: everything it needs is passed in)."""
    prev_flagged = {p["id"]: set(p.get("members") or []) for p in previous if p.get("status") == "flagged"}
    out: list[Alert] = []
    covered: set[str] = set()
    for r in rings:
        if not r.flagged:
            continue
        ev = ring_evidence[r.id]
        beh = behaviour_reasons(z, r.members)
        base = {**ev, "behaviour": beh, "summary": ring_summary(ev, beh)}
        if r.id not in prev_flagged:
            out.append(Alert(f"alert:new_ring:{r.id}", "new_ring", r.score, base, [r.id], list(r.members)))
        else:
            new = sorted(set(r.members) - prev_flagged[r.id])
            if not new:
                continue
            evg = {**base, "new_members": new, "summary": f"ring grew by {len(new)}: " + base["summary"]}
            out.append(Alert(f"alert:ring_grew:{r.id}:{_short('|'.join(new))}", "ring_grew", r.score, evg,
                             [r.id], list(r.members)))
        covered.update(r.members)
    open_jumps = {f for a in existing if a.get("kind") == "risk_jump" and a.get("status") in OPEN
                  for f in a.get("flagged") or []}
    before = previous_risk.reindex(risk.index).fillna(0.0)
    jumped = risk[(risk >= threshold) & (risk - before >= jump)]
    for aff, now in jumped.sort_values(ascending=False).items():
        if aff in covered or aff in open_jumps:
            continue
        rev = dict((risk_evidence or {}).get(aff) or {})
        beh = rev.get("behaviour") or []
        what = "; ".join(FEATURE_TEXT.get(b["feature"], b["feature"]) for b in beh)
        rev.update({"v": 1, "risk": round(float(now), 4), "previous_risk": round(float(before[aff]), 4),
                    "summary": f"risk {before[aff]:.2f} -> {now:.2f}" + (f": {what}" if what else "")})
        rev.setdefault("nodes", [aff])
        out.append(Alert(f"alert:risk_jump:{aff}:{day}", "risk_jump", round(float(now), 4), rev, [], [str(aff)]))
    for a in out:
        require_evidence(a)
    return out


def write(store: GraphStore, alerts: list[Alert], existing: list[dict[str, Any]], prov: Provenance,
          created_at: str) -> dict[str, int]:
    """Upsert alerts and their FLAGGED edges; existing alerts keep their status and creation time."""
    for a in alerts:
        require_evidence(a)
    known = {e["id"] for e in existing}
    w = GraphWriter(store, prov)
    rows = []
    for a in alerts:
        row: dict[str, Any] = {"id": a.id, "kind": a.kind, "score": a.score,
                               "evidence": json.dumps(a.evidence, sort_keys=True, default=str)}
        if a.id not in known:
            row.update({"status": "open", "created_at": created_at})
        rows.append(row)
    w.nodes("Alert", rows)
    w.relationships("FLAGGED", [{"src": a.id, "dst": r} for a in alerts for r in a.rings],
                    src_label="Alert", dst_label="Ring")
    w.relationships("FLAGGED", [{"src": a.id, "dst": m} for a in alerts for m in a.affiliates],
                    src_label="Alert", dst_label="Affiliate")
    return {"alerts": len(alerts), "new": sum(a.id not in known for a in alerts),
            **{k: sum(a.kind == k for a in alerts) for k in ("new_ring", "ring_grew", "risk_jump")}}
