"""Explore and profile search: the full-text query built from user text (prefix and fuzzy, no
syntax gets through), and on each real backend: the id first, prefixes, typos, and the name scan
only when the indexes find nothing."""

from __future__ import annotations

from typing import Any

import pytest

from app import explore_view as ev
from app import queries
from graph.bulk import write_frames
from graph.store.base import GraphStore
from tests.fixture_graph import fixture_export


def test_fulltext_query_is_prefix_and_fuzzy_and_keeps_only_words() -> None:
    assert ev.fulltext_query("Le  Monde", "falkordb") == "le* (monde*|%monde%)"
    assert ev.fulltext_query("Le  Monde", "neo4j") == "le* AND (monde* OR monde~1)"
    assert ev.fulltext_query("barbecues", "falkordb") == "(barbecues*|%%barbecues%%)"
    assert ev.fulltext_query("barbecues", "neo4j") == "(barbecues* OR barbecues~2)"
    hostile = 'a") OR 1=1 // | %x% @field:{y} *~ \\" (*) ' + "\x00"
    for backend in ("falkordb", "neo4j"):
        q = ev.fulltext_query(hostile, backend)
        # lowercase words only: "or" is a term, not Lucene's OR; quotes, pipes, % and @ are gone
        assert q == ("or* (field*|%field%)" if backend == "falkordb" else "or* AND (field* OR field~1)")
    assert ev.fulltext_query("x ! ?", "falkordb") == ""  # nothing searchable: no index query at all
    assert ev.search_terms("Ünïcode café café straße " + "w" * 3 + " a b c d e f g h") == [
        "ünïcode", "café", "straße", "www"]


def test_search_lists_the_exact_id_first_and_scans_names_only_as_a_fallback() -> None:
    scanned: list[str] = []

    def names(probe: str) -> list[dict[str, Any]]:
        scanned.append(probe)
        return []

    def fulltext(label: str, text: str) -> list[tuple[dict[str, Any], float]]:
        return [({"id": "pub:tennis.example", "name": "Tennis Queen Fan"}, 3.0)] if label == "Publisher" else []

    def exact(text: str) -> list[dict[str, Any]]:
        return [{"id": "inf:@tennisqueen", "label": "Influencer", "name": "Zed"}] if text == "inf:@tennisqueen" else []

    got = ev.search_with(names, fulltext, "inf:@tennisqueen", exact=exact)
    assert [m.how for m in got] == ["id", "full text"] and got[0].id == "inf:@tennisqueen"
    assert scanned == []  # the indexes answered: no label scan
    assert ev.search_with(names, lambda label, text: [], "zzzz", exact=exact) == []
    assert scanned == ["zzzz", "zzz"]  # the text and its fuzzy probes


@pytest.fixture
def fixture_store(store: GraphStore) -> GraphStore:
    write_frames(store, fixture_export(), progress=False)
    return store


def test_search_on_each_backend(fixture_store: GraphStore) -> None:
    def first(text: str) -> tuple[str, str]:
        got = queries.search(fixture_store, text)
        assert got, f"nothing found for {text!r} on {fixture_store.backend}"
        return got[0].id, got[0].how

    assert first("pub:kicker.de") == ("pub:kicker.de", "id")
    assert first("Kicker") == ("pub:kicker.de", "full text")
    assert first("kiker") == ("pub:kicker.de", "full text")  # a typo: fuzzy, from the index
    assert first("lemo") == ("pub:lemonde.fr", "full text")  # a prefix
    assert first("tennis qu")[0] == "inf:@tennisqueen"
    assert first("adidas")[0] == "brand:adidas"
    assert first("cker") == ("pub:kicker.de", "name")  # inside a word: only the name scan finds it
    assert queries.search(fixture_store, "<script>") == []
    assert queries.search(fixture_store, "zzqqxx") == []
