"""Who may open which page and do what: roles, the sign-in mode, the current user.

Two modes:

- **local**: the app is bound to loopback and no users are configured (no users file, no admin
  in the environment). One local user holds every role and nobody signs in; the navbar says so.
- **login**: a users file or an admin from the environment exists (required when bound to
  anything but loopback). Every page and callback needs a signed-in session; pages and actions
  are limited by role.

Pure rules (:func:`can_open`, :func:`can`, :func:`denial_text`) are tested without Flask; the
request-bound helpers (:func:`current_user`, :func:`require`) read the Flask session.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import flask

from app.users import LOCAL_USER, ROLES, User, admin_from_settings, load_users, verify_password
from graph.errors import ConfigError, PartnerGraphError
from graph.settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "partnergraph-access"
SESSION_KEY = "pg_user"
EXPIRES_KEY = "pg_expires"  # epoch seconds after which the session is over
SESSION_HOURS = 12
SECRET_FILE_ENV = "PARTNERGRAPH_APP_SECRET_FILE"
SECRET_NAME = "app-secret.key"

#: Pages limited to some roles (every signed-in user opens the others).
PAGE_ROLES: dict[str, frozenset[str]] = {
    "/console": frozenset({"analyst", "admin"}),
    "/recommendations": frozenset({"manager", "analyst", "admin"}),
    "/investigations": frozenset({"investigator", "admin"}),
    "/jobs": frozenset({"analyst", "investigator", "admin"}),
}
#: Actions limited to some roles.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "console": frozenset({"analyst", "admin"}),
    "feedback": frozenset({"manager", "admin"}),
    "preferences": frozenset({"manager", "admin"}),
    "investigate": frozenset({"investigator", "admin"}),
    "cases": frozenset({"investigator", "admin"}),
    "discover": frozenset({"analyst", "admin"}),
    "fraud": frozenset({"investigator", "admin"}),
}
ACTION_WORDS = {
    "console": "run queries in the Cypher console",
    "feedback": "accept or reject recommendations",
    "preferences": "edit a brand's preferences",
    "investigate": "open investigations",
    "cases": "open or change cases",
    "discover": "start a discovery run",
    "fraud": "start a fraud run",
}
#: Callback component-id prefixes and the page whose roles they need (checked on every callback).
CALLBACK_PAGES: dict[str, str] = {
    "console-": "/console",
    "rec-": "/recommendations",
    "inv-": "/investigations",
    "job-": "/jobs",
}

#: Sign-in throttle: this many failures per (address, name) within the window lock it out.
MAX_FAILURES = 5
FAILURE_WINDOW = 300.0


class AccessDenied(PartnerGraphError):
    """The signed-in user lacks the role an action or page needs."""

    exit_code = 8


def _role_list(roles: frozenset[str]) -> str:
    ordered = [r for r in ROLES if r in roles]
    return " or ".join(ordered) if len(ordered) <= 2 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def can_open(user: User | None, path: str) -> bool:
    if user is None:
        return False
    need = PAGE_ROLES.get(path)
    return need is None or user.has(*need)


def can(user: User | None, action: str) -> bool:
    return user is not None and user.has(*ACTION_ROLES[action])


def denial_text(user: User | None, *, path: str | None = None, action: str | None = None,
                page_name: str | None = None) -> str:
    """The one-line explanation shown when ``user`` may not open ``path`` or do ``action``."""
    if user is None:
        return "You are not signed in. Sign in to use PartnerGraph."
    if action is not None:
        need, what = ACTION_ROLES[action], ACTION_WORDS.get(action, action)
    else:
        need, what = PAGE_ROLES.get(path or "", frozenset(ROLES)), f"open {page_name or path}"
    has = ", ".join(r for r in ROLES if r in user.roles) or "no role"
    return (f"Your account {user.name} ({has}) cannot {what}: it needs the {_role_list(need)} role. "
            "Ask an admin to add it to your account.")


def pages_for_callback(output: str) -> set[str]:
    """Pages whose roles a callback writing ``output`` (Dash's output spec) needs."""
    return {page for prefix, page in CALLBACK_PAGES.items() if prefix in output}


# ------------------------------------------------------------------------------- the directory


@dataclass
class Access:
    """The sign-in mode and the users (file + admin from env), reloaded when the file changes."""

    mode: str  # "local" | "login"
    users_file: Path | None = None
    admin: User | None = None
    session_seconds: float = SESSION_HOURS * 3600.0
    _users: dict[str, User] = field(default_factory=dict)
    _mtime: float | None = None
    _failures: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def local(self) -> bool:
        return self.mode == "local"

    def users(self) -> dict[str, User]:
        """Every user: the file's (re-read when it changed on disk), then the env admin, which wins."""
        if self.users_file is not None:
            try:
                mtime = self.users_file.stat().st_mtime
            except OSError:
                mtime = None
            if mtime != self._mtime:
                with self._lock:
                    self._users = load_users(self.users_file) if mtime is not None else {}
                    self._mtime = mtime
                    log.info("app users: %d from %s", len(self._users), self.users_file)
        out = dict(self._users)
        if self.admin is not None:
            out[self.admin.name] = self.admin
        return out

    def user(self, name: str | None) -> User | None:
        if self.local:
            return LOCAL_USER
        return self.users().get(name or "") if name else None

    def locked_out(self, address: str, name: str) -> float:
        """Seconds until ``name`` may try again from ``address`` (0 when not locked)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get((address, name), []) if now - t < FAILURE_WINDOW]
            self._failures[(address, name)] = recent
        if len(recent) < MAX_FAILURES:
            return 0.0
        return max(0.0, FAILURE_WINDOW - (now - recent[0]))

    def authenticate(self, name: str, password: str, address: str = "") -> User | None:
        """The user if ``password`` is theirs (and they are not locked out), else ``None``."""
        if self.locked_out(address, name):
            return None
        user = self.users().get(name)
        if verify_password(user, password):
            with self._lock:
                self._failures.pop((address, name), None)
            return user
        with self._lock:
            self._failures.setdefault((address, name), []).append(time.monotonic())
        log.warning("sign-in failed for %r from %s", name, address or "?")
        return None


def build_access(settings: Settings) -> Access:
    """The sign-in mode for ``settings``: local on loopback without users, else login."""
    admin = admin_from_settings(settings)
    users_file = settings.app_users
    if users_file is None and admin is None:
        return Access("local")
    access = Access("login", users_file=users_file, admin=admin)
    if users_file is not None and users_file.exists():
        access.users()  # a malformed file fails at start-up, with the entry named
    elif users_file is not None and admin is None:
        raise ConfigError(f"the users file {users_file} does not exist",
                          hint="create it with `partnergraph users add NAME --role admin`, or set PARTNERGRAPH_ADMIN_PASSWORD")
    return access


def session_secret(settings: Settings) -> str:
    """The session-signing secret: ``PARTNERGRAPH_APP_SECRET``, ``PARTNERGRAPH_APP_SECRET_FILE``,
    or one generated once and kept under HOME (mode 0600); production refuses a generated one."""
    if settings.app_secret:
        return settings.app_secret
    if settings.app_secret_file:
        try:
            value = Path(settings.app_secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{SECRET_FILE_ENV}={settings.app_secret_file} cannot be read ({exc.strerror})") from None
        if value:
            return value
    if settings.environment == "production":
        raise ConfigError("PARTNERGRAPH_APP_SECRET is not set",
                          hint="production refuses a generated session secret; set PARTNERGRAPH_APP_SECRET or _FILE")
    path = Path(settings.home) / SECRET_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        log.info("generated a session secret in %s", path)
    return path.read_text(encoding="utf-8").strip()


# ------------------------------------------------------------------------------- in a request


def current_access() -> Access:
    access = flask.current_app.extensions.get(EXTENSION)
    if not isinstance(access, Access):
        raise RuntimeError("access is not installed; build the app with create_app()")
    return access


def current_user() -> User | None:
    """The user of this request: the local user, the signed-in one, or ``None``."""
    access = current_access()
    if access.local:
        return LOCAL_USER
    return access.user(flask.session.get(SESSION_KEY))


def require(action: str) -> User:
    """The current user if they may do ``action``, else :class:`AccessDenied` (shown in the banner)."""
    user = current_user()
    if not can(user, action):
        raise AccessDenied(denial_text(user, action=action))
    assert user is not None
    return user
