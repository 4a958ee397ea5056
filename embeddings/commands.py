"""CLI commands owned by the embeddings layer: embed, search. Heavy imports stay inside."""

from __future__ import annotations

import json
from typing import Any

import click


def register(group: click.Group) -> None:
    for command in (embed, search):
        group.add_command(command)


@click.command()
@click.option("--no-tags", is_flag=True, help="Only embed and index vectors; skip IAB tagging and brand safety.")
@click.option("--retag", is_flag=True, help="Tag again even when texts, links, taxonomy and model are unchanged.")
@click.pass_obj
def embed(obj: Any, no_tags: bool, retag: bool) -> None:
    """Embed texts (cached by content hash), tag IAB topics/audiences/categories, flag brand safety."""
    from embeddings.stage import run_embed

    report = run_embed(obj.store(), obj.settings, tag_nodes=not no_tags, retag=retag)
    click.echo(f"embed {report.summary()}")
    click.echo(f"model {report.model_id}; vectors in {obj.settings.home / 'vectors'}")


@click.command()
@click.argument("text")
@click.option("--type", "type_", type=click.Choice(["publisher", "influencer", "any"]), default="any",
              show_default=True, help="Partner type.")
@click.option("--country", help="ISO country code, e.g. FR.")
@click.option("--language", help="Language code, e.g. fr.")
@click.option("--min-audience", type=int, help="Minimum audience size.")
@click.option("--safe-only", is_flag=True, help="Leave out partners with a brand-safety flag.")
@click.option("--k", type=int, default=20, show_default=True, help="Number of partners.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def search(obj: Any, text: str, type_: str, country: str | None, language: str | None,
           min_audience: int | None, safe_only: bool, k: int, fmt: str) -> None:
    """Semantic partner search: ranked partners with matched texts and topics as reasons."""
    from dataclasses import asdict

    from embeddings.encoder import TextEncoder
    from embeddings.search import timed_search

    encoder = TextEncoder.from_settings(obj.settings)
    encoder.model  # noqa: B018  load before timing the search
    hits, ms = timed_search(obj.store(), encoder, text, type=type_, country=country, language=language,
                            min_audience=min_audience, safe_only=safe_only, k=k)
    if fmt == "json":
        click.echo(json.dumps([asdict(h) for h in hits], indent=1, default=str))
        return
    for rank, h in enumerate(hits, 1):
        flag = " [brand-safety flag]" if h.brand_safety_flag else ""
        click.echo(f"{rank:>3}. {h.score:.3f}  {h.type:<10} {h.name} ({h.country or '-'}, "
                   f"{h.language or '-'}){flag}")
        click.echo(f"      {h.reasons()}")
    click.echo(f"({len(hits)} partners, {ms:.0f} ms)")
