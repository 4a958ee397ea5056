"""Bad input during a real Scrapy crawl: each case is handled and counted, none is fatal."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from crawlers.localsites import SiteServer

ROOT = Path(__file__).resolve().parents[2]
CHILD = r"""
import json, sys
from crawlers.commands import run_crawl
from crawlers.settings import crawl_settings
mirror, out = sys.argv[1:3]
s = crawl_settings(polite=False, mirror=mirror, HTTPCACHE_ENABLED=False, LOG_LEVEL="ERROR", DOWNLOAD_TIMEOUT=1,
                   RETRY_TIMES=1, PARTNERGRAPH_RETRY_BACKOFF=0.1, DOWNLOAD_MAXSIZE=10 * 1024 * 1024,
                   PARTNERGRAPH_FETCH_SELLERS_JSON=False)
stats = run_crawl(["good.test", "blocked.test"], s)
json.dump(stats, open(out, "w"), default=str)
"""

LINKS = ["/loop1", "/err500", "/missing", "/slow.html", "/big.html", "/bin.html", "/file", "/latin.html",
         "/broken.html"]


def _route(h: BaseHTTPRequestHandler, host: str, path: str) -> bool:
    send = h.send  # type: ignore[attr-defined]
    if host != "good.test":
        return False
    if path == "/loop1" or path == "/loop2":
        h.send_response(302)
        h.send_header("Location", "/loop2" if path == "/loop1" else "/loop1")
        h.send_header("Content-Length", "0")
        h.end_headers()
        return True
    if path == "/err500":
        send(500, b"oops", "text/html")
        return True
    if path == "/slow.html":
        time.sleep(3)
        send(200, b"<html>late</html>", "text/html")
        return True
    if path == "/big.html":
        size = 50 * 1024 * 1024
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        try:
            chunk = b"<p>x</p>" * 8192
            for _ in range(size // len(chunk)):
                h.wfile.write(chunk)
        except OSError:
            pass
        return True
    if path == "/bin.html":
        send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "text/html")
        return True
    if path == "/file":
        send(200, b"%PDF-1.4 " + bytes(3000), "application/pdf")
        return True
    if path.startswith("/sm") and path.endswith(".xml"):  # a sitemap bomb: endlessly nested indexes
        n = int(path[3:-4] or 0)
        body = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + "".join(f"<sitemap><loc>https://good.test/sm{n * 10 + k + 1}.xml</loc></sitemap>" for k in range(10))
                + "</sitemapindex>").encode()
        send(200, body, "application/xml")
        return True
    return False


@pytest.fixture()
def bad_sites(tmp_path: Path) -> Path:
    good = tmp_path / "good.test"
    good.mkdir()
    (good / "index.html").write_text("<html><head><title>Good</title></head><body>"
                                     + "".join(f'<a href="{u}">{u}</a>' for u in LINKS) + "</body></html>")
    (good / "robots.txt").write_text("User-agent: *\nDisallow: /private\nSitemap: https://good.test/sm0.xml\n")
    (good / "ads.txt").write_text("# garbage\n<html>\ngoogle.com, pub-1, DIRECT, f08c47fec0942fa0\n"
                                  "google.com pub-2 DIRECT\n\ufeff\nexample.com, 1, PARTNER\n")
    (good / "latin.html").write_bytes("<html><head><meta charset='iso-8859-1'><title>Grüße</title></head>"
                                      "<body><p>Ärger über Öl</p></body></html>".encode("latin-1"))
    (good / "broken.html").write_text("<html><body><div><p>unclosed <a href='https://x.com/'>x<table><tr>")
    blocked = tmp_path / "blocked.test"
    blocked.mkdir()
    (blocked / "index.html").write_text("<html><body>secret</body></html>")
    (blocked / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    return tmp_path


@pytest.mark.slow
def test_bad_input_is_counted_not_fatal(bad_sites: Path, tmp_path: Path) -> None:
    out = tmp_path / "stats.json"
    with SiteServer(bad_sites, routes=[_route]) as srv:
        res = subprocess.run([sys.executable, "-c", CHILD, srv.url, str(out)], cwd=ROOT, capture_output=True,
                             text=True, timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    st = json.loads(out.read_text())
    assert st["finish_reason"] == "finished"
    pg = {k.removeprefix("partnergraph/"): v for k, v in st.items() if k.startswith("partnergraph/")}
    assert pg["pages/extracted"] >= 3  # home, latin.html, broken.html
    assert pg.get("errors/http_404", 0) >= 1 and pg.get("errors/http_500", 0) >= 1
    assert pg.get("errors/DownloadTimeoutError", 0) >= 1, pg  # slow response
    assert pg.get("errors/DownloadCancelledError", 0) >= 1, pg  # 50 MB > DOWNLOAD_MAXSIZE
    assert pg.get("pages/binary", 0) == 1 and pg.get("skipped/non_html", 0) == 1
    assert any("IgnoreRequest" in k for k in pg), pg  # redirect loop / robots / size limit
    assert st.get("robotstxt/forbidden", 0) >= 1 or any("Forbidden" in k for k in st), "robots disallow counted"
    assert pg.get("limits/sitemap_depth", 0) + pg.get("limits/sitemaps_per_site", 0) >= 1
    assert pg["ads.txt/records"] == 1 and pg["ads.txt/invalid_lines"] == 3
    assert st.get("downloader/response_count", 0) < 200
