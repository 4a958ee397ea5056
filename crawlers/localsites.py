"""Serve a folder of websites (``<dir>/<domain>/...``) on 127.0.0.1 for tests and benchmarks.

Requests are ``/<host>/<path>``; ``www.`` hosts fall back to the bare domain's folder, ``/``
serves ``index.html``. Responses carry ETag and Last-Modified and honour conditional requests,
so incremental crawls can be tested. Used with ``crawl --mirror`` (MirrorDownloadHandler).
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".xml": "application/xml",
         ".txt": "text/plain; charset=utf-8", ".json": "application/json", ".gz": "application/gzip",
         ".jpg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}

#: A route answers ``(handler, host, path)`` itself and returns True, or False to fall through.
Route = Callable[[BaseHTTPRequestHandler, str, str], bool]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        parts = urlsplit(self.path)
        segs = parts.path.lstrip("/").split("/", 1)
        host, rel = segs[0].lower(), "/" + (segs[1] if len(segs) > 1 else "")
        self.server.hits += 1
        for route in self.server.routes:
            if route(self, host, rel):
                return
        f = self._find(host, rel)
        if f is None:
            self.send(404, b"<html><body>not found</body></html>", "text/html")
            return
        st = f.stat()
        etag = '"' + hashlib.md5(f"{st.st_mtime_ns}-{st.st_size}".encode()).hexdigest()[:16] + '"'
        lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.server.not_modified += 1
            self.send(304, b"", None, {"ETag": etag, "Last-Modified": lastmod})
            return
        self.send(200, f.read_bytes(), TYPES.get(f.suffix.lower(), "application/octet-stream"),
                  {"ETag": etag, "Last-Modified": lastmod})

    def _find(self, host: str, rel: str) -> Path | None:
        root: Path = self.server.root
        for h in (host, host[4:] if host.startswith("www.") else None):
            if not h or "/" in h or h.startswith("."):
                continue
            d = (root / h).resolve()
            if not d.is_dir() or root.resolve() not in d.parents:
                continue
            f = (d / rel.lstrip("/")).resolve()
            if d not in f.parents and f != d:
                return None
            if f.is_dir():
                f = f / "index.html"
            return f if f.is_file() else None
        return None

    def send(self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, size limits) are expected here, not errors."""
    root: Path
    routes: list[Route]
    hits: int = 0
    not_modified: int = 0


class SiteServer:
    """``with SiteServer(dir) as srv: srv.url`` -> ``http://127.0.0.1:<port>``."""

    def __init__(self, root: Path, routes: list[Route] | None = None, port: int = 0) -> None:
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.root = Path(root)
        self.httpd.routes = list(routes or [])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hits(self) -> int:
        return self.httpd.hits

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
