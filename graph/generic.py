"""The generic graph import for real public graphs, shared by every evaluation.

Edges: CSV with a header ``source,target`` plus optional ``type,sign,weight,time``. Common
alternative names (``id_1,id_2``, ``src,dst``, ``from,to``) are accepted, and a file without a
header is read by position (``source,target[,weight[,time]]``, as in SNAP files). Labels:
``id,label`` (or a named column). Node features: CSV with an ``id`` column and numeric columns,
or JSON ``{id: [feature ids]}`` (sparse, as in MUSAE).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graph.errors import InputError

ALIASES = {
    "source": ("source", "src", "id_1", "from", "u", "node_1", "source_id"),
    "target": ("target", "dst", "id_2", "to", "v", "node_2", "target_id"),
    "type": ("type", "rel_type", "relation", "edge_type"),
    "sign": ("sign",),
    "weight": ("weight", "rating", "w"),
    "time": ("time", "timestamp", "ts", "date"),
}
POSITIONAL = ("source", "target", "weight", "time")


@dataclass
class GenericGraph:
    """A graph with dense node indices ``0..n-1`` and the original ids in ``node_ids``."""

    node_ids: np.ndarray  # original ids (str), index = node index
    src: np.ndarray  # int64
    dst: np.ndarray  # int64
    edge_type: np.ndarray | None = None
    sign: np.ndarray | None = None
    weight: np.ndarray | None = None
    time: np.ndarray | None = None
    labels: pd.Series | None = None  # index: node index, values: label (str); only labelled nodes
    features: object | None = None  # scipy.sparse CSR matrix or dense ndarray, rows = nodes
    unknown_label_ids: list[str] | None = None

    @property
    def num_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def num_edges(self) -> int:
        return len(self.src)

    def index_of(self) -> dict[str, int]:
        return {str(v): i for i, v in enumerate(self.node_ids)}


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV with or without a header row, every column as text (the generic import's reader)."""
    if not path.is_file():
        raise InputError(f"{path} does not exist", hint="give the path of a CSV file")
    try:
        first = path.open(encoding="utf-8", errors="replace").readline()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not first.strip():
        raise InputError(f"{path} is empty", hint="an edges file needs a source,target header and rows")
    cells = [c.strip() for c in first.split(",")]
    has_header = not all(_is_number(c) for c in cells)
    df = pd.read_csv(path, header=0 if has_header else None, dtype=str, skipinitialspace=True)
    if not has_header:
        df.columns = [POSITIONAL[i] if i < len(POSITIONAL) else f"col{i}" for i in range(df.shape[1])]
    return df


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pick(df: pd.DataFrame, role: str) -> str | None:
    cols = {c.lower().strip(): c for c in df.columns}
    for alias in ALIASES[role]:
        if alias in cols:
            return cols[alias]
    return None


def read_edges(path: Path) -> pd.DataFrame:
    """Edges as a frame with ``source,target`` (str) and the optional columns present."""
    df = read_csv(Path(path))
    out = pd.DataFrame()
    for role in ("source", "target", "type", "sign", "weight", "time"):
        col = _pick(df, role)
        if col is not None:
            out[role] = df[col]
    if "source" not in out or "target" not in out:
        raise InputError(f"{path}: no source/target columns in {list(df.columns)}",
                         hint="name them source,target (or id_1,id_2)")
    bad = out["source"].isna() | out["target"].isna()
    if bad.all():
        raise InputError(f"{path} has a header but no edge rows")
    out = out[~bad].copy()
    out["source"] = out["source"].str.strip()
    out["target"] = out["target"].str.strip()
    for col in ("sign", "weight", "time"):
        if col in out:
            values = pd.to_numeric(out[col], errors="coerce")
            if col == "time" and values.isna().all():
                values = pd.to_datetime(out[col], errors="coerce", utc=True).astype("int64") / 1e9
            if values.isna().any():
                raise InputError(f"{path}: column {col!r} has {int(values.isna().sum())} non-numeric values")
            out[col] = values.astype(float)
    if "weight" in out and "sign" not in out and (out["weight"] < 0).any():
        out["sign"] = np.sign(out["weight"])
    return out.reset_index(drop=True)


def read_graph(edges: Path, nodes: Path | None = None, labels: Path | None = None,
               features: Path | None = None, *, label_column: str | None = None) -> GenericGraph:
    """Read edges (and optional nodes, labels, features) into a :class:`GenericGraph`."""
    e = read_edges(edges)
    ids = pd.unique(pd.concat([e["source"], e["target"]], ignore_index=True))
    if nodes is not None:
        ndf = read_csv(Path(nodes))
        idcol = "id" if "id" in ndf.columns else ndf.columns[0]
        ids = pd.unique(pd.concat([pd.Series(ids), ndf[idcol].astype(str).str.strip()], ignore_index=True))
    node_ids = np.asarray(ids, dtype=object)
    index = pd.Index(node_ids)
    g = GenericGraph(
        node_ids=node_ids,
        src=index.get_indexer(e["source"]).astype(np.int64),
        dst=index.get_indexer(e["target"]).astype(np.int64),
        edge_type=e["type"].to_numpy() if "type" in e else None,
        sign=e["sign"].to_numpy() if "sign" in e else None,
        weight=e["weight"].to_numpy() if "weight" in e else None,
        time=e["time"].to_numpy() if "time" in e else None,
    )
    if labels is not None:
        g.labels, g.unknown_label_ids = _read_labels(Path(labels), index, label_column)
    if features is not None:
        g.features = _read_features(Path(features), index)
    return g


def _read_labels(path: Path, index: pd.Index, label_column: str | None) -> tuple[pd.Series, list[str]]:
    df = read_csv(path)
    if list(df.columns[:2]) == ["source", "target"]:  # headerless id,label
        df.columns = ["id", "label", *df.columns[2:]]
    idcol = "id" if "id" in df.columns else df.columns[0]
    lcol = label_column or ("label" if "label" in df.columns else df.columns[-1])
    if lcol not in df.columns:
        raise InputError(f"{path}: no label column {lcol!r}", hint=f"columns are {list(df.columns)}")
    pos = index.get_indexer(df[idcol].astype(str).str.strip())
    unknown = df[idcol][pos < 0].astype(str).tolist()
    known = pos >= 0
    return pd.Series(df[lcol][known].astype(str).str.strip().to_numpy(), index=pos[known]), unknown


def _read_features(path: Path, index: pd.Index) -> object:
    import scipy.sparse as sp

    n = len(index)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not valid JSON: {exc}") from None
        rows, cols = [], []
        for key, feats in data.items():
            i = index.get_indexer([str(key)])[0]
            if i < 0:
                continue
            for f in feats:
                rows.append(i)
                cols.append(int(f))
        width = (max(cols) + 1) if cols else 0
        return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, width))
    df = pd.read_csv(path)
    idcol = "id" if "id" in df.columns else df.columns[0]
    numeric = df.drop(columns=[idcol]).apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        raise InputError(f"{path}: feature columns must be numeric")
    dense = np.zeros((n, numeric.shape[1]), dtype=np.float32)
    pos = index.get_indexer(df[idcol].astype(str))
    dense[pos[pos >= 0]] = numeric.to_numpy(dtype=np.float32)[pos >= 0]
    return dense
