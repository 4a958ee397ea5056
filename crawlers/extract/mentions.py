"""Brand mentions in page text: known brand names (from the graph) found as whole words.

A brand is known by its name ("Belvita Group") and by its core name without a legal or group
suffix ("Belvita"). Matching is case-sensitive on word boundaries, so "belvita" in a URL slug or
"Solorama" do not count. Several records of one name (duplicates, linked by SAME_AS) resolve to
the CRM record; a name two CRM brands share is ambiguous and dropped, as are names shorter than
:data:`MIN_CORE` characters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

MIN_CORE = 4
SUFFIXES = ("GmbH", "Inc.", "Inc", "Ltd.", "Ltd", "LLC", "plc", "PLC", "SAS", "S.A.S.", "SA", "S.A.",
            "S.p.A.", "SpA", "SRL", "S.r.l.", "S.L.", "SL", "AG", "BV", "B.V.", "NV", "N.V.", "Group",
            "Co.", "Company", "Corp.", "Corporation", "Holding", "Holdings", "& Co.", "KG", "Oy", "AB")
_SUFFIX_RE = re.compile(r"(?:[\s,]+(?:" + "|".join(re.escape(s) for s in SUFFIXES) + r"))+\s*$")


def core_name(name: str) -> str:
    """``"Belvita Group"`` -> ``"Belvita"``; ``"Junora S.p.A."`` -> ``"Junora"``."""
    return _SUFFIX_RE.sub("", name.strip()).strip(" ,")


class MentionFinder:
    """Finds known brands in text. Build once per crawl; :meth:`find` is one regex pass."""

    def __init__(self, brands: Iterable[Mapping[str, Any]]) -> None:
        """``brands``: rows with ``id`` and ``name`` (and optionally ``crm_id``). When several
        records carry one name (duplicates resolved as SAME_AS), the CRM record wins."""
        by_form: dict[str, set[str]] = {}
        preferred: dict[str, tuple[bool, str]] = {}
        for b in brands:
            name = (b.get("name") or "").strip()
            if not name:
                continue
            bid = str(b["id"])
            preferred[bid] = (not b.get("crm_id"), bid)
            for form in {name, core_name(name)}:
                if len(form) >= MIN_CORE and any(ch.isupper() for ch in form):
                    by_form.setdefault(form, set()).add(bid)
        self.form_to_id: dict[str, str] = {}
        for form, ids in by_form.items():
            if sum(not preferred[i][0] for i in ids) > 1:
                continue  # two CRM brands share this form: ambiguous
            self.form_to_id[form] = min(ids, key=lambda i: preferred[i])
        forms = sorted(self.form_to_id, key=len, reverse=True)
        self._re = (re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")
                    if forms else None)

    def __len__(self) -> int:
        return len(set(self.form_to_id.values()))

    def find(self, text: str | None) -> Counter[str]:
        """Brand id -> number of mentions in ``text``."""
        out: Counter[str] = Counter()
        if not text or self._re is None:
            return out
        for m in self._re.finditer(text):
            out[self.form_to_id[m.group(1)]] += 1
        return out
