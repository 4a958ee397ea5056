"""A brand's discovery preferences: read, validate, write (``Brand.preferences``, JSON text).

Shape (schema v1): ``{"v": 1, "countries": ["FR", ...], "languages": ["fr", ...],
"budget": float | null, "partner_types": ["publisher", "influencer"], "exclusions": ["pub:…"]}``.
A missing key (or ``null``) means no constraint. The app edits preferences through
:func:`write_preferences`; the discovery job reads them with :func:`read_all_preferences` and
applies them with :func:`allowed`.

How each constraint is honoured (the same words are in docs/discovery.md):
- ``countries`` / ``languages``: a partner qualifies when its country (ISO 3166 alpha-2) /
  language (ISO 639-1) is in the list. A partner whose country or language is unknown does
  not qualify while the constraint is set (the manager asked for those markets).
- ``budget``: money per partner per campaign, in EUR. A partner is left out when its *typical
  cost* exceeds it: the median, over the campaigns it ran (with any brand), of the campaign's
  total cost with that partner. A partner without cost history is kept, and its reasons say
  it has no cost history.
- ``partner_types``: ``publisher`` and/or ``influencer`` (the node label).
- ``exclusions``: partner ids never to recommend (any record id of the partner works: CRM,
  affiliate-network or crawled record).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gnn import discover_queries as Q
from graph.errors import InputError
from graph.store.base import GraphStore

VERSION = 1
PARTNER_TYPES = ("publisher", "influencer")
KEYS = ("v", "countries", "languages", "budget", "partner_types", "exclusions")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
MAX_EXCLUSIONS = 10_000

@dataclass(frozen=True)
class Preferences:
    """Validated preferences; ``None`` fields are unconstrained."""

    countries: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    budget: float | None = None
    partner_types: tuple[str, ...] | None = None
    exclusions: tuple[str, ...] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, k) is None for k in KEYS[1:])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": VERSION}
        for key in KEYS[1:]:
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def describe(self) -> str:
        """One line for logs and the app, e.g. ``countries FR, BE; budget <= 5,000 EUR``."""
        parts = []
        if self.countries is not None:
            parts.append("countries " + ", ".join(self.countries))
        if self.languages is not None:
            parts.append("languages " + ", ".join(self.languages))
        if self.budget is not None:
            parts.append(f"budget <= {self.budget:,.0f} EUR per partner and campaign")
        if self.partner_types is not None:
            parts.append("types " + ", ".join(self.partner_types))
        if self.exclusions:
            parts.append(f"{len(self.exclusions)} excluded partner(s)")
        return "; ".join(parts) or "no constraints"


def _str_list(key: str, value: Any, brand: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(f"preferences of {brand}: {key!r} must be a list of strings, got {value!r}",
                         hint=f'e.g. "{key}": ["..."]')
    return [x.strip() for x in value if x.strip()]


def validate(data: Mapping[str, Any] | None, *, brand: str = "brand") -> Preferences:
    """Check a preferences mapping and normalise it (upper-case countries, lower-case languages,
    de-duplicated lists). Raises :class:`InputError` naming the key and what to write instead."""
    if data is None:
        return Preferences()
    if not isinstance(data, Mapping):
        raise InputError(f"preferences of {brand} must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InputError(f"preferences of {brand}: unknown key(s) {', '.join(unknown)}",
                         hint=f"allowed keys: {', '.join(KEYS)}")
    version = data.get("v", VERSION)
    if version != VERSION:
        raise InputError(f"preferences of {brand}: version {version!r} is not supported",
                         hint=f'write "v": {VERSION}')
    out: dict[str, Any] = {}
    if data.get("countries") is not None:
        countries = [c.upper() for c in _str_list("countries", data["countries"], brand)]
        bad = [c for c in countries if not _COUNTRY.match(c)]
        if bad:
            raise InputError(f"preferences of {brand}: {bad[0]!r} is not an ISO 3166 country code",
                             hint='use two letters, e.g. "FR"')
        out["countries"] = tuple(dict.fromkeys(countries))
    if data.get("languages") is not None:
        languages = [x.lower() for x in _str_list("languages", data["languages"], brand)]
        bad = [x for x in languages if not _LANGUAGE.match(x)]
        if bad:
            raise InputError(f"preferences of {brand}: {bad[0]!r} is not an ISO 639-1 language code",
                             hint='use two letters, e.g. "fr"')
        out["languages"] = tuple(dict.fromkeys(languages))
    if data.get("budget") is not None:
        budget = data["budget"]
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not math.isfinite(budget) \
                or budget < 0:
            raise InputError(f"preferences of {brand}: budget must be a non-negative number of EUR, "
                             f"got {budget!r}", hint="or null for no budget constraint")
        out["budget"] = float(budget)
    if data.get("partner_types") is not None:
        types = [x.lower() for x in _str_list("partner_types", data["partner_types"], brand)]
        bad = [x for x in types if x not in PARTNER_TYPES]
        if bad:
            raise InputError(f"preferences of {brand}: unknown partner type {bad[0]!r}",
                             hint=f"use {' and/or '.join(PARTNER_TYPES)}")
        out["partner_types"] = tuple(dict.fromkeys(types))
    if data.get("exclusions") is not None:
        excl = _str_list("exclusions", data["exclusions"], brand)
        if len(excl) > MAX_EXCLUSIONS:
            raise InputError(f"preferences of {brand}: {len(excl):,} exclusions (at most {MAX_EXCLUSIONS:,})")
        out["exclusions"] = tuple(dict.fromkeys(excl))
    return Preferences(**out)


def parse(text: str | Mapping[str, Any] | None, *, brand: str = "brand") -> Preferences:
    """Preferences from the stored JSON text (or an already-decoded mapping)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return Preferences()
    if isinstance(text, str):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"preferences of {brand} are not valid JSON: {exc.msg} at char {exc.pos}",
                             hint='e.g. {"v": 1, "countries": ["FR"]}') from None
    else:
        data = text
    return validate(data, brand=brand)


# ---- applying them (pure) -------------------------------------------------------------------

@dataclass(frozen=True)
class PartnerFacts:
    """What the preferences look at, for one candidate partner."""

    id: str
    partner_type: str  # "publisher" | "influencer"
    country: str | None
    language: str | None
    typical_cost: float | None  # EUR per campaign, median; None = no cost history
    record_ids: tuple[str, ...] = ()  # every record of the partner (CRM, affiliate, crawled)


def rejection(prefs: Preferences, p: PartnerFacts) -> str | None:
    """Why ``p`` is left out under ``prefs`` (``"countries"``, ``"budget"``, ...), or ``None``."""
    if prefs.exclusions and (p.id in prefs.exclusions or any(r in prefs.exclusions for r in p.record_ids)):
        return "exclusions"
    if prefs.partner_types is not None and p.partner_type not in prefs.partner_types:
        return "partner_types"
    if prefs.countries is not None and (p.country or "").upper() not in prefs.countries:
        return "countries"
    if prefs.languages is not None and (p.language or "").lower() not in prefs.languages:
        return "languages"
    if prefs.budget is not None and p.typical_cost is not None and p.typical_cost > prefs.budget:
        return "budget"
    return None


def allowed(prefs: Preferences, p: PartnerFacts) -> bool:
    return rejection(prefs, p) is None


# ---- store I/O --------------------------------------------------------------------------------

def read_preferences(store: GraphStore, brand_id: str) -> Preferences:
    """The brand's preferences; raises :class:`InputError` for an unknown brand or bad JSON."""
    rows = store.read(Q.PREFS_ONE, {"id": brand_id}).rows
    if not rows:
        raise InputError(f"no brand with id {brand_id!r}", hint="use the Brand node id, e.g. brand:…")
    return parse(rows[0]["preferences"], brand=brand_id)


def read_all_preferences(store: GraphStore) -> tuple[dict[str, Preferences], dict[str, str]]:
    """``(valid preferences by brand id, error message by brand id)`` for every brand that has
    some. Invalid stored JSON does not stop the caller: it gets the message instead."""
    good: dict[str, Preferences] = {}
    bad: dict[str, str] = {}
    for row in Q.read_all(store, Q.PREFS_ALL):
        try:
            good[str(row["id"])] = parse(row["preferences"], brand=str(row["id"]))
        except InputError as exc:
            bad[str(row["id"])] = str(exc)
    return good, bad


def write_preferences(store: GraphStore, brand_id: str,
                      prefs: Preferences | Mapping[str, Any] | None) -> Preferences:
    """Validate and store; ``None`` or empty preferences remove the property. Returns what was
    stored. Raises :class:`InputError` for invalid preferences or an unknown brand."""
    from graph.writers import now_iso

    value = prefs if isinstance(prefs, Preferences) else validate(prefs, brand=brand_id)
    if value.is_empty():
        res = store.write(Q.PREFS_CLEAR, {"id": brand_id})
    else:
        res = store.write(Q.PREFS_WRITE, {"id": brand_id, "preferences": value.to_json(), "now": now_iso()})
    if not res.rows or int(res.rows[0]["n"]) == 0:
        raise InputError(f"no brand with id {brand_id!r}", hint="use the Brand node id, e.g. brand:…")
    return value


# ---- vectorised, for scoring every partner of every brand -------------------------------------

@dataclass(frozen=True)
class PartnerArrays:
    """The facts of :class:`PartnerFacts` for all candidates, aligned with ``ids``."""

    ids: tuple[str, ...]
    partner_type: Any  # np.ndarray[str]
    country: Any  # np.ndarray[str] ("" when unknown), upper-case
    language: Any  # np.ndarray[str] ("" when unknown), lower-case
    typical_cost: Any  # np.ndarray[float] (NaN when unknown)
    index_of_record: dict[str, int]  # any record id -> candidate position

    @classmethod
    def build(cls, facts: list[PartnerFacts]) -> PartnerArrays:
        import numpy as np

        index: dict[str, int] = {}
        for i, f in enumerate(facts):
            for r in (f.id, *f.record_ids):
                index.setdefault(r, i)
        return cls(
            ids=tuple(f.id for f in facts),
            partner_type=np.array([f.partner_type for f in facts], dtype=object),
            country=np.array([(f.country or "").upper() for f in facts], dtype=object),
            language=np.array([(f.language or "").lower() for f in facts], dtype=object),
            typical_cost=np.array([np.nan if f.typical_cost is None else f.typical_cost for f in facts], float),
            index_of_record=index,
        )


def rejection_masks(prefs: Preferences, arrays: PartnerArrays) -> dict[str, Any]:
    """Constraint -> boolean mask of the candidates it leaves out (same rules as
    :func:`rejection`; a partner can be left out by several)."""
    import numpy as np

    n = len(arrays.ids)
    out: dict[str, Any] = {}
    if prefs.exclusions:
        m = np.zeros(n, dtype=bool)
        for x in prefs.exclusions:
            i = arrays.index_of_record.get(x)
            if i is not None:
                m[i] = True
        out["exclusions"] = m
    if prefs.partner_types is not None:
        out["partner_types"] = ~np.isin(arrays.partner_type, list(prefs.partner_types))
    if prefs.countries is not None:
        out["countries"] = ~np.isin(arrays.country, list(prefs.countries))
    if prefs.languages is not None:
        out["languages"] = ~np.isin(arrays.language, list(prefs.languages))
    if prefs.budget is not None:
        cost = arrays.typical_cost
        out["budget"] = np.isfinite(cost) & (cost > prefs.budget)
    return out
