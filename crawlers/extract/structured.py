"""Structured data through extruct: JSON-LD, OpenGraph and microdata, flattened for lookups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor
from extruct.w3cmicrodata import LxmlMicrodataExtractor

_JSONLD = JsonLdExtractor()
_OG = OpenGraphExtractor()
_MICRODATA = LxmlMicrodataExtractor()


@dataclass
class Structured:
    jsonld: list[dict[str, Any]] = field(default_factory=list)  # flattened @graph nodes
    opengraph: dict[str, list[str]] = field(default_factory=dict)
    microdata: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0

    def og(self, key: str) -> str | None:
        vals = self.opengraph.get(key)
        return vals[0] if vals else None

    def nodes(self) -> Iterator[dict[str, Any]]:
        """JSON-LD nodes then microdata items, normalised to {@type, props...}."""
        yield from self.jsonld
        for it in self.microdata:
            props = dict(it.get("properties") or {})
            t = it.get("type")
            props["@type"] = [x.rsplit("/", 1)[-1] for x in t] if isinstance(t, list) else (
                str(t).rsplit("/", 1)[-1] if t else None)
            yield props


def types_of(node: dict[str, Any]) -> set[str]:
    t = node.get("@type")
    if isinstance(t, list):
        return {str(x) for x in t}
    return {str(t)} if t else set()


def _flatten(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, list):
        for d in doc:
            yield from _flatten(d)
    elif isinstance(doc, dict):
        if "@graph" in doc:
            yield from _flatten(doc["@graph"])
        yield doc


def extract_structured(tree: lxml.html.HtmlElement | None, url: str) -> Structured:
    s = Structured()
    if tree is None:
        return s
    try:
        s.jsonld = list(_flatten(_JSONLD.extract_items(tree)))
    except Exception:  # noqa: BLE001 - third-party parser on hostile markup: count, go on
        s.errors += 1
    try:
        for item in _OG.extract_items(tree):
            for k, v in item.get("properties", []):
                s.opengraph.setdefault(k, []).append(str(v).strip())
    except Exception:  # noqa: BLE001
        s.errors += 1
    try:
        if tree.find(".//*[@itemscope]") is not None:
            s.microdata = list(_MICRODATA.extract_items(tree, url))
    except Exception:  # noqa: BLE001
        s.errors += 1
    return s
