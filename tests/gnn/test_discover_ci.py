"""Gate on the product graph: the demo's discovery run on the ``ci`` world (built once per
session by ``partnergraph demo --no-app``; read only here)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from gnn import discover_runs as R
from graph.store import open_store
from graph.store.base import GraphStore
from tests.conftest import CiWorld

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ci_store(ci_world: CiWorld) -> Iterator[GraphStore]:
    assert ci_world.returncode == 0, ci_world.stderr[-3000:]
    store = open_store(ci_world.settings())
    yield store
    store.close()


def test_the_demo_ran_discovery(ci_world: CiWorld) -> None:
    line = next(ln for ln in ci_world.stdout.splitlines() if "train + discover" in ln)
    assert line.split()[0] == "done", line
    assert "RECOMMENDED edges" in line and "brands scored" in line


def test_the_latest_complete_run_is_whole_and_clean(ci_store: GraphStore) -> None:
    run = R.latest_complete_run(ci_store)
    assert run is not None and run["status"] == "complete"
    metrics = run["metrics"]
    edges = ci_store.read("MATCH (b:Brand)-[r:RECOMMENDED]->(p) RETURN r.run_id AS run, count(*) AS n").rows
    assert edges == [{"run": run["id"], "n": metrics["edges_written"]}]  # one run visible, all of it
    assert metrics["brands"]["scored"] >= 80 and metrics["edges_written"] >= 50 * 80
    # never a current partner (through any of its records), a flagged partner, or a non-CRM record
    bad = ci_store.read("""MATCH (b:Brand)-[r:RECOMMENDED]->(p)
        WHERE p.brand_safety_flag = true OR p.crm_id IS NULL OR (p)-[:SAME_AS]->()
        RETURN count(r) AS n""").rows[0]["n"]
    assert bad == 0
    current = ci_store.read("""MATCH (b:Brand)-[r:RECOMMENDED]->(p)
        MATCH (b)-[:RAN]->(:Campaign)-[:WITH]->(q)
        WHERE q = p OR (q)-[:SAME_AS]->(p)
        RETURN count(DISTINCT r) AS n""").rows[0]["n"]
    assert current == 0
    rows = ci_store.read("""MATCH (b:Brand)-[r:RECOMMENDED]->(p)
        RETURN b.id AS brand, r.rank AS rank, r.reasons AS reasons, r.evidence AS evidence,
               r.predicted_roi AS roi LIMIT 2000""", limit=2000).rows
    kinds: set[str] = set()
    for row in rows:
        reasons, evidence = json.loads(row["reasons"]), json.loads(row["evidence"])
        assert reasons["v"] == 1 and evidence["v"] == 1 and reasons["items"]
        assert row["brand"] in evidence["nodes"]
        kinds.update(i["kind"] for i in reasons["items"])
    assert {"shared_topics", "audience_overlap"} <= kinds  # graph evidence, not only the ranker's word
    cold = metrics["brands"]["cold_start"]
    if cold:
        assert "cold_start" in kinds or len(rows) < metrics["edges_written"]
    if metrics["ranker"] != "content":  # a trained model predicts performance
        assert any(r["roi"] is not None for r in rows)
