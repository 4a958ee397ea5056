"""Run the pure extractors in worker processes, so Scrapy's reactor keeps one core to itself.

Scrapy runs on one thread; parsing a page (lxml, extruct, trafilatura) is CPU work that would
otherwise stall downloads and scheduling. ``Offload(workers)`` keeps a ``ProcessPoolExecutor``
(spawned workers, which import the extractors once) and gives async callbacks
``await offload.call(fn, *args)``. Arguments and results are plain bytes/str and dataclasses,
so they pickle. ``workers=0`` runs everything in-process, as before.

A worker that dies (a crashed parser) breaks the pool and fails every call in flight: each is
retried once on a fresh pool, then given up (:class:`WorkerCrashed`, which the spider counts).
Nothing is retried in-process, where a crashing page would take the crawl down with it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def default_workers() -> int:
    """Extraction processes by default: the cores this process may use, minus the reactor's one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def resolve_workers(value: Any) -> int:
    """``PARTNERGRAPH_EXTRACT_WORKERS``: ``None``/``"auto"`` -> cores - 1 (at least 1); ``0`` ->
    in-process; ``N`` -> N processes."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return default_workers()
    n = int(value)
    if n < 0:
        raise ValueError(f"PARTNERGRAPH_EXTRACT_WORKERS must be >= 0, got {n}")
    return n


def _warm() -> None:
    """Worker initialiser: import the extractors (trafilatura, extruct, lxml) once, up front."""
    import crawlers.extract.feeds  # noqa: F401
    import crawlers.extract.page  # noqa: F401
    import crawlers.extract.sitemaps  # noqa: F401


class WorkerCrashed(RuntimeError):
    """The worker process died twice while running this call."""


class Offload:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.calls = 0
        self.restarts = 0  # pools replaced after a worker died
        if workers > 0:
            self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded reactor process
        self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_warm)

    async def call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """``fn(*args, **kw)`` in a worker process (``fn`` must be a module-level function)."""
        self.calls += 1
        if self.pool is None:
            return fn(*args, **kw)
        for _attempt in range(2):
            pool = self.pool
            if pool is None:  # closed while the crawl winds down
                break
            try:
                return await asyncio.wrap_future(pool.submit(fn, *args, **kw))
            except BrokenProcessPool:
                if self.pool is pool:  # the first caller to notice replaces the pool
                    self.restarts += 1
                    log.warning("an extraction worker died; new pool (%d so far)", self.restarts)
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._start()
        raise WorkerCrashed(getattr(fn, "__name__", str(fn)))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
