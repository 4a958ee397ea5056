"""sellers.json (IAB Tech Lab 1.0): seller entries of an ad system; invalid entries counted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_TYPES = {"PUBLISHER", "INTERMEDIARY", "BOTH"}


@dataclass(frozen=True)
class Seller:
    seller_id: str
    seller_type: str  # PUBLISHER | INTERMEDIARY | BOTH
    name: str | None = None
    domain: str | None = None
    is_confidential: bool = False


@dataclass
class SellersJson:
    sellers: list[Seller] = field(default_factory=list)
    identifiers: dict[str, str] = field(default_factory=dict)  # e.g. TAG-ID
    contact_email: str | None = None
    version: str | None = None
    invalid: int = 0
    error: str | None = None  # set when the whole document is unusable


def parse_sellers_json(body: bytes | str) -> SellersJson:
    out = SellersJson()
    try:
        doc: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        out.error = f"not JSON: {exc.__class__.__name__}"
        return out
    if not isinstance(doc, dict) or not isinstance(doc.get("sellers"), list):
        out.error = "no sellers array"
        return out
    out.version = str(doc.get("version")) if doc.get("version") is not None else None
    out.contact_email = doc.get("contact_email") if isinstance(doc.get("contact_email"), str) else None
    for ident in doc.get("identifiers") or []:
        if isinstance(ident, dict) and ident.get("name") and ident.get("value"):
            out.identifiers[str(ident["name"])] = str(ident["value"])
    for s in doc["sellers"]:
        if not isinstance(s, dict) or s.get("seller_id") in (None, ""):
            out.invalid += 1
            continue
        st = str(s.get("seller_type", "")).upper()
        if st not in _TYPES:
            out.invalid += 1
            continue
        conf = bool(s.get("is_confidential"))
        out.sellers.append(Seller(seller_id=str(s["seller_id"]).strip(), seller_type=st,
                                  name=None if conf else (s.get("name") or None),
                                  domain=None if conf else (str(s["domain"]).lower() if s.get("domain") else None),
                                  is_confidential=conf))
    return out
