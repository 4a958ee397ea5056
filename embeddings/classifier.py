"""A small classifier on top of the sentence vectors, and calibrated decision thresholds.

- :class:`VectorClassifier`: multinomial logistic regression on normalised vectors (scikit-learn),
  trained only on labelled text that is observable or external: taxonomy node texts, high-
  confidence zero-shot pseudo-labels of the graph's own texts (self-training, see
  :func:`pseudo_labels`), or real labelled data (MUSAE page types) with a held-out split.
- :class:`Calibrator`: isotonic regression from a raw confidence (a probability or a cosine
  score) to the probability that the decision is right, fitted on a held-out part; its
  :meth:`Calibrator.threshold` is the smallest raw confidence whose calibrated probability
  reaches a target, so tags are written only above a calibrated probability.
- :func:`expected_calibration_error` and :func:`split` for the evaluations.

Pure functions and small classes; heavy imports (scikit-learn) stay inside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Inverse regularisation of the logistic regression, and the scale of the unit vectors fed to it
#: (a larger scale sharpens the softmax); defaults, or chosen on a validation part, never on a test split.
C = 4.0
SCALE = 1.0
#: The (scale, C) grid :func:`select` tries on a validation part.
GRID = ((1.0, 4.0), (1.0, 100.0), (10.0, 4.0), (30.0, 4.0))


def split(keys: Sequence[str], fractions: Sequence[float], salt: str = "pg") -> np.ndarray:
    """A stable part index per key (0, 1, ...) by hash, with the given fractions."""
    edges = np.cumsum(np.asarray(fractions, float) / float(np.sum(fractions)))
    u = np.array([int(hashlib.md5(f"{salt}:{k}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF for k in keys])
    return np.searchsorted(edges, u, side="right").clip(0, len(fractions) - 1)


@dataclass
class VectorClassifier:
    """Multinomial logistic regression over vectors; ``proba`` columns follow ``classes``."""

    classes: list[str]
    model: Any = None
    scale: float = SCALE

    @classmethod
    def fit(cls, x: np.ndarray, y: Sequence[str], *, weights: np.ndarray | None = None,
            c: float = C, scale: float = SCALE) -> VectorClassifier:
        import warnings

        from sklearn.linear_model import LogisticRegression

        labels = sorted(set(y))
        if len(labels) < 2:
            raise ValueError("a classifier needs at least two classes")
        model = LogisticRegression(C=c, max_iter=300)
        with warnings.catch_warnings():  # classes with one example and lbfgs iteration limits are expected
            warnings.simplefilter("ignore")
            model.fit(np.asarray(x, np.float32) * scale, list(y), sample_weight=weights)
        return cls([str(c_) for c_ in model.classes_], model, scale)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_proba(np.asarray(x, np.float32) * self.scale), np.float32)

    def expand(self, p: np.ndarray, classes: Sequence[str]) -> np.ndarray:
        """Probabilities laid out over ``classes`` (classes never seen in training get 0)."""
        out = np.zeros((p.shape[0], len(classes)), np.float32)
        pos = {c_: i for i, c_ in enumerate(classes)}
        for j, c_ in enumerate(self.classes):
            if c_ in pos:
                out[:, pos[c_]] = p[:, j]
        return out


@dataclass
class Calibrator:
    """Isotonic map from a raw confidence to P(decision is right)."""

    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def fit(cls, confidence: np.ndarray, correct: np.ndarray) -> Calibrator:
        from sklearn.isotonic import IsotonicRegression

        conf = np.asarray(confidence, float)
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(conf, np.asarray(correct, float))
        return cls(np.asarray(iso.X_thresholds_, float), np.asarray(iso.y_thresholds_, float))

    def __call__(self, confidence: np.ndarray) -> np.ndarray:
        if not len(self.x):
            return np.full(np.shape(confidence), np.nan)
        return np.interp(np.asarray(confidence, float), self.x, self.y)

    def threshold(self, target: float) -> float:
        """The smallest raw confidence whose calibrated probability is at least ``target`` (inf if none)."""
        ok = np.flatnonzero(self.y >= target)
        return float(self.x[ok[0]]) if len(ok) else float("inf")


def expected_calibration_error(prob: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width probability bins, weighted by their size."""
    p, c = np.asarray(prob, float), np.asarray(correct, float)
    if not len(p):
        return float("nan")
    idx = np.minimum((p * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += m.sum() / len(p) * abs(c[m].mean() - p[m].mean())
    return float(err)


def pseudo_labels(sims: np.ndarray, classes: Sequence[str], floor: float, margin: float) -> tuple[np.ndarray, list[str]]:
    """Rows whose best zero-shot score is at least ``floor`` and beats the runner-up by ``margin``."""
    if not sims.size:
        return np.zeros(0, np.int64), []
    order = np.argsort(-sims, axis=1)[:, :2]
    best = sims[np.arange(len(sims)), order[:, 0]]
    second = sims[np.arange(len(sims)), order[:, 1]] if sims.shape[1] > 1 else np.zeros(len(sims))
    rows = np.flatnonzero((best >= floor) & (best - second >= margin))
    return rows, [classes[int(order[r, 0])] for r in rows]


def select(x_fit: np.ndarray, y_fit: Sequence[str], x_val: np.ndarray, y_val: Sequence[str],
           grid: Sequence[tuple[float, float]] = GRID) -> tuple[VectorClassifier, dict[str, float]]:
    """The classifier of ``grid`` (scale, C) with the best top-1 accuracy on the validation part."""
    best: tuple[float, VectorClassifier] | None = None
    scores: dict[str, float] = {}
    for scale, c in grid:
        clf = VectorClassifier.fit(x_fit, y_fit, c=c, scale=scale)
        pred = [clf.classes[int(j)] for j in clf.proba(x_val).argmax(1)] if len(x_val) else []
        acc = float(np.mean([p == t for p, t in zip(pred, y_val, strict=True)])) if pred else 0.0
        scores[f"scale={scale:g},C={c:g}"] = round(acc, 4)
        if best is None or acc > best[0]:
            best = (acc, clf)
    assert best is not None
    return best[1], scores


def top_k_labels(p: np.ndarray, classes: Sequence[str], k: int = 3) -> list[list[str]]:
    order = np.argsort(-p, axis=1)[:, :k]
    return [[classes[int(j)] for j in row] for row in order]
