"""``run_app(settings)``: open the store once, build the app, serve it.

The app binds to loopback by default. Binding anywhere else exposes the graph to the network,
so it is refused unless users are configured: a users file (``PARTNERGRAPH_APP_USERS``) or an
admin from the environment (``PARTNERGRAPH_ADMIN_PASSWORD`` or ``_FILE``); then every page
needs a sign-in (see :mod:`app.access`).
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import sys
import threading
from types import FrameType

from graph.errors import ConfigError
from graph.settings import Settings

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to a public address


def check_binding(settings: Settings) -> None:
    """Refuse to serve on a non-loopback address without users configured."""
    from app.users import admin_configured

    admin = admin_configured(settings)
    host = settings.app_host
    if is_loopback(host):
        return
    if settings.app_users is None and not admin:
        raise ConfigError(
            f"refusing to serve the app on {host}: it is not a loopback address and no users are configured",
            hint="set PARTNERGRAPH_APP_USERS to a users file (or PARTNERGRAPH_ADMIN_PASSWORD), "
                 "or PARTNERGRAPH_APP_HOST=127.0.0.1",
        )
    if settings.app_users is not None and not settings.app_users.is_file() and not admin:
        raise ConfigError(
            f"the users file {settings.app_users} does not exist",
            hint="create it with `partnergraph users add NAME --role admin`, or point PARTNERGRAPH_APP_USERS at an existing file",
        )
    log.warning("serving on %s; sign-in required (users from %s%s)", host, settings.app_users or "no file",
                ", admin from env" if admin else "")


def run_app(settings: Settings, *, debug: bool = False) -> None:
    """Serve the app on ``settings.app_host:settings.app_port`` until interrupted."""
    check_binding(settings)
    from app.access import build_access
    from app.factory import create_app
    from graph.store import open_store

    access = build_access(settings)  # a bad users file or admin password stops here, before the store
    store = open_store(settings)
    _exit_on_sigterm()
    try:
        app = create_app(settings, store, access=access)
        if access.local:
            log.info("local mode: one local user with every role (no users configured)")
        log.info("serving PartnerGraph on http://%s:%s", settings.app_host, settings.app_port)
        app.run(host=settings.app_host, port=settings.app_port, debug=debug, use_reloader=False)
    finally:
        store.close()


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so the store is closed (the embedded server stopped)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received signal %s; stopping the app", signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
