"""Campaigns over the timeline, driven by the hidden affinity model, with performance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph.generator import words
from graph.generator.config import ScaleConfig, month_str
from graph.generator.entities import Brands, Partners, Taxa, affinity, affinity_components

OBJECTIVES = ("awareness", "traffic", "conversions", "app_installs", "leads")
MODELS = ("CPA", "CPC", "CPM", "flat_fee", "revenue_share")


def season(m: int) -> float:
    mm = int(month_str(m)[5:])
    return {11: 1.55, 12: 1.45, 10: 1.2, 1: 0.85, 8: 0.8}.get(mm, 1.0)


@dataclass
class Campaigns:
    # per campaign
    cid: list[str]
    brand: np.ndarray
    start: np.ndarray  # month index
    dur: np.ndarray
    objective: list[str]
    budget: np.ndarray  # EUR
    partners: list[np.ndarray]
    # per WITH row (campaign x partner x month)
    w_camp: np.ndarray
    w_partner: np.ndarray
    w_month: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    conversions: np.ndarray
    revenue: np.ndarray  # EUR
    cost: np.ndarray  # EUR
    # per brand-partner pair (first campaign)
    pair_brand: np.ndarray
    pair_partner: np.ndarray
    pair_first_month: np.ndarray
    pair_campaigns: list[list[int]]
    pair_comp: dict[str, np.ndarray]
    pair_model: list[str]
    pair_direct: np.ndarray  # bool: direct contract
    fx: dict[str, np.ndarray]  # currency -> rate_to_EUR per month


#: Selection logits: standardised affinity x AFFINITY_SCALE + SIZE_WEIGHT x standardised log
#: audience size + POPULARITY_WEIGHT x log1p(campaigns so far) + GOOD_PROFILE_WEIGHT x cosine to
#: the brand's good past partners.
AFFINITY_SCALE = 1.1
SIZE_WEIGHT = 0.45
POPULARITY_WEIGHT = 0.5
GOOD_PROFILE_WEIGHT = 1.2
#: A brand's pool: up to 3/4 of ``candidate_pool`` from its POOL_VERTICALS preferred verticals.
POOL_VERTICALS = 3


def vertical_quota(pool_size: int) -> int:
    """How many of a pool's partners are drawn from the brand's preferred verticals (at most)."""
    return pool_size * 3 // 4


@dataclass
class Pools:
    """Each brand's hidden candidate pool, its affinity components and base selection logits."""

    pools: list[np.ndarray]
    comps: list[dict[str, np.ndarray]]
    logits0: list[np.ndarray]
    size_z: np.ndarray  # standardised log audience size per partner
    vnorm: np.ndarray  # unit vertical vectors per partner


def draw_pools(cfg: ScaleConfig, p: Partners, b: Brands, t: Taxa, rng: np.random.Generator) -> Pools:
    """The first draws of :func:`run` (an evaluator replays them with a fresh generator to
    compute what a perfectly informed ranker could reach: ``bench/linkpred_ceiling.py``)."""
    n = p.n
    pools: list[np.ndarray] = []
    logits0: list[np.ndarray] = []
    comps: list[dict[str, np.ndarray]] = []
    size_z = (np.log(p.audience_size) - np.log(p.audience_size).mean()) / np.log(p.audience_size).std()
    vnorm = p.vvec / np.linalg.norm(p.vvec, axis=1, keepdims=True)
    by_vertical = [np.flatnonzero(p.vertical == v) for v in range(len(t.verticals))]
    for bi in range(b.n):
        if n <= cfg.candidate_pool:
            pool = np.arange(n)
        else:  # partners in the brand's preferred verticals, plus random others
            top = np.argsort(-b.pref[bi])[:POOL_VERTICALS]
            cand = np.concatenate([by_vertical[int(v)] for v in top])
            k = min(len(cand), vertical_quota(cfg.candidate_pool))
            cand = rng.choice(cand, size=k, replace=False)
            rest = rng.choice(n, size=cfg.candidate_pool - k, replace=False)
            pool = np.unique(np.concatenate([cand, rest]))
        comp = affinity_components(p, b, bi, pool, t)
        comp["pair_noise"] = rng.normal(0, 0.35, len(pool))
        a = affinity(comp) + comp["pair_noise"]
        comp["total"] = a
        pools.append(pool)
        comps.append(comp)
        logits0.append(AFFINITY_SCALE * (a - a.mean()) / (a.std() + 1e-9) + SIZE_WEIGHT * size_z[pool])
    return Pools(pools, comps, logits0, size_z, vnorm)


def selection_logits(dp: Pools, bi: int, pop: np.ndarray, good_prof: np.ndarray) -> np.ndarray:
    """Brand ``bi``'s logits over its pool, given partner popularity (campaigns so far) and its
    profile of good past partners (before the boost or penalty of its own past partners)."""
    pool = dp.pools[bi]
    lg = dp.logits0[bi] + POPULARITY_WEIGHT * np.log1p(pop[pool])
    if good_prof.any():
        lg = lg + GOOD_PROFILE_WEIGHT * (dp.vnorm[pool] @ (good_prof / np.linalg.norm(good_prof)))
    return lg


def run(cfg: ScaleConfig, p: Partners, b: Brands, t: Taxa, rng: np.random.Generator,
        progress: bool = False) -> Campaigns:
    n = p.n
    dp = draw_pools(cfg, p, b, t, rng)
    pools, comps = dp.pools, dp.comps
    pop = np.zeros(n)
    good_prof = np.zeros((b.n, p.vvec.shape[1]))
    past: list[dict[int, float]] = [{} for _ in range(b.n)]  # partner -> best roi
    months = cfg.months
    rate = cfg.campaigns_per_brand_month * b.activity
    cid: list[str] = []
    c_brand, c_start, c_dur, c_budget = [], [], [], []
    objective: list[str] = []
    partners: list[np.ndarray] = []
    W: dict[str, list[np.ndarray]] = {k: [] for k in
                                      ("camp", "partner", "month", "imp", "clk", "conv", "rev", "cost")}
    pair_key: dict[tuple[int, int], int] = {}
    pair_b: list[int] = []
    pair_p: list[int] = []
    pair_m: list[int] = []
    pair_pos: list[int] = []
    pair_c: list[list[int]] = []
    pair_model: list[str] = []
    brand_model = [MODELS[int(x)] for x in rng.choice(len(MODELS), b.n, p=[.35, .15, .15, .25, .1])]
    it = range(months)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="campaigns", unit="month", leave=False)
    for m in it:
        ncamp = rng.poisson(rate * season(m))
        for bi in np.flatnonzero(ncamp).tolist():
            pool = pools[bi]
            comp = comps[bi]
            for _ in range(int(ncamp[bi])):
                k = int(np.clip(np.round(rng.lognormal(np.log(cfg.partners_per_campaign), 0.6)
                                         * (b.budget[bi] / 4000) ** 0.25), 1, 60))
                k = min(k, len(pool))
                lg = selection_logits(dp, bi, pop, good_prof[bi])
                if past[bi]:
                    pp = np.fromiter(past[bi].keys(), np.int64)
                    roi = np.fromiter(past[bi].values(), float)
                    pos = np.searchsorted(pool, pp)
                    pos = np.clip(pos, 0, len(pool) - 1)
                    ok = pool[pos] == pp
                    lg = lg.copy()
                    lg[pos[ok]] += np.where(roi[ok] > 1.0, 2.2, -1.5)
                g = lg + rng.gumbel(size=len(pool))
                sel = np.argpartition(-g, k - 1)[:k] if k < len(pool) else np.arange(len(pool))
                sel = np.sort(sel)
                chosen = pool[sel]
                dur = int(rng.choice([1, 1, 2, 2, 3, 4, 6]))
                dur = min(dur, months - m)
                ci = len(cid)
                cid.append(f"camp-{ci:06d}")
                c_brand.append(bi)
                c_start.append(m)
                c_dur.append(dur)
                objective.append(OBJECTIVES[int(rng.integers(len(OBJECTIVES)))])
                c_budget.append(float(b.budget[bi] * k * dur * rng.lognormal(0, 0.3)))
                partners.append(chosen)
                a = comp["total"][sel]
                az = (a - comp["total"].mean()) / (comp["total"].std() + 1e-9)
                mm = np.arange(m, m + dur)
                kk = len(chosen)
                P = np.repeat(chosen, dur)
                M = np.tile(mm, kk)
                AZ = np.repeat(az, dur)
                S = np.array([season(x) for x in M])
                share = rng.lognormal(-3.0, 0.6, kk * dur)
                imp = (p.audience_size[P] * share * S).astype(np.int64) + 50
                ctr = 0.006 * np.exp(0.35 * AZ + rng.normal(0, 0.35, kk * dur))
                clk = rng.binomial(imp, np.clip(ctr, 0, 0.3))
                cvr = 0.025 * np.exp(0.55 * AZ + 0.25 * p.quality[P] + rng.normal(0, 0.3, kk * dur))
                conv = rng.binomial(clk, np.clip(cvr, 0, 0.5))
                rev = conv * b.aov[bi] * rng.lognormal(0, 0.2, kk * dur)
                model = brand_model[bi]
                if model == "CPA":
                    cost = conv * b.aov[bi] * 0.12 + 20
                elif model == "CPC":
                    cost = clk * 0.35 + 10
                elif model == "CPM":
                    cost = imp / 1000 * 4.0
                elif model == "revenue_share":
                    cost = rev * 0.1 + 15
                else:
                    cost = 150 + (p.audience_size[P] ** 0.72) * 0.9 * rng.lognormal(0, 0.3, kk * dur)
                cost = np.round(cost, 2)
                rev = np.round(rev, 2)
                for key, arr in (("camp", np.full(kk * dur, ci)), ("partner", P), ("month", M),
                                 ("imp", imp), ("clk", clk), ("conv", conv), ("rev", rev),
                                 ("cost", cost)):
                    W[key].append(arr)
                roi_p = rev.reshape(kk, dur).sum(1) / np.maximum(cost.reshape(kk, dur).sum(1), 1)
                for j, pj in enumerate(chosen.tolist()):
                    r = float(roi_p[j])
                    past[bi][pj] = max(past[bi].get(pj, 0.0), r)
                    if r > 1.0:
                        good_prof[bi] += p.vvec[pj]
                    key2 = (int(bi), pj)
                    if key2 not in pair_key:
                        pair_key[key2] = len(pair_b)
                        pair_b.append(int(bi))
                        pair_p.append(pj)
                        pair_m.append(m)
                        pair_pos.append(int(sel[j]))
                        pair_c.append([])
                        pair_model.append(model)
                    pair_c[pair_key[key2]].append(ci)
                pop[chosen] += 1
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in W.items()}
    pb = np.array(pair_b, np.int64)
    pos = np.array(pair_pos, np.int64)
    pair_comp = {key: np.array([comps[bb][key][pp] for bb, pp in zip(pb, pos, strict=True)])
                 for key in ("topic", "fine_topic", "audience", "country", "quality", "pair_noise",
                             "total")}
    fx = {"EUR": np.ones(months)}
    for cur, base in (("USD", 0.92), ("GBP", 1.17)):
        fx[cur] = np.round(base * np.exp(np.cumsum(rng.normal(0, 0.012, months))), 4)
    return Campaigns(cid, np.array(c_brand, np.int64), np.array(c_start, np.int64),
                     np.array(c_dur, np.int64), objective, np.array(c_budget), partners,
                     cat["camp"].astype(np.int64), cat["partner"].astype(np.int64),
                     cat["month"].astype(np.int64), cat["imp"].astype(np.int64),
                     cat["clk"].astype(np.int64), cat["conv"].astype(np.int64), cat["rev"],
                     cat["cost"], pb, np.array(pair_p, np.int64), np.array(pair_m, np.int64),
                     pair_c, pair_comp, pair_model, rng.random(len(pb)) < 0.35, fx)


def brand_currency(b: Brands, bi: int) -> str:
    return words.CURRENCY_OF.get(words.COUNTRIES[int(b.country[bi])], "EUR")
