"""Keyed pseudonyms for end-user identifiers (click IPs, device ids, click ids, payment accounts,
customer emails).

A pseudonym is ``<kind>_<key id>_<HMAC-SHA256(key, kind + value), 80 bits hex>``. The same value
gives the same pseudonym under the same key, so counts and joins still work; without the key it
cannot be reversed or re-derived. IPs also get a coarse network key: the /24 (IPv4) or /48 (IPv6)
network, itself pseudonymised (a /24 still narrows a person down).

Key rotation. Pseudonyms are one-way by design and no mapping back to raw values is kept, so an
existing pseudonym cannot be re-keyed in place. Rotating ``PARTNERGRAPH_PSEUDONYM_KEY`` therefore
means: set the new key, re-import the source files you still hold (within retention) into a fresh
event store, and let ``retention`` drop the old partitions. Every pseudonym carries the id of its
key (``key_id``), so data under an old key is recognisable (``key_ids_in_use``) and never silently
joined with data under the new key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable

import pandas as pd

from graph.errors import ConfigError

#: kind -> prefix of its pseudonyms
KINDS: dict[str, str] = {
    "ip": "ip", "network": "net", "device": "dev", "click": "clk", "email": "eml",
    "payment": "pay", "customer": "cus", "identifier": "uid",
}


def _norm(kind: str, value: str) -> str:
    v = value.strip()
    if kind == "email":
        return v.lower()
    if kind == "payment":
        return "".join(ch for ch in v if ch.isalnum()).upper()
    if kind == "device":
        return v.lower()
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(v))
        except ValueError:
            return v
    return v


def ip_network(value: str) -> tuple[str, int] | None:
    """The /24 (IPv4) or /48 (IPv6) network of an IP, and the IP version; None if not an IP."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if ip.version == 4:
        return f"{ipaddress.IPv4Address(int(ip) & 0xFFFFFF00)}/24", 4
    return f"{ipaddress.IPv6Address(int(ip) & ~((1 << 80) - 1))}/48", 6


class Pseudonymizer:
    """HMAC-SHA256 pseudonyms under one key."""

    def __init__(self, key: str) -> None:
        if not key or len(key) < 16:
            raise ConfigError("the pseudonym key is too short", hint="use at least 16 random characters")
        self._base = hmac.new(key.encode(), digestmod=hashlib.sha256)
        self.key_id = hmac.new(key.encode(), b"partnergraph-key-id", hashlib.sha256).hexdigest()[:6]

    def _mac(self, kind: str, norm: str) -> str:
        h = self._base.copy()
        h.update(kind.encode() + b"\x00" + norm.encode("utf-8", "surrogatepass"))
        return f"{KINDS[kind]}_{self.key_id}_{h.hexdigest()[:20]}"

    def token(self, kind: str, value: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown identifier kind {kind!r}")
        return self._mac(kind, _norm(kind, value))

    def network_token(self, value: str) -> tuple[str, int] | None:
        """Pseudonym of the IP's /24 or /48 network, and the IP version."""
        net = ip_network(value)
        return None if net is None else (self._mac("network", net[0]), net[1])

    def series(self, kind: str, values: pd.Series) -> pd.Series:
        """Pseudonymise a column; each distinct value is hashed once. Empty stays empty."""
        uniq = pd.unique(values.dropna())
        table = {v: (self.token(kind, v) if str(v).strip() else "") for v in uniq}
        return values.map(table)

    def network_series(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Network pseudonyms and IP versions of an IP column (empty / 0 where not an IP)."""
        uniq = pd.unique(values.dropna())
        tok: dict[str, str] = {}
        ver: dict[str, int] = {}
        for v in uniq:
            got = self.network_token(str(v))
            tok[v], ver[v] = got if got else ("", 0)
        return values.map(tok).fillna(""), values.map(ver).fillna(0).astype("int8")

    def candidates(self, value: str, kinds: Iterable[str] = KINDS) -> dict[str, str]:
        """Every pseudonym ``value`` could have (for ``forget --identifier``)."""
        return {k: self.token(k, value) for k in kinds if k != "network"}


def is_pseudonym(value: str) -> bool:
    parts = value.split("_")
    return len(parts) == 3 and parts[0] in KINDS.values() and len(parts[2]) == 20
