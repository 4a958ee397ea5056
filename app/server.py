"""``run_app(settings)``: open the store once, build the app, serve it.

The app binds to loopback by default. Binding anywhere else exposes the graph to the network,
so it is refused unless a users file (``PARTNERGRAPH_APP_USERS``) is configured.
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
    host = settings.app_host
    if is_loopback(host):
        return
    if settings.app_users is None:
        raise ConfigError(
            f"refusing to serve the app on {host}: it is not a loopback address and no users are configured",
            hint="set PARTNERGRAPH_APP_USERS to a users file, or PARTNERGRAPH_APP_HOST=127.0.0.1",
        )
    if not settings.app_users.is_file():
        raise ConfigError(
            f"the users file {settings.app_users} does not exist",
            hint="create it, or point PARTNERGRAPH_APP_USERS at an existing file",
        )
    log.warning("serving on %s with users from %s", host, settings.app_users)


def run_app(settings: Settings, *, debug: bool = False) -> None:
    """Serve the app on ``settings.app_host:settings.app_port`` until interrupted."""
    check_binding(settings)
    from app.factory import create_app
    from graph.store import open_store

    store = open_store(settings)
    _exit_on_sigterm()
    try:
        app = create_app(settings, store)
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
