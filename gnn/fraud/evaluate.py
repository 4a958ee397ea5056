"""Evaluations of fraud detection (evaluators only: this is the one module that reads truth).

- :func:`planted` scores a fraud run on a generator world against its ``truth/`` folder: ring
  precision and recall (a flagged ring matches a planted ring when each covers at least 80% of
  the other), node ROC-AUC and PR-AUC of every model, the false-positive rate on hard negatives
  (honest affiliates behind one office NAT or one owner's payment account), the quality of the
  observable labels, the supervised models trained on observable labels with stratified
  cross-validation (the held-out fold's labels are never trained on; the GNN before and after
  its input scaling fix and the unsupervised scores on the same folds), and, because those
  labels are weak, the supervised models again with stratified cross-validation on truth
  labels (what confirmed cases would give them).
- :func:`generic` runs every model and baseline on a real labelled graph through the generic
  import (``graph.generic.read_graph``) with stratified k-fold cross-validation: the GNN
  (semi-supervised, relations by edge sign and direction), LightGBM on node figures, the
  classic rule (share of negative ratings received) and REV2-style fairness (Kumar et al.,
  WSDM 2018, without its BIRDNEST behaviour priors) as the reference.
- :func:`click_log` imports a raw click log through a preset into a scratch HOME, runs the
  fraud analysis, and reports which traffic sources look like click fraud, with evidence.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.fraud.baselines import gbm_scores, graph_figures
from gnn.fraud.detect import (
    MODELS,
    FraudConfig,
    FraudRun,
    affiliate_relations,
    model_matrix,
)
from gnn.fraud.model import GNNConfig, Relation, train_gnn
from gnn.fraud.progress import bar
from graph.errors import InputError

log = logging.getLogger(__name__)

GENERIC_SHIPPED = "gnn"
COVER = 0.8


def _metrics(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(set(y.tolist())) < 2:
        return {"roc_auc": float("nan"), "pr_auc": float("nan")}
    return {"roc_auc": round(float(roc_auc_score(y, s)), 4), "pr_auc": round(float(average_precision_score(y, s)), 4)}


# ------------------------------------------------------------------------- planted rings

def match_rings(flagged: list[set[str]], planted: list[set[str]], cover: float = COVER) -> dict[str, Any]:
    """Precision = matched flagged / flagged; recall = matched planted / planted."""
    def ok(f: set[str], p: set[str]) -> bool:
        inter = len(f & p)
        return inter >= cover * len(f) and inter >= cover * len(p)

    mf = [any(ok(f, p) for p in planted) for f in flagged]
    mp = [any(ok(f, p) for f in flagged) for p in planted]
    return {"flagged": len(flagged), "planted": len(planted), "matched_flagged": int(sum(mf)),
            "matched_planted": int(sum(mp)),
            "precision": round(sum(mf) / len(flagged), 4) if flagged else float("nan"),
            "recall": round(sum(mp) / len(planted), 4) if planted else float("nan")}


def _truth_ids(run: FraudRun, ids: pd.Series) -> pd.Series:
    """Truth affiliate ids (network publisher ids) -> graph ids of the run's affiliates."""
    by_nid = run.affiliates.dropna(subset=["network_id"]).assign(nid=lambda d: d["network_id"].astype(str))
    table = dict(zip(by_nid["nid"], by_nid["id"], strict=True))
    return ids.astype(str).map(table)


def planted(run: FraudRun, truth: Path, cfg: FraudConfig | None = None, folds: int = 5,
            seed: int = 7, progress: bool = False) -> dict[str, Any]:
    cfg = cfg or FraudConfig()
    labels = pd.read_csv(truth / "fraud_labels.csv", dtype={"affiliate_id": str})
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    labels["id"] = _truth_ids(run, labels["affiliate_id"])
    lab = labels.dropna(subset=["id"]).set_index("id")
    planted_sets = [set(_truth_ids(run, pd.Series(r.split(";"))).dropna()) for r in rings["affiliate_ids"]]
    flagged_sets = [set(r.members) for r in run.flagged_rings]
    out: dict[str, Any] = {"affiliates": len(run.affiliates), "labelled_in_graph": len(lab),
                           "rings": match_rings(flagged_sets, planted_sets)}
    scores = run.scores.reindex(lab.index)
    y = (lab["label"] == "fraud").astype(int).to_numpy()
    out["nodes"] = {m: _metrics(y, scores[m].fillna(0.0).to_numpy()) for m in (*MODELS,) if m in scores}
    in_flagged = set().union(*flagged_sets) if flagged_sets else set()
    flagged = (scores["risk"].fillna(0.0) >= cfg.risk_threshold) | scores.index.isin(list(in_flagged))
    hard = lab["hard_negative"].astype(str).str.lower().eq("true").to_numpy()
    honest = y == 0
    out["hard_negatives"] = {"n": int(hard.sum()), "flagged": int((flagged.to_numpy() & hard).sum()),
                             "fpr": round(float((flagged.to_numpy() & hard).sum() / max(hard.sum(), 1)), 4),
                             "by_reason": {str(k): int(v) for k, v in lab.loc[hard, "hard_negative_reason"]
                                           .value_counts().items()}}
    out["honest_fpr"] = round(float((flagged.to_numpy() & honest).sum() / max(honest.sum(), 1)), 4)
    out["template_sharers"] = template_sharers(run, lab.index, y, flagged.to_numpy(), cfg)
    ob = run.labels.y.reindex(lab.index).dropna()
    tl = (lab.loc[ob.index, "label"] == "fraud").astype(int)
    out["observable_labels"] = {**run.labels.counts(),
                                "positives_truly_fraud": int(((ob == 1) & (tl == 1)).sum()),
                                "negatives_truly_fraud": int(((ob == 0) & (tl == 1)).sum()),
                                "fraud_types_of_positives": {str(k): int(v) for k, v in lab.loc[
                                    ob[ob == 1].index, "fraud_type"].fillna("").value_counts().items()}}
    out["cv_observable_labels"] = cv_observable(run, y, lab.index, cfg, folds, seed, progress)
    out["cv_truth_labels"] = cv_truth(run, y, lab.index, cfg, folds, seed, progress)
    out["timings"] = run.timings
    return out


def template_sharers(run: FraudRun, ids: pd.Index, y: np.ndarray, flagged: np.ndarray,
                     cfg: FraudConfig) -> dict[str, Any]:
    """Honest affiliates that share a rare tracking template with another affiliate (a popular
    link tool used by a few honest sites: hard negatives of the template identifier)."""
    u = run.uses
    t = u[(u["kind"] == "template") & (u["degree"] >= 2) & (u["degree"] <= cfg.links.max_degree)] \
        if not u.empty and "degree" in u else u.iloc[0:0]
    shares = ids.isin(set(t["affiliate"])) & (y == 0)
    n = int(shares.sum())
    return {"n": n, "flagged": int((flagged & shares).sum()),
            "fpr": round(float((flagged & shares).sum() / n), 4) if n else float("nan"),
            "templates_shared_by_2_to_max": int(t["ident"].nunique())}


def cv_observable(run: FraudRun, y: np.ndarray, ids: pd.Index, cfg: FraudConfig, folds: int, seed: int,
                  progress: bool = False) -> dict[str, dict[str, float]]:
    """Models trained on the *observable* labels with stratified k-fold CV over the evaluated
    affiliates: the observable labels of the held-out fold are dropped from training, the fold is
    scored against truth. The GNN runs as shipped and as first shipped (standardised inputs:
    ``gnn_standard``); the unsupervised scores are reported on the same folds."""
    from dataclasses import replace

    from sklearn.model_selection import StratifiedKFold

    obs = run.labels.y
    idx = pd.Index(run.features["id"])
    if y.sum() < folds or (len(y) - y.sum()) < folds or obs.empty:
        return {}
    gfig = graph_figures(run.links.pairs, run.features["id"], cfg.rings.strong)
    x, _ = model_matrix(run.features, gfig, drop_status=True)
    rel = affiliate_relations(run.links.pairs, idx, cfg.min_link)
    pos = idx.get_indexer(ids)
    yo = obs.reindex(idx)
    fixed = {m: run.scores[m].reindex(ids).fillna(0.0).to_numpy() for m in ("rings+behaviour", "anomaly", "rules")
             if m in run.scores}
    res: dict[str, list[dict[str, float]]] = {"gnn": [], "gnn_standard": [], "gbm": [], **{m: [] for m in fixed}}
    split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(pos, y)
    for k, (_tr, te) in enumerate(bar(split, progress=progress, total=folds, desc="cv observable labels",
                                      unit="fold")):
        train = yo.notna().to_numpy().copy()
        train[pos[te]] = False
        if yo[train].sum() < 2 or (yo[train] == 0).sum() < 2:
            continue
        yy = yo.fillna(0).to_numpy(dtype=float)
        res["gnn"].append(_metrics(y[te], train_gnn(x, rel, yy, train, cfg.gnn)[pos[te]]))
        res["gnn_standard"].append(_metrics(y[te], train_gnn(x, rel, yy, train, replace(cfg.gnn, scaling="standard"))[pos[te]]))
        res["gbm"].append(_metrics(y[te], gbm_scores(x, yy, train, seed)[pos[te]]))
        for m, s in fixed.items():
            res[m].append(_metrics(y[te], s[te]))
        log.info("eval fraud: observable-label CV fold %d/%d (%d training labels)", k + 1, folds, int(train.sum()))
    return {k: _mean(v) for k, v in res.items() if v}


def cv_truth(run: FraudRun, y: np.ndarray, ids: pd.Index, cfg: FraudConfig, folds: int, seed: int,
             progress: bool = False) -> dict[str, dict[str, float]]:
    """GNN and GBM trained on truth labels of k-1 folds, scored on the held-out fold."""
    from sklearn.model_selection import StratifiedKFold

    if y.sum() < folds or (len(y) - y.sum()) < folds:
        return {}
    idx = pd.Index(run.features["id"])
    gfig = graph_figures(run.links.pairs, run.features["id"], cfg.rings.strong)
    x, _ = model_matrix(run.features, gfig, drop_status=False)
    rel = affiliate_relations(run.links.pairs, idx, cfg.min_link)
    pos = idx.get_indexer(ids)
    res: dict[str, list[dict[str, float]]] = {"gnn": [], "gbm": []}
    split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(pos, y)
    for k, (tr, te) in enumerate(bar(split, progress=progress, total=folds, desc="cv truth labels", unit="fold")):
        yy = np.zeros(len(idx))
        yy[pos] = y
        train = np.zeros(len(idx), dtype=bool)
        train[pos[tr]] = True
        res["gnn"].append(_metrics(y[te], train_gnn(x, rel, yy, train, cfg.gnn)[pos[te]]))
        res["gbm"].append(_metrics(y[te], gbm_scores(x, yy, train, seed)[pos[te]]))
        log.info("eval fraud: truth-label CV fold %d/%d", k + 1, folds)
    return {k: _mean(v) for k, v in res.items()}


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in ("roc_auc", "pr_auc"):
        vals = np.array([r[key] for r in rows], dtype=float)
        out[key] = round(float(np.nanmean(vals)), 4)
        out[f"{key}_sd"] = round(float(np.nanstd(vals)), 4)
    return out


# ------------------------------------------------------------------------- generic graphs

def binarise(values: pd.Series, positive: str | None = None) -> tuple[pd.Series, str]:
    """0/1 labels with 1 = fraud. ``{-1, +1}``: -1 is fraud (REV2); ``{0, 1}``: 1 is fraud;
    words (fraud/benign, ...) as in :mod:`gnn.fraud.labels`; ``positive`` overrides."""
    v = values.astype(str).str.strip().str.lower()
    uniq = set(v.unique())
    if positive is None:
        if uniq <= {"-1", "1", "+1", "-1.0", "1.0"}:
            positive = "-1" if "-1" in uniq else "-1.0"
        elif uniq <= {"0", "1", "0.0", "1.0"}:
            positive = "1" if "1" in uniq else "1.0"
        else:
            from gnn.fraud.labels import POSITIVE

            hits = sorted(uniq & (POSITIVE - {"1", "-1"}))
            if len(uniq) != 2 or len(hits) != 1:
                raise InputError(f"cannot tell the fraud class among labels {sorted(uniq)[:6]}",
                                 hint="pass --positive VALUE")
            positive = hits[0]
    if positive not in uniq:
        raise InputError(f"no label equals {positive!r}", hint=f"labels are {sorted(uniq)[:6]}")
    if len(uniq) < 2:
        raise InputError("the labels have a single class", hint="evaluation needs fraud and non-fraud labels")
    return (v == positive).astype(int), positive


def generic_features(g: Any) -> pd.DataFrame:
    """Per-node figures of a (signed, weighted, timed) edge list."""
    n = g.num_nodes
    src, dst = g.src, g.dst
    sign = g.sign if g.sign is not None else (np.sign(g.weight) if g.weight is not None else np.ones(len(src)))
    w = g.weight if g.weight is not None else sign.astype(float)
    scale = float(np.abs(w).max()) or 1.0
    wn = w / scale
    pos, neg = sign > 0, sign < 0

    def cnt(idx: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(idx if mask is None else idx[mask], minlength=n).astype(float)

    f = pd.DataFrame(index=range(n))
    f["out_deg"], f["in_deg"] = np.log1p(cnt(src)), np.log1p(cnt(dst))
    f["out_pos"], f["out_neg"] = np.log1p(cnt(src, pos)), np.log1p(cnt(src, neg))
    f["in_pos"], f["in_neg"] = np.log1p(cnt(dst, pos)), np.log1p(cnt(dst, neg))
    f["in_neg_share"] = (cnt(dst, neg) + 0.2) / (cnt(dst) + 2.0)
    f["out_neg_share"] = (cnt(src, neg) + 0.2) / (cnt(src) + 2.0)
    win = np.bincount(dst, weights=wn, minlength=n)
    f["mean_in_w"] = win / np.maximum(cnt(dst), 1.0)
    f["mean_out_w"] = np.bincount(src, weights=wn, minlength=n) / np.maximum(cnt(src), 1.0)
    sq = np.bincount(dst, weights=wn ** 2, minlength=n) / np.maximum(cnt(dst), 1.0)
    f["sd_in_w"] = np.sqrt(np.maximum(sq - f["mean_in_w"] ** 2, 0.0))
    dev = np.abs(wn - f["mean_in_w"].to_numpy()[dst])
    f["out_deviation"] = np.bincount(src, weights=dev, minlength=n) / np.maximum(cnt(src), 1.0)
    pairs = set(zip(src.tolist(), dst.tolist(), strict=True))
    recip = np.array([(d, s) in pairs for s, d in zip(src.tolist(), dst.tolist(), strict=True)])
    f["reciprocity"] = cnt(src, recip) / np.maximum(cnt(src), 1.0)
    if g.time is not None:
        t = np.asarray(g.time, dtype=float)
        t = (t - t.min()) / max(t.max() - t.min(), 1.0)
        both_idx = np.concatenate([src, dst])
        both_t = np.concatenate([t, t])
        first = np.full(n, np.inf)
        last = np.full(n, -np.inf)
        np.minimum.at(first, both_idx, both_t)
        np.maximum.at(last, both_idx, both_t)
        f["first_seen"], f["last_seen"] = first, last
        f["active_span"] = last - first
        f["in_time_mean"] = np.bincount(dst, weights=t, minlength=n) / np.maximum(cnt(dst), 1.0)
    return f.replace([np.inf, -np.inf], 0.0).fillna(0.0)


def rev2_scores(g: Any, iterations: int = 100, alpha: float = 1.0, beta: float = 1.0) -> np.ndarray:
    """Fraud score from REV2-style fairness (no BIRDNEST priors): higher = less fair rater."""
    n, src, dst = g.num_nodes, g.src, g.dst
    w = g.weight if g.weight is not None else (g.sign if g.sign is not None else np.ones(len(src)))
    r = np.clip(np.asarray(w, dtype=float) / (float(np.abs(w).max()) or 1.0), -1.0, 1.0)
    fair = np.ones(n)
    good = np.ones(n)
    rel = np.ones(len(src))
    out_deg = np.bincount(src, minlength=n).astype(float)
    in_deg = np.bincount(dst, minlength=n).astype(float)
    for _ in range(iterations):
        mg = float(np.median(good[in_deg > 0])) if (in_deg > 0).any() else 0.0
        good_new = np.clip((beta * mg + np.bincount(dst, weights=rel * r, minlength=n)) / (beta + in_deg), -1, 1)
        rel_new = np.clip((fair[src] + (1.0 - np.abs(r - good_new[dst]) / 2.0)) / 2.0, 0.0, 1.0)
        mf = float(np.median(fair[out_deg > 0])) if (out_deg > 0).any() else 1.0
        fair_new = np.clip((alpha * mf + np.bincount(src, weights=rel_new, minlength=n)) / (alpha + out_deg), 0, 1)
        delta = np.abs(fair_new - fair).sum() + np.abs(good_new - good).sum() + np.abs(rel_new - rel).sum()
        fair, good, rel = fair_new, good_new, rel_new
        if delta < 1e-3:
            break
    mf = float(np.median(fair[out_deg > 0])) if (out_deg > 0).any() else 1.0
    return -((fair - mf) * np.log1p(out_deg))


def _prepare(g: Any) -> tuple[np.ndarray, list[Relation], dict[str, np.ndarray]]:
    """Node features, GNN relations (sign x direction) and the unsupervised scores of a graph."""
    feats = generic_features(g)
    extra = _extra_features(g.features)
    if extra is not None:
        feats = pd.concat([feats, pd.DataFrame(extra, columns=[f"x{i}" for i in range(extra.shape[1])])], axis=1)
    sign = g.sign if g.sign is not None else np.ones(g.num_edges)
    rels: list[Relation] = []
    for mask in ((sign >= 0), (sign < 0)):
        if mask.any():
            rels.append((g.src[mask], g.dst[mask], np.ones(int(mask.sum()))))
            rels.append((g.dst[mask], g.src[mask], np.ones(int(mask.sum()))))
    unsup = {"rules": feats["in_neg_share"].to_numpy(), "rev2": rev2_scores(g)}
    return feats.to_numpy(dtype=float), rels, unsup


def _without_incoming(g: Any, nodes: np.ndarray) -> Any:
    """The graph without the edges pointing into ``nodes`` (their received ratings unseen)."""
    from dataclasses import replace

    keep = ~np.isin(g.dst, nodes)

    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[keep]

    return replace(g, src=g.src[keep], dst=g.dst[keep], edge_type=cut(g.edge_type), sign=cut(g.sign),
                   weight=cut(g.weight), time=cut(g.time))


def generic(edges: Path, labels: Path, nodes: Path | None = None, features: Path | None = None, *,
            seed: int = 7, folds: int = 5, positive: str | None = None, hide_incoming: bool = False,
            gnn_cfg: GNNConfig | None = None, progress: bool = False) -> dict[str, Any]:
    """Every model and baseline with stratified k-fold CV on a real labelled graph.

    ``hide_incoming``: the edges pointing into labelled nodes are removed before anything is
    computed (for training and held-out nodes alike, so both look the same), and a user is judged
    by its own behaviour (how and when it rates, and who it rates), not by what others said about
    it. Use it where labels were derived from received ratings (REV2's Bitcoin OTC ground truth
    comes from ratings by the platform's founder and trusted users).
    """
    from sklearn.model_selection import StratifiedKFold

    from graph.generic import read_graph

    g = read_graph(edges, nodes=nodes, labels=labels, features=features)
    if g.labels is None or g.labels.empty:
        raise InputError(f"{labels}: no label matches a node of the graph",
                         hint="ids in the labels file must appear in the edges (or nodes) file")
    y_s, pos_value = binarise(g.labels, positive)
    lab_idx = y_s.index.to_numpy(dtype=np.int64)
    y = y_s.to_numpy()
    if min(y.sum(), len(y) - y.sum()) < folds:
        raise InputError(f"too few labels per class for {folds}-fold CV ({int(y.sum())} fraud, "
                         f"{int(len(y) - y.sum())} other)", hint="use --folds 2 or more labels")
    full = _prepare(_without_incoming(g, lab_idx) if hide_incoming else g)
    res: dict[str, list[dict[str, float]]] = {"gnn": [], "gbm": [], "rules": [], "rev2": []}
    cfg = gnn_cfg or GNNConfig(seed=seed)
    split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(lab_idx, y)
    for k, (tr, te) in enumerate(bar(split, progress=progress, total=folds, desc="eval fraud", unit="fold")):
        x, rels, unsup = full
        yy = np.zeros(g.num_nodes)
        yy[lab_idx] = y
        train = np.zeros(g.num_nodes, dtype=bool)
        train[lab_idx[tr]] = True
        res["gnn"].append(_metrics(y[te], train_gnn(x, rels, yy, train, cfg)[lab_idx[te]]))
        res["gbm"].append(_metrics(y[te], gbm_scores(x, yy, train, seed)[lab_idx[te]]))
        for name, s in unsup.items():
            res[name].append(_metrics(y[te], s[lab_idx[te]]))
        log.info("eval fraud: fold %d/%d done", k + 1, folds)
    return {"shipped": GENERIC_SHIPPED, "models": {k: _mean(v) for k, v in res.items()},
            "setting": "edges into labelled nodes hidden" if hide_incoming else "full graph",
            "graph": {"nodes": g.num_nodes, "edges": g.num_edges, "signed": g.sign is not None,
                      "timed": g.time is not None, "features": int(full[0].shape[1])},
            "labels": {"labelled": len(y), "fraud": int(y.sum()), "positive_value": pos_value,
                       "unknown_ids": len(g.unknown_label_ids or []),
                       "unknown_examples": (g.unknown_label_ids or [])[:5]},
            "folds": folds, "seed": seed}


def _extra_features(feat: Any) -> np.ndarray | None:
    if feat is None:
        return None
    import scipy.sparse as sp

    if sp.issparse(feat):
        if feat.shape[1] > 64:
            from sklearn.decomposition import TruncatedSVD

            return TruncatedSVD(32, random_state=7).fit_transform(feat)
        return np.asarray(feat.todense())
    return np.asarray(feat, dtype=float)


# ------------------------------------------------------------------------- raw click logs

def click_log(path: Path, preset: str, *, top: int = 10, home: Path | None = None,
              progress: bool = False) -> dict[str, Any]:
    """Import a click log through ``preset`` into a scratch HOME and report suspicious sources."""
    from gnn.fraud.detect import analyse
    from graph.ingest.mapping import load_mapping
    from graph.ingest.pipeline import Importer
    from graph.settings import load_settings
    from graph.store import open_store

    mapping = load_mapping(preset)
    with tempfile.TemporaryDirectory(prefix="pg-clicklog-") as tmp:
        settings = load_settings(env={}, home=home or Path(tmp))
        store = open_store(settings)
        try:
            store.apply_schema()
            report = Importer(store, settings).run(path, mapping)
            run = analyse(store, settings, FraudConfig(models=False), progress=progress)
        finally:
            store.close()
    return click_findings(run, report.lines()[0], top)


def click_findings(run: FraudRun, import_line: str, top: int = 10) -> dict[str, Any]:
    """Which traffic sources look like click fraud: volume, conversion (download) rate and
    timing against the others, with the figures that make them stand out."""
    from scipy.stats import spearmanr

    from gnn.fraud.behaviour import anomaly

    f = run.features.set_index("id")
    sc = run.scores
    # click fraud is about clicks that do not convert: a conversion rate far *above* peers (a
    # good source) is not evidence here, so that side is left out of this score
    score, z = anomaly(run.features.assign(cvr_z_high=0.0))
    score.index = z.index = pd.Index(run.features["id"])
    df = pd.DataFrame({"clicks": f["clicks"], "conversions": f["conversions"],
                       "conversion_rate": f["conversions"] / f["clicks"].clip(lower=1),
                       "anomaly": score, "risk": sc["risk"], "night_share": f["night_share"],
                       "burstiness": f["burstiness"], "top_ip_share": f["top_ip_share"],
                       "clicks_per_device": np.exp(f["log_clicks_per_device"])})
    big = df[df["clicks"] >= 100]
    rate_all = float(df["conversions"].sum() / max(df["clicks"].sum(), 1))
    sus = big.sort_values("anomaly", ascending=False).head(top)
    rows = []
    for sid, r in sus.iterrows():
        zs = z.loc[sid].sort_values(ascending=False).head(3)
        rows.append({"source": str(sid).rsplit(":", 1)[-1], "clicks": int(r["clicks"]),
                     "conversions": int(r["conversions"]), "conversion_rate": round(float(r["conversion_rate"]), 5),
                     "anomaly": round(float(r["anomaly"]), 3), "night_share": round(float(r["night_share"]), 3),
                     "top_ip_share": round(float(r["top_ip_share"]), 3),
                     "evidence": [{"feature": k, "z": round(float(v), 2)} for k, v in zs.items() if v > 0]})
    flagged = big[big["anomaly"] >= 0.5]
    rho = spearmanr(big["anomaly"], big["conversion_rate"]).statistic if len(big) > 2 else float("nan")
    return {"import": import_line, "sources": int(len(df)), "clicks": int(df["clicks"].sum()),
            "conversions": int(df["conversions"].sum()), "conversion_rate": round(rate_all, 5),
            "sources_with_100_clicks": int(len(big)),
            "flagged_sources": int(len(flagged)),
            "flagged_click_share": round(float(flagged["clicks"].sum() / max(df["clicks"].sum(), 1)), 4),
            "flagged_conversion_rate": round(float(flagged["conversions"].sum() / max(flagged["clicks"].sum(), 1)), 5),
            "other_conversion_rate": round(float((big["conversions"].sum() - flagged["conversions"].sum())
                                                 / max(big["clicks"].sum() - flagged["clicks"].sum(), 1)), 5),
            "spearman_anomaly_vs_conversion_rate": round(float(rho), 4),
            "links": int(len(run.links.pairs)), "candidate_rings": len(run.rings),
            "flagged_rings": len(run.flagged_rings), "top": rows, "timings": run.timings}
