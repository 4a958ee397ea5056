"""Read tabular files in chunks: CSV (sniffed delimiter, optionally gzipped), xlsx, JSON, JSONL.

Every chunk is a frame of text cells (``""`` for missing), indexed by the record's line (CSV,
JSONL; the header is line 1) or sheet row (xlsx), plus the rows that could not even be split into
fields (``Chunk.bad``), so the pipeline can quarantine them instead of losing them.

Encodings: ``utf-8``, ``utf-8-sig`` and ``cp1252``/``latin-1``, declared or detected. Detection
decodes each line as UTF-8 and falls back to cp1252 for the lines that are not, so a file with
mixed encodings still reads; the number of such lines is reported in ``notes``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from graph.errors import InputError

CHUNK_ROWS = 50_000
BLOCK_BYTES = 32 * 1024 * 1024
BLANK_LINE = re.compile(rb"(?:^|\n)[ \t\r]*\n")
SAMPLE = 256 * 1024
FORMATS = ("csv", "xlsx", "json", "jsonl")
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252",
             "windows-1252": "cp1252", "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}
csv.field_size_limit(max(csv.field_size_limit(), 4 * 1024 * 1024))


@dataclass
class Chunk:
    frame: pd.DataFrame  # text cells, index = source row number
    bad: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)  # (row, reason, values)


def detect_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith(".xls"):
        raise InputError(f"{path.name} is an old binary .xls workbook", hint="save it as .xlsx or CSV")
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".json"):
        return "json"
    return "csv"


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _looks_binary(sample: bytes) -> str | None:
    if sample.startswith(b"PK\x03\x04"):
        return "is a zip archive (an .xlsx workbook?), not a text file"
    if sample.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b")):
        return "is a binary file (PDF, image or archive), not a text file"
    if b"\x00" in sample[:8192]:
        return "contains NUL bytes: it is binary or UTF-16, not a UTF-8/cp1252 text file"
    ctrl = sum(1 for b in sample[:8192] if b < 32 and b not in (9, 10, 13))
    if sample and ctrl / min(len(sample), 8192) > 0.05:
        return "is mostly control characters: it looks binary"
    return None


class _LineDecoder:
    """Decode byte lines: the primary encoding, falling back to cp1252 line by line."""

    def __init__(self, primary: str, try_utf8: bool) -> None:
        self.primary = primary
        self.try_utf8 = try_utf8 or primary in ("utf-8", "utf-8-sig")
        self.fallback_lines = 0

    def __call__(self, raw: bytes) -> str:
        if self.try_utf8:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                self.fallback_lines += 1
                return raw.decode("cp1252", errors="replace")
        return raw.decode(self.primary, errors="replace")


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    cut = sample.rfind(b"\n")
    try:
        (sample if cut < 0 else sample[:cut]).decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # More than a few stray bytes: the file as a whole is a single-byte encoding.
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:65536], cp_isolation=["cp1252", "latin_1"]).best()
    return "latin-1" if best is not None and best.encoding == "latin_1" else "cp1252"


def _clean_header(raw: list[str]) -> tuple[list[str], dict[str, list[int]]]:
    names: list[str] = []
    seen: dict[str, list[int]] = {}
    for i, h in enumerate(raw, start=1):
        name = (h or "").replace("\ufeff", "").strip() or f"column_{i}"
        seen.setdefault(name, []).append(i)
        n = len(seen[name])
        names.append(name if n == 1 else f"{name}__{n}")
    return names, {k: v for k, v in seen.items() if len(v) > 1}


class TableReader:
    """A tabular file read in chunks of text cells."""

    def __init__(self, path: Path | str, *, fmt: str | None = None, encoding: str | None = None,
                 delimiter: str | None = None, sheet: str | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path} does not exist or is not a file")
        self.fmt = fmt or detect_format(self.path)
        if self.fmt not in FORMATS:
            raise InputError(f"unknown format {self.fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
        if encoding and encoding.lower() not in ENCODINGS and encoding.lower() != "auto":
            raise InputError(f"unsupported encoding {encoding!r}", hint="use utf-8, utf-8-sig, cp1252 or latin-1")
        self.declared_encoding = ENCODINGS.get((encoding or "").lower())
        self.delimiter = None if delimiter in (None, "auto") else delimiter.replace("\\t", "\t")
        self.sheet = sheet
        self.chunk_rows = chunk_rows
        self.notes: list[str] = []
        self.duplicates: dict[str, list[int]] = {}
        self.header: list[str] = []
        self.encoding = "utf-8"
        self.blank_lines = 0
        self._decoder: _LineDecoder | None = None
        if self.fmt in ("csv", "jsonl", "json"):
            self._probe_text()
        else:
            self._probe_xlsx()

    # ---- probing --------------------------------------------------------------------------

    def _probe_text(self) -> None:
        try:
            with _open_binary(self.path) as fh:
                sample = fh.read(SAMPLE)
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.path.name} cannot be read: {exc}") from None
        if not sample.strip():
            raise InputError(f"{self.path.name} is empty", hint="export the file again with its rows")
        problem = _looks_binary(sample)
        if problem:
            raise InputError(f"{self.path.name} {problem}")
        self.encoding = self.declared_encoding or detect_encoding(sample)
        if self.fmt != "csv":
            return
        text = sample.decode(self.encoding, errors="replace")
        first = text.lstrip("\ufeff").split("\n", 1)[0]
        if self.delimiter is None:
            try:
                lines = "\n".join(text.split("\n")[:50])
                self.delimiter = csv.Sniffer().sniff(lines, delimiters=",;\t|").delimiter
            except csv.Error:
                counts = {d: first.count(d) for d in ",;\t|"}
                self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        self.header, self.duplicates = _clean_header(header)

    def _probe_xlsx(self) -> None:
        import zipfile

        if not zipfile.is_zipfile(self.path):
            raise InputError(f"{self.path.name} is not an .xlsx workbook (not a zip archive)")
        rows = self._xlsx_rows()
        try:
            _, first = next(rows)
        except StopIteration:
            raise InputError(f"{self.path.name} has an empty sheet") from None
        self.header, self.duplicates = _clean_header(first)

    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(self.path, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many kinds for broken files
            raise InputError(f"{self.path.name} cannot be opened as .xlsx: {exc}") from None
        try:
            ws = wb[self.sheet] if self.sheet else wb.worksheets[0]
        except KeyError:
            raise InputError(f"{self.path.name} has no sheet {self.sheet!r}",
                             hint=f"sheets: {', '.join(wb.sheetnames)}") from None
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, [_cell_text(v) for v in row]
        wb.close()

    # ---- reading --------------------------------------------------------------------------

    def _lines(self) -> Iterator[str]:
        self._decoder = _LineDecoder(self.encoding, try_utf8=self.declared_encoding is None)
        dec = self._decoder
        with _open_binary(self.path) as fh:
            first = True
            for raw in fh:
                line = dec(raw)
                if first:
                    line = line.lstrip("\ufeff")
                    first = False
                yield line

    def chunks(self) -> Iterator[Chunk]:
        if self.fmt == "csv":
            yield from self._csv_chunks()
        elif self.fmt == "xlsx":
            yield from self._xlsx_chunks()
        elif self.fmt == "jsonl":
            yield from self._jsonl_chunks()
        else:
            yield from self._json_chunks()
        if self._decoder is not None and self._decoder.fallback_lines:
            if self._decoder.primary in ("utf-8", "utf-8-sig"):
                self.notes.append(f"{self._decoder.fallback_lines:,} lines were not UTF-8 and were read as cp1252")
            else:
                self.notes.append(f"read as {self._decoder.primary} ({self._decoder.fallback_lines:,} lines)")
        if self.blank_lines:
            self.notes.append(f"{self.blank_lines:,} blank lines skipped")

    def _frame(self, rows: list[list[str]], index: list[int]) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=self.header, dtype=object)
        df.index = pd.Index(index, name="row")
        return df

    def _csv_chunks(self) -> Iterator[Chunk]:
        reader = csv.reader(self._lines(), delimiter=self.delimiter or ",")
        ncol = len(self.header)
        try:
            next(reader)
        except (StopIteration, csv.Error):
            return
        rows: list[list[str]] = []
        index: list[int] = []
        bad: list[tuple[int, str, dict[str, str]]] = []
        while True:
            start = reader.line_num + 1
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                bad.append((start, f"malformed CSV line: {exc}", {}))
                continue
            if len(rec) != ncol:
                if not rec or (len(rec) == 1 and not rec[0].strip()):
                    self.blank_lines += 1
                    continue
                values = dict(zip(self.header, rec, strict=False))
                bad.append((start, f"row has {len(rec)} values but the header has {ncol} columns", values))
                continue
            rows.append(rec)
            index.append(start)
            if len(rows) >= self.chunk_rows:
                yield Chunk(self._frame(rows, index), bad)
                rows, index, bad = [], [], []
        if rows or bad:
            yield Chunk(self._frame(rows, index), bad)

    def _xlsx_chunks(self) -> Iterator[Chunk]:
        ncol = len(self.header)
        rows: list[list[str]] = []
        index: list[int] = []
        bad: list[tuple[int, str, dict[str, str]]] = []
        it = self._xlsx_rows()
        next(it, None)
        for i, rec in it:
            while len(rec) > ncol and rec[-1] == "":
                rec.pop()
            if not any(v.strip() for v in rec):
                self.blank_lines += 1
                continue
            if len(rec) > ncol:
                bad.append((i, f"row has {len(rec)} values but the header has {ncol} columns",
                            dict(zip(self.header, rec, strict=False))))
                continue
            rows.append(rec + [""] * (ncol - len(rec)))
            index.append(i)
            if len(rows) >= self.chunk_rows:
                yield Chunk(self._frame(rows, index), bad)
                rows, index, bad = [], [], []
        if rows or bad:
            yield Chunk(self._frame(rows, index), bad)

    def _records_to_chunk(self, recs: list[tuple[int, dict[str, Any]]],
                          bad: list[tuple[int, str, dict[str, str]]]) -> Chunk:
        for _, rec in recs:
            for k in rec:
                if k not in self.header:
                    self.header.append(k)
        rows = [[_cell_text(rec.get(h)) for h in self.header] for _, rec in recs]
        return Chunk(self._frame(rows, [i for i, _ in recs]), bad)

    def _jsonl_chunks(self) -> Iterator[Chunk]:
        recs: list[tuple[int, dict[str, Any]]] = []
        bad: list[tuple[int, str, dict[str, str]]] = []
        for i, line in enumerate(self._lines(), start=1):
            if not line.strip():
                self.blank_lines += 1
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append((i, f"line is not valid JSON: {exc.msg} at column {exc.colno}", {}))
                continue
            if not isinstance(obj, dict):
                bad.append((i, "line is JSON but not an object", {}))
                continue
            recs.append((i, _flatten(obj)))
            if len(recs) >= self.chunk_rows:
                yield self._records_to_chunk(recs, bad)
                recs, bad = [], []
        if recs or bad:
            yield self._records_to_chunk(recs, bad)

    def _json_chunks(self) -> Iterator[Chunk]:
        """A JSON list of records, or an object holding exactly one such list, streamed with
        ijson: memory stays bounded by the chunk size, whatever the file size."""
        import ijson

        try:
            prefix = self._json_records_prefix()
            bad: list[tuple[int, str, dict[str, str]]] = []
            recs: list[tuple[int, dict[str, Any]]] = []
            i = 0
            with _open_binary(self.path) as fh:
                records = ijson.items(_Utf8Stream(fh, self.encoding), prefix, use_float=True)
                for i, obj in enumerate(records, start=1):
                    if isinstance(obj, dict):
                        recs.append((i, _flatten(obj)))
                    else:
                        bad.append((i, "record is not a JSON object", {}))
                    if len(recs) + len(bad) >= self.chunk_rows:
                        yield self._records_to_chunk(recs, bad)
                        recs, bad = [], []
        except ijson.JSONError as exc:
            raise InputError(f"{self.path.name} is not valid JSON: {exc}",
                             hint="check the file is complete, or export it again") from None
        if recs or bad or i == 0:
            yield self._records_to_chunk(recs, bad)

    def _json_records_prefix(self) -> str:
        """``item`` for a top-level list; ``<key>.item`` for an object holding one list."""
        import ijson

        with _open_binary(self.path) as fh:
            events = ijson.parse(_Utf8Stream(fh, self.encoding))
            _, event, _ = next(events, ("", "end", None))
            if event == "start_array":
                return "item"
            if event != "start_map":
                raise InputError(f"{self.path.name}: expected a list of records")
            lists: list[str] = []
            key = ""
            for prefix, event, value in events:
                if prefix == "" and event == "map_key":
                    key = str(value)
                elif prefix == key and "." not in key and event == "start_array":
                    lists.append(key)
        if len(lists) != 1:
            raise InputError(f"{self.path.name}: expected a list of records or an object holding one list")
        return f"{lists[0]}.item"


class _Utf8Stream(io.RawIOBase):
    """A binary file in any detected encoding as a UTF-8 byte stream, read 1 MB at a time (for
    ijson; a JSON export is often one huge line, so it is not read line by line)."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        enc = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(enc)(errors="replace")
        self._buf = b""
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while len(self._buf) - self._pos < len(b):
            data = self._raw.read(1 << 20)
            text = self._decoder.decode(data, final=not data)
            self._buf = self._buf[self._pos:] + text.encode("utf-8", "surrogatepass")
            self._pos = 0
            if not data:
                break
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _cell_text(v: Any) -> str:
    import datetime as dt

    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


class NotColumnar(Exception):
    """The file needs the line-by-line reader (odd encoding, blank lines, multi-line or
    malformed records); raised before a block with such a line is handed out."""


def arrow_blocks(reader: TableReader, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, Any]]:
    """A clean UTF-8 CSV as ``(first row number, pyarrow.Table of text cells)`` blocks.

    Row numbers are the ones :meth:`TableReader.chunks` gives (header = line 1), which holds
    because each block is checked to hold exactly one record per line; anything else (blank
    lines, quoted newlines, wrong field counts, invalid UTF-8) raises :class:`NotColumnar`.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if reader.fmt != "csv" or reader.encoding not in ("utf-8", "utf-8-sig") or len(reader.header) < 2:
        raise NotColumnar(f"format {reader.fmt}, encoding {reader.encoding}")
    names = reader.header
    read = pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 22)
    parse = pacsv.ParseOptions(delimiter=reader.delimiter or ",", newlines_in_values=False,
                               ignore_empty_lines=False)
    conv = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                quoted_strings_can_be_null=False)
    row = 2
    rest = b""
    with _open_binary(reader.path) as fh:
        first = fh.readline()
        if not first.endswith(b"\n"):
            return
        while True:
            data = fh.read(block_bytes)
            buf = rest + data
            cut = len(buf) if not data else buf.rfind(b"\n") + 1
            if not data and buf and not buf.endswith(b"\n"):
                buf += b"\n"
                cut = len(buf)
            block, rest = buf[:cut], buf[cut:]
            if block:
                if BLANK_LINE.search(block):
                    raise NotColumnar("the file has blank lines")
                lines = block.count(b"\n")
                try:
                    table = pacsv.read_csv(pa.py_buffer(block), read_options=read, parse_options=parse,
                                           convert_options=conv)
                except (pa.ArrowInvalid, pa.ArrowException) as exc:
                    raise NotColumnar(str(exc).split("\n")[0]) from None
                if table.num_rows != lines:
                    raise NotColumnar(f"{lines} lines but {table.num_rows} records in a block")
                yield row, table
                row += lines
            if not data:
                break


def read_all(path: Path | str, **kw: Any) -> pd.DataFrame:
    """Every row of a small file as one frame (rates tables, tests)."""
    r = TableReader(path, **kw)
    frames = [c.frame for c in r.chunks()]
    return pd.concat(frames) if frames else pd.DataFrame(columns=r.header)
