"""graph/crawl_writer.py: pure row builders without a database, then writes on each backend."""

from __future__ import annotations

import json

from crawlers.extract.page import extract_page
from crawlers.items import PageItem
from crawlers.pipelines import to_facts
from graph.crawl_writer import (
    AdsLineFact,
    AdsTxtFacts,
    Aggregates,
    CrawlWriter,
    PageFacts,
    PromoFact,
    SellerFact,
    SellersFacts,
    SocialFact,
    aggregate_rows,
    items_to_rows,
)

PAGE = PageFacts(
    url="https://www.mag.fr/articles/a.html", site="mag.fr", creator=False, fetched_at="2026-01-01T00:00:00Z",
    status=200, is_article=True, title="T", author="A", date="2025-02-03", language="fr", sponsored=True,
    outbound_sites=[("other.de", False), ("anna.bio.link", True)],
    socials=[SocialFact("Instagram", "mag", "https://www.instagram.com/mag/")],
    promos=[PromoFact("sponsored", "https://www.brand.com/?x", "brand:brand.com", "brand.com"),
            PromoFact("affiliate", "https://www.awin1.com/cread.php?awinaffid=9", "brand:shop.com", "shop.com",
                      network="awin", affiliate_id="9")])
ADS = AdsTxtFacts(url="https://mag.fr/ads.txt", site="mag.fr", creator=False, fetched_at="t", status=200,
                  lines=[AdsLineFact("google.com", "pub-1", "DIRECT", "f08c"), AdsLineFact("google.com", "pub-1", "RESELLER")])
SELLERS = SellersFacts(url="https://google.com/sellers.json", ad_system="google.com", fetched_at="t", status=200,
                       sellers=[SellerFact("pub-1", "PUBLISHER", "Mag", "mag.fr")], cert_authority="f08c")


def test_rows_without_a_database() -> None:
    rows = items_to_rows([PAGE, ADS, SELLERS])
    c = rows.counts()
    assert c[":Publisher"] == 1 and c[":Article"] == 1 and c[":Brand"] == 2 and c[":SocialAccount"] == 1
    assert c["[:SELLS_VIA]"] == 2 and c["[:OF]"] == 1 and c["[:PROMOTES]"] == 2 and c["[:PUBLISHED]"] == 1
    art = rows.nodes["Article"]["art:https://www.mag.fr/articles/a.html"]
    assert art["source"] == PAGE.url and art["fetched_at"] and art["http_status"] == 200 and art["sponsored"] is True
    seller = rows.nodes["SellerAccount"]["seller:google.com:pub-1"]
    assert seller["seller_type"] == "PUBLISHER" and seller["cert_authority"] == "f08c"
    promos = {(r["src"], r["network"]) for b in rows.rel_batches() if b.type == "PROMOTES" for r in b.rows}
    assert promos == {("art:https://www.mag.fr/articles/a.html", ""), ("art:https://www.mag.fr/articles/a.html", "awin")}


def test_aggregates_count_pages() -> None:
    agg = Aggregates()
    agg.add(PAGE)
    agg.add(PageFacts(**{**PAGE.__dict__, "url": "https://www.mag.fr/b"}))
    rows = aggregate_rows(agg, "crawl://x")
    links = {(r["src"], r["dst"]): r["count"] for b in rows.rel_batches() if b.type == "LINKS_TO" for r in b.rows}
    assert links == {("pub:mag.fr", "pub:other.de"): 2, ("pub:mag.fr", "inf:anna.bio.link"): 2}
    labels = {(b.src_label, b.dst_label) for b in rows.rel_batches() if b.type == "LINKS_TO"}
    assert labels == {("Publisher", "Publisher"), ("Publisher", "Influencer")}


def test_pipeline_facts_from_a_real_page() -> None:
    html = ('<html lang="de"><head><title>Test</title><script type="application/ld+json">{"@type":"NewsArticle",'
            '"headline":"Hallo","author":{"name":"Eva"},"datePublished":"2024-03-04"}</script></head><body>'
            '<div class="anzeige-label">Anzeige</div><p>' + "Text " * 100 + '</p>'
            '<a href="https://www.brand.de/" rel="sponsored">Brand</a>'
            '<a href="https://www.amazon.de/dp/B01?tag=zeit-21">Buch</a><a href="https://nachbar.de/">N</a>'
            '<a href="https://www.instagram.com/zeit/">IG</a></body></html>')
    page = extract_page(html.encode(), "https://www.zeit.test.de/artikel/1")
    facts = to_facts(PageItem(url=page.url, status=200, fetched_at="t", page=page))
    assert isinstance(facts, PageFacts)
    assert facts.sponsored and facts.author == "Eva" and facts.date == "2024-03-04"
    assert {p.kind for p in facts.promos} == {"sponsored", "affiliate"}
    assert facts.outbound_sites == [("nachbar.de", False)]


def test_writes_on_store(store) -> None:  # noqa: ANN001 - fixture from tests/conftest.py
    w = CrawlWriter(store, "crawl-test-1", batch_size=100)
    w.start()
    w.write([PAGE, ADS, SELLERS])
    w.write([PAGE])  # idempotent
    w.finish({"pages": 1})
    res = store.read("MATCH (p:Publisher {id: 'pub:mag.fr'})-[r:SELLS_VIA]->(s:SellerAccount)-[:OF]->(a:AdSystem) "
                     "RETURN r.relationship AS rel, s.seller_type AS t, a.id AS a ORDER BY rel")
    assert [(r["rel"], r["t"], r["a"]) for r in res.rows] == [("DIRECT", "PUBLISHER", "adsys:google.com"),
                                                              ("RESELLER", "PUBLISHER", "adsys:google.com")]
    res = store.read("MATCH (a:Article)-[r:PROMOTES]->(b:Brand) RETURN count(r) AS n, collect(DISTINCT r.run_id) AS runs")
    assert res.rows[0]["n"] == 2 and res.rows[0]["runs"] == ["crawl-test-1"]
    res = store.read("MATCH (c:CrawlRun {id: 'crawl-test-1'}) RETURN c.status AS s, c.stats AS st")
    assert res.rows[0]["s"] == "complete" and json.loads(res.rows[0]["st"])["pages"] == 1
    res = store.read("MATCH (:Publisher {id: 'pub:mag.fr'})-[r:LINKS_TO]->(x) RETURN x.id AS x, r.count AS c ORDER BY x")
    assert [(r["x"], r["c"]) for r in res.rows] == [("inf:anna.bio.link", 2), ("pub:other.de", 2)]
