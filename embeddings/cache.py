"""The vector cache: one Parquet file per label under ``$PARTNERGRAPH_HOME/vectors``.

Each row is ``id, hash, language, vector`` (float32, fixed size), keyed by node id; the
``hash`` is the SHA-256 of the exact text that was embedded, so unchanged text is never
re-embedded. ``manifest.json`` names the model that made every vector in the folder: when the
model changes, the old vectors are discarded and everything is re-embedded, so vectors of two
models are never mixed or compared.

gnn/ reads it directly with :func:`read_vectors` (or ``pd.read_parquet``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from embeddings.texts import PART_SUFFIXES
from graph.errors import InputError
from graph.schema import check_label

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def cache_dir(home: Path) -> Path:
    return Path(home) / "vectors"


@dataclass
class Lookup:
    """Cached vectors for the ids whose text is unchanged, and the positions still to embed."""

    vectors: np.ndarray  # (n, dim); rows of ``missing`` are zeros
    missing: list[int]


class VectorCache:
    def __init__(self, root: Path, model_id: str, dim: int) -> None:
        self.root = Path(root)
        self.model_id = model_id
        self.dim = int(dim)
        self.root.mkdir(parents=True, exist_ok=True)
        self.discarded: list[str] = []
        self._check_manifest()
        self._frames: dict[str, pd.DataFrame] = {}

    # ---- manifest -----------------------------------------------------------------------

    def _check_manifest(self) -> None:
        path = self.root / MANIFEST
        if not path.exists():
            self._write_manifest()
            return
        try:
            meta = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"vector cache manifest {path} is unreadable: {exc}",
                             hint=f"delete {self.root} to rebuild the cache") from exc
        if meta.get("model_id") != self.model_id:
            # A different model: its vectors are incomparable with ours. Drop them all.
            for f in self.root.glob("*.parquet"):
                f.unlink()
                self.discarded.append(f.stem)
            log.warning("vector cache: model changed from %s to %s; discarded %d label file(s), "
                        "everything is re-embedded", meta.get("model_id"), self.model_id, len(self.discarded))
            self._write_manifest()
        elif int(meta.get("dim", self.dim)) != self.dim:
            raise InputError(
                f"vector cache at {self.root} holds {meta.get('dim')}-d vectors but model "
                f"{self.model_id} makes {self.dim}-d ones",
                hint=f"delete {self.root} to rebuild the cache",
            )

    def _write_manifest(self) -> None:
        tmp = self.root / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps({"model_id": self.model_id, "dim": self.dim, "format": 1}))
        os.replace(tmp, self.root / MANIFEST)

    # ---- per label ----------------------------------------------------------------------

    def path(self, label: str) -> Path:
        return self.root / f"{check_label(label)}.parquet"

    def frame(self, label: str) -> pd.DataFrame:
        if label not in self._frames:
            p = self.path(label)
            if p.exists():
                df = pd.read_parquet(p)
            else:
                df = pd.DataFrame({"id": pd.Series(dtype=str), "hash": pd.Series(dtype=str),
                                   "language": pd.Series(dtype=str), "vector": pd.Series(dtype=object)})
            self._frames[label] = df
        return self._frames[label]

    def lookup(self, label: str, ids: Sequence[str], hashes: Sequence[str]) -> Lookup:
        df = self.frame(label)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if len(df):
            known = dict(zip(df["id"], range(len(df)), strict=True))
            stored_hash = df["hash"].to_numpy()
            vecs = df["vector"].to_numpy()
        else:
            known, stored_hash, vecs = {}, np.array([]), np.array([])
        missing = []
        for i, (node_id, h) in enumerate(zip(ids, hashes, strict=True)):
            j = known.get(node_id)
            if j is not None and stored_hash[j] == h:
                v = np.asarray(vecs[j], dtype=np.float32)
                if v.shape[0] != self.dim:
                    raise InputError(f"cached vector of {label} {node_id} has {v.shape[0]} dimensions, "
                                     f"expected {self.dim}", hint=f"delete {self.root} to rebuild the cache")
                out[i] = v
            else:
                missing.append(i)
        return Lookup(out, missing)

    def replace(self, label: str, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray,
                languages: Sequence[str] | None = None) -> Path:
        """Make the label's file hold exactly these rows (nodes gone from the graph drop out)."""
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape != (len(ids), self.dim):
            raise InputError(f"vector cache: expected ({len(ids)}, {self.dim}) vectors, got {arr.shape}")
        langs = list(languages) if languages is not None else ["und"] * len(ids)
        flat = pa.array(arr.reshape(-1), type=pa.float32())
        table = pa.table({
            "id": pa.array([str(i) for i in ids], type=pa.string()),
            "hash": pa.array(list(hashes), type=pa.string()),
            "language": pa.array(langs, type=pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(flat, self.dim),
        }, metadata={b"model_id": self.model_id.encode(), b"dim": str(self.dim).encode()})
        path = self.path(label)
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        self._frames.pop(label, None)
        return path


def read_vectors(home: Path, label: str, *, include_titles: bool = False) -> tuple[list[str], np.ndarray, str]:
    """``(ids, vectors (n, dim) float32, model_id)`` of one label, for gnn/ and tools.

    Label files also hold vectors of parts of a node's text: article titles (ids ending ``#title``),
    partner and brand names and descriptions (``#name``, ``#desc``); they are left out unless
    ``include_titles``.
    """
    root = cache_dir(home)
    path = root / f"{check_label(label)}.parquet"
    if not path.exists():
        raise InputError(f"no cached vectors for :{label} under {root}", hint="run `partnergraph embed` first")
    meta = json.loads((root / MANIFEST).read_text())
    table = pq.read_table(path)
    dim = int(meta["dim"])
    col = table.column("vector").combine_chunks()
    flat = col.flatten().to_numpy(zero_copy_only=False) if len(col) else np.zeros(0, np.float32)
    ids = [str(x) for x in table.column("id").to_pylist()]
    vecs = flat.reshape(-1, dim).astype(np.float32)
    if not include_titles:
        keep = [i for i, x in enumerate(ids) if not x.endswith(PART_SUFFIXES)]
        if len(keep) != len(ids):
            ids, vecs = [ids[i] for i in keep], vecs[keep]
    return ids, vecs, str(meta["model_id"])
