"""What discovery reads from the graph, as one :class:`World`: brands, candidate partners and
the records that stand for them, campaign history, topics, audiences, feedback.

Which ids are candidates (measured on the ``ci`` graph, see docs/discovery.md):
- A partner is one entity with several records: its CRM record (``partner:<system>:<crm id>``),
  duplicates and affiliate-network records joined to it by ``SAME_AS`` (``affiliate:gen-net:…``,
  newer record -> first record), and the crawled record of its website (``pub:<domain>`` /
  ``inf:<domain>``), which carries the topics and articles but is not joined by ``SAME_AS``; we
  join it by identical domain and say so in the evidence (an inferred ``SAME_DOMAIN`` link).
- Candidates are the roots of ``SAME_AS`` chains that have a CRM id. Affiliate-network and
  crawled records are never recommended on their own; their facts count for their partner.
  A graph without any CRM ids (a crawl-only graph) falls back to every ``SAME_AS`` root.
- Brands are scored the same way: ``SAME_AS`` roots with a CRM id (brands found only on the
  web, ``brand:<domain>``, are not customers), or every root when none has a CRM id.

Pure functions (:func:`canonical_records`, :func:`typical_costs`) do the joining; only
:func:`load_world` touches the store.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gnn import discover_queries as Q
from graph.store.base import GraphStore, Row

log = logging.getLogger(__name__)

PARTNER_LABELS = ("Publisher", "Influencer")
HISTORY_COLUMNS = ["brand", "brand_record", "partner", "record", "campaign", "campaign_name", "start",
                   "cost", "revenue", "conversions", "clicks", "impressions", "first_seen"]
FEEDBACK_COLUMNS = ["brand", "partner", "record", "verdict", "by", "at", "run_id", "note"]


@dataclass(frozen=True)
class PartnerInfo:
    id: str  # the canonical (CRM) record id
    label: str  # "Publisher" | "Influencer"
    name: str
    country: str | None
    language: str | None
    partner_type: str  # "publisher" | "influencer"
    flagged: bool  # a brand-safety flag on any of its records
    records: tuple[str, ...]  # every record id standing for it, itself first
    typical_cost: float | None = None  # median campaign cost with it, EUR; None = no history


@dataclass(frozen=True)
class BrandInfo:
    id: str
    name: str
    country: str | None
    records: tuple[str, ...]
    preferences: str | None = None


@dataclass
class Canonical:
    """Records joined into entities."""

    of: dict[str, str]  # record id -> canonical id (only records that belong to a candidate)
    candidates: list[str]
    #: record id -> edges (src, type, dst) that link it to its canonical record, for evidence
    links: dict[str, list[tuple[str, str, str]]]
    stats: dict[str, int] = field(default_factory=dict)


def _norm_domain(d: Any) -> str | None:
    if not isinstance(d, str) or not d.strip():
        return None
    d = d.strip().lower()
    return d[4:] if d.startswith("www.") else d


def canonical_records(records: Sequence[Mapping[str, Any]], same_as: Iterable[tuple[str, str]],
                      ) -> Canonical:
    """Join records (dicts with ``id``, ``crm_id``, ``domain``) into entities.

    ``SAME_AS`` edges point from a newer record to an older one; a chain's root is the entity.
    Roots with a CRM id are the candidates (all roots when no record has a CRM id). A root
    without a CRM id whose domain equals exactly one candidate's domain joins that candidate.
    """
    ids = {str(r["id"]) for r in records}
    parent: dict[str, str] = {}
    for src, dst in same_as:
        if src in ids and dst in ids and src != dst:
            parent.setdefault(src, dst)

    def root_path(x: str) -> list[str]:
        path = [x]
        seen = {x}
        while path[-1] in parent and parent[path[-1]] not in seen:
            path.append(parent[path[-1]])
            seen.add(path[-1])
        return path

    by_id = {str(r["id"]): r for r in records}
    roots = [i for i in by_id if i not in parent]
    with_crm = [i for i in roots if by_id[i].get("crm_id") not in (None, "")]
    candidates = sorted(with_crm if with_crm else roots)
    cand_set = set(candidates)
    domain_owner: dict[str, str | None] = {}
    for c in candidates:
        d = _norm_domain(by_id[c].get("domain"))
        if d:
            domain_owner[d] = c if d not in domain_owner else None  # None: ambiguous
    root_of: dict[str, str] = {}
    links: dict[str, list[tuple[str, str, str]]] = {}
    stats = {"records": len(by_id), "roots": len(roots), "candidates": len(candidates),
             "same_as_records": 0, "domain_joined": 0, "ambiguous_domains": 0, "left_out": 0}
    domain_root: dict[str, str] = {}
    for r in roots:
        if r in cand_set:
            continue
        d = _norm_domain(by_id[r].get("domain"))
        owner = domain_owner.get(d) if d else None
        if owner:
            domain_root[r] = owner
            stats["domain_joined"] += 1
        elif d and d in domain_owner:
            stats["ambiguous_domains"] += 1
    for x in by_id:
        path = root_path(x)
        root = path[-1]
        edges = [(a, "SAME_AS", b) for a, b in zip(path, path[1:], strict=False)]
        if root in domain_root:
            edges.append((domain_root[root], "SAME_DOMAIN", root))
            root = domain_root[root]
        if root not in cand_set:
            stats["left_out"] += 1
            continue
        root_of[x] = root
        if x != root:
            links[x] = edges
            if len(path) > 1:
                stats["same_as_records"] += 1
    return Canonical(root_of, candidates, links, stats)


def typical_costs(history: pd.DataFrame) -> dict[str, float]:
    """Per canonical partner: the median, over its campaigns (any brand), of the campaign's total
    cost with it, in EUR. Partners without a positive cost are absent."""
    if history.empty:
        return {}
    per_campaign = history.groupby(["partner", "campaign"], sort=False)["cost"].sum()
    per_campaign = per_campaign[np.isfinite(per_campaign.to_numpy(dtype=float)) & (per_campaign > 0)]
    return {str(k): float(v) for k, v in per_campaign.groupby(level=0).median().items()}


@dataclass
class World:
    brands: dict[str, BrandInfo]  # scored brands, by canonical id
    partners: dict[str, PartnerInfo]  # candidates, by canonical id
    partner_of: dict[str, str]  # partner record -> canonical partner
    brand_of: dict[str, str]  # brand record -> canonical brand
    links: dict[str, list[tuple[str, str, str]]]  # record -> edges to its canonical record
    history: pd.DataFrame  # HISTORY_COLUMNS, one row per (campaign, partner record)
    contracts: set[tuple[str, str]]  # (brand, partner) with a signed contract
    topics: dict[str, dict[str, str]]  # partner -> topic id -> record that COVERS it
    topic_names: dict[str, str]
    audiences: dict[str, dict[str, str]]  # partner -> audience id -> record that REACHES it
    audience_names: dict[str, str]
    categories: dict[str, set[str]]  # brand -> product categories
    feedback: pd.DataFrame  # FEEDBACK_COLUMNS, canonical ids
    stats: dict[str, Any] = field(default_factory=dict)
    payout: dict[str, str] = field(default_factory=dict)  # brand -> payout model of its contracts

    def partner_ids(self) -> list[str]:
        return list(self.partners)

    def brand_ids(self) -> list[str]:
        return list(self.brands)

    def existing_partners(self) -> dict[str, set[str]]:
        """Brand -> partners it has worked with (any campaign, any time) or signed with."""
        out: dict[str, set[str]] = defaultdict(set)
        for b, p in zip(self.history["brand"], self.history["partner"], strict=True):
            out[str(b)].add(str(p))
        for b, p in self.contracts:
            out[b].add(p)
        return dict(out)

    def verdicts(self, verdict: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        fb = self.feedback[self.feedback["verdict"] == verdict]
        for b, p in zip(fb["brand"], fb["partner"], strict=True):
            out[str(b)].add(str(p))
        return dict(out)

    def brands_with_history(self) -> set[str]:
        return set(self.history["brand"].astype(str))


def _first(values: Iterable[Any]) -> Any:
    for v in values:
        if v not in (None, "") and not (isinstance(v, float) and math.isnan(v)):
            return v
    return None


def _rows_frame(rows: list[Row], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def load_world(store: GraphStore) -> World:
    """Read everything discovery needs, in a handful of full-graph reads."""
    p_rows = Q.read_all(store, Q.PARTNER_RECORDS)
    p_canon = canonical_records(p_rows, ((r["src"], r["dst"]) for r in Q.read_all(store, Q.PARTNER_SAME_AS)))
    b_rows = Q.read_all(store, Q.BRANDS)
    b_canon = canonical_records(b_rows, ((r["src"], r["dst"]) for r in Q.read_all(store, Q.BRAND_SAME_AS)))

    p_by_id = {str(r["id"]): r for r in p_rows}
    p_records: dict[str, list[str]] = defaultdict(list)
    for rec, c in p_canon.of.items():
        p_records[c].append(rec)
    b_by_id = {str(r["id"]): r for r in b_rows}
    b_records: dict[str, list[str]] = defaultdict(list)
    for rec, c in b_canon.of.items():
        b_records[c].append(rec)

    history = _history(Q.read_all(store, Q.HISTORY), p_canon.of, b_canon.of)
    costs = typical_costs(history)
    partners: dict[str, PartnerInfo] = {}
    for c in p_canon.candidates:
        recs = [c] + sorted(x for x in p_records[c] if x != c)
        rows = [p_by_id[x] for x in recs]
        labels = list(rows[0].get("labels") or [])
        label = next((x for x in PARTNER_LABELS if x in labels), "Publisher")
        ptype = str(_first(r.get("partner_type") for r in rows) or label).lower()
        partners[c] = PartnerInfo(
            id=c, label=label, name=str(_first(r.get("name") for r in rows) or c),
            country=_first(r.get("country") for r in rows), language=_first(r.get("language") for r in rows),
            partner_type=ptype if ptype in ("publisher", "influencer") else label.lower(),
            flagged=any(r.get("flagged") is True for r in rows), records=tuple(recs),
            typical_cost=costs.get(c))
    brands: dict[str, BrandInfo] = {}
    for c in b_canon.candidates:
        recs = [c] + sorted(x for x in b_records[c] if x != c)
        rows = [b_by_id[x] for x in recs]
        brands[c] = BrandInfo(id=c, name=str(_first(r.get("name") for r in rows) or c),
                              country=_first(r.get("country") for r in rows), records=tuple(recs),
                              preferences=b_by_id[c].get("preferences"))

    contracts = {(b_canon.of[str(r["brand"])], p_canon.of[str(r["partner"])])
                 for r in Q.read_all(store, Q.CONTRACT_PAIRS)
                 if str(r["brand"]) in b_canon.of and str(r["partner"]) in p_canon.of}
    topics: dict[str, dict[str, str]] = defaultdict(dict)
    topic_names: dict[str, str] = {}
    for r in Q.read_all(store, Q.PARTNER_TOPICS):
        pc = p_canon.of.get(str(r["partner"]))
        tier = r.get("tier")
        if pc is None or (tier is not None and str(tier) == "1"):  # tier 1 is too broad to explain
            continue
        topics[pc].setdefault(str(r["topic"]), str(r["partner"]))
        topic_names[str(r["topic"])] = str(r.get("name") or r["topic"])
    audiences: dict[str, dict[str, str]] = defaultdict(dict)
    audience_names: dict[str, str] = {}
    for r in Q.read_all(store, Q.PARTNER_AUDIENCES):
        ac = p_canon.of.get(str(r["partner"]))
        if ac is None:
            continue
        audiences[ac].setdefault(str(r["audience"]), str(r["partner"]))
        audience_names[str(r["audience"])] = str(r.get("name") or r["audience"])
    categories: dict[str, set[str]] = defaultdict(set)
    for r in Q.read_all(store, Q.BRAND_CATEGORIES):
        bc = b_canon.of.get(str(r["brand"]))
        if bc is not None:
            categories[bc].add(str(r["category"]))
    feedback = _feedback(Q.read_all(store, Q.FEEDBACK), p_canon.of, b_canon.of)
    payout = payout_models(Q.read_all(store, Q.BRAND_PAYOUT), b_canon.of)
    stats = {
        "partner_records": p_canon.stats, "brand_records": b_canon.stats,
        "history_rows": len(history), "feedback": len(feedback), "contracts": len(contracts),
        "brands_with_payout_model": len(payout),
    }
    log.info("graph: %s partner records -> %s candidates (%s SAME_AS records, %s crawled records "
             "joined by domain, %s left out); %s brand records -> %s brands; %s campaign-partner rows, "
             "%s feedback verdicts", f"{p_canon.stats['records']:,}", f"{len(partners):,}",
             f"{p_canon.stats['same_as_records']:,}", f"{p_canon.stats['domain_joined']:,}",
             f"{p_canon.stats['left_out']:,}", f"{b_canon.stats['records']:,}", f"{len(brands):,}",
             f"{len(history):,}", f"{len(feedback):,}")
    return World(brands, partners, p_canon.of, b_canon.of, {**p_canon.links, **b_canon.links}, history,
                 contracts, dict(topics), topic_names, dict(audiences), audience_names, dict(categories),
                 feedback, stats, payout)


def payout_models(rows: Iterable[Row], brand_of: Mapping[str, str]) -> dict[str, str]:
    """Canonical brand -> the payout model most of its contracts use (ties: the first by name).
    Rows are ``{brand, model, n}`` (:data:`gnn.discover_queries.BRAND_PAYOUT`); blank models and
    unknown brand records are skipped."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        b = brand_of.get(str(r["brand"]))
        model = str(r.get("model") or "").strip()
        if b is not None and model:
            counts[b][model] += int(r.get("n") or 1)
    return {b: min(c, key=lambda m: (-c[m], m)) for b, c in counts.items()}


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return x


def _history(rows: list[Row], partner_of: Mapping[str, str], brand_of: Mapping[str, str]) -> pd.DataFrame:
    out = []
    for r in rows:
        p = partner_of.get(str(r["partner"]))
        b = brand_of.get(str(r["brand"]))
        if p is None or b is None:
            continue
        out.append({
            "brand": b, "brand_record": str(r["brand"]), "partner": p, "record": str(r["partner"]),
            "campaign": str(r["campaign"]), "campaign_name": r.get("campaign_name") or str(r["campaign"]),
            "start": r.get("start"), "cost": _num(r.get("cost")), "revenue": _num(r.get("revenue")),
            "conversions": _num(r.get("conversions")), "clicks": _num(r.get("clicks")),
            "impressions": _num(r.get("impressions")), "first_seen": r.get("first_seen"),
        })
    return _rows_frame(out, HISTORY_COLUMNS)


def _feedback(rows: list[Row], partner_of: Mapping[str, str], brand_of: Mapping[str, str]) -> pd.DataFrame:
    out = []
    for r in rows:
        p = partner_of.get(str(r["partner"]))
        b = brand_of.get(str(r["brand"]))
        verdict = str(r.get("verdict") or "").lower()
        if p is None or b is None or verdict not in ("accept", "reject"):
            continue
        out.append({"brand": b, "partner": p, "record": str(r["partner"]), "verdict": verdict,
                    "by": r.get("by"), "at": r.get("at"), "run_id": r.get("run_id"), "note": r.get("note")})
    return latest_verdicts(_rows_frame(out, FEEDBACK_COLUMNS))


def latest_verdicts(frame: pd.DataFrame, keys: Sequence[str] = ("brand", "partner")) -> pd.DataFrame:
    """One row per pair: the latest verdict by ``at`` (a manager may change their mind)."""
    if frame.empty:
        return frame
    order = frame.assign(_at=frame["at"].fillna("").astype(str)).sort_values("_at", kind="stable")
    return order.drop_duplicates(list(keys), keep="last").drop(columns="_at").reset_index(drop=True)


def drift_features(world: World) -> dict[str, np.ndarray]:
    """Numeric figures whose distributions are compared between runs (see :mod:`gnn.drift`):
    per candidate partner and per brand, lifetime counts and money figures (log-scaled)."""
    pids = list(world.partners)
    h = world.history
    out: dict[str, np.ndarray] = {}
    if len(h):
        per_p = h.groupby("partner", sort=False).agg(
            campaigns=("campaign", "nunique"), brands=("brand", "nunique"), cost=("cost", "sum"),
            revenue=("revenue", "sum"), conversions=("conversions", "sum"), clicks=("clicks", "sum"))
        per_p = per_p.reindex(pids).fillna(0.0)
        out["partner.campaigns"] = np.log1p(per_p["campaigns"].to_numpy(float))
        out["partner.brands"] = np.log1p(per_p["brands"].to_numpy(float))
        out["partner.log_cost"] = np.log1p(np.clip(per_p["cost"].to_numpy(float), 0, None))
        out["partner.log_revenue"] = np.log1p(np.clip(per_p["revenue"].to_numpy(float), 0, None))
        active = per_p[per_p["cost"] > 0]
        out["partner.roi"] = (active["revenue"] / active["cost"]).to_numpy(float)
        clicked = per_p[per_p["clicks"] > 0]
        out["partner.conversion_rate"] = (clicked["conversions"] / clicked["clicks"]).to_numpy(float)
        per_b = h.groupby("brand", sort=False).agg(partners=("partner", "nunique"),
                                                    campaigns=("campaign", "nunique"))
        per_b = per_b.reindex(list(world.brands)).fillna(0.0)
        out["brand.partners"] = np.log1p(per_b["partners"].to_numpy(float))
        out["brand.campaigns"] = np.log1p(per_b["campaigns"].to_numpy(float))
    out["partner.topics"] = np.log1p(np.array([len(world.topics.get(p, {})) for p in pids], float))
    out["partner.audiences"] = np.log1p(np.array([len(world.audiences.get(p, {})) for p in pids], float))
    return out
