"""What a perfectly informed ranker reaches on the generator's link-prediction windows.

An evaluator's tool (it reads the generator's hidden state, which the product never sees). It
replays the generator for a frozen scale and seed, rebuilds every brand's selection logits at
the product's validation and test cutoffs (``gnn.split``: the last 4 observable months are
test, the 3 before validation), and ranks every partner the brand has not worked with yet, as
the product's evaluation does. Rankers:

- ``pool_and_latents``: the brand's hidden candidate pool and every hidden score term (topic,
  fine topic, audience, countries, quality, audience size, pair noise, popularity, the profile
  of its good past partners). Only the draw's own random noise is left: the ceiling.
- ``latents``: every hidden term of the partner and brand (no pool, no pair noise), plus the
  prior odds that a partner is in the pool (preferred verticals or not). The best any ranker
  can do that knows every partner's and brand's attributes exactly but not the pool.
- ``latents_minus_<term>``: the same without one term (what that term is worth).
- ``popularity``: campaigns so far (to compare with the product's popularity baseline).

    python bench/linkpred_ceiling.py --scale medium [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gnn.split import TEST_MONTHS, VALID_MONTHS  # noqa: E402
from graph.generator import campaigns as gc  # noqa: E402
from graph.generator import entities, stage_generators  # noqa: E402
from graph.generator.config import ScaleConfig, check_params  # noqa: E402

TERMS = ("topic", "fine_topic", "audience", "country", "quality")
K = 20


@dataclass
class World:
    """The generator's hidden entities and candidate pools for a frozen scale and seed."""

    cfg: ScaleConfig
    t: entities.Taxa
    p: entities.Partners
    b: entities.Brands
    dp: gc.Pools
    seed: int

    def campaigns(self) -> gc.Campaigns:
        """The campaign history, as the generator ran it (``run`` draws the pools again first)."""
        return gc.run(self.cfg, self.p, self.b, self.t, stage_generators(self.seed)[2])


def replay(scale: str, seed: int) -> World:
    """Replay the generator's first stages: partners, brands and each brand's hidden pool (the
    same first draws as ``campaigns.run``)."""
    cfg = check_params(scale, seed)
    rngs = stage_generators(seed)
    t = entities.load_taxa()
    p = entities.make_partners(cfg, t, rngs[0])
    b = entities.make_brands(cfg, t, rngs[1])
    return World(cfg, t, p, b, gc.draw_pools(cfg, p, b, t, stage_generators(seed)[2]), seed)


def state_at(c: gc.Campaigns, p: entities.Partners, n_brands: int, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Partner popularity (campaigns joined) and each brand's profile of good partners (ROI > 1)
    at the start of ``month``, rebuilt from the campaigns (as ``campaigns.run`` accumulates them)."""
    pop = np.zeros(p.n)
    good = np.zeros((n_brands, p.vvec.shape[1]))
    before = np.flatnonzero(c.start < month)
    for ci in before.tolist():
        pop[c.partners[ci]] += 1
    sel = np.isin(c.w_camp, before)
    key = c.w_camp[sel] * p.n + c.w_partner[sel]
    uk, inv = np.unique(key, return_inverse=True)
    rev = np.bincount(inv, weights=c.revenue[sel])
    cost = np.bincount(inv, weights=c.cost[sel])
    roi = rev / np.maximum(cost, 1)
    for k in np.flatnonzero(roi > 1.0).tolist():
        camp, part = divmod(int(uk[k]), p.n)
        good[c.brand[camp]] += p.vvec[part]
    return pop, good


def _pool_prior(vertical: np.ndarray, pref: np.ndarray, pool_size: int) -> np.ndarray:
    """Log odds-like prior that a partner is in the brand's pool (``campaigns.draw_pools``: a
    sample of the partners of its 3 preferred verticals, the rest drawn from everyone)."""
    n = len(vertical)
    if n <= pool_size:
        return np.zeros(n)
    in_cand = np.isin(vertical, np.argsort(-pref)[:gc.POOL_VERTICALS])
    n_cand = max(int(in_cand.sum()), 1)
    k = min(n_cand, gc.vertical_quota(pool_size))
    rest = (pool_size - k) / n
    return np.log(np.where(in_cand, k / n_cand + (1 - k / n_cand) * rest, rest))


def evaluate(cfg: ScaleConfig, p: entities.Partners, b: entities.Brands, t: entities.Taxa, dp: gc.Pools,
             c: gc.Campaigns, start: int, end: int) -> dict[str, float]:
    pop, good = state_at(c, p, b.n, start)
    first: dict[tuple[int, int], int] = {}
    for bb, pp, m in zip(c.pair_brand.tolist(), c.pair_partner.tolist(), c.pair_first_month.tolist(), strict=True):
        first[(bb, pp)] = m
    by_brand: dict[int, tuple[list[int], list[int]]] = {}
    for (bb, pp), m in first.items():
        known, pos = by_brand.setdefault(bb, ([], []))
        if m < start:
            known.append(pp)
        elif m < end:
            pos.append(pp)
    vert = p.vertical
    pool_size = cfg.candidate_pool
    recalls: dict[str, list[float]] = {}
    for bi, (known, pos) in sorted(by_brand.items()):
        if not pos:
            continue
        scores: dict[str, np.ndarray] = {}
        full = np.full(p.n, -np.inf)
        full[dp.pools[bi]] = gc.selection_logits(dp, bi, pop, good[bi])
        scores["pool_and_latents"] = full
        comp = entities.affinity_components(p, b, bi, np.arange(p.n), t)
        ref = dp.comps[bi]["total"]
        scale = gc.AFFINITY_SCALE / (ref.std() + 1e-9)
        terms = {k: scale * entities.WEIGHTS[k] * comp[k] for k in TERMS}
        terms["size"] = gc.SIZE_WEIGHT * dp.size_z
        terms["popularity"] = gc.POPULARITY_WEIGHT * np.log1p(pop)
        g = good[bi]
        terms["good_partners"] = (gc.GOOD_PROFILE_WEIGHT * (dp.vnorm @ (g / np.linalg.norm(g))) if g.any()
                                  else np.zeros(p.n))
        terms["pool_prior"] = _pool_prior(vert, b.pref[bi], pool_size)
        total = np.sum(list(terms.values()), axis=0)
        scores["latents"] = total
        for name, v in terms.items():
            scores[f"latents_minus_{name}"] = total - v
        scores["popularity"] = pop.copy()
        kn = np.asarray(known, np.int64)
        ps = set(pos)
        for name, sc in scores.items():
            sc = np.asarray(sc, float).copy()
            sc[kn] = -np.inf
            top = np.argpartition(-sc, K)[:K]
            recalls.setdefault(name, []).append(len(ps.intersection(top.tolist())) / len(pos))
    out = {name: round(float(np.mean(v)), 4) for name, v in recalls.items()}
    out["brands"] = len(next(iter(recalls.values())))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    w = replay(a.scale, a.seed)
    cfg, t, p, b, dp, c = w.cfg, w.t, w.p, w.b, w.dp, w.campaigns()
    end = cfg.months - cfg.test_months  # the last observable month (the rest is truth only)
    t2 = end - TEST_MONTHS
    t1 = t2 - VALID_MONTHS
    windows: dict[str, tuple[int, int]] = {"validation": (t1, t2), "test": (t2, end)}
    res: dict[str, dict[str, float]] = {w: evaluate(cfg, p, b, t, dp, c, s, e) for w, (s, e) in windows.items()}
    if a.json:
        print(json.dumps({"scale": a.scale, "seed": a.seed, "recall@20": res}, indent=1))
        return 0
    fmt: Callable[[str], str] = lambda name: " | ".join(f"{res[w][name]:.4f}" for w in windows)  # noqa: E731
    print(f"{a.scale} seed {a.seed}: Recall@20, full ranking per brand | " + " | ".join(
        f"{w} ({res[w]['brands']:.0f} brands)" for w in windows))
    for name in res["test"]:
        if name != "brands":
            print(f"{name:<32} | {fmt(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
