"""IAB taxonomies for the generator.

Uses the lead's ``graph.taxonomy.load_taxonomy`` when it exists; until then a minimal private
reader of ``graph/data/iab/*.tsv`` with the same node shape.
"""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "iab"

FILES = {
    "content": ("Content_Taxonomy_3.1.tsv", "iab-content-3.1", 1, 0, 3, 7),
    "audience": ("Audience_Taxonomy_1.1.tsv", "iab-audience-1.1", 0, 1, 4, 10),
    "adproduct": ("Ad_Product_Taxonomy_2.0.tsv", "iab-adproduct-2.0", 0, 0, 3, 6),
}
LABELS = {"content": "Topic", "audience": "Audience", "adproduct": "ProductCategory"}


@dataclass(frozen=True)
class Node:
    id: str
    code: str
    name: str
    parent_id: str | None
    tier: int
    path: str


def _read(name: str) -> list[Node]:
    fname, ns, skip, col0, t0, t1 = FILES[name]
    with open(DATA / fname, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[skip + 1:]
    out: list[Node] = []
    by_path: dict[tuple[str, ...], str] = {}
    raw: list[tuple[str, str, str, tuple[str, ...]]] = []
    for r in rows:
        r = [c.strip() for c in r]
        if len(r) <= col0 + 2 or not r[col0]:
            continue
        code, parent = r[col0], r[col0 + 1]
        tiers = tuple(c.rstrip("*").strip() for c in r[t0:t1] if c.strip())
        cname = r[col0 + 2].split("|")[-1].strip() if name != "audience" else (
            tiers[-1] if tiers else r[col0 + 2])
        raw.append((code, parent, cname.rstrip("*").strip() or cname, tiers))
        by_path.setdefault(tiers, code)
    for code, parent, cname, tiers in raw:
        if parent == code:  # a few rows name themselves as parent: resolve by tier path
            parent = by_path.get(tiers[:-1], "")
        out.append(Node(f"{ns}:{code}", code, cname, f"{ns}:{parent}" if parent else None,
                        max(1, len(tiers)), " > ".join(tiers) or cname))
    return out


def load(name: str) -> list[Node]:
    try:
        mod = importlib.import_module("graph.taxonomy")
        nodes = mod.load_taxonomy(name)
        return [Node(n.id, n.code, n.name, n.parent_id, int(n.tier), n.path) for n in nodes]
    except (ImportError, AttributeError):
        return _read(name)
