"""Sign-in on the app's Flask server: ``/login``, ``/logout`` and the gate in front of every request.

In login mode (see :mod:`app.access`) a request without a signed-in session is sent to
``/login`` with a message (pages); a Dash callback fired by a page whose session expired gets an
answer that sends the browser to ``/login`` too (a ``sideUpdate`` of the shell's
``pg-auth-redirect`` location), other Dash JSON endpoints are answered 401; a callback of a page
the user's roles do not open is answered 403. ``/healthz`` and static assets stay open.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax) with a secret from the settings, a
file, or generated under HOME. A session lasts ``Access.session_seconds`` (12 hours) from
sign-in, checked on the server from the time signed into the cookie, so an expired session is
told apart from a missing one. Forms carry a per-session CSRF token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import flask

from app import ids
from app.access import (
    EXPIRES_KEY,
    EXTENSION,
    SESSION_KEY,
    Access,
    can_open,
    current_access,
    current_user,
    pages_for_callback,
)

log = logging.getLogger(__name__)

CSRF_KEY = "pg_csrf"
OPEN_PATHS = frozenset({"/login", "/logout", "/healthz", "/_favicon.ico"})
OPEN_PREFIXES = ("/assets/",)
#: Why the sign-in page is shown (``/login?why=...``), in words.
WHY = {
    "expired": "Your session has expired. Sign in again to continue.",
    "signin": "Sign in to open that page.",
}
#: The session cookie outlives the session by this much, so an expired one still says so.
COOKIE_GRACE = timedelta(days=7)

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · PartnerGraph</title>
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="pg-login-body">
<main class="pg-login">
  <div class="pg-login-brand"><span class="pg-logo" aria-hidden="true">◆</span> PartnerGraph</div>
  <h1>Sign in</h1>
  {% if message %}<p class="pg-status {{ tone }}" role="alert" id="login-message">{{ message }}</p>{% endif %}
  <form method="post" action="/login" class="pg-login-form">
    <input type="hidden" name="csrf" value="{{ csrf }}">
    <input type="hidden" name="next" value="{{ next }}">
    <label>User name <input class="pg-input" id="login-name" name="name" autocomplete="username"
      value="{{ name }}" required autofocus maxlength="64"></label>
    <label>Password <input class="pg-input" id="login-password" name="password" type="password"
      autocomplete="current-password" required maxlength="200"></label>
    <button class="pg-button" id="login-submit" type="submit">Sign in</button>
  </form>
  <p class="pg-muted">Accounts are managed with <code>partnergraph users</code>.</p>
</main></body></html>"""


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = flask.session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(24)
        flask.session[CSRF_KEY] = token
    return str(token)


def _csrf_ok() -> bool:
    sent = flask.request.form.get("csrf", "")
    expected = flask.session.get(CSRF_KEY, "")
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another host."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n"):
        return "/"
    return target


def _login_page(message: str = "", name: str = "", status: int = 200, tone: str = "pg-status-error") -> flask.Response:
    html = flask.render_template_string(LOGIN_PAGE, message=message, name=name, csrf=csrf_token(), tone=tone,
                                        next=safe_next(flask.request.values.get("next")))
    response = flask.make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def login() -> Any:
    access = current_access()
    if access.local:
        return flask.redirect("/")
    if flask.request.method == "GET":
        why = WHY.get(flask.request.args.get("why", ""), "")
        return _login_page(why, tone="pg-status-warn")
    name = flask.request.form.get("name", "").strip()[:64]
    password = flask.request.form.get("password", "")[:200]
    if not _csrf_ok():
        return _login_page("The form expired. Please sign in again.", name, 400)
    address = flask.request.remote_addr or ""
    wait = access.locked_out(address, name)
    if wait:
        return _login_page(f"Too many failed sign-ins. Try again in {int(wait // 60) + 1} minutes.", name, 429)
    user = access.authenticate(name, password, address)
    if user is None:
        return _login_page("Wrong user name or password.", name, 401)
    flask.session.clear()
    flask.session.permanent = True
    flask.session[SESSION_KEY] = user.name
    flask.session[EXPIRES_KEY] = time.time() + access.session_seconds
    csrf_token()
    log.info("signed in: %s (%s)", user.name, ", ".join(sorted(user.roles)))
    return flask.redirect(safe_next(flask.request.form.get("next")))


def logout() -> Any:
    if flask.request.method == "POST" and not _csrf_ok():
        return flask.redirect("/")
    flask.session.clear()
    return flask.redirect("/login")


def _callback_pages() -> set[str]:
    body = flask.request.get_json(silent=True) or {}
    outputs = body.get("outputs") if isinstance(body, dict) else None
    specs = outputs if isinstance(outputs, list) else [outputs]
    pages: set[str] = set()
    for spec in specs:
        if isinstance(spec, dict):
            ident = spec.get("id")
            name = ident.get("type", "") if isinstance(ident, dict) else str(ident or "")
            pages |= pages_for_callback(name)
    return pages


def login_url(why: str, target: str) -> str:
    """``/login`` with the reason shown there and the page to come back to."""
    return f"/login?why={why}&next={quote(safe_next(target), safe='/')}"


def _session_expired() -> bool:
    """Whether the request carries a signed-in session whose time is up."""
    if not flask.session.get(SESSION_KEY):
        return False
    try:
        return float(flask.session.get(EXPIRES_KEY, 0)) <= time.time()
    except (TypeError, ValueError):
        return True


def _back_to_login(why: str) -> Any:
    """A Dash callback answer that updates nothing and sends the browser to the sign-in page."""
    referrer = urlsplit(flask.request.referrer or "/")
    target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return flask.jsonify({"multi": True, "response": {},
                          "sideUpdate": {ids.AUTH_REDIRECT: {"href": login_url(why, target)}}})


def gate() -> Any:
    """Before every request: sign-in (and its expiry), then the roles a callback's page needs."""
    access = current_access()
    path = flask.request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    expired = not access.local and _session_expired()
    if expired:
        log.info("session of %s expired", flask.session.get(SESSION_KEY))
        flask.session.pop(SESSION_KEY, None)
        flask.session.pop(EXPIRES_KEY, None)
    user = current_user()
    if user is None:
        why = "expired" if expired else "signin"
        if path == "/_dash-update-component":
            return _back_to_login(why)
        if path.startswith("/_dash-") or path.startswith("/_reload-hash"):
            return flask.jsonify({"error": "not signed in", "login": "/login"}), 401
        if access.local:
            return None
        return flask.redirect(login_url(why, flask.request.full_path.rstrip("?")))
    if path == "/_dash-update-component":
        denied = [p for p in _callback_pages() if not can_open(user, p)]
        if denied:
            log.warning("callback of %s refused for %s", denied[0], user.name)
            return flask.jsonify({"error": f"{user.name} may not use {denied[0]}"}), 403
    return None


def _headers(response: flask.Response) -> flask.Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def install_login(server: flask.Flask, access: Access, secret: str) -> None:
    """Put ``access`` on ``server`` and add the sign-in routes and the request gate."""
    server.extensions[EXTENSION] = access
    server.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="partnergraph_session",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=access.session_seconds) + COOKIE_GRACE,
    )
    server.add_url_rule("/login", endpoint="pg_login", view_func=login, methods=["GET", "POST"])
    server.add_url_rule("/logout", endpoint="pg_logout", view_func=logout, methods=["GET", "POST"])
    server.before_request(gate)
    server.after_request(_headers)
