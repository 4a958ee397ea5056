"""Our FalkorDB parameter encoder gives the same text as the client's (pure unit)."""

from __future__ import annotations

import random

import pytest
from falkordb.helpers import stringify_param_value

from graph.store.falkor_params import encode, params_header


def _random_value(rng: random.Random, depth: int = 0) -> object:
    kinds = ["str", "int", "float", "none", "bool"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return "".join(rng.choice('ab"\\\'é\n`{} :') for _ in range(rng.randint(0, 8)))
    if kind == "int":
        return rng.randint(-10**12, 10**12)
    if kind == "float":
        return rng.choice([rng.uniform(-1e6, 1e6), 1e-9, float("inf"), 0.0])
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_same_text_as_the_client_encoder() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        value = _random_value(rng)
        assert encode(value) == stringify_param_value(value)


def test_header_and_bad_names() -> None:
    assert params_header({"rows": [{"id": "a"}], "n": 3}) == 'CYPHER `rows`=[{`id`:"a"}] `n`=3 '
    assert params_header({}) == "" and params_header(None) == ""
    with pytest.raises(ValueError):
        params_header({"a`b": 1})
    with pytest.raises(ValueError):
        encode({"": 1})
