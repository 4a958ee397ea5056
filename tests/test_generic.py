"""The generic graph import on real public graphs and on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graph.errors import InputError
from graph.generic import read_edges, read_graph


def test_musae_facebook(shared_dir: Path) -> None:
    d = shared_dir / "datasets" / "musae_facebook_page_page"
    g = read_graph(d / "facebook_edges.csv", labels=d / "facebook_target.csv",
                   features=d / "facebook_features.json", label_column="page_type")
    assert g.num_nodes == 22_470 and g.num_edges == 171_002
    assert g.labels is not None and set(g.labels.unique()) == {"tvshow", "government", "company", "politician"}
    assert g.features is not None and g.features.shape[0] == g.num_nodes  # type: ignore[attr-defined]
    assert g.unknown_label_ids == []


def test_bitcoin_otc_headerless_signed(shared_dir: Path) -> None:
    d = shared_dir / "datasets" / "bitcoin_otc_rev2"
    g = read_graph(d / "otc_network.csv", labels=d / "otc_gt.csv")
    assert g.num_edges == 35_592 and g.num_nodes == 5_881
    assert g.weight is not None and g.time is not None and g.sign is not None
    assert set(np.unique(g.sign)) == {-1.0, 1.0}
    assert g.labels is not None and len(g.labels) + len(g.unknown_label_ids or []) == 316


@pytest.mark.parametrize("content,match", [
    ("", "is empty"),
    ("source,target\n", "no edge rows"),
    ("a,b\n1,2\n", "no source/target"),
    ("source,target,weight\n1,2,heavy\n", "non-numeric"),
])
def test_bad_edge_files(tmp_path: Path, content: str, match: str) -> None:
    p = tmp_path / "e.csv"
    p.write_text(content)
    with pytest.raises(InputError, match=match):
        read_edges(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_edges(tmp_path / "nope.csv")
