"""Synthetic media ecosystem: the ground truth importers, crawlers, GNN and fraud work are judged on.

``generate(scale, seed, out)`` writes ``out/observable`` (what the product may read: CRM and
network exports, click logs, websites), ``out/truth`` (evaluators only) and ``out/canonical``
(bulk-load parquet, a development tool), plus ``manifest.json``. Output is byte-identical for
the same scale and seed. See :mod:`graph.generator.config` for the frozen scales.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graph.errors import InputError
from graph.generator import campaigns, canonical, clicks, entities, exports, truth, web
from graph.generator.config import (
    GENERATOR_VERSION,
    SCALES,
    ScaleConfig,
    check_params,
    config_hash,
    month_str,
)

__all__ = ["GENERATOR_VERSION", "PARTS", "SCALES", "Manifest", "ScaleConfig", "config_hash", "generate"]

CREATED_BY = "partnergraph generate"
PARTS = frozenset({"observable", "sites", "truth", "canonical"})


@dataclass(frozen=True)
class Manifest:
    scale: str
    seed: int
    config_hash: str
    generator_version: str
    counts: dict[str, int]
    t1: str  # first month of the validation split
    t2: str  # first month of the held-out test split
    parts: tuple[str, ...]
    created_by: str = CREATED_BY
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def to_json(self) -> str:
        doc = {"scale": self.scale, "seed": self.seed, "config_hash": self.config_hash,
               "generator_version": self.generator_version, "counts": self.counts,
               "created_by": self.created_by, "T1": self.t1, "T2": self.t2, "parts": list(self.parts),
               "timeline": {"start": month_str(0) + "-01", "T1": self.t1, "T2": self.t2}}
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file", hint="pass a directory path for the output")
    if out.is_dir() and any(out.iterdir()):
        man = out / "manifest.json"
        try:
            ok = json.loads(man.read_text()).get("created_by") == CREATED_BY
        except (OSError, ValueError, AttributeError):
            ok = False
        if not ok:
            raise InputError(f"output directory {out} is not empty and is not a generator output",
                             hint="pass an empty or new directory")
        for sub in ("observable", "truth", "canonical"):
            shutil.rmtree(out / sub, ignore_errors=True)
        man.unlink()
    out.mkdir(parents=True, exist_ok=True)


def stage_generators(seed: int) -> list[np.random.Generator]:
    """One fresh random generator per stage (entities, brands, campaigns, clicks, web, exports,
    ...); an evaluator replaying a stage takes its generator from here."""
    ss = np.random.SeedSequence([seed, 0x9A27])
    return [np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(8)]


def generate(scale: str, seed: int, out: Path, *, only: set[str] | None = None,
             progress: bool = True) -> Manifest:
    """Generate the ecosystem for ``scale`` and ``seed`` into ``out``; return the manifest.

    ``only`` restricts what is written to some of ``observable`` (exports and click logs),
    ``sites`` (websites, part of observable), ``truth`` and ``canonical``.
    """
    cfg = check_params(scale, seed)
    parts = set(PARTS if only is None else only)
    if not parts or parts - PARTS:
        raise InputError(f"unknown parts {sorted(parts - PARTS) or '(none)'}",
                         hint=f"use only= a subset of {', '.join(sorted(PARTS))}")
    if "observable" in parts:
        parts.add("sites")
    out = Path(out)
    _prepare(out)
    rngs = stage_generators(seed)
    timings: dict[str, float] = {}
    bar: Any = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=7, desc=f"generate {scale}", unit="stage")

    def stage(name: str, t0: float) -> float:
        timings[name] = round(time.perf_counter() - t0, 3)
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)
        return time.perf_counter()

    t0 = time.perf_counter()
    t = entities.load_taxa()
    p = entities.make_partners(cfg, t, rngs[0])
    b = entities.make_brands(cfg, t, rngs[1])
    t0 = stage("entities", t0)
    c = campaigns.run(cfg, p, b, t, rngs[2], progress=progress)
    t0 = stage("campaigns", t0)
    net = clicks.run(cfg, p, b, c, rngs[3], progress=progress)
    t0 = stage("clicks", t0)
    want_sites = "sites" in parts and cfg.sites
    site_plan = cfg.sites or "canonical" in parts
    w = (web.plan_and_write(cfg, t, p, b, c, net, rngs[4], out / "observable" if want_sites else None,
                            progress=progress) if site_plan else web.Web())
    t0 = stage("sites", t0)
    counts: dict[str, int] = {"publishers": cfg.publishers, "influencers": cfg.influencers,
                              "brands": cfg.brands, "campaigns": len(c.cid), "with_rows": len(c.w_camp),
                              "affiliates": len(net.aff), "clicks": len(net.clicks["aff"]),
                              "conversions": len(net.conv["aff"]), "sites": len(w.truth),
                              "pages": w.pages, "site_files": w.files, "articles": len(w.articles)}
    variants: list[tuple[str, str, str, str]] = []
    if "observable" in parts:
        ec, variants = exports.write_all(cfg, p, b, c, net, rngs[5], out)
        counts |= {f"export_{k}": v for k, v in ec.items()}
    t0 = stage("exports", t0)
    if "truth" in parts:
        counts |= truth.write_all(cfg, t, p, b, c, net, w, variants, out)
    t0 = stage("truth", t0)
    crm_of: dict[str, str] = {}
    for eid, _ty, kind, val in variants:
        if kind == "crm_id":
            crm_of.setdefault(eid, val)
    cc = canonical.build(cfg, t, p, b, c, net, w, crm_of, out, seed, write="canonical" in parts)
    counts["nodes"] = sum(v for k, v in cc.items() if k.startswith("nodes.") and k != "nodes.Affiliate")
    counts["relationships"] = sum(v for k, v in cc.items() if k.startswith("edges."))
    counts |= cc
    stage("canonical", t0)
    if bar is not None:
        bar.close()
    t2 = cfg.months - cfg.test_months
    man = Manifest(scale, seed, config_hash(scale, seed), GENERATOR_VERSION, counts,
                   month_str(t2 - cfg.valid_months) + "-01", month_str(t2) + "-01",
                   tuple(sorted(parts)), timings=timings)
    (out / "manifest.json").write_text(man.to_json(), encoding="utf-8")
    return man
