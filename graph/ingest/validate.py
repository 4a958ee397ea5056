"""Column-wise parsing and validation with reasons a person understands.

Each column of a chunk is parsed in one vectorised pass (distinct values once where parsing is
per value). A row with any problem gets a reason (``negative amount '-1500' in value``,
``impossible date '31/02/2024' in start_date``); the pipeline quarantines it. Dates with slashes
are read day-first or month-first per column, inferred from values that only fit one order; a
column where no value decides borrows the order of the file's other date columns, and the
ambiguity is reported in the notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from graph.errors import InputError
from graph.ingest.mapping import IDENTIFIER_TYPES, ColumnSpec, Mapping
from graph.ingest.pseudonym import Pseudonymizer

CURRENCIES = frozenset(
    ["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "HRK", "ISK", "TRY", "RUB", "UAH", "JPY", "CNY", "HKD", "SGD", "KRW", "INR", "IDR", "MYR", "THB", "PHP", "VND", "AUD", "NZD", "CAD", "MXN", "BRL", "ARS", "CLP", "COP", "PEN", "ZAR", "EGP", "MAD", "NGN", "KES", "AED", "SAR", "QAR", "ILS", "TWD"])
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF"}
MAX_LEN = {"string": 1000, "text": 100_000, "url": 2048, "domain": 253, "handle": 200, "enum": 200,
           "country": 60, "language": 60}
FORMULA = re.compile(r"^\s*(=|[+\-@]\s*[A-Za-z_.]+\s*\(|[+\-@]\s*cmd\s*\|)", re.IGNORECASE)
SLASH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
DMON = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
MOND = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
HANDLE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?[a-z0-9.\-]+\.[a-z]+/(?:@|c/|user/|in/)?([A-Za-z0-9_.\-]+)",
                        re.IGNORECASE)
HOST = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)+$")
#: what str.strip() removes, for Arrow's trim
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
IP_CACHE = 2_000_000
TRUE = {"true", "yes", "y", "1", "t", "oui", "ja"}
FALSE = {"false", "no", "n", "0", "f", "non", "nein"}


def short(value: Any, n: int = 60) -> str:
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------------- value parsers


def parse_amount(text: str) -> float | str:
    """A float, or the reason it is not one (``'12,50'`` -> 12.5, ``'1.234,56'`` -> 1234.56)."""
    s = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    for sym in ("€", "$", "£", "¥"):
        s = s.replace(sym, "")
    s = re.sub(r"^(?:[A-Z]{3})|(?:[A-Z]{3})$", "", s)
    neg = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    if s.lower() in ("nan", "inf", "-inf", "infinity", "null", "none", "n/a", "na"):
        return "not a number"
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = s.replace(",", "") if len(tail) == 3 and s.count(",") >= 1 and head.lstrip("-") else head.replace(",", "") + "." + tail
    try:
        v = float(s)
    except ValueError:
        return "not a number"
    if not np.isfinite(v):
        return "not a number"
    return -v if neg else v


def normalise_host(text: str) -> str | None:
    s = text.strip().lower()
    s = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", s)
    s = s.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split("@")[-1].split(":", 1)[0].rstrip(".")
    s = s.removeprefix("www.")
    try:
        s = s.encode("idna").decode("ascii") if any(ord(c) > 127 for c in s) else s
    except UnicodeError:
        return None
    return s if HOST.match(s) else None


def normalise_handle(text: str) -> str | None:
    s = text.strip()
    m = HANDLE_URL.match(s)
    if m and "/" in s:
        s = m.group(1)
    s = s.lstrip("@").strip().rstrip("/").lower()
    return s if re.fullmatch(r"[a-z0-9_.\-]{1,100}", s) else None


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# ------------------------------------------------------------------------------- FX rates


@dataclass
class Rates:
    """Rates to one reporting currency: ``rate(cur, month)`` = reporting units per unit of ``cur``."""

    target: str
    table: dict[str, list[tuple[str, float]]]  # currency -> sorted (month, rate)

    @classmethod
    def read(cls, path: Path) -> Rates:
        from graph.ingest.readers import read_all

        df = read_all(path)
        cols = {c.lower().strip(): c for c in df.columns}
        rate_col = next((cols[c] for c in cols if c.startswith("rate")), None)
        when_col = next((cols[c] for c in ("month", "date", "period") if c in cols), None)
        if "currency" not in cols or rate_col is None:
            raise InputError(f"rates table {path.name} needs columns currency, month and rate_to_<CUR>",
                             hint="e.g. currency,month,rate_to_EUR")
        target = rate_col.split("_")[-1].upper() if "_to_" in rate_col.lower() else "EUR"
        table: dict[str, list[tuple[str, float]]] = {}
        for _, r in df.iterrows():
            v = parse_amount(str(r[rate_col]))
            if isinstance(v, str) or v <= 0:
                raise InputError(f"rates table {path.name}: bad rate {short(r[rate_col])!r}")
            month = str(r[when_col])[:7] if when_col else "0000-00"
            table.setdefault(str(r[cols["currency"]]).strip().upper(), []).append((month, float(v)))
        for rows in table.values():
            rows.sort()
        table.setdefault(target, [("0000-00", 1.0)])
        return cls(target, table)

    def rate(self, currency: str, month: str | None) -> float | None:
        rows = self.table.get(currency)
        if not rows:
            return None
        if not isinstance(month, str) or not month:
            return rows[-1][1]
        best = None
        for m, r in rows:
            if m <= month:
                best = r
        return best if best is not None else rows[0][1]


# ------------------------------------------------------------------------------ validator


@dataclass
class Validated:
    frame: pd.DataFrame  # parsed fields, index = source row
    errors: pd.Series  # reason per row, "" when valid
    warnings: dict[str, int] = field(default_factory=dict)


@dataclass
class ValidatedBlock:
    """A validated Arrow block: parsed fields as Arrow arrays (one value per row) and the
    reasons of the rows that failed, by position in the block."""

    fields: dict[str, Any]  # field name -> pyarrow.Array
    bad: np.ndarray  # positions of failing rows, ascending
    reasons: list[str]  # one per position in ``bad``


class Validator:
    """Parses chunks of one file under one mapping; date orders are decided once per file."""

    def __init__(self, mapping: Mapping, pseudo: Pseudonymizer, rates: Rates | None = None) -> None:
        self.m = mapping
        self.pseudo = pseudo
        self.rates = rates
        self.columns: dict[str, str] = {}  # mapping column -> header name
        self.date_orders: dict[str, str] = {}
        self.notes: list[str] = []
        self.warnings: dict[str, int] = {}
        self._ip_cache: dict[str, tuple[str, str, int]] = {}
        if rates and rates.target != mapping.reporting_currency:
            raise InputError(f"the rates table converts to {rates.target}, the mapping reports in "
                             f"{mapping.reporting_currency}")

    # ---- header ------------------------------------------------------------------------

    def bind(self, header: list[str], duplicates: dict[str, list[int]], file: str) -> None:
        def key(s: str) -> str:
            return re.sub(r"[\s_\-]+", " ", s.strip().lower())

        lookup = {key(h): h for h in header}
        missing_req: list[str] = []
        missing_opt: list[str] = []
        for col, spec in self.m.columns.items():
            found = next((lookup[key(n)] for n in [col, *spec.aliases] if key(n) in lookup), None)
            if found is None:
                (missing_req if spec.required else missing_opt).append(col)
                continue
            if found in duplicates:
                cols = " and ".join(str(i) for i in duplicates[found])
                raise InputError(f"{file}: column {found!r} appears more than once in the header "
                                 f"(columns {cols})", hint="rename the duplicates so the mapping is unambiguous")
            self.columns[col] = found
        shown = ", ".join(repr(h) for h in header[:12]) + (" …" if len(header) > 12 else "")
        if missing_req or not self.columns:
            miss = missing_req or list(self.m.columns)
            raise InputError(f"{file}: columns differ from mapping {self.m.name!r}: missing "
                             f"{', '.join(repr(c) for c in miss)} (the file has {shown})",
                             hint="pick another preset or add aliases to the mapping")
        if missing_opt:
            self.notes.append(f"optional columns not in the file: {', '.join(missing_opt)}")
        extra = [h for h in header if h not in self.columns.values()]
        if extra:
            self.notes.append(f"columns not in the mapping (ignored): {', '.join(extra[:10])}"
                              + (" …" if len(extra) > 10 else ""))

    # ---- chunks ------------------------------------------------------------------------

    def validate(self, chunk: pd.DataFrame) -> Validated:
        out: dict[str, pd.Series] = {}
        reasons: list[pd.Series] = []
        idx = chunk.index
        texts: dict[str, pd.Series] = {}
        for col, header in self.columns.items():
            s = chunk[header].astype(object).fillna("")
            texts[col] = s.str.strip() if len(s) else s
        self._decide_date_orders(texts)
        for col, spec in self.m.columns.items():
            name = self.m.field_of(col)
            if spec.pii:
                continue
            text = texts.get(col)
            if text is None:
                out[name] = pd.Series([None] * len(idx), index=idx, dtype=object)
                continue
            empty = text == ""
            parsed, bad = self._parse(col, spec, text, empty)
            if spec.required:
                reasons.append(pd.Series(np.where(empty, f"missing required field {col!r}", ""), index=idx))
            if bad is not None:
                if spec.on_error == "empty":
                    n = int((bad != "").sum())
                    if n:
                        self.warnings[f"{col}: invalid values left empty"] = (
                            self.warnings.get(f"{col}: invalid values left empty", 0) + n)
                        parsed = parsed.where(bad == "", None)
                else:
                    reasons.append(bad)
            out[name] = parsed
        frame = pd.DataFrame(out, index=idx)
        self._derived(frame, texts, reasons)
        self._convert_amounts(frame, reasons)
        errors = _combine(reasons, idx)
        return Validated(frame, errors)

    def columnar(self) -> bool:
        """Whether :meth:`validate_arrow` gives what :meth:`validate` gives for this mapping
        (everything but currency conversion, whose rates depend on two columns of a row)."""
        return not any(s.type == "amount" and s.currency for s in self.m.columns.values())

    def validate_arrow(self, table: Any) -> ValidatedBlock:
        """:meth:`validate` for a block of text cells (a ``pyarrow.Table`` with the header's
        names), parsing each column's DISTINCT values once and mapping results back by index."""
        import pyarrow as pa

        n = table.num_rows
        uniq: dict[str, tuple[np.ndarray, pd.Series]] = {}
        for col, header in self.columns.items():
            spec = self.m.columns[col]
            if spec.pii:
                continue
            enc = table.column(header).combine_chunks().dictionary_encode()
            idx = enc.indices.to_numpy(zero_copy_only=False)
            text = pc.utf8_trim(enc.dictionary, characters=WHITESPACE)  # exactly str.strip()
            uniq[col] = (idx, pd.Series(text.to_pylist(), dtype=object))
        # only short values can be slash dates (d/m/yyyy is at most 10 characters)
        self._decide_date_orders({c: t[t.str.len() <= 10] for c, (_i, t) in uniq.items()
                                  if self.m.columns[c].type in ("date", "datetime")})
        fields: dict[str, Any] = {}
        checks: list[tuple[np.ndarray, np.ndarray]] = []  # (row -> distinct index, reason per distinct)
        for col, spec in self.m.columns.items():
            name = self.m.field_of(col)
            if spec.pii:
                continue
            if col not in uniq:
                fields[name] = pa.nulls(n)
                continue
            idx, text = uniq[col]
            empty = text == ""
            if spec.required:
                checks.append((idx, np.where(empty.to_numpy(), f"missing required field {col!r}", "")))
            if spec.type == "ip":
                tok, net, ver = self._ips(text.tolist())
                fields[name] = _take(pd.Series(tok, dtype=object).where(~empty, None), idx)
                nets = pd.Series(net, dtype=object)
                fields[f"{name}_network"] = _take(nets.where(nets != "", None), idx)
                fields[f"{name}_version"] = pa.array(np.asarray(ver, dtype="int8")[idx], type=pa.int8())
                continue
            if spec.type in IDENTIFIER_TYPES:
                kind = "identifier" if spec.type == "identifier" else spec.type
                parsed = pd.Series(self.pseudo.tokens(kind, text.tolist()), dtype=object).where(~empty, None)
                fields[name] = _take(parsed, idx)
                continue
            parsed, bad = self._parse(col, spec, text, empty)
            if bad is not None:
                if spec.on_error == "empty":
                    hit = (bad != "").to_numpy()
                    rows = int(np.bincount(idx, minlength=len(text))[hit].sum()) if hit.any() else 0
                    if rows:
                        key = f"{col}: invalid values left empty"
                        self.warnings[key] = self.warnings.get(key, 0) + rows
                        parsed = parsed.where(bad == "", None)
                else:
                    checks.append((idx, bad.to_numpy(dtype=object)))
            fields[name] = _take(parsed, idx)
        failing = np.zeros(n, dtype=bool)
        for idx, reason in checks:
            hit = reason != ""
            if hit.any():
                failing |= hit[idx]
        bad_rows = np.flatnonzero(failing)
        reasons: list[str] = []
        if len(bad_rows):
            parts = [reason[idx[bad_rows]] for idx, reason in checks]
            reasons = ["; ".join(r for r in row if r) for row in zip(*parts, strict=True)]
        return ValidatedBlock(fields, bad_rows, reasons)

    def _ips(self, texts: list[str]) -> tuple[list[str], list[str], list[int]]:
        """``Pseudonymizer.ips`` with the answers kept across blocks (an IP recurs)."""
        missing = list({t for t in texts if t not in self._ip_cache})
        if len(self._ip_cache) + len(missing) > IP_CACHE:
            self._ip_cache.clear()
        self._ip_cache.update(zip(missing, zip(*self.pseudo.ips(missing), strict=True), strict=True))
        got = [self._ip_cache[t] for t in texts]
        return [g[0] for g in got], [g[1] for g in got], [g[2] for g in got]

    def _decide_date_orders(self, texts: dict[str, pd.Series]) -> None:
        undecided = []
        for col, spec in self.m.columns.items():
            if spec.type not in ("date", "datetime") or col in self.date_orders or col not in texts:
                continue
            if spec.date_order != "auto":
                self.date_orders[col] = spec.date_order
                continue
            parts = texts[col].str.extract(SLASH)
            if parts.empty or parts[0].isna().all():
                continue
            a = pd.to_numeric(parts[0], errors="coerce")
            b = pd.to_numeric(parts[1], errors="coerce")
            dmy = int(((a > 12) & (a <= 31) & (b <= 12)).sum())
            mdy = int(((b > 12) & (b <= 31) & (a <= 12)).sum())
            if dmy or mdy:
                order = "dmy" if dmy >= mdy else "mdy"
                self.date_orders[col] = order
                if dmy and mdy:
                    self.notes.append(f"{col}: {min(dmy, mdy)} dates contradict the "
                                      f"{'day' if order == 'dmy' else 'month'}-first order of the column")
            else:
                undecided.append(col)
        for col in undecided:
            decided = [o for c, o in self.date_orders.items() if c != col]
            order = decided[0] if decided else "dmy"
            self.date_orders[col] = order
            why = f"like column(s) {', '.join(c for c in self.date_orders if c != col and c not in undecided)}" \
                if decided else "by default; set date_order in the mapping"
            self.notes.append(f"{col}: slash dates are ambiguous (day and month both <= 12); read "
                              f"{'day' if order == 'dmy' else 'month'}-first {why}")

    def _parse(self, col: str, spec: ColumnSpec, text: pd.Series, empty: pd.Series
               ) -> tuple[pd.Series, pd.Series | None]:
        t = spec.type
        idx = text.index
        none = pd.Series([None] * len(idx), index=idx, dtype=object)
        if t in IDENTIFIER_TYPES:
            return self.pseudo.series("identifier" if t == "identifier" else t, text).where(~empty, None), None
        if t in ("string", "text", "url", "domain", "handle", "enum", "country", "language"):
            limit = spec.max_length or MAX_LEN.get(t, 1000)
            lens = text.str.len()
            reason = _why(lens > limit, lens, lambda n: f"field {col!r} is {n:,} characters long (limit {limit:,})")
            formula = text.str.match(FORMULA).astype(bool)
            if t == "handle":
                formula &= text.str.contains("(", regex=False).astype(bool)
            reason = _merge(reason, _why(formula, text, lambda v: f"{col!r} looks like a spreadsheet formula "
                                                                  f"({short(v, 30)!r}); not imported"))
            parsed = text.where(~empty, None)
            if t in ("domain", "handle", "enum", "country", "language"):
                fn: Callable[[str], str | None] = {
                    "domain": normalise_host, "handle": normalise_handle,
                    "country": lambda v: v.upper() if re.fullmatch(r"[A-Za-z]{2}", v) else None,
                    "language": lambda v: v.lower() if re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?", v) else None,
                    "enum": self._enum(spec),
                }[t]
                parsed, bad = _per_value(text, empty, fn, f"not a valid {t} for {col!r}")
                if t == "enum":
                    bad = _why(bad != "", text, lambda v: f"unknown value {short(v, 30)!r} in {col!r} (expected "
                                                          f"{', '.join(spec.values or [])})")
                reason = _merge(reason, bad)
            return parsed.where(reason == "", None), reason
        if t in ("int", "float", "amount"):
            parsed, bad = _per_value(text, empty, _number, "")
            bad = _why(bad != "", text, lambda v: f"{col!r} is not a number: {short(v, 30)!r}")
            num = pd.to_numeric(parsed, errors="coerce")
            if t == "int":
                frac = (num % 1 != 0) & num.notna()
                bad = _merge(bad, _why(frac, text, lambda v: f"{col!r} must be a whole number: {short(v, 20)!r}"))
            lo = spec.min if spec.min is not None else (0 if t == "amount" else None)
            if lo is not None:
                neg = num < lo
                word = "negative amount" if t == "amount" and lo == 0 else f"value below {lo:g}"
                bad = _merge(bad, _why(neg, text, lambda v: f"{word} {short(v, 20)!r} in {col!r}"))
            if spec.max is not None:
                hi = spec.max
                bad = _merge(bad, _why(num > hi, text, lambda v: f"{col!r} above {hi:g}: {short(v, 20)!r}"))
            vals = num.astype(object).where(num.notna() & (bad == ""), None)
            if t == "int":
                vals = vals.map(lambda v: None if v is None else int(v))
            return vals, bad
        if t == "currency":
            up = text.str.upper().map(lambda v: SYMBOLS.get(v, v))
            ok = up.isin(CURRENCIES) | empty
            bad = _why(~ok, text, lambda v: f"unknown currency {short(v, 12)!r} in {col!r} (use an ISO code "
                                            "such as EUR)")
            return up.where(ok & ~empty, None), bad
        if t == "bool":
            low = text.str.lower()
            val = low.map(lambda v: True if v in TRUE else False if v in FALSE else None)
            bad = _why(val.isna() & ~empty, text, lambda v: f"{col!r} is not yes/no: {short(v, 20)!r}")
            return val.astype(object).where(val.notna(), None), bad
        if t in ("date", "month"):
            order = self.date_orders.get(col, "dmy")
            parsed, bad = _per_value(text, empty, lambda v: _date(v, order), "")
            bad = _why(bad != "", text, lambda v: _date_reason(v, col))
            if t == "month":
                parsed = parsed.map(lambda v: None if v is None else str(v)[:7])
            return parsed, bad
        if t == "datetime":
            ts = pd.to_datetime(text.where(~empty, None), format="ISO8601", utc=True, errors="coerce")
            fail = ts.isna() & ~empty
            if fail.any():  # day-level or odd formats: per value
                order = self.date_orders.get(col, "dmy")
                alt = text[fail].map(lambda v: _date(v, order))
                ts.loc[fail] = pd.to_datetime(alt.where(alt.map(lambda v: isinstance(v, str) and len(v) == 10)),
                                              utc=True, errors="coerce")
                fail = ts.isna() & ~empty
            return ts, _why(fail, text, lambda v: f"{col!r} is not a date and time: {short(v, 30)!r}")
        return none, None  # pragma: no cover

    def _enum(self, spec: ColumnSpec) -> Callable[[str], str | None]:
        def compact(v: str) -> str:
            return re.sub(r"[^a-z0-9]", "", strip_accents(v).lower())

        table = {compact(v): v for v in spec.values or []}
        table.update({compact(k): v for k, v in spec.map.items()})
        return lambda v: table.get(compact(v))

    def _derived(self, frame: pd.DataFrame, texts: dict[str, pd.Series], reasons: list[pd.Series]) -> None:
        for col, spec in self.m.columns.items():
            if spec.type == "ip" and col in texts:
                name = self.m.field_of(col)
                net, ver = self.pseudo.network_series(texts[col])
                frame[f"{name}_network"] = net.where(net != "", None)
                frame[f"{name}_version"] = ver

    def _convert_amounts(self, frame: pd.DataFrame, reasons: list[pd.Series]) -> None:
        amounts = [(self.m.field_of(c), s) for c, s in self.m.columns.items() if s.type == "amount" and s.currency]
        if not amounts or frame.empty:
            return
        fields = self.m.fields
        for name, spec in amounts:
            assert spec.currency is not None
            cur = frame[spec.currency] if spec.currency in fields else pd.Series(spec.currency, index=frame.index)
            frame[f"{name}_original"] = frame[name]
            if self.rates is None:
                continue
            month = frame[spec.date].map(lambda v: str(v)[:7] if isinstance(v, str) else None) if spec.date \
                else pd.Series(None, index=frame.index, dtype=object)
            keys = pd.DataFrame({"c": cur, "m": month}).drop_duplicates()
            table = {(c, m): (self.rates.rate(c, m) if isinstance(c, str) else None) for c, m in keys.itertuples(index=False)}
            rate = pd.Series([table[(c, m)] for c, m in zip(cur, month, strict=True)], index=frame.index, dtype=object)
            missing = rate.isna() & cur.notna() & frame[name].notna()
            reasons.append(_why(missing, cur.astype(str) + " in " + month.fillna("any month"),
                                f"no {self.rates.target} rate for {{}}".format))
            frame[name] = [None if v is None or r is None else round(float(v) * float(r), 2)
                           for v, r in zip(frame[name], rate, strict=True)]
        if self.rates is not None:
            for _name, spec in amounts:
                if spec.currency in fields:
                    frame[f"{spec.currency}_original"] = frame[spec.currency]
                    frame[spec.currency] = frame[spec.currency].where(frame[spec.currency].isna(), self.rates.target)


def _take(parsed: pd.Series, idx: np.ndarray) -> Any:
    """Per-distinct parsed values as a per-row Arrow array."""
    import pyarrow as pa

    if isinstance(parsed.dtype, pd.DatetimeTZDtype) or parsed.dtype.kind == "M":
        arr = pa.array(parsed, type=pa.timestamp("ns", tz="UTC"), from_pandas=True)
    else:
        arr = pa.array(parsed.tolist(), from_pandas=True)
    return arr.take(pa.array(idx))


def _number(v: str) -> float | None:
    r = parse_amount(v)
    return None if isinstance(r, str) else r


def _per_value(text: pd.Series, empty: pd.Series, fn: Callable[[str], Any], reason: str
               ) -> tuple[pd.Series, pd.Series]:
    uniq = pd.unique(text[~empty])
    table = {v: fn(v) for v in uniq}
    parsed = text.map(table).where(~empty, None).astype(object)
    parsed = parsed.where(parsed.notna(), None)
    bad = pd.Series(np.where(parsed.isna() & ~empty, reason or "x", ""), index=text.index, dtype=object)
    return parsed, bad


def _why(mask: pd.Series, values: pd.Series, fmt: Callable[[Any], str]) -> pd.Series:
    """Reasons where ``mask`` holds (built only for those rows), ``""`` elsewhere."""
    out = pd.Series("", index=values.index, dtype=object)
    mask = mask.fillna(False).astype(bool) if len(mask) else mask
    if len(mask) and mask.any():
        out[mask] = [fmt(v) for v in values[mask]]
    return out


def _merge(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.where(a != "", b)


def _combine(reasons: list[pd.Series], idx: pd.Index) -> pd.Series:
    out = pd.Series("", index=idx, dtype=object)
    for r in reasons:
        r = r.reindex(idx, fill_value="")
        add = r != ""
        if add.any():
            out[add] = [f"{a}; {b}" if a else b for a, b in zip(out[add], r[add], strict=True)]
    return out


def _date(v: str, order: str) -> str | None:
    """``YYYY-MM-DD`` or None (impossible or unreadable)."""
    import datetime as dt

    y = mo = d = None
    m = ISO_DATE.match(v)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := SLASH.match(v):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        d, mo = (a, b) if order == "dmy" else (b, a)
    elif m := DMON.match(v):
        d, mo, y = int(m.group(1)), MONTHS.get(m.group(2)[:3].lower()), int(m.group(3))
    elif m := MOND.match(v):
        mo, d, y = MONTHS.get(m.group(1)[:3].lower()), int(m.group(2)), int(m.group(3))
    elif re.fullmatch(r"\d{4}-\d{2}", v):
        y, mo, d = int(v[:4]), int(v[5:]), 1
    if y is None or mo is None or d is None:
        return None
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def _date_reason(v: str, col: str) -> str:
    shaped = SLASH.match(v) or ISO_DATE.match(v) or DMON.match(v) or MOND.match(v)
    if shaped:
        return f"impossible date {short(v, 30)!r} in {col!r}"
    return f"{col!r} is not a date: {short(v, 30)!r}"
