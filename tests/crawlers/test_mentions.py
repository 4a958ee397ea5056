"""Brand mentions: the pure finder, the rows it makes, and recall/precision on the ci world."""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest

from crawlers.extract.mentions import MentionFinder, core_name
from graph.crawl_writer import Aggregates, PageFacts, aggregate_rows, items_to_rows
from graph.settings import load_settings
from graph.store import open_store
from tests.conftest import CiWorld

BRANDS: list[dict[str, Any]] = [
    {"id": "brand:crm:1", "name": "Belvita Group", "crm_id": "1"},
    {"id": "brand:net:belvita", "name": "Belvita", "crm_id": None},  # a duplicate record
    {"id": "brand:crm:2", "name": "Nova AG", "crm_id": "2"},
    {"id": "brand:crm:3", "name": "Nova Inc.", "crm_id": "3"},  # a different brand, same core
    {"id": "brand:crm:4", "name": "Ace", "crm_id": "4"},  # too short to match safely
    {"id": "brand:x", "name": None},
]


def test_core_names_drop_legal_suffixes() -> None:
    assert core_name("Junora S.p.A.") == "Junora"
    assert core_name("Marlabs2 Inc.") == "Marlabs2"
    assert core_name("Helville GmbH") == "Helville"
    assert core_name("Solora") == "Solora"


def test_finder_matches_whole_names_and_resolves_duplicates_to_the_crm_record() -> None:
    f = MentionFinder(BRANDS)
    got = f.find("Belvita: our pick. Belvita Group again. belvita-shoes and Belvitas do not count. "
                  "Nova AG yes, Nova alone is ambiguous. Ace is too short.")
    assert got == {"brand:crm:1": 2, "brand:crm:2": 1}
    assert f.find(None) == {} and MentionFinder([]).find("Belvita") == {}


def test_mentions_become_article_and_partner_edges() -> None:
    page = PageFacts(url="https://site.example/a.html", site="site.example", creator=False,
                     fetched_at="2026-11-29T00:00:00Z", status=200, is_article=True, text="x",
                     mentions=[("brand:crm:1", 2)])
    rows = items_to_rows([page])
    rel = next(r for r in rows.rel_batches() if r.type == "MENTIONS")
    assert rel.src_label == "Article" and rel.rows[0]["dst"] == "brand:crm:1"
    assert rel.rows[0]["count"] == 2 and rel.rows[0]["evidence_url"] == page.url
    agg = Aggregates()
    agg.add(page)
    agg.add(page)
    part = next(r for r in aggregate_rows(agg, "crawl://x").rel_batches() if r.type == "MENTIONS")
    assert part.src_label == "Publisher" and part.rows[0]["src"] == "pub:site.example"
    assert part.rows[0]["count"] == 4


@pytest.mark.slow
def test_mentions_on_the_ci_world_against_truth(ci_world: CiWorld) -> None:
    """Planted mentions (truth/sites.jsonl) on the crawled articles, found in the graph.

    Recall counts the planted mention paragraphs. Precision also accepts the brands a page
    promotes: their names are in the text too (the disclosure "Paid partnership with X", the
    anchor of an affiliate link), so naming them is a true mention the truth file files elsewhere.
    """
    assert ci_world.returncode == 0, ci_world.stderr[-2000:]
    truth_dir = next((ci_world.home / "demo").glob("ci-seed-*/truth"))
    names: dict[str, set[str]] = {}
    with open(truth_dir / "entities.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["entity_type"] == "brand" and r["kind"] == "name":
                names.setdefault(r["entity_id"], set()).add(core_name(r["value"]))
    planted: set[tuple[str, str]] = set()
    promoted: set[tuple[str, str]] = set()
    for line in (truth_dir / "sites.jsonl").read_text(encoding="utf-8").splitlines():
        site = json.loads(line)
        planted |= {(m["page"], core_name(m["name"])) for m in site["mentions"]}
        promoted |= {(x["page"], n) for x in site["affiliate_links"] for n in names.get(x["brand_id"], ())}
        promoted |= {(x["url"], n) for x in site["sponsored_posts"] for n in names.get(x["brand_id"], ())}
    store = open_store(load_settings(env={}, home=ci_world.home))
    try:
        pages = {r["u"] for r in store.read("MATCH (a:Article) RETURN a.url AS u", limit=1_000_000).rows}
        got = {(r["u"], core_name(r["name"])) for r in store.read(
            "MATCH (a:Article)-[:MENTIONS]->(b:Brand) RETURN a.url AS u, b.name AS name", limit=1_000_000).rows}
    finally:
        store.close()
    want = {w for w in planted if w[0] in pages}
    assert len(want) >= 20, "too few planted mentions on crawled pages to judge"
    recall = len(got & want) / len(want)
    precision = len(got & (want | promoted)) / max(len(got), 1)
    print(f"mentions: planted on crawled pages {len(want)}, found {len(got)}, recall {recall:.3f}, "
          f"precision {precision:.3f}")
    assert recall >= 0.95 and precision >= 0.95
