"""One import: read a file in chunks, validate, resolve, write, quarantine, account.

``rows_in = rows_imported + rows_quarantined`` holds for every run and is stored on its
``(:ImportRun)``. Facts cite their row (``file:///…/export.csv#row=12``). Writes are MERGEs on
stable ids, and a ledger of row hashes (:mod:`graph.ingest.state`) makes re-imports write only
new or changed rows; an import killed halfway and re-run converges to the same graph.

Event files (click and conversion logs: ``events`` and no nodes or relationships) take a
columnar path when they are clean UTF-8 CSV: Arrow blocks of ~32 MB, each column's distinct
values parsed and pseudonymised once, day partitions written straight from Arrow. It gives the
line-by-line path's rows, reasons and row numbers (tests/ingest/test_columnar.py compares them);
a file it cannot read exactly (blank lines, multi-line records, other encodings) starts over
line by line. The ledger keeps an event file's content hash: the same file again writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.errors import PartnerGraphError
from graph.ingest import queries as Q
from graph.ingest.events import STANDARD, EventStore, aggregate
from graph.ingest.mapping import IDENTIFIER_TYPES, Const, Mapping, NodeSpec, Ref, Value
from graph.ingest.pseudonym import Pseudonymizer
from graph.ingest.quarantine import Quarantine
from graph.ingest.readers import BLOCK_BYTES, NotColumnar, TableReader, arrow_blocks
from graph.ingest.resolve import BrandMatcher, Match, PartnerIndex, Record
from graph.ingest.state import State
from graph.ingest.validate import Rates, Validator
from graph.schema import PARTNERS, ROLE_LABELS
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import GraphWriter, Provenance, new_run_id, now_iso

log = logging.getLogger(__name__)

#: the ledger key under which an event file's content hash and accounting are kept
FILE_KEY = "#file"


def _file_digest(path: Path, context: str) -> str:
    h = hashlib.sha256(f"{context}\x00".encode())
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
    return h.hexdigest()


@dataclass
class ImportReport:
    run_id: str
    file: str
    mapping: str
    dry_run: bool = False
    rows_in: int = 0
    rows_imported: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    written: dict[str, int] = field(default_factory=dict)
    would_write: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)
    events: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    quarantine: str | None = None
    mode: str = ""  # "columnar" (event files in Arrow blocks), "line by line", or "unchanged"
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def lines(self) -> list[str]:
        head = "dry run: " if self.dry_run else ""
        out = [f"{head}{Path(self.file.split('://', 1)[-1]).name} ({self.mapping}): rows_in {self.rows_in:,} = "
               f"imported {self.rows_imported:,} + quarantined {self.rows_quarantined:,}"
               + (f"; unchanged {self.rows_unchanged:,}" if self.rows_unchanged else "")]
        for k, n in self.reasons.most_common(8):
            out.append(f"  quarantined {n:,}: {k}")
        if self.written:
            out.append("  written: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.written.items())))
        if self.would_write:
            out.append("  would write: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.would_write.items())))
        if self.resolution:
            out.append("  resolution: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.resolution.items())))
        if self.events:
            out.append("  events: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.events.items())))
        out += [f"  note: {n}" for n in self.notes]
        if self.quarantine:
            out.append(f"  quarantine file: {self.quarantine}")
        return out

    def stats_json(self) -> str:
        return json.dumps({"v": 1, "reasons": dict(self.reasons), "written": self.written,
                           "unchanged": self.rows_unchanged, "resolution": dict(self.resolution),
                           "events": self.events, "notes": self.notes}, sort_keys=True)


def render(tpl: str, frame: pd.DataFrame, consts: dict[str, str]) -> pd.Series:
    """Fill an id template per row; None where a referenced field is empty."""
    out = pd.Series("", index=frame.index, dtype=object)
    ok = pd.Series(True, index=frame.index)
    for literal, name, _spec, _conv in string.Formatter().parse(tpl):
        out = out + literal
        if name:
            col = pd.Series(consts[name], index=frame.index) if name in consts else frame[name]
            present = col.notna() & (col.astype(str) != "")
            ok &= present
            out = out + col.astype(str).where(present, "")
    return out.where(ok, None)


def join_keys(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = frame[cols[0]].astype(str)
    for c in cols[1:]:
        out = out + "|" + frame[c].astype(str)
        out = out.astype(object)
    return out.astype(object)


def _rows(base: dict[str, pd.Series], props: dict[str, pd.Series], index: pd.Index) -> list[dict[str, Any]]:
    """Row dicts from aligned columns, built column-wise (no per-cell Series lookups)."""
    cols = {k: v.reindex(index).tolist() for k, v in base.items()}
    cols.update({k: [plain(x) for x in v.reindex(index).tolist()] for k, v in props.items()})
    names = list(cols)
    return [dict(zip(names, vals, strict=True)) for vals in zip(*(cols[n] for n in names), strict=True)]


def plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


class Importer:
    """Imports files into one store; build once per command and pass the store in."""

    def __init__(self, store: GraphStore, settings: Settings, *, rates: Rates | None = None,
                 network: str | None = None, dry_run: bool = False, full: bool = False,
                 columnar: bool = True, block_bytes: int = BLOCK_BYTES) -> None:
        self.store = store
        self.columnar = columnar  # event files in Arrow blocks when they allow it (False: line by line)
        self.block_bytes = block_bytes
        self.settings = settings
        self.rates = rates
        self.network = network
        self.dry_run = dry_run
        self.full = full
        self.pseudo = Pseudonymizer(settings.dev_pseudonym_key())
        self.events = EventStore(settings.home / "events")
        self._partners: PartnerIndex | None = None
        self._labels: dict[str, str] = {}
        self._crm: dict[str, tuple[str, str]] | None = None
        self._network_ids: dict[str, tuple[str, str]] | None = None
        self._brands: BrandMatcher | None = None

    # ---- lookups from the graph ---------------------------------------------------------

    def _load_partners(self) -> PartnerIndex:
        if self._partners is None:
            recs = []
            crm: dict[str, tuple[str, str]] = {}
            nets: dict[str, tuple[str, str]] = {}
            for label in PARTNERS:
                for r in Q.read_all(self.store, Q.PARTNER_RECORDS, label=label):
                    self._labels[r["id"]] = label
                    recs.append(Record(r["id"], label, r.get("name"), r.get("domain"),
                                       {r["handle"]} if r.get("handle") else set(), r.get("crm_id"),
                                       r.get("network_id")))
                    if r.get("crm_id"):
                        crm[str(r["crm_id"])] = (label, r["id"])
                    if r.get("network_id") and "Affiliate" in (r.get("labels") or []):
                        nets[str(r["network_id"])] = (label, r["id"])
            canonical = {}
            for label in PARTNERS:
                for e in Q.read_all(self.store, Q.SAME_AS_EDGES, label=label):
                    canonical[e["src"]] = e["dst"]
            for b in Q.read_all(self.store, Q.BRANDS):
                if b.get("crm_id"):
                    crm[str(b["crm_id"])] = ("Brand", b["id"])
            self._partners = PartnerIndex(recs, canonical)
            self._crm, self._network_ids = crm, nets
        return self._partners

    def _brand_matcher(self) -> BrandMatcher:
        if self._brands is None:
            self._brands = BrandMatcher(Q.read_all(self.store, Q.BRANDS))
        return self._brands

    def _lookup(self, ref: Ref, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(label, id) per row for a lookup reference; None where unresolved."""
        self._load_partners()
        assert self._crm is not None and self._network_ids is not None
        if ref.lookup == "brand":
            bm = self._brand_matcher()
            ids = values.map(lambda v: bm.match(v) if isinstance(v, str) else None)
            return ids.map(lambda i: None if i is None else "Brand"), ids
        table = self._crm if ref.lookup == "crm_id" else self._network_ids
        got = values.map(lambda v: table.get(str(v)) if v is not None else None)
        got = got.map(lambda t: t if t is not None and t[0] in ref.labels else None)
        return got.map(lambda t: None if t is None else t[0]), got.map(lambda t: None if t is None else t[1])

    # ---- the import ---------------------------------------------------------------------

    def run(self, path: Path | str, mapping: Mapping, *, progress: Callable[[int], None] | None = None
            ) -> ImportReport:
        path = Path(path).resolve()
        uri = path.as_uri()
        run_id = new_run_id("import")
        rep = ImportReport(run_id, uri, mapping.name, dry_run=self.dry_run)
        reader = TableReader(path, fmt=mapping.format, encoding=mapping.encoding,
                             delimiter=mapping.delimiter, sheet=mapping.sheet)
        validator = Validator(mapping, self.pseudo, self.rates)
        validator.bind(reader.header, reader.duplicates, path.name)
        network = self.network or (mapping.events.network if mapping.events else mapping.source_system)
        consts = {"_system": mapping.source_system, "_network": network}
        qpath = self.settings.home / "quarantine" / f"{run_id}.jsonl"
        quarantine = Quarantine(qpath, uri)
        state = State(self.settings.home)
        writer = GraphWriter(self.store, Provenance(uri, run_id), batch_size=self.settings.batch_size)
        sid = hashlib.sha256(f"{uri}|{mapping.name}".encode()).hexdigest()[:12]
        started = now_iso()
        events_only = mapping.events is not None and not mapping.nodes and not mapping.relationships
        digest = None
        if not self.dry_run:
            self._run_node(writer, rep, mapping, "running", started)
            graph_id = self.settings.graph_uri
            last = state.last_run(uri, mapping.name, graph_id)
            if self.full or (last and not Q.read_all(self.store, Q.RUN_EXISTS, {"id": last})[0]["n"]):
                state.forget_source(uri, mapping.name)
            if events_only:
                digest = _file_digest(path, f"{network}\x00{self.pseudo.key_id}")  # a new key re-imports
                if self._unchanged_events(state, uri, mapping, digest, rep):
                    self._run_node(writer, rep, mapping, "complete", started)
                    state.set_run(uri, mapping.name, self.settings.graph_uri, run_id)
                    state.close()
                    return rep
        seen: dict[str, int] = {}
        periods: set[str] = set()
        if mapping.events and not self.dry_run:
            periods |= self.events.clear_source(mapping.events.kind, sid)
        notes: list[str] = []
        t0 = time.perf_counter()
        try:
            done = False
            if events_only and self.columnar and validator.columnar():
                try:
                    periods |= self._columnar(reader, validator, mapping, network, sid, quarantine, rep, progress)
                    done = True
                    rep.mode = "columnar"
                except NotColumnar as exc:  # start again line by line, from a clean slate
                    log.info("%s: line-by-line import (%s)", path.name, exc)
                    notes.append(f"read line by line: {exc}")
                    quarantine.reset()
                    rep.rows_in = rep.rows_imported = rep.rows_quarantined = 0
                    rep.reasons.clear()
                    rep.events.clear()
                    assert mapping.events is not None
                    if not self.dry_run:
                        self.events.clear_source(mapping.events.kind, sid)
                    validator = Validator(mapping, self.pseudo, self.rates)
                    validator.bind(reader.header, reader.duplicates, path.name)
            if not done:
                rep.mode = "line by line"
                periods |= self._chunked(reader, validator, mapping, network, sid, uri, consts, quarantine,
                                         writer, state, rep, seen, progress)
            rep.timings["rows"] = round(time.perf_counter() - t0, 3)
            if mapping.events and not self.dry_run:
                rep.events.update(aggregate(self.store, writer, self.events, network, periods))
                rep.timings["aggregates"] = round(time.perf_counter() - t0 - rep.timings["rows"], 3)
            log.info("%s: %s rows %s in %.1f s", path.name, f"{rep.rows_in:,}", rep.mode,
                     time.perf_counter() - t0)
            rep.notes = (reader.notes + validator.notes + notes
                         + [f"{k}: {n:,}" for k, n in validator.warnings.items()])
            if rep.rows_in == 0:
                rep.notes.append("the file has a header but no data rows")
            if not self.dry_run:
                rep.written = dict(writer.written)
                self._run_node(writer, rep, mapping, "complete", started)
                state.set_run(uri, mapping.name, self.settings.graph_uri, run_id)
                if digest is not None:
                    state.record(uri, mapping.name, [(FILE_KEY, self._file_entry(digest, rep))])
        except PartnerGraphError:
            if not self.dry_run:
                self._run_node(writer, rep, mapping, "failed", started)
            raise
        finally:
            quarantine.close()
            state.close()
        rep.quarantine = str(qpath) if quarantine.count and not self.dry_run else None
        assert rep.rows_in == rep.rows_imported + rep.rows_quarantined
        return rep

    # ---- the file ledger of event sources ----------------------------------------------

    @staticmethod
    def _file_entry(digest: str, rep: ImportReport) -> str:
        return json.dumps({"sha256": digest, "rows_in": rep.rows_in, "imported": rep.rows_imported,
                           "quarantined": rep.rows_quarantined, "reasons": dict(rep.reasons)},
                          sort_keys=True)

    def _unchanged_events(self, state: State, uri: str, mapping: Mapping, digest: str, rep: ImportReport
                          ) -> bool:
        """An event file imported before with the same content (and network) into this graph:
        nothing to write; the report repeats the earlier accounting as unchanged rows."""
        entry = state.hashes(uri, mapping.name, [FILE_KEY]).get(FILE_KEY)
        if self.full or not entry:
            return False
        try:
            old = json.loads(entry)
        except ValueError:
            return False
        if old.get("sha256") != digest:
            return False
        rep.rows_in, rep.rows_imported = int(old["rows_in"]), int(old["imported"])
        rep.rows_quarantined = int(old["quarantined"])
        rep.rows_unchanged = rep.rows_imported
        rep.mode = "unchanged"
        rep.reasons.update(old.get("reasons") or {})
        rep.notes.append("the file was imported before with the same content: nothing written "
                         "(use --full to import it again)")
        return True

    # ---- the two ways through a file ------------------------------------------------------

    def _columnar(self, reader: TableReader, validator: Validator, mapping: Mapping, network: str, sid: str,
                  quarantine: Quarantine, rep: ImportReport, progress: Callable[[int], None] | None
                  ) -> set[str]:
        """An event file in large Arrow blocks: distinct values parsed and pseudonymised once,
        day partitions written straight from Arrow. Raises NotColumnar before a block it cannot
        read exactly like :meth:`_chunked` would."""
        assert mapping.events is not None
        kind = mapping.events.kind
        seen: dict[str, int] = {}
        periods: set[str] = set()
        for part, (row0, table) in enumerate(arrow_blocks(reader, self.block_bytes)):
            n = table.num_rows
            rows = np.arange(row0, row0 + n, dtype="int64")
            v = validator.validate_arrow(table)
            errors = dict(zip(v.bad.tolist(), v.reasons, strict=True))
            if mapping.key:
                self._arrow_duplicates(mapping, v.fields, rows, errors, seen)
            ok = np.ones(n, dtype=bool)
            if errors:
                bad = np.array(sorted(errors), dtype="int64")
                ok[bad] = False
                raw = table.take(pa.array(bad)).to_pandas()
                ids = {f: v.fields[f].take(pa.array(bad)).to_pylist() for f, spec in mapping.fields.items()
                       if spec.type in IDENTIFIER_TYPES and f in v.fields}
                for j, pos in enumerate(bad.tolist()):
                    parsed = pd.Series({f: vals[j] for f, vals in ids.items()}, dtype=object)
                    rep_values = self._safe_values(mapping, validator, raw.iloc[j], parsed)
                    self._quarantine(quarantine, rep, mapping, int(rows[pos]), errors[pos], rep_values)
            rep.rows_in += n
            imported = int(ok.sum())
            rep.rows_imported += imported
            rep.events[kind] = rep.events.get(kind, 0) + imported
            if not self.dry_run and imported:
                keep = pa.array(ok)
                fields = {f: a.filter(keep) for f, a in v.fields.items()}
                table_ev = self._event_table(mapping, fields, rows[ok], network)
                periods |= {d[:7] for d in self.events.append_table(kind, sid, part, table_ev)}
            if progress:
                progress(n)
        return periods

    @staticmethod
    def _arrow_duplicates(mapping: Mapping, fields: dict[str, Any], rows: np.ndarray, errors: dict[int, str],
                          seen: dict[str, int]) -> None:
        """Duplicate keys within the file (across blocks), as :meth:`_chunked` reports them."""
        cols = [["None" if v is None else str(v) for v in fields[k].to_pylist()] for k in mapping.key]
        keys = cols[0] if len(cols) == 1 else ["|".join(parts) for parts in zip(*cols, strict=True)]
        valid = np.ones(len(keys), dtype=bool)
        valid[list(errors)] = False
        index = pd.Index(keys)
        dup = np.zeros(len(keys), dtype=bool)
        dup[valid] = index[valid].duplicated(keep="first")
        dup |= valid & np.fromiter(map(seen.__contains__, keys), dtype=bool, count=len(keys))
        if dup.any():  # the first row of a key among this block's valid rows, unless seen before
            first_here = pd.Series(rows[valid], index=index[valid])
            first_here = first_here[~first_here.index.duplicated(keep="first")]
            for pos in np.flatnonzero(dup).tolist():
                k = keys[pos]
                shown = ", ".join(f"{f}={fields[f][pos].as_py()!r}" for f in mapping.key)
                errors[pos] = f"duplicate key {shown} (first at row {seen.get(k, first_here.get(k))})"
        fresh = valid & ~dup
        seen.update(zip(index[fresh].tolist(), rows[fresh].tolist(), strict=True))

    def _chunked(self, reader: TableReader, validator: Validator, mapping: Mapping, network: str, sid: str,
                 uri: str, consts: dict[str, str], quarantine: Quarantine, writer: GraphWriter, state: State,
                 rep: ImportReport, seen: dict[str, int], progress: Callable[[int], None] | None) -> set[str]:
        """Any file, line by line in chunks of rows (entities, references, resolution, events)."""
        periods: set[str] = set()
        fields = mapping.fields
        for part, chunk in enumerate(reader.chunks()):
            rep.rows_in += len(chunk.frame) + len(chunk.bad)
            for row, reason, values in chunk.bad:
                self._quarantine(quarantine, rep, mapping, row, reason, self._safe_raw(mapping, validator, values))
            if chunk.frame.empty:
                continue
            v = validator.validate(chunk.frame)
            errors = v.errors.copy()
            if mapping.key:
                keys = join_keys(v.frame, mapping.key).where(errors == "", None)
                for row, k in keys.dropna().items():
                    if k in seen:
                        shown = ", ".join(f"{f}={v.frame.at[row, f]!r}" for f in mapping.key)
                        errors[row] = f"duplicate key {shown} (first at row {seen[k]})"
                    else:
                        seen[k] = int(row)
            ok = errors == ""
            frame = v.frame[ok]
            refs, ref_errors = self._resolve_refs(mapping, frame)
            for row, reason in ref_errors.items():
                errors[row] = reason
            ok = errors == ""
            frame = v.frame[ok]
            for row in errors.index[~ok]:
                self._quarantine(quarantine, rep, mapping, int(row), str(errors[row]),
                                 self._safe_values(mapping, validator, chunk.frame.loc[row], v.frame.loc[row]))
            rep.rows_imported += len(frame)
            if mapping.events:
                if not self.dry_run:
                    days = self.events.append(mapping.events.kind, sid, part,
                                              self._event_frame(mapping, frame, network))
                    periods |= {d[:7] for d in days}
                rep.events[mapping.events.kind] = rep.events.get(mapping.events.kind, 0) + len(frame)
            if mapping.nodes or mapping.relationships:
                self._write_entities(mapping, chunk.frame.loc[frame.index], frame, refs, uri, consts,
                                     writer, state, rep, fields)
            if progress:
                progress(len(chunk.frame) + len(chunk.bad))
        return periods

    def _run_node(self, writer: GraphWriter, rep: ImportReport, mapping: Mapping, status: str, started: str) -> None:
        row = {"id": rep.run_id, "file": rep.file, "preset": mapping.name, "status": status,
               "rows_in": rep.rows_in, "rows_imported": rep.rows_imported,
               "rows_quarantined": rep.rows_quarantined, "started_at": started,
               "finished_at": None if status == "running" else now_iso(), "stats": rep.stats_json()}
        self.store.upsert_nodes("ImportRun", writer.prov.stamp([row]))

    def _quarantine(self, q: Quarantine, rep: ImportReport, mapping: Mapping, row: int, reason: str,
                    values: dict[str, Any]) -> None:
        rep.rows_quarantined += 1
        from graph.ingest.quarantine import reason_kind

        rep.reasons[reason_kind(reason)] += 1
        if not self.dry_run:
            q.add(row, reason, values)

    def _safe_raw(self, mapping: Mapping, validator: Validator, values: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col, header in validator.columns.items():
            spec = mapping.columns[col]
            if spec.pii or header not in values:
                continue
            raw = values[header]
            if spec.type in IDENTIFIER_TYPES:
                raw = self.pseudo.token("identifier" if spec.type == "identifier" else spec.type, raw) if raw else ""
            out[col] = raw
        return out

    def _safe_values(self, mapping: Mapping, validator: Validator, raw: pd.Series, parsed: pd.Series
                     ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col, header in validator.columns.items():
            spec = mapping.columns[col]
            if spec.pii:
                continue
            out[col] = parsed[mapping.field_of(col)] if spec.type in IDENTIFIER_TYPES else raw[header]
        return out

    def _event_frame(self, mapping: Mapping, frame: pd.DataFrame, network: str) -> pd.DataFrame:
        assert mapping.events is not None
        e = mapping.events
        out = pd.DataFrame(index=frame.index)
        out["ts"] = pd.to_datetime(frame[e.timestamp], utc=True)
        out["network"] = network
        out["affiliate"] = frame[e.affiliate].astype(str)
        for col in STANDARD[e.kind]:
            if col not in out:
                out[col] = frame.get(col, None)
        out["source_row"] = frame.index.astype("int64")
        for k in e.keep:
            out[k] = frame[k].map(plain)
        for col in out.columns:
            if out[col].dtype == object:
                out[col] = out[col].map(plain)
        return out.reset_index(drop=True)

    def _event_table(self, mapping: Mapping, fields: dict[str, Any], rows: np.ndarray, network: str) -> pa.Table:
        """:meth:`_event_frame` for Arrow fields: the same columns, order and values."""
        assert mapping.events is not None
        e = mapping.events
        n = len(rows)
        ts = fields[e.timestamp]
        if not pa.types.is_timestamp(ts.type):
            ts = pa.array(pd.to_datetime(ts.to_pandas(), utc=True), type=pa.timestamp("ns", tz="UTC"))
        out: dict[str, Any] = {"ts": ts.cast(pa.timestamp("ns", tz="UTC")),
                               "network": pa.array(np.full(n, network, dtype=object), type=pa.string()),
                               "affiliate": pa.array(fields[e.affiliate].to_pandas().astype(str), type=pa.string())}
        for col in STANDARD[e.kind]:
            if col not in out:
                out[col] = fields.get(col, pa.nulls(n))
        out["source_row"] = pa.array(rows, type=pa.int64())
        for k in e.keep:
            out[k] = fields[k]
        for k, arr in out.items():
            if k != "ts" and pa.types.is_timestamp(arr.type):  # as plain() writes them
                out[k] = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")
        return pa.table(out)

    # ---- references and entities ---------------------------------------------------------

    def _resolve_refs(self, mapping: Mapping, frame: pd.DataFrame
                      ) -> tuple[dict[tuple[int, str], tuple[pd.Series, pd.Series]], dict[Any, str]]:
        refs: dict[tuple[int, str], tuple[pd.Series, pd.Series]] = {}
        errors: dict[Any, str] = {}
        for i, rel in enumerate(mapping.relationships):
            for end in ("src", "dst"):
                ref: Ref = getattr(rel, end)
                if not ref.lookup or frame.empty:
                    continue
                assert ref.field is not None
                vals = frame[ref.field]
                labels, ids = self._lookup(ref, vals)
                refs[(i, end)] = (labels, ids)
                if ref.required:
                    bad = ids.isna() & vals.notna()
                    if rel.when:
                        bad &= frame[rel.when].notna()
                    what = "brand" if ref.lookup == "brand" else "/".join(ref.labels) + f" with {ref.lookup}"
                    for row in bad[bad].index:
                        errors.setdefault(row, f"unknown {what} {str(vals[row])[:60]!r} in {ref.field!r} "
                                               "(import it first, or fix the reference)")
        return refs, errors

    def _row_hashes(self, raw: pd.DataFrame, mapping: Mapping) -> pd.Series:
        h = pd.util.hash_pandas_object(raw.astype(str), index=False)
        return h.astype(str) + f":{mapping.name}"

    def _write_entities(self, mapping: Mapping, raw: pd.DataFrame, frame: pd.DataFrame,
                        refs: dict[tuple[int, str], tuple[pd.Series, pd.Series]], uri: str,
                        consts: dict[str, str], writer: GraphWriter, state: State, rep: ImportReport,
                        fields: dict[str, Any]) -> None:
        if frame.empty:
            return
        keys = (join_keys(frame, mapping.key) if mapping.key
                else pd.Series(frame.index.astype(str), index=frame.index))
        hashes = self._row_hashes(raw, mapping)
        known = state.hashes(uri, mapping.name, keys.tolist()) if not self.full else {}
        changed = pd.Series([known.get(k) != h for k, h in zip(keys, hashes, strict=True)], index=frame.index)
        rep.rows_unchanged += int((~changed).sum())
        frame = frame[changed]
        if frame.empty:
            return
        source = pd.Series([f"{uri}#row={i}" for i in frame.index], index=frame.index)
        nodes: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        rels: dict[tuple[str, str, str, tuple[str, ...]], list[dict[str, Any]]] = {}
        node_ids: dict[int, tuple[pd.Series, pd.Series]] = {}
        for ni, spec in enumerate(mapping.nodes):
            ids = render(spec.id, frame, consts)
            if spec.when:
                ids = ids.where(frame[spec.when].notna(), None)
            labels = self._labels_for(spec, frame)
            if spec.resolve == "partner":
                labels = self._resolve_partners(spec, frame, ids, labels, fields, source, rels, state, rep)
            node_ids[ni] = (labels, ids)
            props = self._props(spec.set, frame)
            present = ids.dropna().index
            extra = tuple(spec.extra_labels)
            for lab, rowd in zip(labels.reindex(present).tolist(),
                                 _rows({"id": ids, "source": source}, props, present), strict=True):
                nodes.setdefault((lab, extra), []).append(rowd)
                if spec.label in PARTNERS or lab in PARTNERS or spec.label == "Brand":
                    self._remember(lab, rowd, extra)
        for i, rel in enumerate(mapping.relationships):
            ends = {}
            for end in ("src", "dst"):
                ref: Ref = getattr(rel, end)
                if ref.lookup:
                    lab, ids = refs[(i, end)]
                    lab, ids = lab.reindex(frame.index), ids.reindex(frame.index)
                else:
                    assert ref.id is not None
                    ids = render(ref.id, frame, consts)
                    lab = self._ref_labels(ref, ids, node_ids, mapping)
                ends[end] = (lab, ids)
            props = self._props(rel.set, frame)
            mask = ends["src"][1].notna() & ends["dst"][1].notna()
            if rel.when:
                mask &= frame[rel.when].notna()
            present = mask[mask].index
            built = _rows({"src": ends["src"][1], "dst": ends["dst"][1], "source": source}, props, present)
            for sl, dl, rowd in zip(ends["src"][0].reindex(present).tolist(),
                                    ends["dst"][0].reindex(present).tolist(), built, strict=True):
                if any(rowd.get(k) is None for k in rel.key):
                    continue
                rels.setdefault((rel.type, sl, dl, tuple(rel.key)), []).append(rowd)
        for (label, extra), rows in nodes.items():
            if self.dry_run:
                rep.would_write[f":{label}"] += len(rows)
            else:
                writer.nodes(label, rows, extra_labels=extra)
        for (rtype, src, dst, key), rows in rels.items():
            if self.dry_run:
                rep.would_write[f"[:{rtype}]"] += len(rows)
            else:
                writer.relationships(rtype, rows, src_label=src, dst_label=dst, key=key)
        if not self.dry_run:
            state.record(uri, mapping.name, zip(keys[changed], hashes[changed], strict=True))

    def _remember(self, label: str, row: dict[str, Any], extra: tuple[str, ...]) -> None:
        self._load_partners()
        assert self._crm is not None and self._network_ids is not None
        if row.get("crm_id"):
            self._crm[str(row["crm_id"])] = (label, row["id"])
        if row.get("network_id") and "Affiliate" in extra:
            self._network_ids[str(row["network_id"])] = (label, row["id"])
        if label == "Brand":
            self._brands = None
        self._labels[row["id"]] = label

    def _labels_for(self, spec: NodeSpec, frame: pd.DataFrame) -> pd.Series:
        if spec.label_from is None:
            return pd.Series(spec.label, index=frame.index, dtype=object)
        table = {k.lower(): v for k, v in spec.label_from.map.items()}
        col = frame[spec.label_from.field]
        return col.map(lambda v: table.get(str(v).lower(), spec.label) if v is not None else spec.label)

    def _ref_labels(self, ref: Ref, ids: pd.Series, node_ids: dict[int, tuple[pd.Series, pd.Series]],
                    mapping: Mapping) -> pd.Series:
        if len(ref.labels) == 1:
            return pd.Series(ref.labels[0], index=ids.index, dtype=object)
        for _ni, (labels, nids) in node_ids.items():  # the label a node of this row was given
            same = nids.reindex(ids.index) == ids
            if same.any():
                return labels.reindex(ids.index).where(same, ref.labels[0])
        return ids.map(lambda i: self._labels.get(i, ref.labels[0]) if i else ref.labels[0])

    @staticmethod
    def _props(spec: dict[str, Value], frame: pd.DataFrame) -> dict[str, pd.Series]:
        out = {}
        for prop, v in spec.items():
            out[prop] = (pd.Series([v.const] * len(frame), index=frame.index, dtype=object)
                         if isinstance(v, Const) else frame[v])
        return out

    def _resolve_partners(self, spec: NodeSpec, frame: pd.DataFrame, ids: pd.Series, labels: pd.Series,
                          fields: dict[str, Any], source: pd.Series,
                          rels: dict[tuple[str, str, str, tuple[str, ...]], list[dict[str, Any]]],
                          state: State, rep: ImportReport) -> pd.Series:
        index = self._load_partners()
        inverse = {v: k for k, v in spec.set.items() if isinstance(v, str)}
        handle_fields = [f for f, s in fields.items() if s.type == "handle"]

        def get(prop: str, row: Any) -> Any:
            f = inverse.get(prop)
            return None if f is None else plain(frame.at[row, f])

        labels = labels.copy()
        reviews = []
        for row in ids.dropna().index:
            rid = ids[row]
            if rid in index.records and spec.label_from is None:
                # already in the graph: keep the label it has there (resolution may have made
                # an affiliate an Influencer), or a re-import would MERGE a second node
                labels[row] = index.records[rid].label
            rec = Record(rid, labels[row], get("name", row), get("domain", row) or get("url", row),
                         {frame.at[row, f] for f in handle_fields if frame.at[row, f]},
                         get("crm_id", row), get("network_id", row))
            known = rid in index.records
            m: Match | None = index.resolve(rec)
            self._labels[rid] = labels[row]
            if m is None:
                rep.resolution["known" if known else "new"] += 1
                continue
            target_label = self._labels.get(m.target, "Publisher")
            if m.decision == "merge":
                rep.resolution["merged"] += 1
                if spec.label_from is None:
                    labels[row] = target_label  # an affiliate takes the label of the partner it is
                rels.setdefault(("SAME_AS", labels[row], target_label, ()), []).append(
                    {"src": rid, "dst": m.target, "score": m.score, "evidence": m.evidence_json(),
                     "source": source[row]})
            else:
                rep.resolution["to review"] += 1
                reviews.append({"record": rid, "target": m.target, "label": labels[row],
                                "target_label": target_label, "score": m.score, "evidence": m.evidence_json()})
            self._labels[rid] = labels[row]
        if reviews and not self.dry_run:
            state.queue(reviews)
        return labels


def import_path(store: GraphStore, settings: Settings, path: Path, mapping: Mapping, **kw: Any) -> ImportReport:
    """Import one file (a convenience for notebooks and tests)."""
    return Importer(store, settings, **kw).run(path, mapping)


__all__ = ["ROLE_LABELS", "ImportReport", "Importer", "import_path", "render"]
