"""Entity resolution of partner records and brand references.

The same partner appears as "Le Monde", "LeMonde.fr", "le monde (FR)" and "@lemondefr", under
two CRM ids, and again in the affiliate network's export. Each source record stays its own node
(so provenance, CRM links and erasure stay per record); records judged to be one entity are
joined by ``SAME_AS`` from the newer record to the entity's first record, with the evidence.

Evidence, strongest first:
- the same CRM id or network id (the same record);
- the same registrable domain (publicsuffixlist's bundled list, private suffixes included, so
  ``alice.carrd.co`` and ``bob.carrd.co`` stay apart);
- the same social handle;
- normalised names (accents, case, legal suffixes, ``(FR)``, ``.fr`` and ``@`` removed) scored
  with rapidfuzz; different known domains weigh against a name match.

Scores >= :data:`MERGE` merge; scores in [:data:`REVIEW`, :data:`MERGE`) go to the review queue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from graph.ingest.validate import normalise_handle, normalise_host, strip_accents

MERGE = 0.95
REVIEW = 0.80
EVIDENCE_VERSION = 1
#: Registrable domains that host many people's sites: the full host identifies the partner.
SHARED_HOSTING = frozenset(["bio.link", "linktr.ee", "beacons.ai", "substack.com", "medium.com", "tumblr.com", "wixsite.com", "weebly.com", "squarespace.com", "webflow.io", "netlify.app", "vercel.app", "notion.site", "about.me", "linkin.bio", "jimdo.com", "strikingly.com", "mystrikingly.com", "ghost.io", "hashnode.dev", "start.page", "taplink.cc", "lnk.bio", "blogger.com", "wordpress.com", "blogspot.com", "github.io", "carrd.co", "gitlab.io", "pages.dev", "myshopify.com"])
LEGAL = frozenset(["media", "sas", "sa", "sarl", "gmbh", "ag", "inc", "ltd", "llc", "plc", "group", "spa", "s", "p", "a", "srl", "bv", "nv", "co", "corp", "company", "limited", "official"])


@lru_cache(maxsize=1)
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def domain_key(value: str | None) -> str | None:
    """The registrable domain of a URL or host (``https://www.LeMonde.fr/x`` -> ``lemonde.fr``)."""
    if not value:
        return None
    host = normalise_host(value)
    if not host:
        return None
    reg = _psl().privatesuffix(host) or host
    return host if reg in SHARED_HOSTING and host != reg else reg


def norm_name(name: str | None) -> tuple[str, str]:
    """(spaced, compact) normal forms of a name."""
    if not name:
        return "", ""
    s = strip_accents(name).lower().strip()
    s = re.sub(r"\(\s*[a-z]{2}\s*\)\s*$", "", s).strip()
    s = s.lstrip("@")
    if " " not in s and re.search(r"\.[a-z]{2,6}$", s):
        key = domain_key(s)
        s = key.split(".")[0] if key else s
    tokens = re.findall(r"[a-z0-9]+", s)
    while len(tokens) > 1 and tokens[-1] in LEGAL:
        tokens.pop()
    return " ".join(tokens), "".join(tokens)


@dataclass
class Record:
    id: str
    label: str = "Publisher"
    name: str | None = None
    domain: str | None = None
    handles: set[str] = field(default_factory=set)
    crm_id: str | None = None
    network_id: str | None = None

    def __post_init__(self) -> None:
        self.spaced, self.compact = norm_name(self.name)
        self.dkey = domain_key(self.domain)
        if self.name and self.name.strip().startswith("@"):
            h = normalise_handle(self.name)
            if h:
                self.handles = set(self.handles) | {h}


@dataclass
class Match:
    record: str
    target: str
    score: float
    evidence: dict[str, Any]

    @property
    def decision(self) -> str:
        return "merge" if self.score >= MERGE else "review" if self.score >= REVIEW else "none"

    def evidence_json(self) -> str:
        return json.dumps({"v": EVIDENCE_VERSION, "nodes": [self.record, self.target],
                           "decision": self.decision, **self.evidence}, sort_keys=True)


def score_pair(a: Record, b: Record) -> tuple[float, dict[str, Any]]:
    """How sure we are that ``a`` and ``b`` are one partner, and why."""
    name_sim = 0.0
    if a.compact and b.compact:
        name_sim = max(fuzz.ratio(a.compact, b.compact), fuzz.token_sort_ratio(a.spaced, b.spaced)) / 100
        if min(len(a.compact), len(b.compact)) >= 5 and (a.compact in b.compact or b.compact in a.compact):
            name_sim = max(name_sim, 0.93)
    ev: dict[str, Any] = {"name_similarity": round(name_sim, 3)}
    if a.crm_id and a.crm_id == b.crm_id:
        return 1.0, {**ev, "rule": "crm_id", "crm_id": a.crm_id}
    if a.network_id and a.network_id == b.network_id:
        return 1.0, {**ev, "rule": "network_id"}
    same_domain = bool(a.dkey and a.dkey == b.dkey)
    other_domain = bool(a.dkey and b.dkey and a.dkey != b.dkey)
    same_handle = sorted(a.handles & b.handles)
    if same_domain:
        ev.update(rule="domain", domain=a.dkey)
        return (0.99 if name_sim >= 0.5 or same_handle else 0.9), ev
    if same_handle:
        ev.update(rule="handle", handle=same_handle[0])
        return (0.97 if not other_domain else 0.9), ev
    if other_domain:
        ev.update(rule="name", conflict="different domains", domains=[a.dkey, b.dkey])
        return round(name_sim * 0.85, 3), ev
    ev.update(rule="name")
    if name_sim >= 1.0 and len(a.compact) >= 6:
        return 0.96, ev
    return round(name_sim * 0.94, 3), ev


class PartnerIndex:
    """Known partner records, blocked by domain, handle and name, for incremental matching."""

    def __init__(self, records: Iterable[Record] = (), canonical: dict[str, str] | None = None) -> None:
        self.records: dict[str, Record] = {}
        self.by_domain: dict[str, list[str]] = {}
        self.by_handle: dict[str, list[str]] = {}
        self.by_crm: dict[str, str] = {}
        self.by_network: dict[str, str] = {}
        self.names: dict[str, list[str]] = {}
        self.canonical: dict[str, str] = dict(canonical or {})
        for r in records:
            self.add(r)

    def add(self, r: Record) -> None:
        self.records[r.id] = r
        if r.dkey:
            self.by_domain.setdefault(r.dkey, []).append(r.id)
        for h in r.handles:
            self.by_handle.setdefault(h, []).append(r.id)
        if r.crm_id:
            self.by_crm[r.crm_id] = r.id
        if r.network_id:
            self.by_network[r.network_id] = r.id
        if r.compact:
            self.names.setdefault(r.compact, []).append(r.id)

    def root(self, rid: str) -> str:
        seen = set()
        while rid in self.canonical and rid not in seen:
            seen.add(rid)
            rid = self.canonical[rid]
        return rid

    def candidates(self, r: Record) -> set[str]:
        out: set[str] = set()
        if r.dkey:
            out.update(self.by_domain.get(r.dkey, ()))
        for h in r.handles:
            out.update(self.by_handle.get(h, ()))
        if r.compact:
            out.update(self.names.get(r.compact, ()))
            if len(self.names) and len(r.compact) >= 4:
                hits = process.extract(r.compact, list(self.names), scorer=fuzz.ratio, score_cutoff=85, limit=5)
                for name, _s, _i in hits:
                    out.update(self.names[name])
        out.discard(r.id)
        return out

    def best(self, r: Record) -> Match | None:
        best: Match | None = None
        roots: set[str] = set()
        for cid in self.candidates(r):
            c = self.records[cid]
            s, ev = score_pair(r, c)
            if s >= REVIEW:
                roots.add(self.root(cid))
                if best is None or s > best.score:
                    best = Match(r.id, self.root(cid), s, ev)
        if best is None or best.target == r.id:
            return None
        if len(roots) > 1 and best.evidence.get("rule") == "name" and best.score >= MERGE:
            # a name alone that fits several known partners is not enough to merge
            best.score = round(MERGE - 0.01, 3)
            best.evidence["ambiguous"] = sorted(roots)[:5]
        return best

    def resolve(self, r: Record) -> Match | None:
        """Match ``r`` against the index, then add it; merges update the canonical map."""
        if r.id in self.canonical:  # already merged: keep the decision (re-import)
            return None
        m = self.best(r)  # a known record unmerged so far (e.g. a killed run) is matched again
        if r.id not in self.records:
            self.add(r)
        if m is not None and m.decision == "merge":
            self.canonical[r.id] = m.target
        return m


def clusters(canonical: dict[str, str], ids: Iterable[str]) -> dict[str, str]:
    """Record id -> cluster id (the root of its SAME_AS chain)."""
    idx = PartnerIndex(canonical=canonical)
    return {i: idx.root(i) for i in ids}


def pairwise_scores(pred: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of predicted clusters against true entities."""
    from collections import Counter

    keys = [k for k in pred if k in truth]

    def pairs(counter: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    tp = pairs(Counter((pred[k], truth[k]) for k in keys))
    pp = pairs(Counter(pred[k] for k in keys))
    tt = pairs(Counter(truth[k] for k in keys))
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": tt, "predicted_pairs": pp,
            "records": len(keys)}


class BrandMatcher:
    """Resolve a brand as written in a campaign, contract or network report to a Brand node id."""

    def __init__(self, brands: Iterable[dict[str, Any]]) -> None:
        self.full: dict[str, str] = {}
        self.first: dict[str, set[str]] = {}
        self.crm: dict[str, str] = {}
        self.domain: dict[str, str] = {}
        for b in brands:
            spaced, compact = norm_name(b.get("name"))
            if compact:
                self.full.setdefault(compact, b["id"])
                self.first.setdefault(spaced.split(" ")[0], set()).add(b["id"])
            if b.get("crm_id"):
                self.crm[str(b["crm_id"])] = b["id"]
            dk = domain_key(b.get("domain"))
            if dk:
                self.domain[dk] = b["id"]
                self.first.setdefault(dk.split(".")[0], set()).add(b["id"])
        self._cache: dict[str, str | None] = {}

    def match(self, text: str | None) -> str | None:
        if not text:
            return None
        if text in self._cache:
            return self._cache[text]
        got: str | None = self.crm.get(text.strip())
        if got is None:
            dk = domain_key(text) if "." in text and " " not in text.strip() else None
            got = self.domain.get(dk) if dk else None
        if got is None:
            spaced, compact = norm_name(text)
            got = self.full.get(compact)
            if got is None and spaced:
                ids = self.first.get(spaced.split(" ")[0], set()) if " " not in spaced else set()
                got = next(iter(ids)) if len(ids) == 1 else None
            if got is None and compact and self.full:
                hit = process.extractOne(compact, list(self.full), scorer=fuzz.ratio, score_cutoff=92)
                got = self.full[hit[0]] if hit else None
        self._cache[text] = got
        return got
