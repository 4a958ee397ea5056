"""Frozen scale configurations of the synthetic ecosystem and their hash.

A config plus a seed fully determines the output. Changing any number here, or anything in
the generator that changes output, must bump :data:`GENERATOR_VERSION` (evaluations record
:func:`config_hash`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from graph.errors import InputError

GENERATOR_VERSION = "1.1.0"

#: First month of the timeline; months are counted from here.
START_YEAR, START_MONTH = 2023, 9


@dataclass(frozen=True)
class ScaleConfig:
    name: str
    publishers: int
    influencers: int
    brands: int
    months: int = 28  # 24 history months + 4 held-out months
    valid_months: int = 3  # months before T2 whose new partnerships are the validation split
    test_months: int = 4  # last months: new partnerships there are the link-prediction truth
    campaigns_per_brand_month: float = 0.35
    partners_per_campaign: float = 4.0  # lognormal median
    affiliate_share: float = 0.45  # share of partners enrolled in the affiliate network
    clicks_per_affiliate_month: float = 55.0  # median, heavy-tailed
    articles_per_site: int = 6  # median; sites get 2..4x this when large
    rings: int = 8
    office_nats: int = 3
    sites: bool = True  # write websites (sites for all publishers unless site_cap)
    site_cap: int = 0  # 0 = every partner gets a site
    candidate_pool: int = 4000  # candidates scored per brand


SCALES: dict[str, ScaleConfig] = {
    "ci": ScaleConfig("ci", publishers=700, influencers=300, brands=90,
                      clicks_per_affiliate_month=3.2, articles_per_site=3, rings=8, site_cap=260),
    "medium": ScaleConfig("medium", publishers=7000, influencers=3500, brands=900,
                          clicks_per_affiliate_month=3.6, articles_per_site=2, rings=40,
                          office_nats=12),
    "large": ScaleConfig("large", publishers=110000, influencers=55000, brands=12000,
                         clicks_per_affiliate_month=0.4, articles_per_site=3, rings=300,
                         office_nats=60, sites=False, candidate_pool=1500),
}


def check_params(scale: str, seed: int) -> ScaleConfig:
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}", hint=f"use one of {', '.join(SCALES)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"invalid seed {seed!r}", hint="use a non-negative integer seed")
    return SCALES[scale]


def canonical_config(scale: str, seed: int) -> str:
    cfg = check_params(scale, seed)
    doc = {"config": asdict(cfg), "seed": seed, "generator_version": GENERATOR_VERSION,
           "start": f"{START_YEAR:04d}-{START_MONTH:02d}"}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def config_hash(scale: str, seed: int) -> str:
    """sha256 of the canonical JSON of the frozen config, seed and generator version."""
    return hashlib.sha256(canonical_config(scale, seed).encode()).hexdigest()


def month_str(m: int) -> str:
    y, mm = divmod(START_MONTH - 1 + m, 12)
    return f"{START_YEAR + y:04d}-{mm + 1:02d}"
