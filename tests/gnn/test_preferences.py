"""Brand preferences: validation (one-line errors), normalisation, and how they filter partners."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gnn.preferences import (
    PartnerArrays,
    PartnerFacts,
    Preferences,
    parse,
    rejection,
    rejection_masks,
    validate,
)
from graph.errors import InputError


def test_valid_preferences_are_normalised_and_round_trip() -> None:
    p = validate({"v": 1, "countries": ["fr", "FR", " be "], "languages": ["FR"], "budget": 5000,
                  "partner_types": ["Influencer"], "exclusions": ["pub:a", "pub:a", "inf:b"]})
    assert p == Preferences(countries=("FR", "BE"), languages=("fr",), budget=5000.0,
                            partner_types=("influencer",), exclusions=("pub:a", "inf:b"))
    assert parse(p.to_json()) == p
    assert json.loads(p.to_json())["v"] == 1
    assert p.describe() == ("countries FR, BE; languages fr; budget <= 5,000 EUR per partner and campaign; "
                            "types influencer; 2 excluded partner(s)")
    assert parse(None) == Preferences() and parse("") == Preferences() and parse("{}").is_empty()
    assert validate({"budget": None, "countries": None}).is_empty()  # null means no constraint


@pytest.mark.parametrize(("data", "message"), [
    ({"countries": ["France"]}, "'FRANCE' is not an ISO 3166 country code"),
    ({"countries": "FR"}, "'countries' must be a list of strings"),
    ({"languages": ["fra"]}, "'fra' is not an ISO 639-1 language code"),
    ({"budget": -1}, "budget must be a non-negative number of EUR"),
    ({"budget": float("nan")}, "budget must be a non-negative number"),
    ({"budget": float("inf")}, "budget must be a non-negative number"),
    ({"budget": True}, "budget must be a non-negative number"),
    ({"budget": "5000"}, "budget must be a non-negative number"),
    ({"partner_types": ["blog"]}, "unknown partner type 'blog'"),
    ({"colour": "red"}, "unknown key(s) colour"),
    ({"v": 2}, "version 2 is not supported"),
    ([1, 2], "must be a JSON object"),
])
def test_invalid_preferences_give_one_line_errors(data: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        validate(data, brand="brand:x")  # type: ignore[arg-type]
    assert message in str(err.value) and "\n" not in str(err.value) and "brand:x" in str(err.value)


def test_invalid_json_text() -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        parse('{"countries": ["FR"]', brand="brand:x")


FACTS = [
    PartnerFacts("pub:1", "publisher", "FR", "fr", 1000.0, ("pub:1", "affiliate:n:1")),
    PartnerFacts("pub:2", "publisher", "DE", "de", 9000.0, ("pub:2",)),
    PartnerFacts("inf:3", "influencer", "FR", "fr", None, ("inf:3",)),
    PartnerFacts("pub:4", "publisher", None, None, None, ("pub:4",)),
]


@pytest.mark.parametrize(("prefs", "expected"), [
    (Preferences(), [None, None, None, None]),
    (Preferences(countries=("FR",)), [None, "countries", None, "countries"]),  # unknown country: out
    (Preferences(languages=("de",)), ["languages", None, "languages", "languages"]),
    (Preferences(budget=5000.0), [None, "budget", None, None]),  # no cost history: kept
    (Preferences(partner_types=("influencer",)), ["partner_types", "partner_types", None, "partner_types"]),
    (Preferences(exclusions=("affiliate:n:1", "inf:3")), ["exclusions", None, "exclusions", None]),
])
def test_rejection_rules_and_the_vectorised_masks_agree(prefs: Preferences, expected: list[str | None]) -> None:
    assert [rejection(prefs, f) for f in FACTS] == expected
    masks = rejection_masks(prefs, PartnerArrays.build(FACTS))
    out = np.zeros(len(FACTS), dtype=bool)
    for m in masks.values():
        out |= m
    assert list(out) == [e is not None for e in expected]
