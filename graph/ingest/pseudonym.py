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
import re
from collections.abc import Iterable, Sequence

import numpy as np
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


#: a canonical dotted-quad IPv4 (no leading zeros): its text is already ``str(ip_address(v))``
IPV4 = re.compile(r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")


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
        raw = key.encode()
        self.key_id = hmac.new(raw, b"partnergraph-key-id", hashlib.sha256).hexdigest()[:6]
        # HMAC (RFC 2104) with its two padded-key states computed once: per value this costs two
        # state copies instead of a key schedule, and gives the same digest as hmac.new(...)
        block = (hashlib.sha256(raw).digest() if len(raw) > 64 else raw).ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def _macs(self, kind: str, norms: Iterable[str]) -> list[str]:
        inner = self._inner.copy()
        inner.update(kind.encode() + b"\x00")
        icopy, ocopy = inner.copy, self._outer.copy
        head = f"{KINDS[kind]}_{self.key_id}_"
        out = []
        for norm in norms:
            i = icopy()
            i.update(norm.encode("utf-8", "surrogatepass"))
            o = ocopy()
            o.update(i.digest())
            out.append(head + o.hexdigest()[:20])
        return out

    def _mac(self, kind: str, norm: str) -> str:
        return self._macs(kind, [norm])[0]

    def token(self, kind: str, value: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown identifier kind {kind!r}")
        return self._mac(kind, _norm(kind, value))

    def network_token(self, value: str) -> tuple[str, int] | None:
        """Pseudonym of the IP's /24 or /48 network, and the IP version."""
        net = ip_network(value)
        return None if net is None else (self._mac("network", net[0]), net[1])

    def tokens(self, kind: str, values: Sequence[str]) -> list[str]:
        """``token`` of each value (distinct values are the caller's business); "" for blanks."""
        if kind not in KINDS:
            raise ValueError(f"unknown identifier kind {kind!r}")
        if kind == "ip":
            return self.ips(values)[0]
        norms = [_norm(kind, str(v)) for v in values]
        blank = [not str(v).strip() for v in values]
        return ["" if b else t for b, t in zip(blank, self._macs(kind, norms), strict=True)]

    def ips(self, values: Sequence[str]) -> tuple[list[str], list[str], list[int]]:
        """Per IP text: its pseudonym, its network's pseudonym and its version, from one parse
        ("", "", 0 for blanks; a text that is not an IP keeps a pseudonym, with no network)."""
        norms: list[str] = []
        nets: list[str | None] = []
        vers: list[int] = []
        blank: list[bool] = []
        for v in values:
            s = str(v).strip()
            blank.append(not s)
            if IPV4.fullmatch(s):
                norms.append(s)
                nets.append(s[: s.rfind(".")] + ".0/24")
                vers.append(4)
                continue
            try:
                ip = ipaddress.ip_address(s)
            except ValueError:
                norms.append(s)
                nets.append(None)
                vers.append(0)
                continue
            norms.append(str(ip))
            if ip.version == 4:
                nets.append(f"{ipaddress.IPv4Address(int(ip) & 0xFFFFFF00)}/24")
            else:
                nets.append(f"{ipaddress.IPv6Address(int(ip) & ~((1 << 80) - 1))}/48")
            vers.append(ip.version)
        toks = ["" if b else t for b, t in zip(blank, self._macs("ip", norms), strict=True)]
        macs = iter(self._macs("network", [n for n in nets if n is not None]))
        return toks, ["" if n is None else next(macs) for n in nets], vers

    def networks(self, values: Sequence[str]) -> tuple[list[str], list[int]]:
        """Network pseudonyms and IP versions of IP texts ("" / 0 where not an IP)."""
        nets: list[str | None] = []
        vers: list[int] = []
        for v in values:
            got = ip_network(str(v)) if not IPV4.fullmatch(s := str(v).strip()) else \
                (s[: s.rfind(".")] + ".0/24", 4)
            nets.append(got[0] if got else None)
            vers.append(got[1] if got else 0)
        macs = iter(self._macs("network", [n for n in nets if n is not None]))
        return ["" if n is None else next(macs) for n in nets], vers

    def series(self, kind: str, values: pd.Series) -> pd.Series:
        """Pseudonymise a column; each distinct value is hashed once. Empty stays empty."""
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        toks = np.array(self.tokens(kind, [str(v) for v in uniq]) + [None], dtype=object)
        return pd.Series(toks[codes], index=values.index, dtype=object)

    def network_series(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Network pseudonyms and IP versions of an IP column (empty / 0 where not an IP)."""
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        toks, vers = self.networks([str(v) for v in uniq])
        net = np.array(toks + [""], dtype=object)[codes]
        ver = np.array(vers + [0], dtype="int8")[codes]
        return pd.Series(net, index=values.index, dtype=object), pd.Series(ver, index=values.index, dtype="int8")

    def candidates(self, value: str, kinds: Iterable[str] = KINDS) -> dict[str, str]:
        """Every pseudonym ``value`` could have (for ``forget --identifier``)."""
        return {k: self.token(k, value) for k in kinds if k != "network"}


def is_pseudonym(value: str) -> bool:
    parts = value.split("_")
    return len(parts) == 3 and parts[0] in KINDS.values() and len(parts[2]) == 20
