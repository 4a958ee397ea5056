"""The contract between training (``gnn.train``) and the weekly discovery job (``gnn.discover``).

Training selects the shipped ranker on the validation window and saves it as an artefact;
discovery loads it (or retrains) and asks it for scores, predicted performance and reasons.
Every ranker, including the cold-start content-similarity fallback, speaks this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class Ranker(Protocol):
    #: "gnn", "gbm", "hybrid", "content" (cold start), ...
    name: str
    model_version: str

    def score(self, brand_ids: Sequence[str], partner_ids: Sequence[str]) -> np.ndarray:
        """[len(brand_ids), len(partner_ids)] scores; higher is better. Unknown ids score NaN."""
        ...

    def predict_performance(self, brand_ids: Sequence[str],
                            partner_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """{"log_roi": [B, P], "conversion_rate": [B, P]}; empty when the ranker has no head."""
        ...

    def partner_embeddings(self) -> dict[str, np.ndarray]:
        """Performance embeddings per partner id (empty for rankers without them)."""
        ...

    def attributions(self, brand_id: str, partner_id: str) -> dict[str, float]:
        """Feature name -> contribution to this pair's score (for the reasons text)."""
        ...


@dataclass
class ModelMeta:
    """What an artefact carries, besides its weights."""

    kind: str  # "linkpred"
    version: str  # model version, e.g. "linkpred-20261129T104700Z"
    shipped: str  # name of the shipped ranker
    snapshot_hash: str  # hash of the graph snapshot it was trained on
    schema_version: int
    trained_at: str
    params: dict[str, Any] = field(default_factory=dict)
    #: {"validation": {model: {metric: value}}, "test": {...}, "performance": {...}}
    metrics: dict[str, Any] = field(default_factory=dict)
