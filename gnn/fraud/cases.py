"""A lightweight case workflow for investigators.

A ``(:Case)`` is opened from one or more alerts (``(:Case)-[:ABOUT]->(:Alert)``) and has an
assignee, a status (``open`` -> ``investigating`` -> ``confirmed`` | ``dismissed``), notes, and a
log: every change is appended as ``{at, by, action, ...}`` and never rewritten. Dismissing needs
a reason. Closed cases feed back into the next fraud run:

- **confirmed**: the flagged affiliates become positive labels for the models;
- **dismissed**: they become negative labels, and the shared identifiers named in the alerts'
  evidence (an office NAT, an agency's payment account) go on the case's ``allowlist``, which
  the identifier graph ignores from then on.

Cases export to CSV or JSON for case tools. Ids are ``case:<n>`` in opening order.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from gnn.fraud import queries as Q
from graph.errors import InputError
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance, new_run_id, now_iso

STATUSES = ("open", "investigating", "confirmed", "dismissed")
CLOSED = ("confirmed", "dismissed")
#: status -> statuses it may move to
MOVES = {"open": ("investigating", "confirmed", "dismissed"),
         "investigating": ("open", "confirmed", "dismissed"),
         "confirmed": ("investigating",), "dismissed": ("investigating",)}
EXPORT_FIELDS = ("id", "title", "status", "assignee", "opened_at", "closed_at", "alerts", "affiliates",
                 "identifiers", "notes", "log", "allowlist")


@dataclass
class Case:
    id: str
    title: str
    status: str
    assignee: str | None
    notes: list[dict[str, Any]]
    log: list[dict[str, Any]]
    opened_at: str
    closed_at: str | None
    alerts: list[str]
    allowlist: list[str]

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> Case:
        return cls(r["id"], r.get("title") or "", r.get("status") or "open", r.get("assignee"),
                   json.loads(r.get("notes") or "[]"), json.loads(r.get("log") or "[]"),
                   r.get("opened_at") or "", r.get("closed_at"), sorted(a for a in r.get("alerts") or [] if a),
                   json.loads(r.get("allowlist") or "[]"))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status, "assignee": self.assignee,
                "notes": self.notes, "log": self.log, "opened_at": self.opened_at, "closed_at": self.closed_at,
                "alerts": self.alerts, "allowlist": self.allowlist}


def _prov(by: str) -> Provenance:
    return Provenance(f"case://{by}", new_run_id("case"))


def get(store: GraphStore, case_id: str) -> Case:
    rows = Q.read_all(store, Q.CASE, {"id": case_id})
    if not rows:
        raise InputError(f"no case {case_id!r}", hint="list cases with: partnergraph case list")
    return Case.from_row(rows[0])


def list_cases(store: GraphStore, status: str | None = None) -> list[Case]:
    cases = [Case.from_row(r) for r in Q.read_all(store, Q.CASES)]
    return [c for c in cases if status is None or c.status == status]


def _alerts(store: GraphStore, ids: list[str]) -> list[dict[str, Any]]:
    return Q.read_all(store, Q.ALERTS_BY_ID, {"ids": ids})


def open_case(store: GraphStore, alert_ids: list[str], *, by: str, assignee: str | None = None,
              title: str | None = None, note: str | None = None) -> Case:
    """Open a case about existing alerts (their status becomes ``investigating``)."""
    if not alert_ids:
        raise InputError("a case needs at least one alert", hint="give alert ids (partnergraph case alerts)")
    if not by.strip():
        raise InputError("who opens the case is required", hint="pass --by NAME")
    found = _alerts(store, sorted(set(alert_ids)))
    missing = sorted(set(alert_ids) - {a["id"] for a in found})
    if missing:
        raise InputError(f"unknown alert {missing[0]!r}", hint="list alerts with: partnergraph case alerts")
    n = len(Q.read_all(store, Q.CASES)) + 1
    cid = f"case:{n}"
    while Q.read_all(store, Q.CASE, {"id": cid}):
        n += 1
        cid = f"case:{n}"
    now = now_iso()
    first = found[0]
    summary = json.loads(first.get("evidence") or "{}").get("summary", "")
    case = Case(cid, title or f"{first['kind'].replace('_', ' ')}: {summary[:80]}", "open", assignee,
                [], [], now, None, sorted(a["id"] for a in found), [])
    case.log.append({"at": now, "by": by, "action": "opened", "alerts": case.alerts, "assignee": assignee})
    if note:
        case.notes.append({"at": now, "by": by, "text": note})
    w = GraphWriter(store, _prov(by))
    w.nodes("Case", [{"id": cid, "title": case.title, "status": case.status, "assignee": assignee,
                      "notes": json.dumps(case.notes), "log": json.dumps(case.log), "opened_at": now,
                      "allowlist": "[]"}])
    w.relationships("ABOUT", [{"src": cid, "dst": a} for a in case.alerts], src_label="Case", dst_label="Alert")
    store.write(Q.SET_ALERT_STATUS, {"ids": case.alerts, "status": "investigating"})
    return case


def _save(store: GraphStore, case: Case) -> Case:
    store.write(Q.SET_CASE, {"id": case.id, "status": case.status, "assignee": case.assignee,
                             "notes": json.dumps(case.notes), "log": json.dumps(case.log),
                             "closed_at": case.closed_at, "allowlist": json.dumps(case.allowlist),
                             "now": now_iso()})
    return case


def update(store: GraphStore, case_id: str, *, by: str, status: str | None = None,
           assignee: str | None = None, note: str | None = None, reason: str | None = None) -> Case:
    """Change status, assignee or add a note; every change is logged. ``dismissed`` needs a reason."""
    if not by.strip():
        raise InputError("who makes the change is required", hint="pass --by NAME")
    case = get(store, case_id)
    now = now_iso()
    changed = False
    if status is not None and status != case.status:
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}", hint=f"use one of {', '.join(STATUSES)}")
        if status not in MOVES[case.status]:
            raise InputError(f"a {case.status} case cannot become {status}",
                             hint=f"from {case.status}: {', '.join(MOVES[case.status])}")
        if status == "dismissed" and not (reason and reason.strip()):
            raise InputError("dismissing a case needs a reason", hint="pass --reason 'office NAT of ...'")
        entry: dict[str, Any] = {"at": now, "by": by, "action": "status", "from": case.status, "to": status}
        if reason:
            entry["reason"] = reason
        if status == "dismissed":
            case.allowlist = shared_identifiers(store, case.alerts)
            entry["allowlisted"] = case.allowlist
        elif case.status == "dismissed":
            entry["allowlist_removed"] = case.allowlist
            case.allowlist = []
        case.status = status
        case.closed_at = now if status in CLOSED else None
        case.log.append(entry)
        alert_status = {"confirmed": "confirmed", "dismissed": "dismissed"}.get(status, "investigating")
        store.write(Q.SET_ALERT_STATUS, {"ids": case.alerts, "status": alert_status})
        changed = True
    if assignee is not None and assignee != case.assignee:
        case.log.append({"at": now, "by": by, "action": "assignee", "from": case.assignee, "to": assignee})
        case.assignee = assignee
        changed = True
    if note:
        case.notes.append({"at": now, "by": by, "text": note})
        case.log.append({"at": now, "by": by, "action": "note"})
        changed = True
    if not changed:
        raise InputError("nothing to change", hint="give --status, --assignee or --note")
    return _save(store, case)


def shared_identifiers(store: GraphStore, alert_ids: list[str]) -> list[str]:
    """Identifiers named in the alerts' evidence (what a dismissal allow-lists)."""
    out: set[str] = set()
    for a in _alerts(store, alert_ids):
        ev = json.loads(a.get("evidence") or "{}")
        out.update(str(i["id"]) for i in ev.get("identifiers", []) if i.get("id"))
    return sorted(out)


def export(store: GraphStore, fmt: str = "json", status: str | None = None) -> str:
    """Cases with their alerts' flagged affiliates and identifiers, as CSV or JSON text."""
    if fmt not in ("csv", "json"):
        raise InputError(f"unknown format {fmt!r}", hint="use csv or json")
    rows = []
    for c in list_cases(store, status):
        alerts = _alerts(store, c.alerts) if c.alerts else []
        affs = sorted({f for a in alerts for f in a.get("flagged") or [] if str(f).startswith("affiliate:")})
        idents = sorted({str(i["id"]) for a in alerts
                         for i in json.loads(a.get("evidence") or "{}").get("identifiers", [])})
        rows.append({**c.as_dict(), "affiliates": affs, "identifiers": idents})
    if fmt == "json":
        return json.dumps({"v": 1, "cases": rows}, indent=1, sort_keys=True)
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
    wr.writeheader()
    for r in rows:
        wr.writerow({k: (json.dumps(r[k]) if isinstance(r[k], list | dict) else r[k]) for k in EXPORT_FIELDS})
    return buf.getvalue()
