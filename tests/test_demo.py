"""`partnergraph demo --no-app` end to end on the embedded default, in a fresh HOME."""

from __future__ import annotations

import pytest

from tests.conftest import CiWorld


@pytest.mark.slow
def test_demo_runs_every_built_stage_and_lists_the_rest(ci_world: CiWorld) -> None:
    assert ci_world.returncode == 0, ci_world.stderr[-3000:]
    out = ci_world.stdout
    tmp_path = ci_world.home
    stages = [ln.split()[0] for ln in out.split("Stages:")[1].split("Graph:")[0].splitlines() if ln.strip()]
    assert len(stages) == 7 and set(stages) == {"done"}, out  # every stage is built and ran
    assert "schema + IAB taxonomies" in out
    lines = {ln.split()[0]: ln.split()[-1] for ln in out.splitlines() if ln.strip().startswith(":")}
    assert int(lines[":Topic"].replace(",", "")) >= 650
    assert int(lines[":Publisher"].replace(",", "")) > 50
    assert (tmp_path / "graph.db").exists() or any(tmp_path.glob("graph.db*"))
    # the graph is built from the observable exports through the importers, with nothing lost
    imp = next(ln for ln in out.splitlines() if "import (CRM" in ln)
    assert imp.split()[0] == "done"
    nums = [int(x.replace(",", "")) for x in imp.split("rows_in")[1].replace("=", " ").replace("+", " ").split()
            if x.replace(",", "").isdigit()]
    assert nums[0] == nums[1] + nums[2] and nums[0] > 100_000
    assert int(lines[":ImportRun"].replace(",", "")) >= 8
