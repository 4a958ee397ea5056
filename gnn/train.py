"""Training, honest evaluation and model selection for brand -> partner link prediction.

Public API (used by ``partnergraph train`` and by the weekly discovery job, ``gnn.discover``):

- ``train_linkpred(store, settings, *, seed=7, progress=True) -> TrainOutcome``
    exports the graph (:func:`gnn.data.load_tables`), derives the temporal split from the
    campaign start dates (:func:`gnn.split.temporal_split`), then

    1. *selection stage* — fits every candidate (GNN, GBM, hybrid) and the performance models on
       training windows before T1, early-stops on the validation window ``[T1, T2)``, and
       picks the shipped ranker by validation Recall@20 (the performance model by validation
       MAE of log ROI);
    2. *test stage* — refits every candidate with the selected epochs/rounds on windows before
       T2 and reports every model and baseline on the test window ``[T2, end)``;
    3. *production refit* — refits the shipped ranker (and the GNN, whose partner embeddings
       are always produced) on every known partnership, and saves the artefact under
       ``settings.home / "models" / <version>/`` with a :class:`gnn.ranker.ModelMeta` JSON, the
       data snapshot it scores from, and a Markdown report (``report.md``).

    ``TrainOutcome`` has ``.ranker`` (a :class:`gnn.ranker.Ranker`), ``.meta``
    (``ModelMeta``), ``.path`` (artefact folder) and ``.report_path``. A ``(:Model)`` node with
    the same version is upserted in the graph.
- ``load_linkpred(settings) -> TrainOutcome | None``
    the latest complete artefact, or ``None`` when there is none. Raises
    :class:`graph.errors.SchemaVersionError` when the artefact was trained for another
    ``graph.schema.SCHEMA_VERSION`` (the caller then retrains).
- ``train_epoch(...)`` and ``evaluate(...)`` are the GNN's step functions; both return floats.

Everything runs full-batch on the CPU with fixed seeds (numpy, torch, LightGBM) and two torch
threads. ``ModelMeta.metrics`` is ``{"split": {...}, "validation": {model: {metric: v}},
"test": {...}, "performance": {"validation": {...}, "test": {...}}, "shipped_by": ...}``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from gnn.baselines import (
    CASCADE_TOP,
    GBM_CHECK_EVERY,
    GBM_MAX_ROUNDS,
    GBM_PARAMS,
    HEURISTICS,
    GBMRanker,
    GBMRegressor,
    cascade_predict,
)
from gnn.data import (
    FeatureSpace,
    GraphTables,
    Snapshot,
    load_tables,
    pair_performance,
    snapshot,
    to_hetero,
)
from gnn.features import (
    BRAND_CHUNK,
    FEATURES_REVISION,
    HYBRID_FEATURES,
    PAIR_FEATURES,
    PairContext,
    features_mismatch,
    structure_inputs,
)
from gnn.metrics import RankingAccumulator, regression_metrics
from gnn.split import (
    GBM_RANDOM_PER_POSITIVE,
    HARD_PER_POSITIVE,
    TemporalSplit,
    Window,
    sample_negatives,
    temporal_split,
    topic_neighbours,
    training_windows,
    window,
)

if TYPE_CHECKING:
    import torch

    from gnn.artefact import LinkPredRanker
    from gnn.model import GNNConfig, LinkPredGNN
    from gnn.ranker import ModelMeta
    from graph.settings import Settings
    from graph.store.base import GraphStore

log = logging.getLogger(__name__)

SELECT_METRIC = "recall@20"
#: Model selection on validation uses the mean of these: Recall@20 alone (and MRR, one item per
#: brand) was too noisy on the ~40 validation brands of `ci` (candidates 0.0015 apart).
SELECT_BLEND = ("recall@20", "recall@50", "ndcg@20")
CANDIDATES = ("gnn", "gbm", "hybrid")
TORCH_THREADS = 1  # measured: 2.6 s vs 22 s per epoch on ci with 2 shared cores
LISTWISE_CANDIDATES = 4096
PERF_HEAD_STEPS = 300
HYBRID_EARLY_SHARE = 0.6  # windows the hybrid's base GNN is fitted on (the rest train the GBM)  # partners in the listwise loss per step (all of them when fewer)


@dataclass
class TrainOutcome:
    ranker: LinkPredRanker
    meta: ModelMeta
    path: Path
    report_path: Path


# ----------------------------------------------------------------------------- caches


class SnapshotCache:
    """Snapshots and pair contexts per cutoff day (shared by the stages of one run)."""

    def __init__(self, t: GraphTables) -> None:
        self.t = t
        self._snap: dict[int, Snapshot] = {}
        self._ctx: dict[int, PairContext] = {}
        self.rows: dict[tuple[int, int, int], tuple[np.ndarray, ...]] = {}
        self.share = topic_neighbours(t.partner_topic)  # partners sharing a topic (hard negatives)

    def snap(self, day: int) -> Snapshot:
        if day not in self._snap:
            self._snap[day] = snapshot(self.t, day)
        return self._snap[day]

    def ctx(self, day: int) -> PairContext:
        if day not in self._ctx:
            self._ctx[day] = PairContext.build(self.t, self.snap(day))
        return self._ctx[day]


@dataclass
class Rows:
    """GBM training rows: pairs of the training windows with labels and realised performance."""

    X: np.ndarray
    y: np.ndarray
    b: np.ndarray
    p: np.ndarray
    win: np.ndarray  # index of the window
    roi: np.ndarray  # NaN for negatives / no performance
    cvr: np.ndarray


def window_rows(cache: SnapshotCache, w: Window, seed: int) -> tuple[np.ndarray, ...]:
    """(X, y, b, p, roi, cvr) of one training window: its positives, and per positive
    :data:`gnn.split.GBM_RANDOM_PER_POSITIVE` random and :data:`gnn.split.HARD_PER_POSITIVE` hard
    negatives (sharing a topic with the positive, never partnered). Cached and seeded per
    window, so every stage sees the same rows.

    (Candidate lists from the top of Adamic-Adar/popularity, with LambdaRank or binary loss,
    were tried on the `ci` validation window and ranked far worse — Recall@20 0.06-0.07 against
    0.22 — because they teach "less popular than the top candidates"; random negatives keep the
    training distribution close to the full ranking.)"""
    key = (w.start_day, w.end_day, seed)
    if key not in cache.rows:
        t = cache.t
        rng = np.random.default_rng([seed, w.start_day, w.end_day])
        s = cache.snap(w.start_day)
        posm = w.positives_matrix(t.num_brands, t.num_partners)
        nb, npp, _ = sample_negatives(s.known, posm, w.pos_b, w.pos_p, cache.share, rng,
                                      rand=GBM_RANDOM_PER_POSITIVE)
        b = np.concatenate([w.pos_b, nb])
        p = np.concatenate([w.pos_p, npp])
        order = np.argsort(b, kind="stable")  # one contiguous list per brand
        b, p = b[order], p[order]
        y = np.concatenate([np.ones(len(w.pos_b)), np.zeros(len(nb))])[order]
        X = cache.ctx(w.start_day).pairs(b, p)
        roi, cvr = pair_performance(t, w.pos_b, w.pos_p, _month(w.start_day), _month(w.end_day))
        nan = np.full(len(nb), np.nan)
        cache.rows[key] = (X, y, b, p, np.concatenate([roi, nan])[order], np.concatenate([cvr, nan])[order])
    return cache.rows[key]


def build_rows(cache: SnapshotCache, windows: list[Window], seed: int) -> Rows:
    parts = [window_rows(cache, w, seed) for w in windows]
    X, y, b, p, roi, cvr = (np.concatenate(c) for c in zip(*parts, strict=True))
    win = np.concatenate([np.full(len(part[1]), wi) for wi, part in enumerate(parts)])
    return Rows(X, y, b, p, win, roi, cvr)


def group_sizes(rows: Rows, sel: np.ndarray | None = None) -> np.ndarray:
    """Sizes of the contiguous (window, brand) lists of ``rows`` (for LambdaRank)."""
    win, b = (rows.win, rows.b) if sel is None else (rows.win[sel], rows.b[sel])
    if not len(b):
        return np.zeros(0, np.int64)
    change = np.flatnonzero((np.diff(win) != 0) | (np.diff(b) != 0)) + 1
    return np.diff(np.concatenate([[0], change, [len(b)]]))


def _month(day: int) -> int:
    from gnn.data import _day_to_month

    return int(_day_to_month(np.array([day]))[0])


# ----------------------------------------------------------------------------- GNN


@dataclass
class GNNData:
    """HeteroData per cutoff day under one feature space, plus masks used by the losses."""

    space: FeatureSpace
    graphs: dict[int, Any] = field(default_factory=dict)

    def graph(self, cache: SnapshotCache, day: int) -> Any:
        if day not in self.graphs:
            self.graphs[day] = to_hetero(cache.t, cache.snap(day), self.space)
        return self.graphs[day]


def _torch_setup(seed: int) -> None:
    import torch

    torch.set_num_threads(TORCH_THREADS)
    torch.manual_seed(seed)


def new_gnn(data: Any, cfg: GNNConfig) -> LinkPredGNN:
    from gnn.model import LinkPredGNN

    in_dims = {nt: int(data[nt].x.shape[1]) for nt in data.node_types}
    num_nodes = {nt: int(data[nt].x.shape[0]) for nt in data.node_types}
    return LinkPredGNN(in_dims, list(data.edge_types), cfg, num_nodes)


@dataclass
class PerfScale:
    """Standardisation of the performance targets (training windows only)."""

    roi_mean: float = 0.0
    roi_std: float = 1.0
    cvr_mean: float = 0.0
    cvr_std: float = 1.0

    @classmethod
    def fit(cls, roi: np.ndarray, cvr: np.ndarray) -> PerfScale:
        r = roi[np.isfinite(roi)]
        c = cvr[np.isfinite(cvr)]
        return cls(float(r.mean()) if len(r) else 0.0, float(r.std()) + 1e-6 if len(r) else 1.0,
                   float(c.mean()) if len(c) else 0.0, float(c.std()) + 1e-6 if len(c) else 1.0)


@dataclass
class WindowBatch:
    """What one GNN step needs from a training window (built once per stage)."""

    day: int
    pos_b: np.ndarray
    pos_p: np.ndarray
    taken: sp.csr_matrix  # known + positives (never negatives)
    roi: np.ndarray
    cvr: np.ndarray


def window_batches(cache: SnapshotCache, windows: list[Window]) -> list[WindowBatch]:
    out = []
    t = cache.t
    for w in windows:
        s = cache.snap(w.start_day)
        taken = (s.known + w.positives_matrix(t.num_brands, t.num_partners)).tocsr()
        roi, cvr = pair_performance(t, w.pos_b, w.pos_p, _month(w.start_day), _month(w.end_day))
        out.append(WindowBatch(w.start_day, w.pos_b, w.pos_p, taken, roi, cvr))
    return out


def train_epoch(model: LinkPredGNN, opt: torch.optim.Optimizer, cache: SnapshotCache, gdata: GNNData,
                batches: list[WindowBatch], scale: PerfScale, rng: np.random.Generator) -> float:
    """One epoch: one optimiser step on each of ``cfg.windows_per_epoch`` random training windows
    (all of them when 0 or fewer exist); returns the mean loss."""
    import torch
    import torch.nn.functional as F

    model.train()
    losses = []
    P = cache.t.num_partners
    order = rng.permutation(len(batches))
    cap = model.cfg.windows_per_epoch
    for i in (order[:cap] if cap > 0 else order).tolist():
        wb = batches[i]
        data = gdata.graph(cache, wb.day)
        h = model.embed(data.x_dict, data.edge_index_dict)
        hb, hp = h["brand"], h["partner"]
        # listwise: each positive against the window's candidate partners (all when P is small)
        cand = np.arange(P) if P <= LISTWISE_CANDIDATES else np.unique(np.concatenate(
            [rng.choice(P, LISTWISE_CANDIDATES, replace=False), wb.pos_p]))
        ub, inv = np.unique(wb.pos_b, return_inverse=True)
        sb = gnn_structure_block(model, cache.ctx(wb.day), ub)  # the window's brands x every partner
        logits = model.score_all(hb[torch.from_numpy(ub)], hp[torch.from_numpy(cand)],
                                 None if sb is None else sb[:, torch.from_numpy(cand)])[torch.from_numpy(inv)]
        taken = torch.from_numpy(wb.taken[wb.pos_b][:, cand].toarray() > 0)
        col = torch.from_numpy(np.searchsorted(cand, wb.pos_p))
        rows = torch.arange(len(wb.pos_b))
        own = logits[rows, col]
        logits = logits.masked_fill(taken, float("-inf"))
        logits = logits.index_put((rows, col), own)
        loss = F.cross_entropy(logits, col)
        # hard negatives: same topics as the positive partner, never partnered with the brand
        nb, npp, _ = sample_negatives(cache.snap(wb.day).known, wb.taken, wb.pos_b, wb.pos_p, cache.share,
                                      rng, hard=2, rand=0)
        if len(nb):
            bb = np.concatenate([wb.pos_b, nb])
            pp = np.concatenate([wb.pos_p, npp])
            yy = torch.from_numpy(np.concatenate([np.ones(len(wb.pos_b)), np.zeros(len(nb))]).astype(np.float32))
            s = model.score_pairs(hb[torch.from_numpy(bb)], hp[torch.from_numpy(pp)], _block_pairs(sb, ub, bb, pp))
            loss = loss + model.cfg.hard_weight * F.binary_cross_entropy_with_logits(s, yy)
        ok = np.isfinite(wb.roi)
        if ok.any():
            target = np.stack([(wb.roi[ok] - scale.roi_mean) / scale.roi_std,
                               np.nan_to_num((wb.cvr[ok] - scale.cvr_mean) / scale.cvr_std)], axis=1)
            wmask = np.stack([np.ones(int(ok.sum())), np.isfinite(wb.cvr[ok])], axis=1)
            pb, pp = wb.pos_b[ok], wb.pos_p[ok]
            pred = model.performance(hb[torch.from_numpy(pb)], hp[torch.from_numpy(pp)], _block_pairs(sb, ub, pb, pp))
            tt = torch.from_numpy(target.astype(np.float32))
            ww = torch.from_numpy(wmask.astype(np.float32))
            loss = loss + model.cfg.perf_weight * ((F.smooth_l1_loss(pred, tt, reduction="none") * ww).sum()
                                                   / ww.sum().clamp(min=1.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return float(np.mean(losses)) if losses else 0.0


def gnn_embeddings(model: LinkPredGNN, data: Any) -> dict[str, torch.Tensor]:
    import torch

    model.eval()
    with torch.no_grad():
        return model.embed(data.x_dict, data.edge_index_dict)


def _block_pairs(sb: torch.Tensor | None, ub: np.ndarray, b: np.ndarray, p: np.ndarray) -> torch.Tensor | None:
    """The structural inputs of aligned pairs ``(b[i], p[i])`` from a block ``sb`` of brands ``ub``
    (sorted) against every partner; ``None`` when the GNN reads none."""
    import torch

    return None if sb is None else sb[torch.from_numpy(np.searchsorted(ub, b)), torch.from_numpy(p)]


def evaluate(model: LinkPredGNN, cache: SnapshotCache, gdata: GNNData, w: Window,
             metric: str = "select") -> float:
    """The GNN's ``metric`` on window ``w`` (full rankings); ``"select"`` is the selection blend
    (:data:`SELECT_BLEND`). Returns a float."""
    import torch

    h = gnn_embeddings(model, gdata.graph(cache, w.start_day))
    s = cache.snap(w.start_day)
    acc = RankingAccumulator()
    brands = w.brands
    posm = w.positives_matrix(cache.t.num_brands, cache.t.num_partners)
    with torch.no_grad():
        scores = model.score_all(h["brand"][torch.from_numpy(brands)], h["partner"],
                                 gnn_structure_block(model, cache.ctx(w.start_day), brands)).numpy()
    acc.add(scores, ~(s.known[brands].toarray() > 0), posm[brands].toarray() > 0)
    res = acc.result()
    return selection_score(res) if metric == "select" else float(res.get(metric, 0.0))


def fit_gnn(cache: SnapshotCache, gdata: GNNData, windows: list[Window], cfg: GNNConfig, seed: int,
            *, val: Window | None = None, epochs: int | None = None,
            progress: bool = False) -> tuple[LinkPredGNN, int, PerfScale, list[dict[str, float]]]:
    """Train the GNN; with ``val``, early-stop on the selection blend (best state kept), else run
    exactly ``epochs``. Returns (model, epochs used, target scale, history)."""
    import torch

    _torch_setup(seed)
    rng = np.random.default_rng(seed)
    batches = window_batches(cache, windows)
    scale = PerfScale.fit(np.concatenate([b.roi for b in batches]), np.concatenate([b.cvr for b in batches]))
    model = new_gnn(gdata.graph(cache, windows[0].start_day), cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n_epochs = epochs if epochs is not None else cfg.max_epochs
    best, best_epoch, best_state, bad = -1.0, n_epochs, None, 0
    history: list[dict[str, float]] = []
    it: Iterable[int] = range(1, n_epochs + 1)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="gnn epochs", unit="epoch", leave=False)
    for epoch in it:
        loss = train_epoch(model, opt, cache, gdata, batches, scale, rng)
        row = {"epoch": float(epoch), "loss": loss}
        if val is not None and (epoch % cfg.eval_every == 0 or epoch == n_epochs):
            score = evaluate(model, cache, gdata, val)
            row["select"] = score
            if score > best + 1e-4:
                best, best_epoch, bad = score, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
                if bad >= cfg.patience:
                    history.append(row)
                    break
        history.append(row)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    fit_perf_head(model, cache, gdata, batches, scale, seed)
    return model, (best_epoch if val is not None else n_epochs), scale, history


def fit_perf_head(model: LinkPredGNN, cache: SnapshotCache, gdata: GNNData, batches: list[WindowBatch],
                  scale: PerfScale, seed: int, steps: int = PERF_HEAD_STEPS) -> float:
    """Fine-tune the performance head on the frozen encoder's embeddings (the link objective's
    early stopping would otherwise cut its training short). Returns the last loss."""
    import torch
    import torch.nn.functional as F

    hb_l, hp_l, s_l, y_l, w_l = [], [], [], [], []
    for wb in batches:
        ok = np.isfinite(wb.roi)
        if not ok.any():
            continue
        h = gnn_embeddings(model, gdata.graph(cache, wb.day))
        hb_l.append(h["brand"][torch.from_numpy(wb.pos_b[ok])])
        hp_l.append(h["partner"][torch.from_numpy(wb.pos_p[ok])])
        s_l.append(gnn_structure_pairs(model, cache.ctx(wb.day), wb.pos_b[ok], wb.pos_p[ok]))
        y_l.append(np.stack([(wb.roi[ok] - scale.roi_mean) / scale.roi_std,
                             np.nan_to_num((wb.cvr[ok] - scale.cvr_mean) / scale.cvr_std)], axis=1))
        w_l.append(np.stack([np.ones(int(ok.sum())), np.isfinite(wb.cvr[ok])], axis=1))
    if not hb_l:
        return 0.0
    torch.manual_seed(seed)
    hb, hp = torch.cat(hb_l), torch.cat(hp_l)
    sp_ = None if s_l[0] is None else torch.cat(s_l)  # type: ignore[arg-type]
    y = torch.from_numpy(np.concatenate(y_l).astype(np.float32))
    w = torch.from_numpy(np.concatenate(w_l).astype(np.float32))
    opt = torch.optim.Adam(model.perf.parameters(), lr=3e-3, weight_decay=1e-4)
    model.perf.train()
    loss = torch.zeros(())
    for _ in range(steps):
        loss = (F.smooth_l1_loss(model.performance(hb, hp, sp_), y, reduction="none") * w).sum() / w.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return float(loss.detach())


def gnn_pair_outputs(model: LinkPredGNN, h: dict[str, torch.Tensor], b: np.ndarray,
                     p: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(link logit, predicted standardised log ROI) of aligned pairs with pair features ``X``."""
    import torch

    with torch.no_grad():
        hb = h["brand"][torch.from_numpy(np.asarray(b, np.int64))]
        hp = h["partner"][torch.from_numpy(np.asarray(p, np.int64))]
        s = gnn_structure(model, X)
        return model.score_pairs(hb, hp, s).numpy(), model.performance(hb, hp, s)[:, 0].numpy()


def gnn_structure(model: LinkPredGNN, X: np.ndarray) -> torch.Tensor | None:
    """The structural inputs of pairs (or a block) with pair features ``X``, when the GNN reads them."""
    import torch

    return torch.from_numpy(structure_inputs(X)) if model.needs_structure else None


def gnn_structure_block(model: LinkPredGNN, ctx: PairContext, brands: np.ndarray) -> torch.Tensor | None:
    """The structural inputs of ``brands`` against every partner, when the GNN reads them
    (computed alone, without the rest of the feature block)."""
    import torch

    return torch.from_numpy(ctx.structure_block(brands)) if model.needs_structure else None


def gnn_structure_pairs(model: LinkPredGNN, ctx: PairContext, b: np.ndarray, p: np.ndarray) -> torch.Tensor | None:
    """The structural inputs of aligned pairs ``(b[i], p[i])``, when the GNN reads them."""
    return gnn_structure(model, ctx.pairs(b, p)) if model.needs_structure else None


# ----------------------------------------------------------------------------- one stage


@dataclass
class StageModels:
    gbm: GBMRanker | None = None
    gnn: LinkPredGNN | None = None
    gnn_scale: PerfScale | None = None
    hybrid: GBMRanker | None = None
    perf_roi: GBMRegressor | None = None
    perf_cvr: GBMRegressor | None = None
    gdata: GNNData | None = None
    gnn_epochs: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def hybrid_features(X: np.ndarray, gnn_score: np.ndarray, gnn_roi: np.ndarray) -> np.ndarray:
    return np.concatenate([X, gnn_score[..., None].astype(np.float32), gnn_roi[..., None].astype(np.float32)],
                          axis=-1)


def rows_gnn_outputs(model: LinkPredGNN, gdata: GNNData, cache: SnapshotCache, windows: list[Window],
                     rows: Rows, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GNN's (score, predicted log ROI) for the selected training rows."""
    score = np.zeros(int(sel.sum()))
    roi = np.zeros(int(sel.sum()))
    win = rows.win[sel]
    b, p, X = rows.b[sel], rows.p[sel], rows.X[sel]
    for wi in np.unique(win).tolist():
        rs = win == wi
        h = gnn_embeddings(model, gdata.graph(cache, windows[wi].start_day))
        score[rs], roi[rs] = gnn_pair_outputs(model, h, b[rs], p[rs], X[rs])
    return score, roi


def fit_stage(cache: SnapshotCache, windows: list[Window], cutoff_day: int, cfg: GNNConfig, seed: int, *,
              val: Window | None, epochs: int | None, need: set[str], progress: bool) -> tuple[StageModels, Rows]:
    """Fit the models named in ``need`` ("gbm", "gnn", "hybrid", "perf") on ``windows``."""
    t0 = time.perf_counter()
    rows = build_rows(cache, windows, seed)
    log.info("training rows: %d pairs (%d positives) from %d windows in %.1f s", len(rows.y),
             int(rows.y.sum()), len(windows), time.perf_counter() - t0)
    m = StageModels()
    if "gbm" in need or "hybrid" in need:
        m.gbm = GBMRanker(list(PAIR_FEATURES), seed=seed).fit(rows.X, rows.y, group=group_sizes(rows))
    if "gnn" in need or "hybrid" in need:
        space = FeatureSpace.fit(cache.t, cache.snap(cutoff_day))
        m.gdata = GNNData(space)
        t0 = time.perf_counter()
        m.gnn, m.gnn_epochs, m.gnn_scale, m.history = fit_gnn(cache, m.gdata, windows, cfg, seed, val=val,
                                                               epochs=epochs, progress=progress)
        log.info("gnn: %d epochs in %.1f s", m.gnn_epochs if val is None else len(m.history),
                 time.perf_counter() - t0)
    if "hybrid" in need and m.gdata is not None:
        # stacking without leakage (forward chaining): a GNN fitted on the earlier windows only
        # scores the later windows' rows, on which the hybrid GBM learns; at prediction time the
        # hybrid reads the full GNN (refit on every window), as usual for stacked models
        k = max(1, int(len(windows) * HYBRID_EARLY_SHARE))
        if k >= len(windows):
            k = len(windows) - 1
        early, _, _, _ = fit_gnn(cache, m.gdata, windows[:k], cfg, seed, val=None,
                                 epochs=max(1, m.gnn_epochs), progress=False) if k > 0 else (m.gnn, 0, None, [])
        late = rows.win >= k
        assert early is not None
        gs, gr = rows_gnn_outputs(early, m.gdata, cache, windows, rows, late)
        m.hybrid = GBMRanker(list(PAIR_FEATURES) + list(HYBRID_FEATURES), seed=seed).fit(
            hybrid_features(rows.X[late], gs, gr), rows.y[late], group=group_sizes(rows, late))
    if "perf" in need:
        ok = rows.y > 0
        r_ok = ok & np.isfinite(rows.roi)
        c_ok = ok & np.isfinite(rows.cvr)
        if r_ok.sum() >= 20:
            m.perf_roi = GBMRegressor(list(PAIR_FEATURES), seed=seed).fit(rows.X[r_ok], rows.roi[r_ok])
        if c_ok.sum() >= 20:
            m.perf_cvr = GBMRegressor(list(PAIR_FEATURES), seed=seed).fit(rows.X[c_ok], rows.cvr[c_ok])
    return m, rows


# ----------------------------------------------------------------------------- evaluation


def gbm_checkpoints(rounds: int | None) -> list[int]:
    if rounds:
        return [rounds]
    return list(range(GBM_CHECK_EVERY, GBM_MAX_ROUNDS + 1, GBM_CHECK_EVERY))


def evaluate_stage(cache: SnapshotCache, m: StageModels, w: Window, *, rounds: dict[str, int | None],
                   progress: bool = False) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every model and baseline on window ``w`` (full rankings of every eligible partner per
    brand), and the performance models on the window's new pairs. Returns (ranking, perf)."""
    import torch

    t = cache.t
    s = cache.snap(w.start_day)
    ctx = cache.ctx(w.start_day)
    posm = w.positives_matrix(t.num_brands, t.num_partners)
    accs: dict[str, RankingAccumulator] = {}

    def acc(name: str) -> RankingAccumulator:
        return accs.setdefault(name, RankingAccumulator())

    h = gnn_embeddings(m.gnn, m.gdata.graph(cache, w.start_day)) if m.gnn is not None and m.gdata else None
    gbm_ck = gbm_checkpoints(rounds.get("gbm"))
    hyb_ck = gbm_checkpoints(rounds.get("hybrid"))
    brands = w.brands
    cascade: dict[str, list[int]] = {}
    chunks = [brands[i:i + BRAND_CHUNK] for i in range(0, len(brands), BRAND_CHUNK)]
    it: Iterable[np.ndarray] = chunks
    if progress:
        from tqdm import tqdm

        it = tqdm(chunks, desc="evaluate", unit="chunk", leave=False)
    for chunk in it:
        cand = ~(s.known[chunk].toarray() > 0)
        pos = posm[chunk].toarray() > 0
        for name, fn in HEURISTICS.items():
            acc(name).add(fn(ctx, chunk), cand, pos)
        X = ctx.block(chunk)
        if m.gbm is not None:
            scores, kept = cascade_predict(m.gbm.booster, X, gbm_ck)
            for c, sc in scores.items():
                acc(f"gbm@{c}").add(sc, cand, pos)
            _count_cascade(cascade, "gbm", kept, cand, pos)
        if h is not None and m.gnn is not None:
            with torch.no_grad():
                hb = h["brand"][torch.from_numpy(chunk)]
                sx = gnn_structure(m.gnn, X)
                gs = m.gnn.score_all(hb, h["partner"], sx).numpy()
                gr = m.gnn.performance_block(hb, h["partner"], sx)[:, :, 0].numpy()
            acc("gnn").add(gs, cand, pos)
            if m.hybrid is not None:
                scores, kept = cascade_predict(m.hybrid.booster, hybrid_features(X, gs, gr), hyb_ck)
                for c, sc in scores.items():
                    acc(f"hybrid@{c}").add(sc, cand, pos)
                _count_cascade(cascade, "hybrid", kept, cand, pos)
    ranking = {k: v.result() for k, v in accs.items()}
    for name, (inside, total) in cascade.items():
        log.info("cascade %s: %d of %d positives among the re-scored top %d candidates per brand (%.1f%%)",
                 name, inside, total, CASCADE_TOP, 100.0 * inside / max(total, 1))
        for key, met in ranking.items():
            if key.startswith(name + "@"):
                met["cascade_positive_share"] = inside / max(total, 1)
    perf = evaluate_performance(cache, m, w, h)
    return ranking, perf


def _count_cascade(cascade: dict[str, list[int]], name: str, kept: np.ndarray | None, cand: np.ndarray,
                   pos: np.ndarray) -> None:
    """Positives the cascade's second stage saw (``kept``), of all positive candidates."""
    c = cascade.setdefault(name, [0, 0])
    ok = cand & pos
    c[1] += int(ok.sum())
    c[0] += int(ok.sum()) if kept is None else int((ok & kept).sum())


def evaluate_performance(cache: SnapshotCache, m: StageModels, w: Window,
                         h: dict[str, torch.Tensor] | None) -> dict[str, dict[str, float]]:
    """MAE/RMSE of log ROI and conversion rate on the window's new pairs with performance."""
    t = cache.t
    s = cache.snap(w.start_day)
    roi, cvr = pair_performance(t, w.pos_b, w.pos_p, _month(w.start_day), _month(w.end_day))
    ok = np.isfinite(roi)
    if not ok.any():
        return {}
    b, p = w.pos_b[ok], w.pos_p[ok]
    roi, cvr = roi[ok], cvr[ok]
    out: dict[str, dict[str, float]] = {}

    def add(name: str, pr: np.ndarray, pc: np.ndarray) -> None:
        r = regression_metrics(roi, pr)
        c = regression_metrics(cvr, pc)
        out[name] = {"mae": r["mae"], "rmse": r["rmse"], "cvr_mae": c["mae"], "cvr_rmse": c["rmse"],
                     "n": r["n"]}

    pm = np.where(np.isfinite(s.partner_mean_roi[p]), s.partner_mean_roi[p], s.global_log_roi)
    pc = np.where(np.isfinite(s.partner_mean_cvr[p]), s.partner_mean_cvr[p], s.global_cvr)
    add("partner_mean", pm, pc)
    bm = np.where(np.isfinite(s.brand_mean_roi[b]), s.brand_mean_roi[b], s.global_log_roi)
    add("brand_mean", bm, np.full(len(b), s.global_cvr))
    X = cache.ctx(w.start_day).pairs(b, p)
    if m.perf_roi is not None:
        add("gbm", m.perf_roi.predict(X), m.perf_cvr.predict(X) if m.perf_cvr is not None else pc)
    if m.gnn is not None and h is not None and m.gnn_scale is not None:
        import torch

        with torch.no_grad():
            pr = m.gnn.performance(h["brand"][torch.from_numpy(b)], h["partner"][torch.from_numpy(p)],
                                   gnn_structure(m.gnn, X)).numpy()
        sc = m.gnn_scale
        add("gnn", pr[:, 0] * sc.roi_std + sc.roi_mean, pr[:, 1] * sc.cvr_std + sc.cvr_mean)
    return out


def selection_score(met: dict[str, float]) -> float:
    return float(np.mean([met.get(k, 0.0) for k in SELECT_BLEND]))


def selection_se(met: dict[str, float]) -> float:
    """An upper bound on the standard error of :func:`selection_score` over brands (the mean of
    its parts' standard errors: the SE of a mean of correlated parts is at most that)."""
    return float(np.mean([met.get(f"se:{k}", 0.0) for k in SELECT_BLEND]))


#: Candidates from the simplest to the most complex: the GBM on pair features (explainable by
#: its features), the GNN, the hybrid (a GBM over both).
PARSIMONY = ("gbm", "gnn", "hybrid")


def choose_shipped(val_metrics: dict[str, dict[str, float]]) -> str:
    """The one-standard-error rule on validation: the simplest candidate whose selection score is
    within one standard error of the best one's. With a few dozen validation brands, differences
    of a point of Recall@20 between candidates are noise; the rule stops noise from choosing the
    more complex model."""
    scores = {n: selection_score(val_metrics[n]) for n in CANDIDATES if n in val_metrics}
    best = max(scores, key=lambda n: scores[n])
    floor = scores[best] - selection_se(val_metrics[best])
    return next(n for n in PARSIMONY if n in scores and scores[n] >= floor)


def pick_rounds(ranking: dict[str, dict[str, float]], prefix: str) -> int | None:
    best, best_c = -1.0, None
    for name, met in ranking.items():
        if name.startswith(prefix + "@"):
            v = selection_score(met)
            c = int(name.split("@")[1])
            if v > best + 1e-12:
                best, best_c = v, c
    return best_c


def collapse(ranking: dict[str, dict[str, float]], rounds: dict[str, int | None]) -> dict[str, dict[str, float]]:
    """Keep ``gbm@R``/``hybrid@R`` only at the chosen rounds, renamed ``gbm``/``hybrid``."""
    out = {}
    for name, met in ranking.items():
        if "@" in name:
            base, c = name.split("@")
            if rounds.get(base) == int(c):
                out[base] = met
        else:
            out[name] = met
    return out


# ----------------------------------------------------------------------------- the run


@dataclass
class Frozen:
    """What the selection stage decides, frozen for the later stages and for weekly refits."""

    shipped: str
    perf_model: str
    gnn_epochs: int
    rounds: dict[str, int | None]


def _stage_select(cache: SnapshotCache, split: TemporalSplit, val: Window, cfg: GNNConfig, seed: int,
                  progress: bool) -> tuple[Frozen, dict[str, Any], StageModels, list[Window]]:
    """1. Fit every candidate on windows before T1, early-stop and choose on validation."""
    wa = training_windows(cache.t, split, split.t1)
    ma, _ = fit_stage(cache, wa, split.t1_day, cfg, seed, val=val, epochs=None,
                      need={"gbm", "gnn", "hybrid", "perf"}, progress=progress)
    rank_a, perf_a = evaluate_stage(cache, ma, val, rounds={"gbm": None, "hybrid": None}, progress=progress)
    rounds = {"gbm": pick_rounds(rank_a, "gbm"), "hybrid": pick_rounds(rank_a, "hybrid")}
    val_metrics = collapse(rank_a, rounds)
    shipped = choose_shipped(val_metrics)
    perf_model = min(("gnn", "gbm"), key=lambda n: perf_a.get(n, {}).get("mae", np.inf))
    log.info("selection on validation (one-standard-error rule): shipped %s (%s %.4f; %s); gbm rounds %s, "
             "hybrid rounds %s, gnn epochs %d", shipped, "+".join(SELECT_BLEND),
             selection_score(val_metrics[shipped]),
             ", ".join(f"{n} {selection_score(val_metrics[n]):.4f} ± {selection_se(val_metrics[n]):.4f}"
                       for n in CANDIDATES), rounds["gbm"], rounds["hybrid"], ma.gnn_epochs)
    frozen = Frozen(shipped, perf_model, ma.gnn_epochs, rounds)
    return frozen, {"validation": val_metrics, "perf": perf_a, "history": ma.history}, ma, wa


def _stage_test(cache: SnapshotCache, split: TemporalSplit, test: Window, cfg: GNNConfig, seed: int,
                frozen: Frozen, progress: bool) -> tuple[dict[str, Any], dict[str, Any], int]:
    """2. Refit every candidate with the frozen rounds/epochs on windows before T2; test."""
    wb = training_windows(cache.t, split, split.t2)
    mb, _ = fit_stage(cache, wb, split.t2_day, cfg, seed, val=None, epochs=frozen.gnn_epochs,
                      need={"gbm", "gnn", "hybrid", "perf"}, progress=progress)
    _set_rounds(mb, frozen.rounds)
    rank_b, perf_b = evaluate_stage(cache, mb, test, rounds=frozen.rounds, progress=progress)
    return collapse(rank_b, frozen.rounds), perf_b, len(wb)


def _stage_refit(cache: SnapshotCache, split: TemporalSplit, cfg: GNNConfig, seed: int, frozen: Frozen,
                 progress: bool) -> tuple[StageModels, int]:
    """3. Production: refit the shipped ranker, the GNN (performance embeddings) and the
    performance models on every window, with the frozen rounds/epochs."""
    wc = training_windows(cache.t, split, split.end)
    need = {"gbm", "gnn", "perf"} | ({"hybrid"} if frozen.shipped == "hybrid" else set())
    mc, _ = fit_stage(cache, wc, split.end_day, cfg, seed, val=None, epochs=frozen.gnn_epochs, need=need,
                      progress=progress)
    _set_rounds(mc, frozen.rounds)
    return mc, len(wc)


def _prepare(store: GraphStore, settings: Settings) -> tuple[GraphTables, TemporalSplit, SnapshotCache,
                                                              Window, Window, float]:
    t0 = time.perf_counter()
    tables = load_tables(store, settings.home)
    export_s = time.perf_counter() - t0
    split = temporal_split(tables)
    log.info("link prediction: %d brands, %d partners, %d partnerships; split %s", tables.num_brands,
             tables.num_partners, len(tables.pairs), split.describe())
    cache = SnapshotCache(tables)
    val = window(tables, split.t1_day, split.t2_day)
    test = window(tables, split.t2_day, split.end_day)
    if len(val.pos_b) == 0 or len(test.pos_b) == 0:
        from graph.errors import InputError

        raise InputError(f"no new partnerships in the validation or test window ({split.describe()})",
                         hint="import more recent campaigns")
    return tables, split, cache, val, test, export_s


def _counts(tables: GraphTables, val: Window, test: Window) -> dict[str, int]:
    return {"brands": tables.num_brands, "partners": tables.num_partners,
            "partnerships": len(tables.pairs), "validation_pairs": len(val.pos_b),
            "test_pairs": len(test.pos_b), "validation_brands": len(val.brands),
            "test_brands": len(test.brands)}


def train_linkpred(store: GraphStore, settings: Settings, *, seed: int = 7, progress: bool = True,
                   cfg: GNNConfig | None = None, evaluate_test: bool = True) -> TrainOutcome:
    """The honest three-stage run (``partnergraph train``); ``evaluate_test=False`` skips the
    test stage (the weekly job's retrain when it has no evaluated configuration to reuse)."""
    from gnn.model import GNNConfig

    cfg = cfg or GNNConfig()
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    tables, split, cache, val, test, timings["export"] = _prepare(store, settings)
    t0 = time.perf_counter()
    frozen, sel, ma, wa = _stage_select(cache, split, val, cfg, seed, progress)
    timings["selection"] = time.perf_counter() - t0
    test_metrics: dict[str, Any] = {}
    perf_b: dict[str, Any] = {}
    n_test_windows = 0
    if evaluate_test:
        t0 = time.perf_counter()
        test_metrics, perf_b, n_test_windows = _stage_test(cache, split, test, cfg, seed, frozen, progress)
        timings["test"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mc, n_prod_windows = _stage_refit(cache, split, cfg, seed, frozen, progress)
    timings["refit"] = time.perf_counter() - t0
    stages = ["selection", "test", "refit"] if evaluate_test else ["selection", "refit"]
    metrics = {
        "split": split.describe(),
        "validation": sel["validation"],
        "test": test_metrics,
        "performance": {"validation": sel["perf"], "test": perf_b, "shipped": frozen.perf_model},
        "shipped_by": "validation mean of " + ", ".join(SELECT_BLEND) + " (one-standard-error rule: the simplest of "
                      + ", ".join(PARSIMONY) + " within one SE of the best)",
        "counts": _counts(tables, val, test),
        "gnn_history": sel["history"],
        "evaluation": {"run": "this", "stages": stages,
                       "note": "" if evaluate_test else
                       "test stage not run (weekly retrain): run `partnergraph train` for the test report"},
    }
    params = {
        "gnn": cfg.to_dict(), "gnn_epochs": frozen.gnn_epochs, "gbm_rounds": frozen.rounds, "seed": seed,
        "pair_features": list(PAIR_FEATURES), "hybrid_features": list(HYBRID_FEATURES),
        "features_revision": FEATURES_REVISION, **_gbm_config(), "select_metric": list(SELECT_BLEND),
        "windows": {"selection": len(wa), "test": n_test_windows, "production": n_prod_windows},
    }
    return _finish(store, settings, tables, cache, mc, frozen, split, metrics, params, timings, t_start)


def _finish(store: GraphStore, settings: Settings, tables: GraphTables, cache: SnapshotCache, mc: StageModels,
            frozen: Frozen, split: TemporalSplit, metrics: dict[str, Any], params: dict[str, Any],
            timings: dict[str, float], t_start: float) -> TrainOutcome:
    from gnn.artefact import save_artefact

    t0 = time.perf_counter()
    timings["total"] = time.perf_counter() - t_start
    params["seconds"] = {k: round(v, 1) for k, v in timings.items()}
    outcome = save_artefact(settings, tables, cache, mc, shipped=frozen.shipped, perf_model=frozen.perf_model,
                            metrics=metrics, params=params, cutoff_day=split.end_day)
    _record_model(store, outcome)
    log.info("link prediction trained in %.1f s (+%.1f s to save the artefact): shipped %s, artefact %s",
             timings["total"], time.perf_counter() - t0, frozen.shipped, outcome.path)
    return outcome


def _gbm_config() -> dict[str, Any]:
    """The GBM's training configuration as an artefact records it (a refit reuses an evaluated
    configuration only when this is unchanged)."""
    return {"gbm_params": {k: v for k, v in GBM_PARAMS.items() if k not in ("verbose", "num_threads")},
            "gbm_negatives": {"random": GBM_RANDOM_PER_POSITIVE, "hard": HARD_PER_POSITIVE}}


#: A weekly refit reuses the configuration of the last evaluated run while it is this recent.
FROZEN_MAX_AGE_DAYS = 90.0


def frozen_from(meta: ModelMeta | None) -> tuple[Frozen, dict[str, Any]] | None:
    """The frozen configuration of an artefact, when a refit can reuse it: same pair features,
    same GBM parameters and negatives, same GNN configuration fields, selected on validation at
    most :data:`FROZEN_MAX_AGE_DAYS` ago. Returns (frozen, evaluation record) or ``None``."""
    from dataclasses import fields
    from datetime import UTC, datetime

    from gnn.model import GNNConfig

    if meta is None:
        return None
    p = meta.params
    ev = dict(meta.metrics.get("evaluation") or {})
    origin = ev.get("run") if ev.get("run") not in (None, "this") else meta.version
    at = ev.get("trained_at") or meta.trained_at
    try:
        age = (datetime.now(UTC) - datetime.fromisoformat(str(at).replace("Z", "+00:00"))).total_seconds() / 86400
    except ValueError:
        return None
    ok = (features_mismatch(p) is None and p.get("hybrid_features") == list(HYBRID_FEATURES)
          and all(p.get(k) == v for k, v in _gbm_config().items())
          and isinstance(p.get("gnn"), dict) and set(p["gnn"]) == {f.name for f in fields(GNNConfig)}
          and int(p.get("gnn_epochs") or 0) > 0 and meta.shipped in CANDIDATES and age <= FROZEN_MAX_AGE_DAYS)
    if not ok:
        return None
    perf_model = str(p.get("perf_model") or meta.metrics.get("performance", {}).get("shipped") or "gbm")
    rounds = {k: (int(v) if v else None) for k, v in dict(p.get("gbm_rounds") or {}).items()}
    frozen = Frozen(meta.shipped, perf_model, int(p["gnn_epochs"]), rounds)
    record = {"run": origin, "trained_at": at, "stages": ev.get("stages") or ["selection", "test", "refit"],
              "refit_of": meta.version,
              "note": f"weekly refit with the configuration frozen by {origin} (selected on its validation "
                      "window); validation/test metrics are that run's, not measured in this run"}
    return frozen, record


def refresh_linkpred(store: GraphStore, settings: Settings, previous: TrainOutcome | None = None, *,
                     seed: int = 7, progress: bool = True) -> TrainOutcome:
    """The weekly job's retrain: refit on every partnership with the configuration the last
    evaluated run selected on validation (shipped ranker, GNN epochs, GBM rounds), without the
    selection and test stages; the artefact carries that run's metrics, marked with its version
    (``metrics.evaluation``). Without a reusable configuration (no model yet, changed features or
    GNN fields, evaluation older than :data:`FROZEN_MAX_AGE_DAYS`), runs the full three-stage
    :func:`train_linkpred`, so every configuration that ships has its test report."""
    from gnn.model import GNNConfig

    got = frozen_from(previous.meta if previous is not None else None)
    if got is None:
        log.info("weekly retrain: no reusable evaluated configuration; running the full evaluation "
                 "(selection, test, refit)")
        return train_linkpred(store, settings, seed=seed, progress=progress)
    assert previous is not None
    frozen, record = got
    cfg = GNNConfig.from_params(previous.meta.params["gnn"])
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    tables, split, cache, val, test, timings["export"] = _prepare(store, settings)
    log.info("weekly refit with the configuration of %s: shipped %s, gnn epochs %d, rounds %s", record["run"],
             frozen.shipped, frozen.gnn_epochs, frozen.rounds)
    t0 = time.perf_counter()
    mc, n_prod_windows = _stage_refit(cache, split, cfg, seed, frozen, progress)
    timings["refit"] = time.perf_counter() - t0
    old = previous.meta.metrics
    metrics = {k: old.get(k) for k in ("validation", "test", "performance", "shipped_by", "gnn_history")}
    metrics.update({"split": split.describe(), "counts": _counts(tables, val, test), "evaluation": record,
                    "evaluated_split": old.get("split")})
    params = {k: previous.meta.params.get(k) for k in ("gnn", "gnn_epochs", "gbm_rounds", "pair_features",
                                                        "hybrid_features", "features_revision", "gbm_params", "gbm_negatives",
                                                        "select_metric")}
    params.update({"seed": seed, "windows": {"production": n_prod_windows}, "frozen_from": record["run"]})
    return _finish(store, settings, tables, cache, mc, frozen, split, metrics, params, timings, t_start)


def _set_rounds(m: StageModels, rounds: dict[str, int | None]) -> None:
    if m.gbm is not None and rounds.get("gbm"):
        m.gbm.rounds = int(rounds["gbm"] or GBM_MAX_ROUNDS)
    if m.hybrid is not None and rounds.get("hybrid"):
        m.hybrid.rounds = int(rounds["hybrid"] or GBM_MAX_ROUNDS)


def _record_model(store: GraphStore, outcome: TrainOutcome) -> None:
    """Upsert ``(:Model {id: version})`` so the app and discovery runs can point at it."""
    import json

    from graph.writers import GraphWriter, Provenance, new_run_id

    meta = outcome.meta
    summary = {"shipped": meta.shipped, "test": meta.metrics.get("test", {}).get(meta.shipped, {})}
    row = {"id": f"model:{meta.version}", "kind": meta.kind, "version": meta.version,
           "path": str(outcome.path), "metrics": json.dumps({"v": 1, **summary}, default=float),
           "params": json.dumps({"v": 1, "shipped": meta.shipped, "snapshot_hash": meta.snapshot_hash}),
           "schema_version": meta.schema_version, "trained_at": meta.trained_at}
    try:
        GraphWriter(store, Provenance(source=f"file://{outcome.path}", run_id=new_run_id("train"))).nodes("Model", [row])
    except Exception as exc:  # the artefact is saved; a read-only store must not lose it
        log.warning("could not record the model in the graph: %s", exc)


def load_linkpred(settings: Settings) -> TrainOutcome | None:
    from gnn.artefact import load_latest

    return load_latest(settings)


MetricsTable = dict[str, dict[str, float]]
Progress = Callable[[str], None]
