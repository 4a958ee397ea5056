"""CLI commands of link prediction (registered by :mod:`gnn.commands`): ``partnergraph train``
and ``partnergraph eval linkpred``. Heavy imports stay inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of numpy, torch and LightGBM.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.option("--gnn-conv", type=click.Choice(["sage", "gat", "hgt"]), default="sage", show_default=True,
              help="The GNN's message passing: GraphSAGE, GATv2 attention, or HGT (docs/gnn.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's metrics as JSON.")
@click.pass_obj
def train(obj: Any, seed: int, no_progress: bool, gnn_conv: str, as_json: bool) -> None:
    """Train partner recommendation (GNN, GBM, hybrid vs baselines) on a temporal split; ship the
    validation winner, refit it on all partnerships and save the artefact with a report."""
    from gnn.model import GNNConfig
    from gnn.train import train_linkpred

    out = train_linkpred(obj.store(), obj.settings, seed=seed, progress=not no_progress,
                         cfg=GNNConfig(conv=gnn_conv))
    meta = out.meta
    if as_json:
        click.echo(json.dumps({"version": meta.version, "shipped": meta.shipped, "path": str(out.path),
                               "report": str(out.report_path), "metrics": meta.metrics}, default=float, indent=1))
        return
    click.echo(summary(meta.metrics, meta.shipped))
    click.echo(f"shipped ranker: {meta.shipped} (chosen by {meta.metrics.get('shipped_by', '')})")
    click.echo(f"performance model: {meta.metrics.get('performance', {}).get('shipped')}")
    click.echo(f"artefact: {out.path}")
    click.echo(f"report: {out.report_path}")


def summary(metrics: dict[str, Any], shipped: str) -> str:
    """Plain-text tables: every model on validation and test, then performance prediction."""
    cols = ("auc", "mrr", "recall@10", "recall@20", "recall@50", "ndcg@20")
    lines = [f"split {metrics.get('split')}; {metrics.get('counts')}"]
    for split in ("validation", "test"):
        met = metrics.get(split) or {}
        lines.append(f"{split}:")
        lines.append(f"  {'model':<20}" + "".join(f"{c:>11}" for c in cols))
        for name in sorted(met, key=lambda n: -met[n].get("recall@20", 0.0)):
            mark = " *" if name == shipped else ""
            lines.append(f"  {name + mark:<20}" + "".join(f"{met[name].get(c, float('nan')):>11.4f}" for c in cols))
    perf = metrics.get("performance", {})
    for split in ("validation", "test"):
        if perf.get(split):
            lines.append(f"performance ({split}, new pairs): MAE / RMSE of log ROI, MAE of conversion rate")
            for name, m in perf[split].items():
                lines.append(f"  {name:<20}{m['mae']:>11.4f}{m['rmse']:>11.4f}{m['cvr_mae']:>11.4f}  (n={int(m['n'])})")
    return "\n".join(lines)


@click.command("linkpred")
@click.option("--edges", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Edge list CSV (source,target[,type,sign,weight,time]).")
@click.option("--nodes", type=click.Path(dir_okay=False, path_type=Path), help="Optional node list CSV.")
@click.option("--features", type=click.Path(dir_okay=False, path_type=Path),
              help="Optional node features (CSV id + numeric columns, or JSON id -> feature ids).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the split and the models.")
@click.option("--max-edges", type=int, default=1000, show_default=True,
              help="Held-out edges ranked per split (each against all its candidates); 0 = all.")
@click.option("--json", "as_json", is_flag=True,
              help='Print only {"shipped": NAME, "models": {NAME: {"auc", "mrr", "hits@50"}}} (test).')
@click.option("--report", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write every metric on validation and test, and the run's figures, as JSON.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def eval_linkpred(edges: Path, nodes: Path | None, features: Path | None, seed: int, max_edges: int,
                  as_json: bool, report: Path | None, no_progress: bool) -> None:
    """Link prediction on a real graph: hold out edges, train GNN/GBM/hybrid and baselines, rank
    every held-out edge against all non-neighbours; the shipped model is chosen on validation."""
    from gnn.generic_eval import evaluate_generic, format_table
    from graph.errors import InputError

    if max_edges < 0:
        raise InputError(f"--max-edges {max_edges} is negative", hint="give 0 (rank all) or a positive count")
    if report is not None and not report.parent.is_dir():
        raise InputError(f"--report {report}: folder {report.parent} does not exist")
    res = evaluate_generic(edges, nodes, features, seed=seed, max_edges=max_edges,
                           progress=not no_progress and not as_json)
    if report is not None:
        report.write_text(json.dumps(res.details(), default=float, indent=1) + "\n")
    if as_json:
        click.echo(json.dumps(res.to_json(), default=float))
    else:
        click.echo(format_table(res))


COMMANDS: list[click.Command] = [train]
EVAL_COMMANDS: list[click.Command] = [eval_linkpred]
