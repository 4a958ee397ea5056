"""Turn a generic edges CSV (and optional nodes CSV) into tables the bulk writer loads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph.errors import InputError
from graph.generic import read_edges
from graph.schema import RELS, check_label, check_rel_type
from graph.store.base import GraphExport


def generic_export(edges: Path, nodes: Path | None, *, label: str, rel_type: str) -> GraphExport:
    check_label(label)
    check_rel_type(rel_type)
    if (label, label) not in RELS[rel_type].pairs:
        raise InputError(f"[:{rel_type}] cannot link {label} to {label}",
                         hint="choose --label/--type allowed by docs/schema.md")
    e = read_edges(edges)
    src_uri = Path(edges).resolve().as_uri()
    ids = pd.unique(pd.concat([e["source"], e["target"]], ignore_index=True))
    ndf = pd.DataFrame({"id": ids})
    if nodes is not None:
        extra = pd.read_csv(nodes, dtype=str)
        idcol = "id" if "id" in extra.columns else extra.columns[0]
        extra = extra.rename(columns={idcol: "id"})
        ndf = ndf.merge(extra, on="id", how="outer")
    ndf["source"] = src_uri
    edf = pd.DataFrame({"src": e["source"], "dst": e["target"], "src_label": label, "dst_label": label})
    for col in ("weight", "sign", "time"):
        if col in e:
            edf[col] = e[col]
    edf["source"] = [f"{src_uri}#row={i + 2}" for i in range(len(edf))]
    edf = edf.drop_duplicates(subset=["src", "dst"], keep="last")
    return GraphExport(nodes={label: ndf}, edges={rel_type: edf})
