"""PartnerGraph's graph layer: settings, schema, stores, writers, importers, generator.

For notebooks::

    import graph
    store = graph.connect()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graph.errors import PartnerGraphError

if TYPE_CHECKING:
    from graph.settings import Settings
    from graph.store.base import GraphStore

__all__ = ["GraphStore", "PartnerGraphError", "Settings", "connect", "load_settings"]


def connect(uri: str | None = None, **overrides: Any) -> GraphStore:
    """Open the configured store (or ``uri``) and return it; close it when done."""
    from graph.settings import load_settings
    from graph.store import open_store

    return open_store(load_settings(**overrides), uri=uri)


def __getattr__(name: str) -> Any:  # lazy, so `import graph` (and the CLI's --help) stays light
    if name in ("Settings", "load_settings"):
        from graph import settings

        return getattr(settings, name)
    if name == "GraphStore":
        from graph.store.base import GraphStore

        return GraphStore
    raise AttributeError(name)
