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
_computing: dict[tuple[Any, ...], threading.Lock] = {}
_lock = threading.Lock()
MAX_ENTRIES = 256


def cached[T](key: tuple[Any, ...], compute: Callable[[], T], ttl: float, *, fresh: bool = False) -> T:
    """``compute()``, remembered under ``key`` for ``ttl`` seconds (``fresh`` reads again).

    One computation per key at a time: sessions that miss together wait for the first one's
    answer instead of each asking the graph (twenty people opening the overview at once).
    """
    if not fresh:
        hit = _fresh_hit(key, ttl)
        if hit is not None:
            return hit[1]
    with _lock:
        key_lock = _computing.setdefault(key, threading.Lock())
    with key_lock:
        if not fresh:  # someone else may have computed it while we waited
            hit = _fresh_hit(key, ttl)
            if hit is not None:
                return hit[1]
        now = time.monotonic()
        value = compute()
        with _lock:
            _cache[key] = (now, value)
            if len(_cache) > MAX_ENTRIES:
                for old in sorted(_cache, key=lambda k: _cache[k][0])[: MAX_ENTRIES // 2]:
                    _cache.pop(old, None)
                    _computing.pop(old, None)
    return value


def _fresh_hit(key: tuple[Any, ...], ttl: float) -> tuple[float, Any] | None:
    with _lock:
        hit = _cache.get(key)
    return hit if hit is not None and time.monotonic() - hit[0] < ttl else None


def clear() -> None:
    with _lock:
        _cache.clear()
        _computing.clear()
