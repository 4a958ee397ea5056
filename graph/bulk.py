"""Write whole tables (canonical files, an export of another store) into a store.

Used by ``partnergraph load`` (canonical node/edge files: a development and migration tool,
never an evaluation input) and ``partnergraph migrate``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from graph.errors import InputError
from graph.schema import NODES, RELS, ROLE_LABELS
from graph.store.base import GraphExport, GraphStore

log = logging.getLogger(__name__)
CHUNK = 50_000
SKIP_COLUMNS = {"labels", "src_label", "dst_label", "element_id"}


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _column_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values, converted once per column rather than per cell."""
    kind = series.dtype.kind
    if kind in "iub":
        return series.tolist()
    if kind == "f":
        return [None if v != v else v for v in series.tolist()]  # NaN -> None
    if kind == "M":
        return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in series]
    return [_clean(v) for v in series.tolist()]


def frame_rows(df: pd.DataFrame, drop: set[str] = SKIP_COLUMNS) -> Iterator[dict[str, Any]]:
    """Rows of a frame as plain Python dicts (NaN -> None, numpy -> Python)."""
    cols = [c for c in df.columns if c not in drop]
    columns = [_column_values(df[c]) for c in cols]
    for values in zip(*columns, strict=True):
        yield dict(zip(cols, values, strict=True))


def _primary(labels: list[str]) -> tuple[str, list[str]]:
    own = [lbl for lbl in labels if lbl not in ROLE_LABELS and lbl in NODES]
    roles = [lbl for lbl in labels if lbl in ROLE_LABELS]
    if not own:
        return roles[0], roles[1:]
    return own[0], roles


def write_frames(store: GraphStore, export: GraphExport, *, progress: bool = True,
                 exact: bool = False) -> dict[str, int]:
    """Upsert every node frame, then every edge frame; returns rows written per label/type.

    Role labels (``Affiliate``) are attached to the node carrying the entity's own label, so a
    publisher that is also an affiliate stays one node. A frame going into a label or type the
    graph does not have yet, with no duplicate rows, is bulk-created (``new=True``: CREATE
    instead of MERGE); anything else is merged. With ``exact`` the edge rows are another
    store's own edges (an export): parallel edges of a type without a key (a campaign's monthly
    WITH rows) are all created when the type is new to the target, not merged into one.
    """
    written: dict[str, int] = {}
    present = store.counts()  # labels and types the graph has already (non-zero counts)
    owner: dict[str, list[str]] = {}
    for label, df in export.nodes.items():
        if label not in NODES:
            raise InputError(f"unknown node label {label!r} in the input")
        if label in ROLE_LABELS:
            continue
        for i in df["id"].astype(str):
            owner.setdefault(i, []).append(label)
    total = sum(len(df) for df in export.nodes.values()) + sum(len(df) for df in export.edges.values())
    bar = tqdm(total=total, unit="row", desc="load", disable=not progress)
    for label in sorted(export.nodes, key=lambda lbl: lbl in ROLE_LABELS):
        df = export.nodes[label]
        groups: dict[tuple[str, tuple[str, ...]], pd.DataFrame]
        if label in ROLE_LABELS:
            keys = df["id"].astype(str).map({i: lbls[0] for i, lbls in owner.items()}).fillna(label)
            groups = {(str(k), (label,) if k != label else ()): g for k, g in df.groupby(keys)}
        else:
            groups = {(label, ()): df}
        new = label not in ROLE_LABELS and f":{label}" not in present and not df["id"].duplicated().any()
        for (primary, extra), part in groups.items():
            for start in range(0, len(part), CHUNK):
                chunk = part.iloc[start:start + CHUNK]
                n = store.upsert_nodes(primary, frame_rows(chunk), extra_labels=extra, new=new)
                written[f":{label}"] = written.get(f":{label}", 0) + n
                bar.update(len(chunk))
    for rel_type, df in export.edges.items():
        if rel_type not in RELS:
            raise InputError(f"unknown relationship type {rel_type!r} in the input")
        key = RELS[rel_type].key
        ident = ["src", "dst", "src_label", "dst_label", *[k for k in key if k in df.columns]]
        new = f"[:{rel_type}]" not in present and (exact or not df.duplicated(ident).any())
        for (src_label, dst_label), part in df.groupby(["src_label", "dst_label"]):
            for start in range(0, len(part), CHUNK):
                chunk = part.iloc[start:start + CHUNK]
                n = store.upsert_relationships(rel_type, frame_rows(chunk), src_label=str(src_label),
                                               dst_label=str(dst_label), key=key, new=new)
                written[f"[:{rel_type}]"] = written.get(f"[:{rel_type}]", 0) + n
                bar.update(len(chunk))
    bar.close()
    return written


def read_canonical(directory: Path) -> GraphExport:
    """Read ``DIR/canonical/{nodes,edges}/*.parquet`` (or ``DIR/{nodes,edges}``)."""
    base = directory / "canonical" if (directory / "canonical").is_dir() else directory
    ndir, edir = base / "nodes", base / "edges"
    if not ndir.is_dir():
        raise InputError(f"{directory} has no canonical/nodes folder",
                         hint="point to the output of `partnergraph generate`")
    nodes = {p.stem: pd.read_parquet(p) for p in sorted(ndir.glob("*.parquet"))}
    edges = {p.stem: pd.read_parquet(p) for p in sorted(edir.glob("*.parquet"))} if edir.is_dir() else {}
    for name, df in edges.items():
        missing = {"src", "dst", "src_label", "dst_label"} - set(df.columns)
        if missing:
            raise InputError(f"edges/{name}.parquet lacks columns {sorted(missing)}")
    return GraphExport(nodes=nodes, edges=edges)


def summarize(written: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(written.items()))
