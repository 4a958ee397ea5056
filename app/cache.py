"""A small process-wide cache for reads every session shares (counts, dashboards).

Twenty people opening the overview at once should cost the graph one count, not twenty. Entries
live for a few seconds to a minute (the pages say how fresh they are, and "Refresh" reads again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_lock = threading.Lock()
MAX_ENTRIES = 256


def cached[T](key: tuple[Any, ...], compute: Callable[[], T], ttl: float, *, fresh: bool = False) -> T:
    """``compute()``, remembered under ``key`` for ``ttl`` seconds (``fresh`` reads again)."""
    now = time.monotonic()
    if not fresh:
        with _lock:
            hit = _cache.get(key)
            if hit is not None and now - hit[0] < ttl:
                return hit[1]
    value = compute()
    with _lock:
        _cache[key] = (now, value)
        if len(_cache) > MAX_ENTRIES:
            for old in sorted(_cache, key=lambda k: _cache[k][0])[: MAX_ENTRIES // 2]:
                _cache.pop(old, None)
    return value


def clear() -> None:
    with _lock:
        _cache.clear()
