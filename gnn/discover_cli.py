"""CLI commands of this area (registered by :mod:`gnn.commands`)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
EVAL_COMMANDS: list[click.Command] = []
