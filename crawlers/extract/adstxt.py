"""ads.txt / app-ads.txt (IAB Tech Lab 1.1): records, variables, and invalid lines counted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DOMAIN = re.compile(r"^(?=.{3,253}$)[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)+$")
_SELLER = re.compile(r"^[^\s,;<>\"']{1,200}$")
_CERT = re.compile(r"^[A-Za-z0-9\-_.]{1,64}$")
_VARIABLES = {"contact", "subdomain", "inventorypartnerdomain", "ownerdomain", "managerdomain"}


@dataclass(frozen=True)
class AdsTxtRecord:
    ad_system: str  # lower-case domain of the advertising system
    seller_id: str
    relationship: str  # DIRECT | RESELLER
    cert_authority: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.ad_system, self.seller_id, self.relationship)


@dataclass
class AdsTxt:
    records: list[AdsTxtRecord] = field(default_factory=list)
    variables: list[tuple[str, str]] = field(default_factory=list)
    invalid: int = 0
    invalid_samples: list[str] = field(default_factory=list)
    duplicates: int = 0
    comments: int = 0


def parse_adstxt(text: str | bytes, *, max_lines: int = 100_000) -> AdsTxt:
    """Parse an ads.txt body; never raises. HTML served instead of ads.txt is all invalid."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    out = AdsTxt()
    seen: set[tuple[str, str, str]] = set()
    for n, raw in enumerate(text.replace("\ufeff", "").splitlines()):
        if n >= max_lines:
            out.invalid += 1
            break
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            out.comments += 1
            continue
        line = line.split("#", 1)[0].strip()
        if "=" in line and "," not in line:
            k, _, v = line.partition("=")
            if k.strip().lower() in _VARIABLES and v.strip():
                out.variables.append((k.strip().lower(), v.strip()))
                continue
        rec = _record(line)
        if rec is None:
            out.invalid += 1
            if len(out.invalid_samples) < 10:
                out.invalid_samples.append(raw[:200])
            continue
        if rec.key in seen:
            out.duplicates += 1
            continue
        seen.add(rec.key)
        out.records.append(rec)
    return out


def _record(line: str) -> AdsTxtRecord | None:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) not in (3, 4):
        return None
    dom, sid, rel = fields[0].lower(), fields[1], fields[2].upper()
    if not _DOMAIN.match(dom) or not _SELLER.match(sid) or rel not in ("DIRECT", "RESELLER"):
        return None
    cert = fields[3] if len(fields) == 4 and fields[3] else None
    if cert is not None and not _CERT.match(cert):
        return None
    return AdsTxtRecord(dom, sid, rel, cert.lower() if cert else None)
