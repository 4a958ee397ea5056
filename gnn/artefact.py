"""The link-prediction artefact: the shipped :class:`gnn.ranker.Ranker`, saved and loaded.

Layout of ``$PARTNERGRAPH_HOME/models/<version>/`` (written to a temporary folder and renamed
when complete, so a reader never sees half an artefact):

- ``meta.json``: :class:`gnn.ranker.ModelMeta` (version, shipped ranker, snapshot hash, schema
  version, hyper-parameters, validation/test metrics);
- ``tables/``: the data snapshot the ranker scores from (ids, partnership events, static edges,
  text vectors), so scoring needs no database;
- ``space.json`` + ``text.npz``: node-feature scalers (fitted on the training window) and the
  text projection;
- ``gnn.pt``: GNN weights (always: its partner embeddings are the performance embeddings);
  ``embeddings.npz``: those embeddings per partner id;
- ``gbm.txt`` (always; it also explains scores), ``hybrid.txt`` (when shipped),
  ``perf_roi.txt`` / ``perf_cvr.txt`` (GBM performance regressors, when they exist);
- ``report.md``: the evaluation report of the run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gnn.baselines import GBMRanker, GBMRegressor
from gnn.data import FeatureSpace, GraphTables, Scaler, TextProjection, snapshot, to_hetero
from gnn.features import BRAND_CHUNK, HYBRID_FEATURES, PAIR_FEATURES, PairContext, features_mismatch
from gnn.ranker import ModelMeta
from graph.errors import InputError, SchemaVersionError
from graph.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from gnn.model import LinkPredGNN
    from gnn.train import PerfScale, SnapshotCache, StageModels, TrainOutcome
    from graph.settings import Settings

log = logging.getLogger(__name__)

KIND = "linkpred"
LATEST = "linkpred-latest.json"
MATRICES = ("partner_topic", "partner_audience", "brand_category", "partner_links", "topic_parent")


class LinkPredRanker:
    """The shipped ranker: scores, predicted performance, embeddings and attributions."""

    def __init__(self, tables: GraphTables, cutoff_day: int, *, name: str, model_version: str,
                 gbm: GBMRanker, gnn: LinkPredGNN, gnn_scale: PerfScale, space: FeatureSpace,
                 hybrid: GBMRanker | None = None, perf_model: str = "gnn",
                 perf_roi: GBMRegressor | None = None, perf_cvr: GBMRegressor | None = None) -> None:
        from gnn.train import gnn_embeddings

        self.name = name
        self.model_version = model_version
        self.tables = tables
        self.cutoff_day = cutoff_day
        self.gbm, self.hybrid, self.gnn = gbm, hybrid, gnn
        self.gnn_scale, self.space = gnn_scale, space
        self.perf_model, self.perf_roi, self.perf_cvr = perf_model, perf_roi, perf_cvr
        self.snapshot = snapshot(tables, cutoff_day)
        self.ctx = PairContext.build(tables, self.snapshot)
        self.h = gnn_embeddings(gnn, to_hetero(tables, self.snapshot, space))
        self._bidx = tables.brand_index()

    # ---- id mapping

    def _index(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        b = np.array([self._bidx.get(str(x), -1) for x in brand_ids], np.int64)
        p = np.array([self.tables.alias.get(str(x), -1) for x in partner_ids], np.int64)
        return b, p

    def _blocks(self, brand_ids: Sequence[str], partner_ids: Sequence[str], fn: Any) -> np.ndarray:
        b, p = self._index(brand_ids, partner_ids)
        out = np.full((len(b), len(p)), np.nan)
        ok_b = np.flatnonzero(b >= 0)
        ok_p = np.flatnonzero(p >= 0)
        if not len(ok_b) or not len(ok_p):
            return out
        for i in range(0, len(ok_b), BRAND_CHUNK):
            rows = ok_b[i:i + BRAND_CHUNK]
            blk = fn(b[rows])  # [len(rows), P]
            out[np.ix_(rows, ok_p)] = blk[:, p[ok_p]]
        return out

    # ---- the Ranker protocol

    def score(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> np.ndarray:
        return self._blocks(brand_ids, partner_ids, self._score_block)

    def _score_block(self, brands: np.ndarray) -> np.ndarray:
        import torch

        if self.name == "gnn":
            from gnn.train import gnn_structure_block

            with torch.no_grad():
                logits = self.gnn.score_all(self.h["brand"][torch.from_numpy(brands)], self.h["partner"],
                                            gnn_structure_block(self.gnn, self.ctx, brands))
            return 1.0 / (1.0 + np.exp(-logits.numpy().astype(np.float64)))
        X = self.ctx.block(brands)
        if self.name == "hybrid" and self.hybrid is not None:
            from gnn.train import hybrid_features

            gs, gr = self._gnn_block(brands, X)
            return self.hybrid.predict(hybrid_features(X, gs, gr))
        return self.gbm.predict(X)

    def _gnn_block(self, brands: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The GNN's (score, predicted log ROI) of ``brands`` against every partner, whose pair
        features are ``X``."""
        import torch

        from gnn.train import gnn_structure

        with torch.no_grad():
            hb = self.h["brand"][torch.from_numpy(brands)]
            sx = gnn_structure(self.gnn, X)
            gs = self.gnn.score_all(hb, self.h["partner"], sx).numpy()
            perf = self.gnn.performance_block(hb, self.h["partner"], sx).numpy()
        return gs, perf[:, :, 0]

    def predict_performance(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> dict[str, np.ndarray]:
        def roi(brands: np.ndarray) -> np.ndarray:
            return self._perf_block(brands)[0]

        def cvr(brands: np.ndarray) -> np.ndarray:
            return self._perf_block(brands)[1]

        return {"log_roi": self._blocks(brand_ids, partner_ids, roi),
                "conversion_rate": self._blocks(brand_ids, partner_ids, cvr)}

    def _perf_block(self, brands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        if self.perf_model == "gbm" and self.perf_roi is not None:
            X = self.ctx.block(brands)
            c = self.perf_cvr.predict(X) if self.perf_cvr is not None else np.full(X.shape[:2], np.nan)
            return self.perf_roi.predict(X), np.clip(c, 0.0, 1.0)
        from gnn.train import gnn_structure_block

        with torch.no_grad():
            pr = self.gnn.performance_block(self.h["brand"][torch.from_numpy(brands)], self.h["partner"],
                                            gnn_structure_block(self.gnn, self.ctx, brands)).numpy()
        sc = self.gnn_scale
        return pr[:, :, 0] * sc.roi_std + sc.roi_mean, np.clip(pr[:, :, 1] * sc.cvr_std + sc.cvr_mean, 0.0, 1.0)

    def predict_pairs(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Like :meth:`predict_performance`, for aligned pairs ``(brand_ids[i], partner_ids[i])``
        (what discovery needs for its kept pairs: no brand x partner block). NaN for unknown ids."""
        import torch

        b, p = self._index(brand_ids, partner_ids)
        roi = np.full(len(b), np.nan)
        cvr = np.full(len(b), np.nan)
        ok = (b >= 0) & (p >= 0)
        if ok.any():
            if self.perf_model == "gbm" and self.perf_roi is not None:
                X = self.ctx.pairs(b[ok], p[ok])
                roi[ok] = self.perf_roi.predict(X)
                cvr[ok] = np.clip(self.perf_cvr.predict(X), 0.0, 1.0) if self.perf_cvr is not None else np.nan
            else:
                from gnn.train import gnn_structure_pairs

                with torch.no_grad():
                    pr = self.gnn.performance(self.h["brand"][torch.from_numpy(b[ok])],
                                              self.h["partner"][torch.from_numpy(p[ok])],
                                              gnn_structure_pairs(self.gnn, self.ctx, b[ok], p[ok])).numpy()
                sc = self.gnn_scale
                roi[ok] = pr[:, 0] * sc.roi_std + sc.roi_mean
                cvr[ok] = np.clip(pr[:, 1] * sc.cvr_std + sc.cvr_mean, 0.0, 1.0)
        return {"log_roi": roi, "conversion_rate": cvr}

    def partner_embeddings(self) -> dict[str, np.ndarray]:
        hp = self.h["partner"].numpy()
        return {pid: hp[i] for i, pid in enumerate(self.tables.partner_ids)}

    def attributions(self, brand_id: str, partner_id: str) -> dict[str, float]:
        """SHAP contributions (log-odds) of the pair features to the GBM's score — the shipped
        model when it is the GBM or hybrid, its explainable surrogate when the GNN is shipped."""
        b, p = self._index([brand_id], [partner_id])
        if b[0] < 0 or p[0] < 0:
            return {}
        x = self.ctx.pairs(b, p)[0]
        if self.name == "hybrid" and self.hybrid is not None:
            from gnn.train import gnn_pair_outputs

            gs, gr = gnn_pair_outputs(self.gnn, self.h, b, p, x[None])
            xh = np.concatenate([x, [gs[0], gr[0]]]).astype(np.float32)
            return self.hybrid.contributions(xh)
        return self.gbm.contributions(x)

    # ---- helpers for discovery

    def known_partners(self, brand_id: str) -> list[str]:
        """Partners the brand already worked with (at the artefact's cutoff)."""
        b = self._bidx.get(brand_id)
        if b is None:
            return []
        k = self.snapshot.known
        return [self.tables.partner_ids[j] for j in k.indices[k.indptr[b]:k.indptr[b + 1]]]

    def pair_features(self, brand_id: str, partner_id: str) -> dict[str, float]:
        """The raw pair features (shared topics, co-partnering brands, ...) for the reasons text."""
        b, p = self._index([brand_id], [partner_id])
        if b[0] < 0 or p[0] < 0:
            return {}
        x = self.ctx.pairs(b, p)[0]
        return {n: float(v) for n, v in zip(PAIR_FEATURES, x, strict=True)}


# ----------------------------------------------------------------------------- save / load


def _version(root: Path) -> str:
    base = "linkpred-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    v, n = base, 1
    while (root / v).exists():
        n += 1
        v = f"{base}-{n}"
    return v


def save_tables(t: GraphTables, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ids = {"brand_ids": t.brand_ids, "partner_ids": t.partner_ids, "alias": t.alias,
           "topic_ids": t.topic_ids, "audience_ids": t.audience_ids, "category_ids": t.category_ids,
           "brand_country": [None if v is None else str(v) for v in t.brand_country],
           "partner_country": [None if v is None else str(v) for v in t.partner_country],
           "partner_language": [None if v is None else str(v) for v in t.partner_language],
           "model_id": t.model_id}
    (folder / "ids.json").write_text(json.dumps(ids))
    t.partner_static.to_parquet(folder / "static.parquet")
    t.events.to_parquet(folder / "events.parquet")
    t.pairs.to_parquet(folder / "pairs.parquet")
    t.campaigns.to_parquet(folder / "campaigns.parquet")
    for name in MATRICES:
        sp.save_npz(folder / f"{name}.npz", getattr(t, name).tocsr())
    np.savez_compressed(folder / "vectors.npz", **t.vectors)  # type: ignore[arg-type]
    np.savez(folder / "arrays.npz", article_p=t.article_p, article_day=t.article_day, article_n=t.article_n,
             topic_root=t.topic_root)


def read_tables(folder: Path) -> GraphTables:
    ids = json.loads((folder / "ids.json").read_text())
    vec = np.load(folder / "vectors.npz")
    arr = np.load(folder / "arrays.npz")
    return GraphTables(
        brand_ids=ids["brand_ids"], partner_ids=ids["partner_ids"],
        alias={k: int(v) for k, v in ids["alias"].items()},
        brand_country=np.array(ids["brand_country"], dtype=object),
        partner_country=np.array(ids["partner_country"], dtype=object),
        partner_language=np.array(ids["partner_language"], dtype=object),
        partner_static=pd.read_parquet(folder / "static.parquet"),
        events=pd.read_parquet(folder / "events.parquet"),
        pairs=pd.read_parquet(folder / "pairs.parquet"),
        campaigns=pd.read_parquet(folder / "campaigns.parquet"),
        **{name: sp.load_npz(folder / f"{name}.npz").tocsr() for name in MATRICES},
        article_p=arr["article_p"], article_day=arr["article_day"], article_n=arr["article_n"],
        topic_root=arr["topic_root"],
        topic_ids=ids["topic_ids"], audience_ids=ids["audience_ids"], category_ids=ids["category_ids"],
        vectors={k: vec[k] for k in vec.files}, model_id=ids.get("model_id", ""),
    )


def _space_dict(space: FeatureSpace) -> dict[str, Any]:
    return {"partner_scaler": space.partner_scaler.to_dict(), "brand_scaler": space.brand_scaler.to_dict(),
            "countries": space.countries, "languages": space.languages}


def save_artefact(settings: Settings, tables: GraphTables, cache: SnapshotCache, m: StageModels, *,
                  shipped: str, perf_model: str, metrics: dict[str, Any], params: dict[str, Any],
                  cutoff_day: int) -> TrainOutcome:
    import torch

    from gnn.report import write_report
    from gnn.train import TrainOutcome

    assert m.gnn is not None and m.gdata is not None and m.gbm is not None and m.gnn_scale is not None
    root = Path(settings.home) / "models"
    root.mkdir(parents=True, exist_ok=True)
    version = _version(root)
    tmp = root / f".{version}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    params = {**params, "cutoff_day": int(cutoff_day), "perf_model": perf_model,
              "gnn_scale": asdict(m.gnn_scale), "text_model_id": tables.model_id}
    meta = ModelMeta(kind=KIND, version=version, shipped=shipped, snapshot_hash=tables.snapshot_hash(),
                     schema_version=SCHEMA_VERSION, trained_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     params=params, metrics=metrics)
    save_tables(tables, tmp / "tables")
    space = m.gdata.space
    (tmp / "space.json").write_text(json.dumps(_space_dict(space)))
    np.savez(tmp / "text.npz", mean=space.text.mean, components=space.text.components)
    torch.save(m.gnn.state_dict(), tmp / "gnn.pt")
    (tmp / "gbm.txt").write_text(m.gbm.to_string())
    if m.hybrid is not None:
        (tmp / "hybrid.txt").write_text(m.hybrid.to_string())
    if m.perf_roi is not None:
        (tmp / "perf_roi.txt").write_text(m.perf_roi.to_string())
    if m.perf_cvr is not None:
        (tmp / "perf_cvr.txt").write_text(m.perf_cvr.to_string())
    ranker = LinkPredRanker(tables, cutoff_day, name=shipped, model_version=version, gbm=m.gbm, gnn=m.gnn,
                            gnn_scale=m.gnn_scale, space=space, hybrid=m.hybrid, perf_model=perf_model,
                            perf_roi=m.perf_roi, perf_cvr=m.perf_cvr)
    emb = ranker.h["partner"].numpy()
    np.savez_compressed(tmp / "embeddings.npz", partner_ids=np.array(tables.partner_ids), partner=emb,
                        brand_ids=np.array(tables.brand_ids), brand=ranker.h["brand"].numpy())
    (tmp / "meta.json").write_text(json.dumps(asdict(meta), indent=1, default=_json_default))
    write_report(tmp / "report.md", meta)
    final = root / version
    os.replace(tmp, final)
    pointer = root / (LATEST + ".tmp")
    pointer.write_text(json.dumps({"version": version}))
    os.replace(pointer, root / LATEST)
    return TrainOutcome(ranker=ranker, meta=meta, path=final, report_path=final / "report.md")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer | np.floating):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def load_latest(settings: Settings) -> TrainOutcome | None:
    root = Path(settings.home) / "models"
    pointer = root / LATEST
    version = None
    if pointer.exists():
        try:
            version = json.loads(pointer.read_text()).get("version")
        except ValueError:
            version = None
    if not version or not (root / str(version) / "meta.json").exists():
        done = sorted(p.name for p in root.glob("linkpred-*") if (p / "meta.json").exists()) if root.is_dir() else []
        if not done:
            return None
        version = done[-1]
    return load_artefact(root / str(version))


def load_artefact(folder: Path) -> TrainOutcome:
    import torch

    from gnn.model import GNNConfig
    from gnn.train import PerfScale, TrainOutcome, new_gnn

    try:
        raw = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"model artefact {folder} is unreadable: {exc}", hint="retrain: partnergraph train") from None
    meta = ModelMeta(**raw)
    if int(meta.schema_version) != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"model {meta.version} was trained for graph schema v{meta.schema_version}, this is v{SCHEMA_VERSION}",
            hint="retrain it: partnergraph train")
    if (why := features_mismatch(meta.params)) is not None:
        raise InputError(f"model {meta.version} was trained on {why}", hint="retrain it: partnergraph train")
    tables = read_tables(folder / "tables")
    sd = json.loads((folder / "space.json").read_text())
    tx = np.load(folder / "text.npz")
    space = FeatureSpace(Scaler.from_dict(sd["partner_scaler"]), Scaler.from_dict(sd["brand_scaler"]),
                         TextProjection(tx["mean"], tx["components"]), sd["countries"], sd["languages"])
    cutoff = int(meta.params["cutoff_day"])
    cfg = GNNConfig.from_params(meta.params["gnn"])
    gnn = new_gnn(to_hetero(tables, snapshot(tables, cutoff), space), cfg)
    gnn.load_state_dict(torch.load(folder / "gnn.pt", weights_only=True))
    gnn.eval()
    rounds = meta.params.get("gbm_rounds", {})
    gbm = GBMRanker.from_string((folder / "gbm.txt").read_text(), list(PAIR_FEATURES), int(rounds.get("gbm") or 0) or 600)
    hybrid = None
    if (folder / "hybrid.txt").exists():
        hybrid = GBMRanker.from_string((folder / "hybrid.txt").read_text(),
                                       list(PAIR_FEATURES) + list(HYBRID_FEATURES), int(rounds.get("hybrid") or 0) or 600)
    perf_roi = GBMRegressor.from_string((folder / "perf_roi.txt").read_text(), list(PAIR_FEATURES)) \
        if (folder / "perf_roi.txt").exists() else None
    perf_cvr = GBMRegressor.from_string((folder / "perf_cvr.txt").read_text(), list(PAIR_FEATURES)) \
        if (folder / "perf_cvr.txt").exists() else None
    ranker = LinkPredRanker(tables, cutoff, name=meta.shipped, model_version=meta.version, gbm=gbm, gnn=gnn,
                            gnn_scale=PerfScale(**meta.params["gnn_scale"]), space=space, hybrid=hybrid,
                            perf_model=str(meta.params.get("perf_model", "gnn")), perf_roi=perf_roi,
                            perf_cvr=perf_cvr)
    return TrainOutcome(ranker=ranker, meta=meta, path=folder, report_path=folder / "report.md")
