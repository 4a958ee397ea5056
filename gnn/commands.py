"""CLI commands owned by the GNN layer: train, discover, fraud tools, and the ``eval`` group.

Each area keeps its commands in its own module (``gnn.linkpred_cli``, ``gnn.discover_cli``,
``gnn.fraud.cli``) as ``COMMANDS`` (top level) and ``EVAL_COMMANDS`` (under ``partnergraph eval``).
Heavy imports (torch, PyG, LightGBM) stay inside the command functions, so ``--help`` is fast.
"""

from __future__ import annotations

import importlib

import click

AREAS = ("gnn.linkpred_cli", "gnn.discover_cli", "gnn.fraud.cli")


@click.group("eval")
def eval_group() -> None:
    """Evaluate models against baselines on held-out data (generic graphs or the product graph)."""


def register(group: click.Group) -> None:
    for name in AREAS:
        mod = importlib.import_module(name)
        for command in mod.COMMANDS:
            group.add_command(command)
        for command in mod.EVAL_COMMANDS:
            eval_group.add_command(command)
    group.add_command(eval_group)
