"""CLI commands of this area (registered by :mod:`gnn.commands`): ``partnergraph discover``."""

from __future__ import annotations

from typing import Any

import click


@click.command()
@click.option("--max-age-days", type=click.FloatRange(min=0.0), default=None,
              help="Retrain when the model is older than this many days "
                   "[default: the setting PARTNERGRAPH_DISCOVER_MAX_AGE_DAYS, 30].")
@click.option("--force-retrain", is_flag=True, help="Retrain even when the model is fresh and nothing drifted.")
@click.option("--no-train", is_flag=True, help="Never train in this run: reuse the model or rank by content.")
@click.option("--brand", "brands", multiple=True, metavar="ID",
              help="Only rescore this brand (repeatable); the others keep their current list.")
@click.option("--k", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="Recommendations per brand.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed for training.")
@click.option("--force-unlock", is_flag=True,
              help="Mark runs recorded as running by a job that died elsewhere as failed, and go on.")
@click.option("--no-progress", is_flag=True, help="No progress bars (log lines only).")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.pass_obj
def discover(obj: Any, max_age_days: float | None, force_retrain: bool, no_train: bool, brands: tuple[str, ...],
             k: int, seed: int, force_unlock: bool, no_progress: bool, as_json: bool) -> None:
    """Weekly partner discovery: (re)train when stale or drifted, score every eligible partner per
    brand, write RECOMMENDED edges with reasons under a DiscoveryRun."""
    import json
    from dataclasses import asdict

    from gnn.discover import DiscoverOptions, run_discovery
    from gnn.lock import DiscoveryLocked, current_holder

    holder = current_holder(obj.settings.home)  # refuse before opening the store
    if holder is not None:
        raise DiscoveryLocked(f"discovery is already running: {holder.describe()}",
                              hint="wait for it to finish")
    options = DiscoverOptions(k=k, max_age_days=max_age_days, force_retrain=force_retrain, brands=brands,
                              seed=seed, allow_training=not no_train, force_unlock=force_unlock)
    report = run_discovery(obj.store(), obj.settings, options, progress=not no_progress)
    if as_json:
        click.echo(json.dumps(asdict(report), indent=1, default=str))
    else:
        for line in report.lines():
            click.echo(line)


COMMANDS: list[click.Command] = [discover]
EVAL_COMMANDS: list[click.Command] = []
