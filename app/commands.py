"""CLI commands owned by the app: demo, app and users."""

from __future__ import annotations

from typing import Any

import click


def register(group: click.Group) -> None:
    from app.users import users_group

    group.add_command(demo)
    group.add_command(app_command)
    group.add_command(users_group)


@click.command()
@click.option("--no-app", is_flag=True, help="Do not start the app at the end.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
@click.pass_obj
def demo(obj: Any, no_app: bool, no_progress: bool) -> None:
    """Generate the ci ecosystem, run every stage that exists, print a summary, start the app."""
    from app.demo import run_demo, summary_text

    store = obj.store()
    results = run_demo(store, obj.settings, progress=not no_progress)
    click.echo(summary_text(results, store.counts()))
    if any(r.status == "failed" for r in results):
        raise SystemExit(1)
    if not no_app:
        from app.server import run_app

        s = obj.settings
        obj.close()  # the app opens its own store
        click.echo(f"\nApp on http://{s.app_host}:{s.app_port}/  (Ctrl-C to stop)")
        run_app(s)


@click.command("app")
@click.pass_obj
def app_command(obj: Any) -> None:
    """Start the Dash app (binds PARTNERGRAPH_APP_HOST:PARTNERGRAPH_APP_PORT)."""
    from app.server import run_app

    s = obj.settings
    click.echo(f"App on http://{s.app_host}:{s.app_port}/  (Ctrl-C to stop)")
    run_app(s)
