"""The YAML mapping: which column feeds which entity, property, relationship or event field.

A user maps a new export by writing one of these, without code (presets in ``presets/``)::

    name: my-partners
    source_system: mycrm            # namespaces ids: crm:mycrm:...
    key: [crm_id]                   # duplicate keys within a file are quarantined
    columns:                        # header -> typed field
      Partner ID: {field: crm_id, required: true}
      Website: {field: domain, type: domain}
    nodes:
      - label: Publisher
        id: "crm:{crm_id}"
        set: {crm_id: crm_id, domain: domain}

Errors name the file, line and column of the YAML (``mapping.yaml:4:3: unknown key 'colums'
(did you mean 'columns'?)``).
"""

from __future__ import annotations

import difflib
import string
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graph.errors import InputError
from graph.schema import NODES, RELS, ROLE_LABELS

IDENTIFIER_TYPES = ("ip", "device", "click", "email", "payment", "customer", "identifier")
TEXT_TYPES = ("string", "text", "domain", "url", "handle", "country", "language", "enum")
TYPES = TEXT_TYPES + ("int", "float", "amount", "currency", "date", "datetime", "month", "bool") + IDENTIFIER_TYPES
LOOKUPS = ("id", "crm_id", "network_id", "brand")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnSpec(_Model):
    field: str | None = None
    type: Literal[
        "string", "text", "domain", "url", "handle", "country", "language", "enum", "int", "float",
        "amount", "currency", "date", "datetime", "month", "bool", "ip", "device", "click", "email",
        "payment", "customer", "identifier"] = "string"
    required: bool = False
    aliases: list[str] = Field(default_factory=list)
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    map: dict[str, str] = Field(default_factory=dict)
    date_order: Literal["auto", "dmy", "mdy"] = "auto"
    currency: str | None = None  # amount: the field holding its currency, or a fixed ISO code
    date: str | None = None  # amount: the field whose month picks the FX rate
    on_error: Literal["quarantine", "empty"] = "quarantine"
    pii: bool = False  # personal data of a business contact: read, never imported or quarantined


class Const(_Model):
    const: str | int | float | bool


Value = str | Const


class LabelFrom(_Model):
    field: str
    map: dict[str, str]


class NodeSpec(_Model):
    label: str
    label_from: LabelFrom | None = None
    id: str
    extra_labels: list[str] = Field(default_factory=list)
    set: dict[str, Value] = Field(default_factory=dict)
    when: str | None = None
    resolve: Literal["partner", "brand"] | None = None


class Ref(_Model):
    label: str | list[str]
    id: str | None = None
    lookup: Literal["id", "crm_id", "network_id", "brand"] | None = None
    field: str | None = None
    required: bool = True  # an unresolved reference quarantines the row; else the edge is skipped

    @model_validator(mode="after")
    def _one_way(self) -> Ref:
        if (self.id is None) == (self.lookup is None):
            raise ValueError("give either 'id' (a template) or 'lookup' with 'field'")
        if self.lookup and not self.field:
            raise ValueError("'lookup' needs 'field'")
        return self

    @property
    def labels(self) -> list[str]:
        return [self.label] if isinstance(self.label, str) else list(self.label)


class RelSpec(_Model):
    type: str
    src: Ref
    dst: Ref
    key: list[str] = Field(default_factory=list)
    set: dict[str, Value] = Field(default_factory=dict)
    when: str | None = None


class EventSpec(_Model):
    kind: Literal["click", "conversion"]
    timestamp: str
    affiliate: str
    network: str = "network"
    keep: list[str] = Field(default_factory=list)


class Mapping(_Model):
    version: Literal[1] = 1
    name: str
    description: str = ""
    source_system: str = "file"
    format: Literal["csv", "xlsx", "json", "jsonl"] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    key: list[str] = Field(default_factory=list)
    reporting_currency: str = "EUR"
    columns: dict[str, ColumnSpec]
    nodes: list[NodeSpec] = Field(default_factory=list)
    relationships: list[RelSpec] = Field(default_factory=list)
    events: EventSpec | None = None

    def field_of(self, column: str) -> str:
        return self.columns[column].field or column

    @property
    def fields(self) -> dict[str, ColumnSpec]:
        return {self.field_of(c): s for c, s in self.columns.items()}

    def derived(self) -> list[str]:
        """Fields the validator adds: ``<amount>_original``, ``<currency>_original``, ``<ip>_network``."""
        out = []
        for c, s in self.columns.items():
            name = self.field_of(c)
            if s.type == "amount" and s.currency:
                out += [f"{name}_original", f"{s.currency}_original"]
            if s.type == "ip":
                out += [f"{name}_network", f"{name}_version"]
        return out

    def check(self) -> list[tuple[tuple[Any, ...], str]]:
        """Semantic problems as (YAML path, message)."""
        out: list[tuple[tuple[Any, ...], str]] = []
        fields: dict[str, Any] = {**self.fields, **{d: None for d in self.derived()}}

        def need(path: tuple[Any, ...], name: str | None) -> None:
            if name is not None and name not in fields and not name.startswith("_"):
                close = difflib.get_close_matches(name, list(fields), n=1)
                out.append((path, f"unknown field {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")))

        def template(path: tuple[Any, ...], tpl: str) -> None:
            for name in template_fields(tpl):
                need(path, name)

        def values(path: tuple[Any, ...], mapping: dict[str, Value]) -> None:
            for prop, v in mapping.items():
                if isinstance(v, str):
                    need(path + (prop,), v)

        for c, spec in self.columns.items():
            if spec.type == "enum" and not spec.values:
                out.append((("columns", c), "an enum column needs 'values'"))
            if spec.type == "amount" and spec.currency and spec.currency not in fields and len(spec.currency) != 3:
                out.append((("columns", c, "currency"), f"{spec.currency!r} is neither a field nor an ISO code"))
            need(("columns", c, "date"), spec.date)
        for k in self.key:
            need(("key",), k)
        for i, n in enumerate(self.nodes):
            p: tuple[Any, ...] = ("nodes", i)
            for lbl in [n.label, *n.extra_labels, *(n.label_from.map.values() if n.label_from else [])]:
                if lbl not in NODES:
                    out.append((p + ("label",), f"unknown node label {lbl!r}"))
            if n.label in ROLE_LABELS:
                out.append((p + ("label",), f"{n.label} is a role label; put it in extra_labels"))
            template(p + ("id",), n.id)
            values(p + ("set",), n.set)
            need(p + ("when",), n.when)
            if n.label_from:
                need(p + ("label_from", "field"), n.label_from.field)
        for i, r in enumerate(self.relationships):
            p = ("relationships", i)
            if r.type not in RELS:
                out.append((p + ("type",), f"unknown relationship type {r.type!r}"))
                continue
            for end in ("src", "dst"):
                ref: Ref = getattr(r, end)
                for lbl in ref.labels:
                    if lbl not in NODES:
                        out.append((p + (end, "label"), f"unknown node label {lbl!r}"))
                if ref.id:
                    template(p + (end, "id"), ref.id)
                need(p + (end, "field"), ref.field)
            pairs = set(RELS[r.type].pairs)
            for a in r.src.labels:
                for b in r.dst.labels:
                    if (a, b) not in pairs:
                        out.append((p, f"[:{r.type}] cannot link {a} to {b}"))
            values(p + ("set",), r.set)
            for k in r.key:
                if k not in r.set:
                    out.append((p + ("key",), f"key property {k!r} is not in 'set'"))
            need(p + ("when",), r.when)
        if self.events:
            e = self.events
            need(("events", "timestamp"), e.timestamp)
            need(("events", "affiliate"), e.affiliate)
            for k in e.keep:
                need(("events", "keep"), k)
            for f, spec in self.fields.items():
                if spec.type in IDENTIFIER_TYPES and f in e.keep:
                    out.append((("events", "keep"), f"{f!r} is an identifier; it is stored pseudonymised already"))
        if not self.nodes and not self.relationships and not self.events:
            out.append(((), "a mapping needs 'nodes', 'relationships' or 'events'"))
        return out


def template_fields(tpl: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(tpl) if name]


# ---------------------------------------------------------------------------------- loading


def _locate(node: yaml.Node | None, path: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node at ``path`` (keys and list indexes), or the deepest one found."""
    cur = node
    for step in path:
        if isinstance(cur, yaml.MappingNode):
            nxt = None
            for k, v in cur.value:
                if str(k.value) == str(step):
                    nxt = v if not isinstance(step, str) or step != "__key__" else k
                    break
            if nxt is None:
                return cur
            cur = nxt
        elif isinstance(cur, yaml.SequenceNode) and isinstance(step, int) and step < len(cur.value):
            cur = cur.value[step]
        else:
            return cur
    return cur


def _key_node(node: yaml.Node | None, path: tuple[Any, ...], key: str) -> yaml.Node | None:
    parent = _locate(node, path)
    if isinstance(parent, yaml.MappingNode):
        for k, _v in parent.value:
            if str(k.value) == key:
                return k
    return parent


def _where(name: str, node: yaml.Node | None) -> str:
    if node is None:
        return name
    return f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    models: dict[str, type[BaseModel]] = {
        "columns": ColumnSpec, "nodes": NodeSpec, "relationships": RelSpec, "events": EventSpec,
        "src": Ref, "dst": Ref, "label_from": LabelFrom,
    }
    model: type[BaseModel] = Mapping
    for step in loc:
        if isinstance(step, str) and step in models:
            model = models[step]
    return list(model.model_fields)


def parse_mapping(text: str, name: str = "mapping.yaml") -> Mapping:
    """Parse and check a mapping; errors carry ``name:line:column``."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise InputError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{name}: a mapping must be a YAML object with 'name' and 'columns'")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        errs = exc.errors()
        err = next((e for e in errs if e["type"] == "extra_forbidden"), errs[0])  # a typo explains a "missing"
        loc = tuple(err["loc"])
        # pydantic adds the union member name to the path of str | Const values
        loc = tuple(s for s in loc if s not in ("str", "Const", "function-after[_one_way(), Ref]"))
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _allowed_keys(loc[:-1]), n=1)
            msg = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            node = _key_node(root, loc[:-1], key)
        elif err["type"] == "missing":
            msg = f"missing key {loc[-1]!r}"
            node = _locate(root, loc[:-1])
        else:
            msg = f"{'.'.join(str(s) for s in loc)}: {err['msg']}"
            node = _locate(root, loc)
        raise InputError(f"{_where(name, node)}: {msg}") from None
    problems = mapping.check()
    if problems:
        path, msg = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(f"{_where(name, _locate(root, path))}: {msg}{more}")
    return mapping


def preset_names() -> list[str]:
    folder = resources.files("graph.ingest") / "presets"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_mapping(ref: str | Path) -> Mapping:
    """A preset by name (``generator-partners``) or a mapping file by path."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return parse_mapping(path.read_text(encoding="utf-8"), str(path))
    name = str(ref)
    if name in preset_names():
        text = (resources.files("graph.ingest") / "presets" / f"{name}.yaml").read_text(encoding="utf-8")
        return parse_mapping(text, f"presets/{name}.yaml")
    raise InputError(f"no mapping file or preset named {name!r}",
                     hint=f"presets: {', '.join(preset_names())}")
