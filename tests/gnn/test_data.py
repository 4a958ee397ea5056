"""Graph -> tables -> snapshot -> HeteroData on a three-node graph (pure and fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gnn.data import (
    BRAND_NUMERIC,
    EDGE_TYPES,
    PARTNER_NUMERIC,
    FeatureSpace,
    Scaler,
    month_start_day,
    own_record_vectors,
    snapshot,
    tables_from_export,
    to_hetero,
)
from graph.errors import InputError
from graph.store.base import GraphExport
from tests.gnn.linkpred_world import three_node_export, vectors


@pytest.fixture
def tables():  # noqa: ANN201
    return tables_from_export(three_node_export(), vectors(), article_counts=None)


def test_partners_are_crm_records_with_duplicates_merged(tables) -> None:  # noqa: ANN001
    assert tables.brand_ids == ["brand:a"]
    assert tables.partner_ids == ["partner:p1", "partner:p2"]  # p1b merged into p1 (SAME_AS merge)
    a = tables.alias
    assert a["partner:p1b"] == a["partner:p1"] == a["affiliate:net:9"] == a["pub:p1.fr"] == 0
    assert tables.partner_static["has_site"].tolist() == [1.0, 0.0]
    assert tables.partner_static["is_influencer"].tolist() == [0.0, 1.0]
    assert tables.partner_static["brand_safety_flag"].tolist() == [0.0, 1.0]
    # the affiliate record's topic counts for its CRM partner; the site's link too
    assert tables.partner_topic.toarray().tolist() == [[1.0, 0.9], [0.0, 0.5]]
    assert tables.partner_links.toarray().tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert tables.topic_root.tolist() == [0, 0]
    # the pair starts with the campaign (rows of both duplicate records belong to it)
    assert len(tables.pairs) == 1 and len(tables.events) == 2


def test_snapshot_sees_only_the_past(tables) -> None:  # noqa: ANN001
    before = snapshot(tables, month_start_day(2024 * 12 + 0))  # 2024-01-01
    assert before.known.nnz == 0 and before.partner_num["hist_rows"].sum() == 0
    during = snapshot(tables, month_start_day(2024 * 12 + 1))  # 2024-02-01: January reported
    assert during.known.toarray().tolist() == [[1.0, 0.0]]
    assert during.partner_num["hist_rows"].tolist() == [1.0, 0.0]  # February not reported yet
    assert during.partner_mean_roi[0] == pytest.approx(np.log(91 / 30))
    assert np.isnan(during.partner_mean_roi[1])


def test_hetero_shapes_and_reverse_edges(tables) -> None:  # noqa: ANN001
    s = snapshot(tables, month_start_day(2024 * 12 + 3))
    space = FeatureSpace.fit(tables, s)
    data = to_hetero(tables, s, space)
    assert data["brand"].x.shape[0] == 1 and data["partner"].x.shape[0] == 2 and data["topic"].x.shape[0] == 2
    assert data["partner"].x.shape[1] == data["partner"].x.shape[1]
    for src, rel, dst in EDGE_TYPES:
        assert (src, rel, dst) in data.edge_types
        if src != dst:
            assert (dst, f"rev_{rel}", src) in data.edge_types
    assert data["brand", "partnered", "partner"].edge_index.tolist() == [[0], [0]]
    assert data["partner", "links", "partner"].edge_index.shape[1] == 2  # symmetric


@pytest.mark.parametrize("conv", ["sage", "gat", "hgt"])
def test_gnn_shapes_on_three_nodes(tables, conv: str) -> None:  # noqa: ANN001
    import torch

    from gnn.model import GNNConfig, LinkPredGNN

    s = snapshot(tables, month_start_day(2024 * 12 + 3))
    data = to_hetero(tables, s, FeatureSpace.fit(tables, s))
    torch.manual_seed(0)
    model = LinkPredGNN({nt: data[nt].x.shape[1] for nt in data.node_types}, list(data.edge_types),
                        GNNConfig(hidden=8, conv=conv))
    model.eval()
    h = model.embed(data.x_dict, data.edge_index_dict)
    assert h["brand"].shape == (1, 8) and h["partner"].shape == (2, 8)
    assert torch.isfinite(h["partner"]).all()
    # message passing reaches the brand: its embedding depends on its partner's features
    x2 = {nt: x.clone() for nt, x in data.x_dict.items()}
    x2["partner"][0] += 1.0
    assert not torch.allclose(model.embed(x2, data.edge_index_dict)["brand"], h["brand"])
    sb = torch.rand(1, 2, 4)  # structural inputs of the pairs
    block = model.score_all(h["brand"], h["partner"], sb)
    assert block.shape == (1, 2)
    pairs = model.score_pairs(h["brand"][[0, 0]], h["partner"], sb[0])
    assert torch.allclose(pairs, block[0], atol=1e-5)  # aligned pairs give what the block gives
    # the structure moves the score, and a decoder that reads it refuses to go without it
    assert not torch.allclose(model.score_all(h["brand"], h["partner"], sb + 1.0), block)
    with pytest.raises(ValueError, match="structural inputs"):
        model.score_all(h["brand"], h["partner"])
    pairs = model.performance(h["brand"][[0, 0]], h["partner"], sb[0])
    block = model.performance_block(h["brand"], h["partner"], sb)
    assert pairs.shape == (2, 2) and block.shape == (1, 2, 2)
    assert torch.allclose(block[0], pairs, atol=1e-5)  # the split first layer equals the plain head
    # the performance head reads the structure too, and refuses to go without it
    assert not torch.allclose(model.performance_block(h["brand"], h["partner"], sb + 1.0), block)
    with pytest.raises(ValueError, match="structural inputs"):
        model.performance(h["brand"][[0, 0]], h["partner"])


def test_gnn_config_of_an_older_artefact_has_no_structural_decoder() -> None:
    import torch

    from gnn.model import GNNConfig, LinkPredGNN

    old = GNNConfig.from_params({"hidden": 8, "conv": "sage"})  # written before the fields existed
    assert not old.structure and GNNConfig.from_params({"structure": True}).structure
    assert not old.perf_structure
    model = LinkPredGNN({"brand": 4, "partner": 4}, [("brand", "partnered", "partner")], old)
    assert not model.needs_structure and model.struct is None
    assert model.performance(torch.zeros(3, 8), torch.zeros(3, 8)).shape == (3, 2)  # no structure needed
    # a session-13 artefact: a structural decoder, a plain performance head
    s13 = GNNConfig.from_params({"hidden": 8, "structure": True})
    model = LinkPredGNN({"brand": 4, "partner": 4}, [("brand", "partnered", "partner")], s13)
    assert model.needs_structure and model.perf[0].in_features == 3 * 8  # type: ignore[union-attr]


def test_an_unknown_convolution_is_refused_by_name() -> None:
    from gnn.model import GNNConfig, LinkPredGNN

    with pytest.raises(ValueError, match="unknown GNN convolution 'gcn'.*sage, gat, hgt"):
        LinkPredGNN({"brand": 4, "partner": 4}, [("brand", "partnered", "partner")], GNNConfig(conv="gcn"))


def test_scaler_is_fitted_on_the_training_snapshot_only(tables) -> None:  # noqa: ANN001
    train = snapshot(tables, month_start_day(2024 * 12 + 1))
    later = snapshot(tables, month_start_day(2024 * 12 + 6))
    space = FeatureSpace.fit(tables, train)
    assert space.partner_scaler.columns == list(PARTNER_NUMERIC)
    assert space.brand_scaler.columns == list(BRAND_NUMERIC)
    ref = Scaler.fit(train.partner_num[list(PARTNER_NUMERIC)])
    assert np.allclose(space.partner_scaler.mean, ref.mean)
    j = list(PARTNER_NUMERIC).index("hist_rows")
    assert space.partner_scaler.mean[j] == pytest.approx(np.log1p(1) / 2)  # log1p, then the train mean
    x = space.partner_scaler.transform(later.partner_num[list(PARTNER_NUMERIC)])
    assert x.shape == (2, len(PARTNER_NUMERIC)) and np.isfinite(x).all()


def test_no_partners_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="no partners"):
        tables_from_export(GraphExport(nodes={}, edges={}))


def _reversed_rows(export: GraphExport) -> GraphExport:
    return GraphExport(nodes={k: v.iloc[::-1].reset_index(drop=True) for k, v in export.nodes.items()},
                       edges={k: v.iloc[::-1].reset_index(drop=True) for k, v in export.edges.items()})


def test_tables_do_not_depend_on_the_stores_row_order() -> None:
    """A store returns rows in insertion order, which the demo's concurrent crawl changes from run
    to run. Two CRM partners share the site's domain here: which one gets the site (and its link)
    must not depend on which row came first."""
    exp = three_node_export()
    p0 = pd.DataFrame([{"id": "partner:p0", "labels": ["Publisher"], "crm_id": "P0", "domain": "p1.fr"}])
    exp.nodes["Publisher"] = pd.concat([exp.nodes["Publisher"], p0], ignore_index=True)
    a = tables_from_export(exp, vectors())
    b = tables_from_export(_reversed_rows(exp), vectors())
    assert a.partner_ids == b.partner_ids and a.alias == b.alias
    assert (a.partner_links != b.partner_links).nnz == 0 and (a.partner_topic != b.partner_topic).nnz == 0
    assert a.partner_static.equals(b.partner_static)
    assert a.events.equals(b.events) and a.pairs.equals(b.pairs) and a.campaigns.equals(b.campaigns)


def test_article_counts_are_cut_at_each_snapshot() -> None:
    """A site's sponsored posts are dated when their partnership starts: an earlier snapshot must
    not count them (it would learn how many partnerships are still to come)."""
    counts = pd.DataFrame({"src": ["partner:p1", "pub:p1.fr", "pub:p1.fr", "partner:p2", "nobody"],
                           "date": ["2023-11-02", "2024-03-10", None, "2024-01-31", "2023-01-01"],
                           "n": [2, 5, 1, 3, 9]})
    t = tables_from_export(three_node_export(), vectors(), article_counts=counts)
    jan, feb, apr = (month_start_day(2024 * 12 + m) for m in (0, 1, 3))
    assert snapshot(t, jan).partner_num["n_articles"].tolist() == [3.0, 0.0]  # 2 dated + 1 undated
    assert snapshot(t, feb).partner_num["n_articles"].tolist() == [3.0, 3.0]
    assert snapshot(t, apr).partner_num["n_articles"].tolist() == [8.0, 3.0]


def test_brand_text_is_its_own_record_and_categories_count_only_when_stated() -> None:
    """The cache's pooled brand vector also holds its promoters' articles (later partnerships
    too); link prediction reads the brand's name and description vectors only."""
    ids = ["brand:a", "brand:a#name", "brand:a#desc", "brand:b#name", "brand:c"]
    vecs = np.array([[9, 9], [1, 0], [0, 2], [0, 0], [5, 5]], np.float32)
    out_ids, out = own_record_vectors(ids, vecs)
    assert out_ids == ["brand:a"]  # b's name vector is empty; c has only the pooled vector
    assert out[0].tolist() == pytest.approx([0.5, 0.5])  # unit mean of name and description
    exp = three_node_export()
    assert tables_from_export(exp, vectors()).brand_category.nnz == 0  # tagged from its partners only
    exp.nodes["Brand"] = exp.nodes["Brand"].assign(description="Sporting goods")
    assert tables_from_export(exp, vectors()).brand_category.toarray().tolist() == [[1.0]]
