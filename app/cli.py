"""The ``partnergraph`` command line.

Each package contributes its subcommands through a small ``register(group)`` function in its
``commands`` module; heavy imports happen inside the commands, so ``--help`` stays fast.
Errors of the :class:`~graph.errors.PartnerGraphError` tree become one line and an exit code.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from graph.errors import PartnerGraphError

#: Modules whose ``register(group)`` adds commands, in help order.
COMMAND_MODULES = (
    "graph.commands", "graph.ingest.commands", "crawlers.commands", "embeddings.commands",
    "gnn.commands", "app.commands",
)


class Context:
    """Settings read once, and one store opened on first use and closed at exit."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        self._settings: Any = None
        self._store: Any = None

    @property
    def settings(self) -> Any:
        if self._settings is None:
            from graph.settings import load_settings

            self._settings = load_settings(**self.overrides)
        return self._settings

    def store(self) -> Any:
        if self._store is None:
            from graph.store import open_store

            self._store = open_store(self.settings)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class PartnerGraphCLI(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PartnerGraphError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=PartnerGraphCLI, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), help="Data directory (PARTNERGRAPH_HOME).")
@click.option("--graph-uri", help="Graph store URI (PARTNERGRAPH_GRAPH_URI).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, home: str | None, graph_uri: str | None, verbose: int) -> None:
    """PartnerGraph: your partnerships as a knowledge graph, with graph ML on top."""
    level = logging.WARNING - 10 * min(verbose, 2) if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    for noisy in ("neo4j", "urllib3", "redis"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    obj = Context({"home": home, "graph_uri": graph_uri})
    ctx.obj = obj
    ctx.call_on_close(obj.close)


def _register() -> None:
    for name in COMMAND_MODULES:
        register: Callable[[click.Group], None] = importlib.import_module(name).register
        register(main)


_register()

if __name__ == "__main__":
    main()
