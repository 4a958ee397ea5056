"""The fraud area's commands on the embedded store: fraud, trace, ring, case, eval fraud."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from app.cli import main
from tests.gnn.fraud.world import RING_IDS, write_world


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fraud-cli")
    world = write_world(base / "world")
    h = base / "home"
    for name, preset in (("affiliates.csv", "generator-affiliates"), ("conversions.csv", "generator-conversions"),
                         ("clicks-2024-05.csv.gz", "generator-clicks")):
        res = _run(h, "import", str(world / name), "--preset", preset)
        assert res.exit_code == 0, res.output
    res = _run(h, "fraud", "--no-models", "--no-progress")
    assert res.exit_code == 0, res.output
    assert "1 flagged (4 members)" in res.output and "FLAGGED" in res.output
    return h


def test_trace_ring_and_cases_from_the_command_line(home: Path, tmp_path: Path) -> None:
    res = _run(home, "trace", RING_IDS[0], RING_IDS[2], "--k", "2")
    assert res.exit_code == 0, res.output
    assert "path 1: 1 hop(s)" in res.output and "#row=" in res.output
    doc = json.loads(_run(home, "trace", RING_IDS[0], RING_IDS[2], "--json").stdout)
    assert doc["v"] == 1 and doc["paths"][0]["hops"][0]["identifiers"]
    listing = _run(home, "ring", "--list")
    ring_id = next(ln.split()[0] for ln in listing.output.splitlines() if "flagged" in ln)
    res = _run(home, "ring", ring_id, "--pack", str(tmp_path / "pack"))
    assert res.exit_code == 0, res.output
    assert "members:" in res.output and (tmp_path / "pack" / "subgraph.png").exists()
    alert = next(ln.split()[0] for ln in _run(home, "case", "alerts").output.splitlines() if ln.startswith("alert:"))
    res = _run(home, "case", "open", alert, "--by", "ana", "--assignee", "bo", "--note", "looks coordinated")
    assert res.exit_code == 0 and "opened case:1" in res.output, res.output
    res = _run(home, "case", "update", "case:1", "--by", "ana", "--status", "dismissed")
    assert res.exit_code == 6 and res.output.count("\n") == 1 and "needs a reason" in res.output
    res = _run(home, "case", "update", "case:1", "--by", "ana", "--status", "confirmed")
    assert res.exit_code == 0 and "confirmed" in res.output
    out = tmp_path / "cases.csv"
    assert _run(home, "case", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    assert "case:1" in out.read_text()


def test_one_line_errors(home: Path) -> None:
    res = _run(home, "trace", RING_IDS[0], "no-such-affiliate")
    assert res.exit_code == 6 and res.output.startswith("error: unknown affiliate") and "Traceback" not in res.output
    res = _run(home, "ring", "ffffffff")
    assert res.exit_code == 6 and "unknown ring" in res.output
    res = _run(home, "eval", "fraud")
    assert res.exit_code == 6 and "give one of" in res.output


def _signed_graph(tmp: Path, n: int = 120, seed: int = 2) -> tuple[Path, Path]:
    """Honest users rate each other well; fraudsters rate each other well and get bad ratings."""
    rng = np.random.default_rng(seed)
    fraud = set(range(0, n, 4))
    rows = ["source,target,weight,time"]
    for _ in range(n * 8):
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        w = 5 if (a in fraud) == (b in fraud) else (-6 if b in fraud else 2)
        rows.append(f"u{a},u{b},{w},{1_400_000_000 + int(rng.integers(0, 10**7))}")
    (tmp / "edges.csv").write_text("\n".join(rows) + "\n")
    labels = ["id,label"] + [f"u{i},{-1 if i in fraud else 1}" for i in range(0, n, 2)] + ["ghost,1"]
    (tmp / "labels.csv").write_text("\n".join(labels) + "\n")
    return tmp / "edges.csv", tmp / "labels.csv"


def test_eval_fraud_on_a_generic_signed_graph(tmp_path: Path) -> None:
    edges, labels = _signed_graph(tmp_path)
    res = _run(tmp_path / "h", "eval", "fraud", "--edges", str(edges), "--labels", str(labels), "--json",
               "--folds", "3")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    assert doc["shipped"] == "gnn" and set(doc["models"]) == {"gnn", "gbm", "rules", "rev2"}
    for m in doc["models"].values():
        assert 0.0 <= m["roc_auc"] <= 1.0 and 0.0 <= m["pr_auc"] <= 1.0
    assert doc["models"]["gnn"]["roc_auc"] > 0.9 and doc["models"]["rules"]["roc_auc"] > 0.9
    assert doc["labels"]["unknown_ids"] == 1  # the labelled id that is not in the graph is reported
    table = _run(tmp_path / "h", "eval", "fraud", "--edges", str(edges), "--labels", str(labels), "--folds", "2",
                 "--hide-incoming", "--no-progress")
    assert table.exit_code == 0 and "(shipped)" in table.output and "1 labelled ids are not in the graph" in \
        table.output
