"""What the running app shares with its callbacks: the settings and the one graph store.

The factory puts an :class:`AppState` on the Flask server (``server.extensions``); callbacks and
routes reach it through :func:`current_state`, inside the request, so pages never import the app.
The store is built once: either handed to :func:`app.factory.create_app`, or opened on first use
and kept (a failed open is retried on the next request, so the app recovers when the database
comes back).
"""

from __future__ import annotations

import importlib.util
import logging
import threading

import flask

from app.helpers import STAGES
from graph.errors import PartnerGraphError, StoreUnavailable
from graph.settings import Settings
from graph.store.base import GraphStore

log = logging.getLogger(__name__)

EXTENSION = "partnergraph"


class AppState:
    """Settings plus a lazily opened, shared store."""

    def __init__(self, settings: Settings, store: GraphStore | None = None) -> None:
        self.settings = settings
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return self._store.backend if self._store is not None else self.settings.backend

    def store(self) -> GraphStore:
        """The shared store, opened on first use; raises :class:`StoreUnavailable` if it cannot be."""
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is None:
                from graph.store import open_store

                try:
                    self._store = open_store(self.settings)
                except PartnerGraphError:
                    raise
                except Exception as exc:  # a driver error: translate at the edge
                    log.exception("opening the graph store failed")
                    raise StoreUnavailable(
                        f"cannot open the graph store ({type(exc).__name__})",
                        hint="check PARTNERGRAPH_GRAPH_URI and that the database is running",
                    ) from exc
            return self._store

    def close(self) -> None:
        """Close the store if this state opened it."""
        with self._lock:
            if self._store is not None and self._owns_store:
                self._store.close()
                self._store = None


def install(server: flask.Flask, state: AppState) -> None:
    server.extensions[EXTENSION] = state


def current_state() -> AppState:
    """The :class:`AppState` of the app serving the current request."""
    state = flask.current_app.extensions.get(EXTENSION)
    if not isinstance(state, AppState):
        raise RuntimeError("the PartnerGraph app state is not installed; build the app with create_app()")
    return state


def stages_available() -> dict[str, bool]:
    """Which pipeline stages this installation ships (by whether their module exists)."""
    out: dict[str, bool] = {}
    for key, _title, module in STAGES:
        try:
            out[key] = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            out[key] = False
    return out

