"""bench/linkpred_ceiling.py: the replayed hidden state is the generator's, and the ceiling ranks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest


def _ceiling() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "linkpred_ceiling.py"
    spec = importlib.util.spec_from_file_location("linkpred_ceiling", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def world() -> Any:
    ce = _ceiling()
    w = ce.replay("ci", 7)
    return ce, w.cfg, w.p, w.b, w.t, w.dp, w.campaigns()


def test_replayed_pools_are_the_runs(world: Any) -> None:
    _ce, _cfg, _p, _b, _t, dp, c = world
    replayed = np.array([dp.comps[bb]["total"][np.searchsorted(dp.pools[bb], pp)]
                         for bb, pp in zip(c.pair_brand.tolist(), c.pair_partner.tolist(), strict=True)])
    assert len(replayed) > 1000
    np.testing.assert_allclose(replayed, c.pair_comp["total"])


def test_state_counts_every_selection(world: Any) -> None:
    ce, cfg, p, b, _t, _dp, c = world
    pop0, good0 = ce.state_at(c, p, b.n, 0)
    assert not pop0.any() and not good0.any()
    pop, good = ce.state_at(c, p, b.n, cfg.months)
    assert pop.sum() == sum(len(x) for x in c.partners)
    assert good.any()


def test_ceiling_beats_popularity(world: Any) -> None:
    ce, cfg, p, b, t, dp, c = world
    end = cfg.months - cfg.test_months
    res = ce.evaluate(cfg, p, b, t, dp, c, end - 4, end)
    assert res["brands"] > 20
    assert all(0.0 <= v <= 1.0 for k, v in res.items() if k != "brands")
    assert res["pool_and_latents"] > res["latents_minus_popularity"] - 0.05
    assert res["pool_and_latents"] > 1.3 * res["popularity"]
