"""``train_linkpred`` end to end on a small synthetic graph in a real store: the artefact, the
``Ranker`` contract, ``load_linkpred`` and the schema-version refusal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from graph.errors import InputError, SchemaVersionError
from graph.settings import load_settings
from graph.store.base import GraphStore

MONTHS = [f"{2024 + (m // 12)}-{m % 12 + 1:02d}" for m in range(18)]  # 2024-01 .. 2025-06


def write_world(store: GraphStore, *, brands: int = 8, partners: int = 60, seed: int = 3) -> None:
    """Brands prefer partners of "their" topic and popular partners; one campaign a month each."""
    rng = np.random.default_rng(seed)
    prov = {"source": "test://linkpred", "run_id": "test"}
    store.upsert_nodes("Topic", [{"id": f"iab-content-3.1:{k}", "name": f"T{k}", **prov} for k in range(4)])
    store.upsert_nodes("Brand", [{"id": f"brand:{i}", "crm_id": f"B{i}", "name": f"Brand {i}", "country": "FR", **prov}
                                 for i in range(brands)])
    store.upsert_nodes("Publisher", [{"id": f"partner:{j}", "crm_id": f"P{j}", "name": f"Site {j}",
                                      "country": "FR" if j % 3 else "DE", "language": "fr", **prov}
                                     for j in range(partners)])
    store.upsert_relationships("COVERS", [{"src": f"partner:{j}", "dst": f"iab-content-3.1:{j % 4}", "score": 0.9,
                                           **prov} for j in range(partners)],
                               src_label="Publisher", dst_label="Topic")
    pop = np.ones(partners)
    camps, ran, with_ = [], [], []
    for m, month in enumerate(MONTHS):
        for i in range(brands):
            w = np.exp(2.0 * (np.arange(partners) % 4 == i % 4)) * pop
            chosen = rng.choice(partners, 2, replace=False, p=w / w.sum())
            cid = f"camp:{i}:{m}"
            camps.append({"id": cid, "start": f"{month}-{1 + (i % 27):02d}", **prov})
            ran.append({"src": f"brand:{i}", "dst": cid, **prov})
            for j in chosen.tolist():
                good = (j % 4 == i % 4)
                with_.append({"src": cid, "dst": f"partner:{j}", "period": month, "impressions": 1000 + 10 * j,
                              "clicks": 20, "conversions": 4 if good else 1, "revenue": 300.0 if good else 40.0,
                              "cost": 100.0, **prov})
            pop[chosen] += 1
    store.upsert_nodes("Campaign", camps)
    store.upsert_relationships("RAN", ran, src_label="Brand", dst_label="Campaign")
    store.upsert_relationships("WITH", with_, src_label="Campaign", dst_label="Publisher", key=("period",))


def test_train_artefact_ranker_reload_and_schema_refusal(store: GraphStore, tmp_path: Path) -> None:
    from gnn.model import GNNConfig
    from gnn.train import load_linkpred, train_linkpred

    write_world(store)
    settings = load_settings(env={}, home=tmp_path, graph_uri=store.uri if store.backend == "neo4j" else None)
    out = train_linkpred(store, settings, seed=7, progress=False, cfg=GNNConfig(hidden=16, max_epochs=4))
    # ---- the artefact
    meta = out.meta
    assert meta.kind == "linkpred" and meta.shipped in {"gnn", "gbm", "hybrid"}
    assert meta.metrics["split"] == {"first": "2024-01", "T1": "2024-12-01", "T2": "2025-03-01", "end": "2025-07-01"}
    for split in ("validation", "test"):
        assert {"gnn", "gbm", "hybrid", "popularity", "adamic_adar", "common_neighbours", "text_cosine"} \
            <= set(meta.metrics[split])
        assert all(0.0 <= m["recall@20"] <= 1.0 for m in meta.metrics[split].values())
    assert {"partner_mean", "gnn"} <= set(meta.metrics["performance"]["test"])
    for name in ("meta.json", "gnn.pt", "gbm.txt", "embeddings.npz", "report.md", "tables/ids.json"):
        assert (out.path / name).exists(), name
    assert "## Test" in out.report_path.read_text()
    rows = store.read("MATCH (m:Model {id: $id}) RETURN m.version AS v, m.kind AS k",
                      {"id": f"model:{meta.version}"}).rows
    assert rows == [{"v": meta.version, "k": "linkpred"}]
    # ---- the Ranker contract
    r = out.ranker
    brands, partners = ["brand:0", "brand:1", "brand:nope"], ["partner:0", "partner:5", "partner:nope"]
    s = r.score(brands, partners)
    assert s.shape == (3, 3) and np.isfinite(s[:2, :2]).all()
    assert np.isnan(s[2]).all() and np.isnan(s[:, 2]).all()  # unknown ids score NaN
    perf = r.predict_performance(brands[:2], partners[:2])
    assert set(perf) == {"log_roi", "conversion_rate"} and perf["log_roi"].shape == (2, 2)
    assert ((perf["conversion_rate"] >= 0) & (perf["conversion_rate"] <= 1)).all()
    emb = r.partner_embeddings()
    assert len(emb) == 60 and next(iter(emb.values())).shape == (16,)
    att = r.attributions("brand:0", "partner:5")
    assert "pop" in att and "bias" in att and r.attributions("brand:0", "partner:nope") == {}
    # ---- reload: the same scores from disk
    again = load_linkpred(settings)
    assert again is not None and again.meta.version == meta.version
    assert np.allclose(again.ranker.score(brands[:2], partners[:2]), s[:2, :2], atol=1e-6)
    # every candidate scores through the artefact; the GNN's decoder reads the pairs' structure
    rk = again.ranker
    assert rk.gnn.needs_structure and again.meta.params["gnn"]["structure"] is True
    for name in ("gnn", "hybrid"):
        rk.name = name
        sc = rk.score(brands[:2], partners[:2])
        assert np.isfinite(sc).all() and ((sc >= 0) & (sc <= 1)).all()
        assert "pop" in rk.attributions("brand:0", "partner:5")
    rk.name = meta.shipped
    # ---- an artefact of another schema version is refused (the caller retrains)
    meta_path = out.path / "meta.json"
    doc = json.loads(meta_path.read_text())
    doc["schema_version"] = 999
    meta_path.write_text(json.dumps(doc))
    with pytest.raises(SchemaVersionError, match="schema v999"):
        load_linkpred(settings)
    # ... and so is one trained on another set of pair features (a model of an older version)
    doc["schema_version"], doc["params"]["pair_features"] = again.meta.schema_version, doc["params"]["pair_features"][:-1]
    meta_path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="another set of pair features"):
        load_linkpred(settings)
    # ... and one whose features meant something else under the same names (revision 1 had none)
    doc["params"]["pair_features"] = again.meta.params["pair_features"]
    del doc["params"]["features_revision"]
    meta_path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="revision 1, this version computes revision 3"):
        load_linkpred(settings)
    shutil.rmtree(settings.home / "models")
    assert load_linkpred(settings) is None
