"""Drift between discovery runs, and how past recommendations really did.

- **Feature drift**: per numeric feature (partner and brand figures computed from the graph),
  the Population Stability Index (PSI, decile bins of the reference) and the two-sample
  Kolmogorov-Smirnov statistic between the reference snapshot and now.
- **Embedding drift**: the reference's text vectors define a basis (top principal components);
  PSI and KS per component between the reference projections and today's, plus the cosine
  between the two centroids.
- **Realised performance**: partnerships that appeared after a run (their first ``WITH`` fact
  was imported after the run finished), how many of them the run had recommended, and the
  return they realised; plus the managers' verdicts on the run's recommendations.

Thresholds (conventional): PSI >= 0.2 or KS >= 0.2 on any feature or component is drift. The
reference is the snapshot taken by the first run that used the current model, so drift is
measured against the data the model was chosen on. Snapshots are ``.npz`` files under
``$PARTNERGRAPH_HOME/discovery/snapshots``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

PSI_MAX = 0.2
KS_MAX = 0.2
N_BINS = 10
N_COMPONENTS = 5
EPS = 1e-4
MIN_NEW_PAIRS = 20
MIN_VERDICTS = 10
REJECT_SHARE_MAX = 0.6
RECALL_DROP = 0.5  # realised recall below half the model's validation recall is drift


def finite(x: np.ndarray | Sequence[float]) -> tuple[np.ndarray, int]:
    """The finite values and how many were NaN or infinite."""
    a = np.asarray(x, dtype=np.float64).ravel()
    ok = np.isfinite(a)
    return a[ok], int((~ok).sum())


def psi(reference: np.ndarray | Sequence[float], current: np.ndarray | Sequence[float],
        bins: int = N_BINS) -> float:
    """Population Stability Index of ``current`` against ``reference`` on the reference's
    quantile bins (right-closed, so a point mass such as "no campaigns" keeps its own bin);
    0 means identical distributions. NaN when either side has no finite value."""
    ref, _ = finite(reference)
    cur, _ = finite(current)
    if not len(ref) or not len(cur):
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1) / len(cur)
    r = np.clip(r, EPS, None)
    c = np.clip(c, EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))


def ks(reference: np.ndarray | Sequence[float], current: np.ndarray | Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic (largest gap between the two empirical CDFs)."""
    ref, _ = finite(reference)
    cur, _ = finite(current)
    if not len(ref) or not len(cur):
        return float("nan")
    ref.sort()
    cur.sort()
    grid = np.concatenate([ref, cur])
    cdf_r = np.searchsorted(ref, grid, side="right") / len(ref)
    cdf_c = np.searchsorted(cur, grid, side="right") / len(cur)
    return float(np.max(np.abs(cdf_r - cdf_c)))


# ---- snapshots --------------------------------------------------------------------------------

@dataclass
class Snapshot:
    """What a run saw: feature samples, and per vector label its basis and projections."""

    features: dict[str, np.ndarray] = field(default_factory=dict)
    #: label -> (mean (d,), basis (k, d), projections (n, k))
    embeddings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {f"feat:{k}": np.asarray(v, np.float64) for k, v in self.features.items()}
        for label, (mean, basis, proj) in self.embeddings.items():
            arrays[f"emb:{label}:mean"] = mean
            arrays[f"emb:{label}:basis"] = basis
            arrays[f"emb:{label}:proj"] = proj
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        snap = cls()
        with np.load(path) as data:
            for key in data.files:
                if key.startswith("feat:"):
                    snap.features[key[5:]] = data[key]
            labels = {k.split(":")[1] for k in data.files if k.startswith("emb:")}
            for label in labels:
                snap.embeddings[label] = (data[f"emb:{label}:mean"], data[f"emb:{label}:basis"],
                                          data[f"emb:{label}:proj"])
        return snap


def embedding_basis(vectors: np.ndarray, k: int = N_COMPONENTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, top-k principal directions (k, d), projections (n, k))`` of finite rows."""
    v = np.asarray(vectors, dtype=np.float64)
    v = v[np.isfinite(v).all(axis=1)] if v.ndim == 2 else np.zeros((0, 1))
    if len(v) < 2:
        d = v.shape[1] if v.ndim == 2 else 1
        return np.zeros(d), np.zeros((0, d)), np.zeros((len(v), 0))
    mean = v.mean(axis=0)
    _, _, vt = np.linalg.svd(v - mean, full_matrices=False)
    basis = vt[: min(k, len(vt))]
    return mean, basis, (v - mean) @ basis.T


def project(vectors: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float64)
    v = v[np.isfinite(v).all(axis=1)] if v.ndim == 2 and len(v) else np.zeros((0, len(mean)))
    return (v - mean) @ basis.T


def take_snapshot(features: Mapping[str, np.ndarray], vectors: Mapping[str, np.ndarray],
                  reference: Snapshot | None = None) -> Snapshot:
    """Today's snapshot. With a reference, vectors are projected on the reference's basis (so
    they compare); without one, the snapshot makes its own basis (it becomes a reference)."""
    snap = Snapshot(features={k: np.asarray(v, np.float64) for k, v in features.items()})
    for label, vecs in vectors.items():
        if reference is not None and label in reference.embeddings:
            mean, basis, _ = reference.embeddings[label]
            snap.embeddings[label] = (mean, basis, project(vecs, mean, basis))
        else:
            snap.embeddings[label] = embedding_basis(vecs)
    return snap


def _r(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 4)


def compare(reference: Snapshot, current: Snapshot) -> dict[str, Any]:
    """PSI and KS per feature and per embedding component; which ones crossed the thresholds."""
    feats: dict[str, Any] = {}
    why: list[str] = []
    for name in sorted(set(reference.features) & set(current.features)):
        p = psi(reference.features[name], current.features[name])
        k = ks(reference.features[name], current.features[name])
        _, bad = finite(current.features[name])
        feats[name] = {"psi": _r(p), "ks": _r(k), "non_finite": bad}
        if (math.isfinite(p) and p >= PSI_MAX) or (math.isfinite(k) and k >= KS_MAX):
            why.append(f"feature {name}: PSI {p:.2f}, KS {k:.2f}")
    embs: dict[str, Any] = {}
    for label in sorted(set(reference.embeddings) & set(current.embeddings)):
        rmean, _, rproj = reference.embeddings[label]
        cmean, _, cproj = current.embeddings[label]
        if rproj.shape[1] == 0 or cproj.shape[1] != rproj.shape[1] or not len(cproj):
            continue
        psis = [psi(rproj[:, j], cproj[:, j]) for j in range(rproj.shape[1])]
        kss = [ks(rproj[:, j], cproj[:, j]) for j in range(rproj.shape[1])]
        # centroid shift: mean of today's projections, in units of the reference's spread
        shift = float(np.linalg.norm(cproj.mean(axis=0) - rproj.mean(axis=0))
                      / max(float(np.linalg.norm(rproj.std(axis=0))), 1e-12))
        pmax, kmax = float(np.nanmax(psis)), float(np.nanmax(kss))
        embs[label] = {"psi_max": _r(pmax), "ks_max": _r(kmax), "centroid_shift": _r(shift),
                       "components": len(psis), "n_reference": len(rproj), "n_current": len(cproj)}
        if pmax >= PSI_MAX or kmax >= KS_MAX:
            why.append(f"{label} embeddings: PSI {pmax:.2f}, KS {kmax:.2f} (max over {len(psis)} components)")
    return {"features": feats, "embeddings": embs, "drifted": bool(why), "why": why}


# ---- realised performance of past recommendations ---------------------------------------------

def realised(run: Mapping[str, Any], recommended: pd.DataFrame, history: pd.DataFrame,
             feedback: pd.DataFrame, expected_recall: float | None = None) -> dict[str, Any]:
    """How the recommendations of ``run`` (``{id, finished_at}``) did since it finished.

    ``recommended``: brand, partner, rank, predicted_roi. ``history``: brand, partner, cost,
    revenue, first_seen (import time of the fact). ``feedback``: brand, partner, verdict,
    run_id. ``expected_recall``: the model's validation Recall@K, when known.
    """
    since = str(run.get("finished_at") or "")
    out: dict[str, Any] = {"run": run.get("id"), "since": since}
    rec_pairs = set(zip(recommended["brand"].astype(str), recommended["partner"].astype(str), strict=True)) \
        if len(recommended) else set()
    if len(history) and since:
        seen = history.groupby(["brand", "partner"], sort=False)["first_seen"].min()
        new = {k for k, v in seen.items() if isinstance(v, str) and v > since}
        hits = new & rec_pairs
        out.update({"new_pairs": len(new), "recommended_and_taken": len(hits),
                    "recall": _r(len(hits) / len(new)) if new else None})
        if hits:
            g = history.groupby(["brand", "partner"], sort=False)[["cost", "revenue"]].sum()
            taken = g.loc[sorted(hits)]
            cost = float(taken["cost"].sum())
            out["realised_roi"] = _r(float(taken["revenue"].sum()) / cost) if cost > 0 else None
            pred = recommended.set_index(["brand", "partner"])["predicted_roi"]
            pairs = [(k, pred.get(k)) for k in sorted(hits)]
            errs = []
            for k, p in pairs:
                c, r = float(g.loc[k, "cost"]), float(g.loc[k, "revenue"])
                if p is not None and isinstance(p, int | float) and math.isfinite(p) and p > 0 and c > 0 and r > 0:
                    errs.append(abs(math.log(r / c) - math.log(p)))
            out["log_roi_mae"] = _r(float(np.mean(errs))) if errs else None
    else:
        out.update({"new_pairs": 0, "recommended_and_taken": 0, "recall": None})
    fb = feedback[feedback["run_id"].astype(str) == str(run.get("id"))] if len(feedback) else feedback
    acc = int((fb["verdict"] == "accept").sum()) if len(fb) else 0
    rej = int((fb["verdict"] == "reject").sum()) if len(fb) else 0
    out.update({"accepted": acc, "rejected": rej})
    why = []
    if out.get("recall") is not None and expected_recall and out["new_pairs"] >= MIN_NEW_PAIRS \
            and out["recall"] < RECALL_DROP * expected_recall:
        why.append(f"past recommendations: {out['recommended_and_taken']} of {out['new_pairs']} new "
                   f"partnerships were recommended (recall {out['recall']:.2f}, model expected "
                   f"{expected_recall:.2f})")
    if acc + rej >= MIN_VERDICTS and rej / (acc + rej) > REJECT_SHARE_MAX:
        why.append(f"managers rejected {rej} of {acc + rej} recommendations of run {run.get('id')}")
    out["drifted"] = bool(why)
    out["why"] = why
    return out
