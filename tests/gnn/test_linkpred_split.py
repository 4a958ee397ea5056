"""Temporal split, training windows and negatives: nothing from the future leaks."""

from __future__ import annotations

import numpy as np
import pytest

from gnn.data import month_start_day, snapshot, tables_from_export
from gnn.split import (
    sample_negatives,
    temporal_split,
    topic_neighbours,
    training_windows,
    window,
)
from graph.errors import InputError
from tests.gnn.linkpred_world import bipartite_export, three_node_export


def _world(months: int = 18, brands: int = 4, partners: int = 30):  # noqa: ANN202
    rng = np.random.default_rng(0)
    pairs = []
    for m in range(months):
        y, mm = divmod(m, 12)
        for b in range(brands):
            for p in rng.choice(partners, 2, replace=False).tolist():
                pairs.append((b, p, f"{2024 + y}-{mm + 1:02d}-{1 + (b * 7 + p) % 27:02d}"))
    topics = {p: [p % 3] for p in range(partners)}
    return tables_from_export(bipartite_export(pairs, topics, brands=brands, partners=partners, topics=3))


def test_split_comes_from_the_data() -> None:
    t = _world()
    sp_ = temporal_split(t)
    # last start month 2025-06 -> end 2025-07; test = 4 months, validation the 3 before
    assert sp_.describe() == {"first": "2024-01", "T1": "2024-12-01", "T2": "2025-03-01", "end": "2025-07-01"}


def test_windows_never_see_their_own_labels() -> None:
    t = _world()
    sp_ = temporal_split(t)
    wins = training_windows(t, sp_, sp_.t1)
    assert wins and all(w.end_day <= sp_.t1_day for w in wins)
    for w in wins + [window(t, sp_.t1_day, sp_.t2_day), window(t, sp_.t2_day, sp_.end_day)]:
        s = snapshot(t, w.start_day)
        known = s.known.toarray() > 0
        assert not known[w.pos_b, w.pos_p].any()  # a positive is never a known partnership
        starts = t.pairs.set_index(["b", "p"])["start_day"]
        assert all(w.start_day <= starts[(b, p)] < w.end_day for b, p in zip(w.pos_b, w.pos_p, strict=True))
        # performance of months that did not end before the cutoff is invisible
        assert s.partner_num["hist_rows"].sum() == (t.events["month"] < s.cutoff_month).sum()


def test_negatives_exclude_known_and_positives_and_hard_ones_share_a_topic() -> None:
    t = _world()
    sp_ = temporal_split(t)
    w = window(t, sp_.t1_day, sp_.t2_day)
    s = snapshot(t, w.start_day)
    posm = w.positives_matrix(t.num_brands, t.num_partners)
    rng = np.random.default_rng(1)
    nb, npp, hard = sample_negatives(s.known, posm, w.pos_b, w.pos_p, topic_neighbours(t.partner_topic), rng)
    taken = (s.known + posm).toarray() > 0
    assert len(nb) > 0 and not taken[nb, npp].any()
    assert hard.any() and (~hard).any()
    # each hard negative shares a topic with some positive partner of its brand
    topic = np.asarray(t.partner_topic.argmax(1)).ravel()
    for b, p in zip(nb[hard], npp[hard], strict=True):
        assert topic[p] in set(topic[w.pos_p[w.pos_b == b]])


def test_refuses_graphs_it_cannot_learn_from() -> None:
    with pytest.raises(InputError, match="too little history"):
        temporal_split(tables_from_export(three_node_export()))  # one brand, one partnership
    short = _world(months=8)
    with pytest.raises(InputError, match="history spans 8 months"):
        temporal_split(short)
    assert month_start_day(2024 * 12) < month_start_day(2024 * 12 + 1)
