"""CLI commands owned by the graph layer: generate, load, query, migrate, doctor."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click


def register(group: click.Group) -> None:
    for command in (generate, load, query, migrate, doctor):
        group.add_command(command)


@click.command()
@click.option("--scale", type=click.Choice(["ci", "medium", "large"]), default="ci", show_default=True,
              help="ci ~10k nodes, medium ~100k nodes / ~1M relationships, large ~1M nodes.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (deterministic output).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder (observable/, truth/, canonical/, manifest.json).")
@click.option("--only", multiple=True, type=click.Choice(["observable", "truth", "canonical"]),
              help="Write only these parts (repeatable).")
def generate(scale: str, seed: int, out: Path, only: tuple[str, ...]) -> None:
    """Generate a synthetic media ecosystem: observable sources plus truth files."""
    from graph.errors import InputError
    from graph.generator import generate as run

    if seed < 0:
        raise InputError(f"--seed {seed} is negative", hint="use a seed >= 0")
    t0 = time.perf_counter()
    manifest = run(scale, seed, out, only=set(only) or None)
    counts = getattr(manifest, "counts", None) or (manifest.get("counts") if isinstance(manifest, dict) else {})
    click.echo(f"generated scale={scale} seed={seed} into {out} in {time.perf_counter() - t0:.1f}s")
    for key, value in sorted((counts or {}).items()):
        click.echo(f"  {key:<28} {value:>12,}" if isinstance(value, int) else f"  {key:<28} {value}")


@click.command()
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--edges", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A generic edges CSV (source,target[,type,sign,weight,time]) instead of DIRECTORY.")
@click.option("--nodes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Optional nodes CSV for --edges (id plus property columns, e.g. name).")
@click.option("--label", default="Publisher", show_default=True, help="Node label for --edges nodes.")
@click.option("--type", "rel_type", default="LINKS_TO", show_default=True,
              help="Relationship type for --edges edges.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.pass_obj
def load(obj: Any, directory: Path | None, edges: Path | None, nodes: Path | None, label: str,
         rel_type: str, no_progress: bool) -> None:
    """Bulk-load canonical node/edge files or a generic edges CSV (development tool).

    Canonical files come from `partnergraph generate`; they are never an evaluation input:
    evaluations build the graph from the observable sources.
    """
    from graph.bulk import read_canonical, summarize, write_frames
    from graph.errors import InputError
    from graph.taxonomy_load import load_taxonomies

    if (directory is None) == (edges is None):
        raise InputError("give either a canonical DIRECTORY or --edges FILE")
    store = obj.store()
    store.apply_schema()
    t0 = time.perf_counter()
    if directory is not None:
        export = read_canonical(directory)
        if "Topic" not in export.nodes:
            load_taxonomies(store)
    else:
        from graph.generic_load import generic_export

        assert edges is not None

        export = generic_export(edges, nodes, label=label, rel_type=rel_type)
    written = write_frames(store, export, progress=not no_progress)
    click.echo(f"loaded in {time.perf_counter() - t0:.1f}s: {summarize(written)}")


@click.command()
@click.argument("cypher_text", required=False)
@click.option("--saved", help="Run a saved query from cypher/ by name (see --list).")
@click.option("--list", "list_saved", is_flag=True, help="List the saved queries and their parameters.")
@click.option("--param", "-p", "params", multiple=True,
              help="Parameter name=value, typed as name:int=5 (int, float, bool, list, string).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--write", is_flag=True, help="Allow writes (trusted use only; skips the read-only guard).")
@click.option("--timeout", type=float, help="Seconds before the query is stopped.")
@click.option("--limit", type=int, help="Row cap (default PARTNERGRAPH_ROW_CAP).")
@click.pass_obj
def query(obj: Any, cypher_text: str | None, saved: str | None, list_saved: bool, params: tuple[str, ...],
          fmt: str, write: bool, timeout: float | None, limit: int | None) -> None:
    """Run Cypher read-only (guarded), or a saved query, and print the rows.

    Values are always sent as $parameters, never pasted into the text.
    """
    import cypher
    from graph.errors import InputError
    from graph.paths import bounded_runner
    from graph.tabular import FORMATS, parse_param

    if list_saved:
        for q in cypher.catalog().values():
            ps = ", ".join(f"${k}:{v}" for k, v in q.params.items()) or "no parameters"
            click.echo(f"{q.name:<28} {q.purpose}  [{ps}]")
        return
    values = dict(parse_param(p) for p in params)
    store = obj.store()
    if saved:
        q = cypher.get(saved)
        text = q.text(store.backend)
        values = q.coerce({k: (str(v) if not isinstance(v, str) else v) for k, v in values.items()})
        runner = None if write else bounded_runner(saved, store.backend)
        if runner is not None:  # a saved query the backend cannot bound runs as a bounded search
            result, sentence = runner(store, values, timeout=timeout or obj.settings.query_timeout)
            sys.stdout.write(FORMATS[fmt](result).rstrip("\n") + "\n")
            click.echo(sentence, err=True)
            return
    elif cypher_text:
        text = cypher_text
    else:
        raise InputError("give a Cypher text, --saved NAME or --list")
    if write:
        result = store.write(text, values)
    else:
        result = store.guarded_read(text, values, timeout=timeout, limit=limit)
    sys.stdout.write(FORMATS[fmt](result).rstrip("\n") + "\n")


@click.command()
@click.option("--to", "target_uri", required=True, help="Target store URI (bolt://, neo4j://, falkordb-lite:///…).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.pass_obj
def migrate(obj: Any, target_uri: str, no_progress: bool) -> None:
    """Copy the whole graph from the configured store to another one (e.g. to Neo4j)."""
    from graph.migrate import migrate as run
    from graph.settings import validate_uri
    from graph.store import open_store

    validate_uri(target_uri)
    source = obj.store()
    target = open_store(obj.settings, uri=target_uri)
    try:
        t0 = time.perf_counter()
        counts = run(source, target, progress=not no_progress)
    finally:
        target.close()
    total_n = sum(v for k, v in counts.items() if k.startswith(":"))
    total_r = sum(v for k, v in counts.items() if k.startswith("[:"))
    click.echo(f"migrated to {target_uri}: {total_n:,} node labels-entries, {total_r:,} relationships "
               f"in {time.perf_counter() - t0:.1f}s")


@click.command()
@click.pass_obj
def doctor(obj: Any) -> None:
    """Check settings, store, schema version and model files, with a fix for each problem."""
    from graph.doctor import run_checks

    checks = run_checks(obj.settings)
    for c in checks:
        mark = "ok " if c.ok else ("FAIL" if c.required else "warn")
        click.echo(f"[{mark}] {c.name:<16} {c.detail}" + (f"\n       fix: {c.hint}" if not c.ok and c.hint else ""))
    if any(not c.ok and c.required for c in checks):
        sys.exit(1)
