"""How the console runs a query: through the store's query guard, or, for the few saved queries a
backend cannot bound, through a bounded runner (:data:`graph.paths.BOUNDED`).

A saved query counts as "the saved query" when it is picked from the list or when the editor
holds its text unchanged (whitespace aside), so loading it into the editor and pressing Run gives
the same bounded answer. Anything else goes to ``store.guarded_read`` (EXPLAIN allow-list,
read-only, timeout, row cap).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import cypher
from graph import paths
from graph.store.base import GraphStore, QueryResult


def _normal(text: str) -> str:
    return " ".join(text.split())


@cache
def _saved_texts(backend: str) -> dict[str, str]:
    return {_normal(q.text(backend)): name for name, q in cypher.catalog().items()}


def saved_name_of(text: str, backend: str) -> str | None:
    """The saved query whose text for ``backend`` is ``text`` (whitespace aside), if any."""
    return _saved_texts(backend).get(_normal(text))


def run(store: GraphStore, text: str, params: Mapping[str, Any], *, saved: str | None,
        timeout: float, limit: int) -> tuple[QueryResult, str | None]:
    """Run a console query; returns the result and, for a bounded runner, a sentence about it."""
    name = saved or saved_name_of(text, store.backend)
    runner = paths.bounded_runner(name, store.backend)
    if runner is not None:
        return runner(store, params, timeout=timeout)
    return store.guarded_read(text, dict(params), timeout=timeout, limit=limit), None
