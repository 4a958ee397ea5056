"""``partnergraph eval linkpred`` on small slices of the real MUSAE Facebook page graph: the
``--json`` contract, the table, selection on validation, and one-line errors on bad input."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from app.cli import main
from gnn.generic_eval import evaluate_generic, load_graph

LEARNED = {"gnn", "gbm", "hybrid"}


@pytest.fixture(scope="module")
def musae_slice(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The pages within reach of one page (breadth-first, 260 pages of the 4 types), every edge
    among them plus 3 self-loops, their rows of the page list and their description features."""
    d = shared_dir / "datasets" / "musae_facebook_page_page"
    edges = pd.read_csv(d / "facebook_edges.csv")
    nbrs: dict[int, list[int]] = {}
    for a, b in zip(edges["id_1"].tolist(), edges["id_2"].tolist(), strict=True):
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    start = 2  # a page with a mid-sized neighbourhood
    seen, queue = {start}, deque([start])
    while queue and len(seen) < 260:
        for w in sorted(nbrs[queue.popleft()]):
            if w not in seen and len(seen) < 260:
                seen.add(w)
                queue.append(w)
    inside = edges[edges["id_1"].isin(seen) & edges["id_2"].isin(seen)]
    inside = inside[inside["id_1"] != inside["id_2"]]
    loops = pd.DataFrame({"id_1": sorted(seen)[:3], "id_2": sorted(seen)[:3]})
    out = tmp_path_factory.mktemp("musae-slice")
    pd.concat([inside, loops]).to_csv(out / "edges.csv", index=False)
    pages = pd.read_csv(d / "facebook_target.csv")
    pages[pages["id"].isin(seen)].to_csv(out / "pages.csv", index=False)
    feats = json.loads((d / "facebook_features.json").read_text())
    (out / "features.json").write_text(json.dumps({k: v for k, v in feats.items() if int(k) in seen}))
    return {"edges": out / "edges.csv", "nodes": out / "pages.csv", "features": out / "features.json",
            "dir": out}


def _run(args: list[str], home: Path) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["--home", str(home), "eval", "linkpred", *args])
    return res.exit_code, res.stdout, res.stderr


def test_json_contract_and_report(musae_slice: dict[str, Path], tmp_path: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    report = tmp_path / "report.json"
    code, out, err = _run(["--edges", str(musae_slice["edges"]), "--nodes", str(musae_slice["nodes"]),
                           "--features", str(musae_slice["features"]), "--seed", "3", "--max-edges", "80",
                           "--json", "--report", str(report)], tmp_path)
    assert code == 0, err
    doc = json.loads(out)  # stdout is the JSON document and nothing else
    assert set(doc) == {"shipped", "models"}
    models = doc["models"]
    assert doc["shipped"] in LEARNED
    assert {"adamic_adar", "common_neighbours", "resource_allocation", "feature_cosine", *LEARNED} <= set(models)
    for m in models.values():
        assert set(m) == {"auc", "mrr", "hits@50"}
        assert all(0.0 <= x <= 1.0 for x in m.values())
    # real friendship structure: Adamic-Adar and the shipped model rank held-out pages well above chance
    assert models["adamic_adar"]["auc"] > 0.7 and models[doc["shipped"]]["auc"] > 0.7
    full = json.loads(report.read_text())
    assert full["test"][doc["shipped"]]["hits@50"] == models[doc["shipped"]]["hits@50"]
    val = full["validation"]
    best = max(LEARNED, key=lambda n: (val[n]["hits@50"], val[n]["mrr"]))
    assert val[doc["shipped"]]["hits@50"] == val[best]["hits@50"]  # chosen on validation
    info = full["info"]
    assert info["self_loops_dropped"] == 3 and info["ranked_test"] == 80 and info["temporal"] is False
    assert "dropped 3 self-loops" in caplog.text


def test_table(musae_slice: dict[str, Path], tmp_path: Path) -> None:
    code, out, err = _run(["--edges", str(musae_slice["edges"]), "--seed", "5", "--max-edges", "40",
                           "--no-progress"], tmp_path)
    assert code == 0, err
    assert out.startswith("validation:") and "\ntest:" in out
    assert "adamic_adar" in out and "feature_cosine" not in out  # no features given
    assert "shipped (chosen on validation hits@50):" in out and "random split" in out
    shipped = out.split("shipped (chosen on validation hits@50): ")[1].split()[0]
    assert shipped in LEARNED and f"{shipped} *" in out
    assert not out.lstrip().startswith("{")


def test_split_is_seeded_and_disjoint(musae_slice: dict[str, Path]) -> None:
    from gnn.generic_eval import split_edges

    g = load_graph(musae_slice["edges"], musae_slice["nodes"], musae_slice["features"])
    assert g.self_loops == 3 and g.features is not None and g.features.shape[0] == g.n
    # page_type is the node list's one categorical column (ids and page names are not)
    assert g.categories is not None and g.categories.shape == (g.n, 4)
    assert (g.categories.sum(axis=1) == 1).all()
    a, b, c = split_edges(g, 1), split_edges(g, 1), split_edges(g, 2)
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)
    keys = [set(map(tuple, s.tolist())) for s in (a.train, a.valid, a.test)]
    assert sum(map(len, keys)) == len(g.edges) == len(set().union(*keys))


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if not ln.lstrip().startswith(("WARNING", "INFO"))
             and " WARNING " not in ln and " INFO " not in ln]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_bad_input(musae_slice: dict[str, Path], tmp_path: Path) -> None:
    e, n, f = (str(musae_slice[k]) for k in ("edges", "nodes", "features"))
    lines = Path(e).read_text().splitlines()
    cases: dict[str, tuple[list[str], str]] = {}
    cases["missing"] = (["--edges", str(tmp_path / "nope.csv")], "does not exist")
    cases["missing features"] = (["--edges", e, "--features", str(tmp_path / "nope.json")], "does not exist")
    few = tmp_path / "few.csv"
    few.write_text("\n".join(lines[:11]) + "\n")  # a header and 10 real edges
    cases["too small"] = (["--edges", str(few)], "too small to split")
    loops = tmp_path / "loops.csv"
    loops.write_text("id_1,id_2\n" + "\n".join(f"{i},{i}" for i in range(30)) + "\n" + "\n".join(lines[1:6]) + "\n")
    cases["self-loops"] = (["--edges", str(loops)], "are self-loops")
    pages = pd.read_csv(n)
    partial = tmp_path / "pages.csv"
    pages.iloc[5:].to_csv(partial, index=False)  # five pages missing from the node list
    cases["unknown nodes"] = (["--edges", e, "--nodes", str(partial)], "are not in")
    bad_json = tmp_path / "features.json"
    bad_json.write_text(json.dumps({lines[1].split(",")[0]: ["word"]}))
    cases["bad features"] = (["--edges", e, "--features", str(bad_json)], "cannot read the graph")
    cases["report folder"] = (["--edges", e, "--report", str(tmp_path / "no" / "r.json")], "does not exist")
    for name, (args, match) in cases.items():
        code, out, err = _run(args, tmp_path)
        assert code == 6, (name, code, out, err)
        assert match in _one_line(err), (name, err)
        assert out == "", name


def test_api_result_selection(musae_slice: dict[str, Path]) -> None:
    """The Python API: the shipped model is the validation winner, test metrics cover every model."""
    res = evaluate_generic(musae_slice["edges"], musae_slice["nodes"], None, seed=4, max_edges=40)
    assert res.info["features"] is False and "feature_cosine" not in res.test
    assert set(res.test) == set(res.validation)
    best = max(LEARNED, key=lambda n: (res.validation[n]["hits@50"], res.validation[n]["mrr"]))
    assert res.validation[res.shipped]["hits@50"] == res.validation[best]["hits@50"]
    assert res.to_json()["models"].keys() == res.test.keys()


def test_gnn_structure_of_pairs_equals_the_block(musae_slice: dict[str, Path]) -> None:
    """The GNN's decoder reads the pairs' structure: in training pair by pair, in ranking from the
    sources' heuristic block; both give the same inputs, and the inputs move the score."""
    import torch

    from gnn.generic_eval import GNN_STRUCTURE, Context, _gnn_model, gnn_scorer, gnn_structure

    g = load_graph(musae_slice["edges"], musae_slice["nodes"])
    ctx = Context.graph_only(g.n, g.edges)
    sources = np.array([0, 5, 17])
    block = ctx.heuristic_block(sources)
    rng = np.random.default_rng(0)
    u = np.repeat(sources, 40)
    v = rng.integers(0, g.n, len(u))
    pairs = ctx.pair_heuristics(u, v)
    row = np.searchsorted(sources, u)
    for k in GNN_STRUCTURE:
        assert np.allclose(pairs[k], block[k][row, v], atol=1e-5), k
    assert (pairs["common_neighbours"] > 0).any()  # the sample meets some shared neighbours
    s = gnn_structure(block)
    assert s.shape == (3, g.n, len(GNN_STRUCTURE)) and np.isfinite(s).all()
    torch.manual_seed(0)
    model = _gnn_model(4, g.n, 8, False)
    model.eval()
    h = rng.normal(size=(g.n, 8)).astype(np.float32)
    scores = gnn_scorer(model, h)(sources, block)
    with torch.no_grad():
        direct = model.pairs(torch.from_numpy(h[u]), torch.from_numpy(h[v]),
                             torch.from_numpy(gnn_structure(pairs))).numpy()
    assert np.allclose(scores[row, v], direct, atol=1e-4)  # block and pair paths agree
    assert not np.allclose(scores, 0.01 * (h[sources] @ h.T))  # the structural term counts
