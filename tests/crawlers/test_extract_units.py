"""Unit tests of the pure extractors on small hand-written inputs (one behaviour each)."""

from __future__ import annotations

import gzip

import pytest

from crawlers.extract.adstxt import parse_adstxt
from crawlers.extract.affiliate import parse_affiliate
from crawlers.extract.domains import is_creator_site, registrable_domain, site_key
from crawlers.extract.page import extract_page
from crawlers.extract.sellersjson import parse_sellers_json
from crawlers.extract.sitemaps import parse_sitemap
from crawlers.extract.social import parse_social
from crawlers.extract.sponsored import find_disclosure, sponsored_url


@pytest.mark.parametrize(("url", "network", "affid", "brand"), [
    ("https://www.amazon.de/dp/B0ABC?tag=mysite-21", "amazon", "mysite-21", "amazon.de"),
    ("https://www.awin1.com/cread.php?awinmid=123&awinaffid=456&ued=https%3A%2F%2Fwww.shop.com%2F",
     "awin", "456", "shop.com"),
    ("https://shop.sjv.io/c/1234567/89012/3456", "impact", "1234567", None),
    ("https://imp.i123.net/c/111111/2222/3333", "impact", "111111", None),
    ("https://www.anrdoezrs.net/click-8888-9999", "cj", "8888", None),
    ("https://click.linksynergy.com/deeplink?id=AbC&mid=42&murl=https%3A%2F%2Fwww.brand.fr%2F",
     "rakuten", "AbC", "brand.fr"),
    ("https://www.shareasale.com/r.cfm?b=1&u=777&m=55&urllink=https%3A%2F%2Fgear.com%2F",
     "shareasale", "777", "gear.com"),
    ("https://go.skimresources.com/?id=12345X678&xs=1&url=https%3A%2F%2Fwww.maker.co.uk%2F",
     "skimlinks", "12345X678", "maker.co.uk"),
    ("https://prf.hn/click/camref:1100lqq/destination:https%3A%2F%2Fwww.store.com%2Fp", "partnerize",
     "1100lqq", "store.com"),
    ("https://clk.tradedoubler.com/click?p=1&a=2&url=https%3A%2F%2Fshop.se%2F", "tradedoubler", "2", "shop.se"),
])
def test_affiliate_networks(url: str, network: str, affid: str, brand: str | None) -> None:
    a = parse_affiliate(url)
    assert a is not None and (a.network, a.affiliate_id, a.brand_domain) == (network, affid, brand)


@pytest.mark.parametrize("url", ["https://www.amazon.com/dp/B0ABC", "https://shop.com/?tag=x",
                                 "https://www.anrdoezrs.net/about", "mailto:x@y.z", "https://sjv.io/"])
def test_not_affiliate(url: str) -> None:
    assert parse_affiliate(url) is None


@pytest.mark.parametrize(("url", "platform", "handle"), [
    ("https://www.instagram.com/Anna.B/", "Instagram", "anna.b"),
    ("https://www.youtube.com/@chef", "YouTube", "chef"),
    ("https://www.youtube.com/channel/UC123abc", "YouTube", "uc123abc"),
    ("https://www.tiktok.com/@dance", "TikTok", "dance"),
    ("https://twitter.com/news", "X", "news"),
    ("https://www.twitch.tv/gamer", "Twitch", "gamer"),
    ("https://www.linkedin.com/company/acme", "LinkedIn", "acme"),
    ("https://podcasts.apple.com/us/podcast/the-show/id123456", "Apple Podcasts", "id123456"),
    ("https://open.spotify.com/show/4rOoJ6Egrf8K2IrywzwOMk", "Spotify", "4rOoJ6Egrf8K2IrywzwOMk"),
])
def test_social_profiles(url: str, platform: str, handle: str) -> None:
    s = parse_social(url)
    assert s is not None and (s.platform, s.handle) == (platform, handle)


@pytest.mark.parametrize("url", ["https://twitter.com/intent/tweet?text=x", "https://www.facebook.com/sharer.php?u=x",
                                 "https://www.instagram.com/p/Cabc123/", "https://www.youtube.com/watch?v=1",
                                 "https://example.com/instagram"])
def test_not_social(url: str) -> None:
    assert parse_social(url) is None


@pytest.mark.parametrize(("text", "lang"), [
    ("Sponsored", "en"), ("Paid partnership with Acme", "en"), ("Article sponsorisé", "fr"),
    ("en partenariat avec Acme", "fr"), ("Anzeige", "de"), ("in Zusammenarbeit mit Acme", "de"),
    ("Patrocinado", "es"), ("Contenido patrocinado por Acme", "es"), ("Contenuto sponsorizzato", "it"),
    ("in collaborazione con Acme", "it"), ("Gesponsord", "nl"),
])
def test_disclosure_phrases(text: str, lang: str) -> None:
    hit = find_disclosure(text, short=True)
    assert hit is not None and hit[1] == lang


def test_short_words_need_a_label() -> None:
    assert find_disclosure("We had a bad year for advertisement revenue and werbung", short=False) is None
    assert find_disclosure("Ad", short=True) is not None
    assert find_disclosure("Badge", short=True) is None  # no word-inside matches


def test_sponsored_urls() -> None:
    assert sponsored_url("https://news.com/sponsored/best-shoes.html")
    assert sponsored_url("https://zeitung.de/anzeige/auto-test")
    assert not sponsored_url("https://news.com/articles/sponsorship-deals.html")


def test_adstxt_garbage_and_comments() -> None:
    text = ("\ufeff# ads.txt\ngoogle.com, pub-1, DIRECT, f08c47fec0942fa0\nGoogle.com,pub-1,direct\n"
            "appnexus.com, 12 , RESELLER  # banner\n<html><body>404</body></html>\ngoogle.com pub-123 DIRECT\n"
            "appnexus.com, , RESELLER\nexample.com, 12345, PARTNER, abc\nrubiconproject.com;1234;DIRECT\n"
            "contact=ads@x.com\nOWNERDOMAIN=x.com\n\n")
    a = parse_adstxt(text)
    assert [(r.ad_system, r.seller_id, r.relationship, r.cert_authority) for r in a.records] == [
        ("google.com", "pub-1", "DIRECT", "f08c47fec0942fa0"), ("appnexus.com", "12", "RESELLER", None)]
    assert a.invalid == 5 and a.duplicates == 1 and a.comments == 1
    assert ("contact", "ads@x.com") in a.variables and ("ownerdomain", "x.com") in a.variables


def test_adstxt_binary_is_counted_not_fatal() -> None:
    a = parse_adstxt(bytes(range(256)) * 10)
    assert a.records == [] and a.invalid >= 1


def test_sellers_json() -> None:
    body = ('{"version": "1.0", "identifiers": [{"name": "TAG-ID", "value": "abc"}], "sellers": ['
            '{"seller_id": "1", "seller_type": "PUBLISHER", "name": "A", "domain": "A.com"},'
            '{"seller_id": "2", "seller_type": "INTERMEDIARY", "is_confidential": 1, "name": "secret"},'
            '{"seller_type": "PUBLISHER"}, {"seller_id": "4", "seller_type": "WHATEVER"}, 7]}')
    s = parse_sellers_json(body)
    assert [(x.seller_id, x.name, x.domain) for x in s.sellers] == [("1", "A", "a.com"), ("2", None, None)]
    assert s.invalid == 3 and s.identifiers == {"TAG-ID": "abc"}
    assert parse_sellers_json(b"<html>").error and parse_sellers_json(b"[]").error


def test_sitemap_index_and_bomb_guard() -> None:
    idx = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<sitemap><loc>https://a.com/s1.xml</loc></sitemap><sitemap><loc>https://a.com/s2.xml</loc></sitemap>"
           b"</sitemapindex>")
    sm = parse_sitemap(idx)
    assert sm.kind == "sitemapindex" and sm.sitemaps == ["https://a.com/s1.xml", "https://a.com/s2.xml"]
    urls = b"".join(b"<url><loc>https://a.com/%d</loc></url>" % i for i in range(2000))
    big = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls * 50 + b"</urlset>")
    sm2 = parse_sitemap(big, max_bytes=200_000, max_urls=1000)
    assert sm2.truncated and len(sm2.urls) <= 1000
    ent = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
           b'<urlset><url><loc>https://a.com/&b;</loc></url></urlset>')
    assert parse_sitemap(ent).kind in ("urlset", "invalid")  # entities are not expanded into a bomb
    assert parse_sitemap(b"\x1f\x8b garbage").kind == "invalid"
    assert parse_sitemap(b"<html><body>nope</body></html>").kind == "invalid"


def test_domains_and_site_keys() -> None:
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("127.0.0.1") is None
    assert site_key("https://www.lemonde.fr/x") == "lemonde.fr"
    assert site_key("https://anna.bio.link/") == "anna.bio.link"
    assert site_key("https://linktr.ee/Anna?x=1") == "linktr.ee/anna"
    assert is_creator_site("anna.carrd.co") and not is_creator_site("lemonde.fr")


def test_bad_html_never_raises() -> None:
    cases = [b"", b"\x00\x01\x02" * 1000, b"<html><body><p>unclosed <a href='https://x.com/'>x",
             b"\x89PNG\r\n\x1a\n" + bytes(5000), b"<html><head><meta charset='shift_jis'></head>",
             b"<" * 100_000, b"<?xml version='1.0' encoding='utf-8'?><html><body>x</body></html>"]
    for body in cases:
        page = extract_page(body, "https://x.test/a")
        assert page.url == "https://x.test/a"


def test_huge_page_is_bounded() -> None:
    body = b"<html><body>" + b"<p>word " * 6_000_000 + b"</body></html>"  # ~54 MB
    page = extract_page(body, "https://x.test/big", text=False)
    assert page.error is None


def test_mixed_encodings() -> None:
    latin = "<html lang='de'><head><meta charset='iso-8859-1'><title>Müller über Öl</title></head></html>"
    assert extract_page(latin.encode("latin-1"), "https://x.de/").article.title == "Müller über Öl"
    sjis = "<html lang='ja'><head><meta charset='shift_jis'><title>日本語のタイトル</title></head></html>"
    assert extract_page(sjis.encode("shift_jis"), "https://x.jp/").article.title == "日本語のタイトル"
    header = "<html><head><title>Ça va</title></head></html>".encode("cp1252")
    assert extract_page(header, "https://x.fr/", content_type="text/html; charset=windows-1252").article.title == "Ça va"


def test_unmodelled_language_keeps_going() -> None:
    html = ("<html lang='my'><head><title>မြန်မာ</title></head><body><article><p>" + "မြန်မာစာ " * 200
            + "</p><p class='sponsor-label'>Sponsored</p></article></body></html>")
    page = extract_page(html.encode(), "https://x.mm/a")
    assert page.identity.language == "my" and page.sponsored.is_sponsored
