"""``prefetch``: a producer thread ahead of the consumer (used by the bulk writes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from graph.store.base import prefetch


def test_items_arrive_in_order_and_are_built_in_another_thread() -> None:
    threads: set[str] = set()

    def items() -> Iterator[int]:
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(prefetch(items())) == list(range(50))
    assert threads == {"prefetch"}


def test_a_producer_error_reaches_the_consumer_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("row 2 is bad")

    got = []
    with pytest.raises(ValueError, match="row 2 is bad"):
        for x in prefetch(items()):
            got.append(x)
    assert got == [1]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    made = []

    def items() -> Iterator[int]:
        for i in range(10_000):
            made.append(i)
            yield i

    for x in prefetch(items(), depth=2):
        if x == 3:
            break
    assert len(made) < 20  # never ran far ahead of the consumer
