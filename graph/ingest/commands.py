"""CLI commands of the importers: import, review, forget, retention (heavy imports inside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def register(group: click.Group) -> None:
    for command in (import_, review, forget, retention):
        group.add_command(command)


@click.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--preset", "-p", help="Preset name or mapping YAML file (see --list-presets).")
@click.option("--rates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="FX table (currency, month, rate_to_<CUR>) to normalise amounts.")
@click.option("--network", help="Affiliate network name for ids and events (overrides the preset).")
@click.option("--dry-run", is_flag=True, help="Validate and show what would change; write nothing.")
@click.option("--full", is_flag=True, help="Rewrite every row, ignoring the incremental ledger.")
@click.option("--list-presets", is_flag=True, help="List the shipped presets and exit.")
@click.pass_obj
def import_(obj: Any, files: tuple[Path, ...], preset: str | None, rates: Path | None, network: str | None,
            dry_run: bool, full: bool, list_presets: bool) -> None:
    """Import CRM or affiliate-network exports (CSV, xlsx, JSON, JSONL) through a mapping."""
    from graph.errors import InputError
    from graph.ingest.mapping import load_mapping, preset_names

    if list_presets:
        for name in preset_names():
            click.echo(f"{name}: {load_mapping(name).description}")
        return
    if not files or not preset:
        raise InputError("give one or more FILES and --preset", hint="see partnergraph import --list-presets")
    from graph.ingest.pipeline import Importer
    from graph.ingest.validate import Rates

    mapping = load_mapping(preset)
    importer = Importer(obj.store(), obj.settings, rates=Rates.read(rates) if rates else None,
                        network=network, dry_run=dry_run, full=full)
    for f in files:
        report = importer.run(f, mapping)
        for line in report.lines():
            click.echo(line)


@click.command()
@click.option("--accept", "accept", type=int, multiple=True, help="Merge the pair with this review id.")
@click.option("--reject", "reject", type=int, multiple=True, help="Mark the pair as different partners.")
@click.option("--by", default="cli", show_default=True, help="Who decides (kept with the decision).")
@click.option("--limit", default=30, show_default=True, help="Pending pairs to list.")
@click.pass_obj
def review(obj: Any, accept: tuple[int, ...], reject: tuple[int, ...], by: str, limit: int) -> None:
    """List entity-resolution pairs waiting for a decision, or accept/reject them."""
    from graph.ingest.review import decide, pending

    if accept or reject:
        for line in decide(obj.store(), obj.settings, accept=accept, reject=reject, by=by):
            click.echo(line)
        return
    items = pending(obj.settings, limit)
    if not items:
        click.echo("no pairs waiting for review")
    for it in items:
        click.echo(f"#{it['id']}  {it['score']:.2f}  {it['record']}  ~  {it['target']}  ({it['why']})")


@click.command()
@click.option("--partner", help="Node id or CRM id of a partner: erase it and everything derived from it.")
@click.option("--identifier", help="A raw end-user identifier (IP, device id, email, payment account, click id).")
@click.pass_obj
def forget(obj: Any, partner: str | None, identifier: str | None) -> None:
    """Erase a partner or an end-user identifier and everything derived from it (GDPR)."""
    from graph.errors import InputError
    from graph.ingest.privacy import forget_identifier, forget_partner

    if bool(partner) == bool(identifier):
        raise InputError("give exactly one of --partner or --identifier")
    lines = (forget_partner(obj.store(), obj.settings, partner) if partner
             else forget_identifier(obj.store(), obj.settings, identifier or ""))
    for line in lines:
        click.echo(line)


@click.command()
@click.option("--days", type=click.IntRange(min=1), required=True, help="Keep this many days of events.")
@click.option("--today", help="Reference date YYYY-MM-DD (default: today, UTC).")
@click.pass_obj
def retention(obj: Any, days: int, today: str | None) -> None:
    """Drop event partitions older than N days; graph aggregates are kept."""
    from graph.ingest.privacy import apply_retention

    for line in apply_retention(obj.settings, days, today=today):
        click.echo(line)
