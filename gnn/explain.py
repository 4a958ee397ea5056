"""Why a partner is recommended, in a manager's words, with the graph evidence to draw it.

Every number in a reason is computed from the graph (or is the ranker's own output); nothing is
invented, and a reason whose facts are missing is simply left out:

- ``shared_topics``: "shares 3 topics with your best partners (Email, Internet, Cloud)": the
  candidate's topics (``COVERS``, tier 2 and deeper) that the brand's best partners also cover.
  Best partners: up to 5 past partners with the highest return (revenue / cost) on the
  brand's campaigns (by revenue when no cost is known).
- ``audience_overlap``: "audience 62% overlapping with Campaign X": the share of the
  candidate's audience segments (``REACHES``) already reached by the partners of the brand's
  campaign X (the campaign with the largest share; at least 2 segments on the candidate).
- ``similar_brands_roi``: "brands on CPA deals like yours saw 2.1× ROI here": what brands on the
  same payout model as this brand (the model of most of its contracts) got from this partner.
  ROI depends on the terms first (in the ``medium`` world the median pair returns 5.2× on a
  revenue share and 0.04× on a flat fee), so returns are compared only between brands on the same
  terms; the figure is in the performance head's unit, ``exp`` of the mean over those brands of
  ``ln((revenue + 1) / (cost + 1))`` of their campaigns with the partner, so history and
  forecast read alike. A brand without a known payout model is compared with its 10 most
  similar brands with history (text vectors, same IAB product category first) instead.
- ``cold_start`` / ``content``: how the ranker ranked it ("no campaign history yet: ranked by
  content similarity") and the text similarity itself.
- ``model_signals``: the ranker's feature attributions for the pair (top 3 positive).
- ``predicted_roi`` and ``cost``: the performance head's prediction, the partner's typical cost
  against the brand's budget.

Reasons are ``{"v": 1, "items": [{"kind", "text", ...}]}``; evidence is ``{"v": 1, "nodes": [ids],
"edges": [[src, TYPE, dst], ...]}`` naming real node ids. ``SAME_DOMAIN`` is the one inferred
edge: a partner's crawled website record joined to its CRM record by identical domain.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gnn.data import log_roi

VERSION = 1
N_BEST = 5
N_SIMILAR = 10
MAX_NAMES = 3
MAX_EVIDENCE_ITEMS = 5  # topics / audiences / campaigns drawn per reason

FEATURE_WORDS = {
    # content ranker
    "brand_text_similarity": "text similarity with your brand",
    "past_partner_similarity": "similarity with your past partners",
    # pair features of gnn.features (the GBM's SHAP attributions)
    "pop": "popularity with other brands",
    "pop_recent": "recent popularity with other brands",
    "cn_brand": "brands in common with your partners",
    "aa_brand": "brands in common with your partners",
    "cn_topic": "topics in common with your partners",
    "aa_topic": "topics in common with your partners",
    "cf_cosine": "brands like yours chose it",
    "topic_cos": "topic match",
    "audience_cos": "audience match",
    "cat_topic_cos": "fit with your product category",
    "cat_cf": "brands in your category chose it",
    "text_cos": "text similarity with your brand",
    "text_profile_cos": "text similarity with your past partners",
    "text_max_cos": "close to one of your partners",
    "text_good_cos": "close to your best partners",
    "country_share": "in your partners' countries",
    "language_share": "in your partners' languages",
    "type_share": "the kind of partner you work with",
    "same_country": "same country as you",
    "links_to_known": "linked from your partners' sites",
    "root_cos": "in your verticals",
    "good_root_cos": "in the verticals of your best partners",
    "collab_root_cos": "works with brands in your verticals",
    "z_topic": "topic match",
    "z_root": "in your verticals",
    "z_good_root": "in the verticals of your best partners",
    "z_text_profile": "text similarity with your past partners",
    "z_country": "in your partners' countries",
    "z_audience": "audience match",
    "fine_cos": "in your partners' niche topics",
    "z_fine": "in your partners' niche topics",
    "p_hist_log_roi": "its past return",
    "p_hist_cvr": "its past conversion rate",
    "p_hist_impressions": "its past reach",
    "p_hist_campaigns": "its campaign experience",
    "p_months_since_last": "recent activity",
    "p_never_active": "no campaigns yet",
    "p_is_influencer": "partner type",
    "p_brand_safety": "brand safety",
    "p_has_site": "has a website",
    "p_n_articles": "how much it publishes",
    "b_degree": "your number of partners",
    "b_hist_log_roi": "your past return",
    "b_recent_campaigns": "your recent campaigns",
    "b_hist_cvr": "your past conversion rate",
    "gnn_score": "graph model score",
    "gnn_roi": "graph model's predicted return",
    # generic names
    "adamic_adar": "partners in common",
    "common_neighbours": "partners in common",
    "popularity": "popularity with other brands",
    "degree": "number of partnerships",
    "embedding_cosine": "text similarity",
}


def _fmt_names(names: Sequence[str]) -> str:
    shown = list(names[:MAX_NAMES])
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Evidence:
    """Ordered, de-duplicated node ids and edges."""

    def __init__(self) -> None:
        self.nodes: dict[str, None] = {}
        self.edges: dict[tuple[str, str, str], None] = {}

    def node(self, node_id: str) -> None:
        self.nodes.setdefault(node_id, None)

    def edge(self, src: str, rel: str, dst: str) -> None:
        self.node(src)
        self.node(dst)
        self.edges.setdefault((src, rel, dst), None)

    def to_dict(self) -> dict[str, Any]:
        return {"v": VERSION, "nodes": list(self.nodes), "edges": [list(e) for e in self.edges]}


@dataclass
class ExplainContext:
    """Indexes over the graph, built once per run (see :func:`build_context`)."""

    brand_names: dict[str, str]
    partner_names: dict[str, str]
    topics: Mapping[str, Mapping[str, str]]  # partner -> topic -> record covering it
    topic_names: Mapping[str, str]
    audiences: Mapping[str, Mapping[str, str]]  # partner -> audience -> record reaching it
    links: Mapping[str, list[tuple[str, str, str]]]  # record -> edges to its canonical record
    best: dict[str, list[str]]  # brand -> best partners
    #: (brand, partner) -> [(brand record, campaign, partner record, cost, revenue)]
    pairs: dict[tuple[str, str], list[tuple[str, str, str, float, float]]]
    campaigns: dict[str, list[str]]  # brand -> campaigns, newest first
    campaign_names: dict[str, str]
    campaign_partners: dict[str, list[tuple[str, str]]]  # campaign -> [(partner, record)]
    campaign_brand: dict[str, str]  # campaign -> brand record that RAN it
    similar: dict[str, list[str]] = field(default_factory=dict)  # brand -> similar brands
    payout: Mapping[str, str] = field(default_factory=dict)  # brand -> payout model of its contracts
    _campaign_aud: dict[str, set[str]] = field(default_factory=dict)
    _at_partner: dict[str, list[str]] | None = None

    def brands_at(self, partner: str) -> list[str]:
        """Brands with campaigns with ``partner``, by id."""
        if self._at_partner is None:
            at: dict[str, set[str]] = defaultdict(set)
            for b, p in self.pairs:
                at[p].add(b)
            self._at_partner = {p: sorted(bs) for p, bs in at.items()}
        return self._at_partner.get(partner, [])

    def has_history(self, brand: str) -> bool:
        return bool(self.campaigns.get(brand))

    def campaign_audiences(self, campaign: str) -> set[str]:
        if campaign not in self._campaign_aud:
            out: set[str] = set()
            for p, _rec in self.campaign_partners.get(campaign, []):
                out.update(self.audiences.get(p, {}))
            self._campaign_aud[campaign] = out
        return self._campaign_aud[campaign]


def best_partners(history: pd.DataFrame, n: int = N_BEST) -> dict[str, list[str]]:
    """Brand -> up to ``n`` past partners with the best revenue / cost (revenue when cost is 0)."""
    if history.empty:
        return {}
    g = history.groupby(["brand", "partner"], sort=False)[["cost", "revenue"]].sum().reset_index()
    cost = g["cost"].to_numpy(dtype=float)
    rev = g["revenue"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost > 0, rev / np.where(cost > 0, cost, 1), np.nan)
    g = g.assign(has_cost=np.isfinite(roi), roi=np.nan_to_num(roi, nan=0.0, posinf=0.0))
    g = g.sort_values(["brand", "has_cost", "roi", "revenue", "partner"],
                      ascending=[True, False, False, False, True], kind="stable")
    return {str(b): [str(p) for p in grp["partner"].head(n)] for b, grp in g.groupby("brand", sort=False)}


def similar_brands(brands: Sequence[str], with_history: Sequence[str], vectors: Mapping[str, np.ndarray],
                   categories: Mapping[str, set[str]], n: int = N_SIMILAR) -> dict[str, list[str]]:
    """Brand -> up to ``n`` brands with history, closest by text vector, same-category first."""
    hist = [h for h in with_history if h in vectors]
    if not hist:
        return {}
    hm = np.stack([vectors[h] for h in hist]).astype(np.float32)
    hm /= np.maximum(np.linalg.norm(hm, axis=1, keepdims=True), 1e-12)
    out: dict[str, list[str]] = {}
    for b in brands:
        v = vectors.get(b)
        if v is None:
            continue
        sims = hm @ (v / max(float(np.linalg.norm(v)), 1e-12))
        cats = categories.get(b, set())
        same = np.array([bool(cats & categories.get(h, set())) for h in hist])
        order = np.lexsort((-sims, ~same))  # same-category first, then by similarity
        out[b] = [hist[i] for i in order if hist[i] != b][:n]
    return out


def build_context(world: Any, brand_vectors: Mapping[str, np.ndarray] | None = None) -> ExplainContext:
    """Indexes for :func:`explain` from a :class:`gnn.discover_data.World`."""
    h: pd.DataFrame = world.history
    pairs: dict[tuple[str, str], list[tuple[str, str, str, float, float]]] = defaultdict(list)
    campaigns: dict[str, dict[str, str]] = defaultdict(dict)
    names: dict[str, str] = {}
    cpartners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    cbrand: dict[str, str] = {}
    for row in h.itertuples(index=False):
        b, p, c = str(row.brand), str(row.partner), str(row.campaign)
        pairs[(b, p)].append((str(row.brand_record), c, str(row.record), float(row.cost), float(row.revenue)))
        campaigns[b][c] = str(row.start or "")
        names[c] = str(row.campaign_name)
        cpartners[c].append((p, str(row.record)))
        cbrand[c] = str(row.brand_record)
    ordered = {b: [c for c, _ in sorted(cs.items(), key=lambda kv: kv[1], reverse=True)]
               for b, cs in campaigns.items()}
    ctx = ExplainContext(
        brand_names={b: i.name for b, i in world.brands.items()},
        partner_names={p: i.name for p, i in world.partners.items()},
        topics=world.topics, topic_names=world.topic_names, audiences=world.audiences, links=world.links,
        best=best_partners(h), pairs=dict(pairs), campaigns=ordered, campaign_names=names,
        campaign_partners=dict(cpartners), campaign_brand=cbrand, payout=world.payout)
    if brand_vectors:
        ctx.similar = similar_brands(list(world.brands), sorted(ordered), brand_vectors, world.categories)
    return ctx


def _link(ev: Evidence, ctx: ExplainContext, record: str, canonical: str) -> None:
    ev.node(canonical)
    if record != canonical:
        for src, rel, dst in ctx.links.get(record, []):
            ev.edge(src, rel, dst)


def _shared_topics(ctx: ExplainContext, brand: str, partner: str, ev: Evidence) -> dict[str, Any] | None:
    best = [b for b in ctx.best.get(brand, []) if b != partner]
    mine = ctx.topics.get(partner, {})
    if not best or not mine:
        return None
    theirs: dict[str, list[str]] = defaultdict(list)
    for bp in best:
        for t in ctx.topics.get(bp, {}):
            theirs[t].append(bp)
    shared = sorted((t for t in mine if t in theirs), key=lambda t: (-len(theirs[t]), ctx.topic_names.get(t, t)))
    if not shared:
        return None
    names = [ctx.topic_names.get(t, t) for t in shared]
    for t in shared[:MAX_EVIDENCE_ITEMS]:
        rec = mine[t]
        _link(ev, ctx, rec, partner)
        ev.edge(rec, "COVERS", t)
        for bp in theirs[t][:2]:
            brec = ctx.topics[bp][t]
            _link(ev, ctx, brec, bp)
            ev.edge(brec, "COVERS", t)
            _history_edges(ctx, brand, bp, ev, limit=1)
    return {"kind": "shared_topics", "value": len(shared), "topics": shared[:MAX_EVIDENCE_ITEMS],
            "partners": best,
            "text": f"shares {_plural(len(shared), 'topic')} with your best partners ({_fmt_names(names)})"}


def _history_edges(ctx: ExplainContext, brand: str, partner: str, ev: Evidence, limit: int) -> None:
    for brec, camp, prec, _cost, _rev in ctx.pairs.get((brand, partner), [])[:limit]:
        ev.edge(brec, "RAN", camp)
        ev.edge(camp, "WITH", prec)
        _link(ev, ctx, prec, partner)


def _audience_overlap(ctx: ExplainContext, brand: str, partner: str, ev: Evidence) -> dict[str, Any] | None:
    mine = ctx.audiences.get(partner, {})
    if len(mine) < 2:
        return None
    best: tuple[float, str, set[str]] | None = None
    for camp in ctx.campaigns.get(brand, []):
        shared = set(mine) & ctx.campaign_audiences(camp)
        share = len(shared) / len(mine)
        if shared and (best is None or share > best[0]):
            best = (share, camp, shared)
    if best is None:
        return None
    share, camp, shared = best
    pct = round(100 * share)
    name = ctx.campaign_names.get(camp, camp)
    ev.edge(ctx.campaign_brand.get(camp, brand), "RAN", camp)
    for aud in sorted(shared)[:MAX_EVIDENCE_ITEMS]:
        rec = mine[aud]
        _link(ev, ctx, rec, partner)
        ev.edge(rec, "REACHES", aud)
        for p, prec in ctx.campaign_partners.get(camp, []):
            if aud in ctx.audiences.get(p, {}):
                ev.edge(camp, "WITH", prec)
                arec = ctx.audiences[p][aud]
                _link(ev, ctx, prec, p)
                _link(ev, ctx, arec, p)
                ev.edge(arec, "REACHES", aud)
                break
    return {"kind": "audience_overlap", "value": round(share, 4), "campaign": camp,
            "shared": len(shared), "of": len(mine), "text": f"audience {pct}% overlapping with {name}"}


def _peers(ctx: ExplainContext, brand: str, partner: str) -> tuple[list[str], str | None]:
    """Brands to compare this pair's return with, and their payout model (None: by similarity)."""
    model = ctx.payout.get(brand)
    if model is None:
        return list(ctx.similar.get(brand, [])), None
    return [b for b in ctx.brands_at(partner) if b != brand and ctx.payout.get(b) == model], model


def _similar_roi(ctx: ExplainContext, brand: str, partner: str, ev: Evidence) -> dict[str, Any] | None:
    peers, model = _peers(ctx, brand, partner)
    used: list[tuple[float, str, float, float]] = []  # (cost, brand, revenue, log ROI)
    for sb in peers:
        pr = ctx.pairs.get((sb, partner), [])
        c = sum(r[3] for r in pr if math.isfinite(r[3]))
        if c <= 0:
            continue
        rev = sum(r[4] for r in pr if math.isfinite(r[4]))
        used.append((c, sb, rev, float(log_roi(rev, c))))
    if not used:
        return None
    used.sort(key=lambda u: (-u[0], u[1]))  # the most spent first
    roi = math.exp(sum(u[3] for u in used) / len(used))
    for _c, sb, _r, _l in used[:MAX_EVIDENCE_ITEMS]:
        _history_edges(ctx, sb, partner, ev, limit=1)
    names = [ctx.brand_names.get(u[1], u[1]) for u in used]
    who = f"brands on {model.replace('_', '-')} deals like yours" if model else "brands like yours"
    return {"kind": "similar_brands_roi", "value": round(roi, 4), "brands": [u[1] for u in used[:N_SIMILAR]],
            "n_brands": len(used), "payout_model": model, "cost": round(sum(u[0] for u in used), 2),
            "revenue": round(sum(u[2] for u in used), 2),
            "text": f"{who} ({_fmt_names(names)}) saw {roi:.1f}× ROI here"}


def _signals(attributions: Mapping[str, float]) -> dict[str, Any] | None:
    """The top 3 positive contributions, one per wording (two features can say the same)."""
    ranked = sorted(((k, float(v)) for k, v in attributions.items() if math.isfinite(float(v)) and float(v) > 0),
                    key=lambda kv: -kv[1])
    picked: dict[str, tuple[str, float]] = {}
    for k, v in ranked:
        word = FEATURE_WORDS.get(k, k.replace("_", " "))
        if word not in picked:
            picked[word] = (k, v)
        if len(picked) == 3:
            break
    if not picked:
        return None
    words = [f"{w} (+{v:.2f})" for w, (_k, v) in picked.items()]
    return {"kind": "model_signals", "features": {k: round(v, 4) for k, v in picked.values()},
            "text": "strongest signals: " + ", ".join(words)}


@dataclass
class Explanation:
    reasons: dict[str, Any]
    evidence: dict[str, Any]

    def reasons_json(self) -> str:
        return json.dumps(self.reasons, ensure_ascii=False, separators=(",", ":"))

    def evidence_json(self) -> str:
        return json.dumps(self.evidence, ensure_ascii=False, separators=(",", ":"))


def explain(ctx: ExplainContext, brand: str, partner: str, *, mode: str,
            attributions: Mapping[str, float] | None = None, predicted_roi: float | None = None,
            typical_cost: float | None = None, budget: float | None = None,
            content_similarity: float | None = None) -> Explanation:
    """Reasons and evidence for one recommendation. ``mode`` is ``cold_start`` (no history for
    this brand, or none at all: content similarity), ``content`` (history, but no trained model
    yet: content similarity with the brand and its past partners) or ``model``."""
    ev = Evidence()
    ev.node(brand)
    ev.node(partner)
    items: list[dict[str, Any]] = []
    if mode == "cold_start":
        items.append({"kind": "cold_start", "text": "no campaign history yet: ranked by content similarity"})
    elif mode == "content":
        items.append({"kind": "content", "text": "ranked by content similarity to your brand and past "
                                                 "partners (no trained model yet)"})
    for build in (_shared_topics, _audience_overlap, _similar_roi):
        item = build(ctx, brand, partner, ev)
        if item:
            items.append(item)
    if content_similarity is not None and math.isfinite(content_similarity):
        items.append({"kind": "text_similarity", "value": round(float(content_similarity), 4),
                      "text": f"text similarity {content_similarity:.2f} with your brand"})
    if attributions and mode == "model":
        sig = _signals(attributions)
        if sig:
            items.append(sig)
    if predicted_roi is not None and math.isfinite(predicted_roi):
        items.append({"kind": "predicted_roi", "value": round(float(predicted_roi), 4),
                      "text": f"predicted ROI {predicted_roi:.1f}×"})
    if budget is not None:
        if typical_cost is None:
            items.append({"kind": "cost", "value": None, "text": "no cost history: check the price against "
                                                                 "your budget"})
        else:
            items.append({"kind": "cost", "value": round(typical_cost, 2),
                          "text": f"typical cost {typical_cost:,.0f} EUR per campaign, within your "
                                  f"{budget:,.0f} EUR budget"})
    return Explanation({"v": VERSION, "items": items}, ev.to_dict())
