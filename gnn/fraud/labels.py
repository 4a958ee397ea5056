"""Known labels for the semi-supervised models, from observable data only.

- **Chargebacks and refunds.** An affiliate whose refunded/declined/reversed conversions are
  significantly above the network's rate (one-sided binomial test, ``p < alpha``, at least
  ``min_conversions`` conversions with a status) is a positive; one with enough conversions at
  or below the network rate is a negative. Everybody else is unlabelled.
- **Closed cases.** Confirmed cases make their flagged affiliates positives; dismissed cases
  make them negatives. Cases win over refunds.
- **A labels file** (``id,label``) from the network's own compliance team, when given; ids may
  be graph ids (``affiliate:<network>:<id>``) or bare network ids. Unknown ids are reported.

This signal is weak on purpose-built fraud (cookie stuffing and click spam convert little), so
evaluations also report the models with cross-validated labels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gnn.fraud import queries as Q
from graph.errors import InputError
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

POSITIVE = {"1", "fraud", "fraudulent", "true", "yes", "positive", "-1", "bad", "confirmed"}
NEGATIVE = {"0", "honest", "benign", "false", "no", "negative", "+1", "good", "trusted", "dismissed"}


@dataclass
class Labels:
    y: pd.Series  # affiliate id -> 0/1 (labelled affiliates only)
    origin: pd.Series  # affiliate id -> "refunds" | "case" | "file"
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"positive": int((self.y == 1).sum()), "negative": int((self.y == 0).sum())}


def refund_labels(raw: pd.DataFrame, alpha: float = 0.01, min_conversions: int = 5) -> pd.Series:
    """0/1 per affiliate from refund/chargeback counts (``bad`` of ``status_known``)."""
    if raw.empty or "bad" not in raw or "status_known" not in raw:
        return pd.Series(dtype="int64")
    from scipy.special import bdtrc  # P(X > k) of a binomial; lighter to import than scipy.stats

    known = raw["status_known"].fillna(0).astype(float)
    bad = raw["bad"].fillna(0).astype(float)
    if known.sum() <= 0:
        return pd.Series(dtype="int64")
    p0 = float(bad.sum() / known.sum())
    enough = known >= min_conversions
    pval = np.where(bad > 0, bdtrc(np.maximum(bad - 1, 0), known, p0), 1.0)
    pos = enough & (pval < alpha)
    neg = enough & (bad / known.where(known > 0, 1.0) <= p0)
    y = pd.Series(np.where(pos, 1, np.where(neg, 0, -1)), index=raw["id"].to_numpy())
    return y[y >= 0].astype("int64")


def case_labels(store: GraphStore) -> pd.Series:
    """1 for affiliates of confirmed cases, 0 for dismissed ones (confirmed wins)."""
    out: dict[str, int] = {}
    for r in Q.read_all(store, Q.CASE_LABELS):
        val = 1 if r["status"] == "confirmed" else 0
        for i in r.get("ids") or []:
            if i and str(i).startswith("affiliate:"):
                out[str(i)] = max(out.get(str(i), 0), val)
    return pd.Series(out, dtype="int64")


def read_label_file(path: Path, known_ids: set[str], networks: list[str]) -> tuple[pd.Series, list[str]]:
    """``id,label`` CSV -> 0/1 per known affiliate id, and the ids not found in the graph."""
    if not path.is_file():
        raise InputError(f"{path} does not exist", hint="give a CSV with columns id,label")
    df = pd.read_csv(path, dtype=str)
    if df.shape[1] < 2:
        raise InputError(f"{path}: needs two columns id,label", hint=f"columns are {list(df.columns)}")
    idcol = "id" if "id" in df.columns else df.columns[0]
    lcol = "label" if "label" in df.columns else df.columns[1]
    out: dict[str, int] = {}
    unknown: list[str] = []
    bad_values: list[str] = []
    for raw_id, raw_label in zip(df[idcol].astype(str).str.strip(), df[lcol].astype(str).str.strip().str.lower(),
                                 strict=True):
        if raw_label in POSITIVE:
            val = 1
        elif raw_label in NEGATIVE:
            val = 0
        else:
            bad_values.append(raw_label)
            continue
        cands = [raw_id] + [f"affiliate:{n}:{raw_id}" for n in networks]
        hit = next((c for c in cands if c in known_ids), None)
        if hit is None:
            unknown.append(raw_id)
        else:
            out[hit] = val
    if bad_values:
        raise InputError(f"{path}: {len(bad_values)} labels are neither fraud nor honest "
                         f"(e.g. {bad_values[0]!r})", hint="use 1/0, fraud/honest or -1/+1")
    return pd.Series(out, dtype="int64"), unknown


def known_labels(raw: pd.DataFrame, store: GraphStore | None, known_ids: set[str],
                 label_file: Path | None = None, networks: list[str] | None = None) -> Labels:
    """All observable labels, merged (file > cases > refunds)."""
    parts: list[tuple[str, pd.Series]] = [("refunds", refund_labels(raw))]
    if store is not None:
        parts.append(("case", case_labels(store)))
    unknown: list[str] = []
    if label_file is not None:
        y_file, unknown = read_label_file(label_file, known_ids, networks or [])
        parts.append(("file", y_file))
    y = pd.Series(dtype="int64")
    origin = pd.Series(dtype=object)
    for name, s in parts:
        s = s[s.index.isin(known_ids)]
        y = pd.concat([y[~y.index.isin(s.index)], s])
        origin = pd.concat([origin[~origin.index.isin(s.index)], pd.Series(name, index=s.index)])
    notes = []
    if unknown:
        notes.append(f"{len(unknown)} labelled ids are not affiliates in the graph (e.g. {unknown[0]!r}); ignored")
        log.warning("%s", notes[-1])
    lab = Labels(y.astype("int64"), origin, unknown, notes)
    c = lab.counts()
    if c["positive"] < 5 or c["negative"] < 5:
        lab.notes.append(f"weak label signal: {c['positive']} positive and {c['negative']} negative "
                         "known labels; supervised models are skipped below 5 of each")
    return lab
