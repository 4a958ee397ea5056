"""Render the schema tables of docs/schema.md from graph/schema.py (``python -m graph.schema_doc``)."""

from __future__ import annotations

from pathlib import Path

from graph.schema import CRAWL_PROVENANCE, NODES, PROVENANCE, RELS, SCHEMA_VERSION


def tables() -> str:
    out = [f"## Node labels (schema v{SCHEMA_VERSION})", "",
           "| label | meaning | properties (besides `id` and provenance) | indexes |",
           "| --- | --- | --- | --- |"]
    for n in NODES.values():
        idx = ["unique `id`"] + [f"`{p}`" for p in n.indexed]
        if n.fulltext:
            idx.append("full-text(" + ", ".join(n.fulltext) + ")")
        if n.vector:
            idx.append(f"vector(`{n.vector}`)")
        out.append(f"| `{n.label}` | {n.doc} | {', '.join(f'`{p}`' for p in n.properties)} | {'; '.join(idx)} |")
    out += ["", "## Relationship types", "",
            "| type | meaning | from → to | properties | key |", "| --- | --- | --- | --- | --- |"]
    for r in RELS.values():
        pairs = sorted({f"{a} → {b}" for a, b in r.pairs})
        pairs_text = ", ".join(pairs) if len(pairs) <= 4 else ", ".join(pairs[:4]) + f" (+{len(pairs) - 4})"
        props = ", ".join(f"`{p}`" for p in r.properties)
        out.append(f"| `{r.type}` | {r.doc} | {pairs_text} | {props} | {', '.join(r.key)} |")
    out += ["", "Every node and relationship also carries " + ", ".join(f"`{p}`" for p in PROVENANCE) + "; "
            "facts read from the web add " + ", ".join(f"`{p}`" for p in CRAWL_PROVENANCE) + "."]
    return "\n".join(out) + "\n"


BEGIN, END = "<!-- BEGIN GENERATED: python -m graph.schema_doc -->", "<!-- END GENERATED -->"


def render(doc: str) -> str:
    """``doc`` with the text between the GENERATED markers replaced by :func:`tables`."""
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables()}{END}{tail}"


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    path.write_text(render(path.read_text()))
