from __future__ import annotations

from pathlib import Path

from graph.schema import NODES, RELS
from graph.schema_doc import render

ROOT = Path(__file__).resolve().parents[1]


def test_schema_doc_is_generated_from_code() -> None:
    doc = (ROOT / "docs" / "schema.md").read_text()
    assert render(doc) == doc, "run `python -m graph.schema_doc` to refresh docs/schema.md"
    for label in NODES:
        assert f"`{label}`" in doc
    for rel in RELS:
        assert f"`{rel}`" in doc
    assert "```mermaid" in doc


def test_iab_attribution_is_shipped() -> None:
    readme = (ROOT / "graph" / "data" / "iab" / "README.md").read_text()
    assert "Creative Commons Attribution 3.0" in readme and "IAB Tech Lab" in readme


def test_evaluation_doc_records_the_frozen_config_hashes() -> None:
    from graph.generator import GENERATOR_VERSION, config_hash

    doc = (ROOT / "docs" / "evaluation.md").read_text()
    assert f"**{GENERATOR_VERSION}**" in doc
    for scale in ("ci", "medium"):
        assert config_hash(scale, 7) in doc, f"docs/evaluation.md lacks the {scale} config hash"
