"""CLI commands of this area (registered by :mod:`gnn.commands`).

Top level: ``fraud`` (the run), ``trace A B``, ``ring [ID]``, ``case ...``. Under ``eval``:
``fraud`` (planted rings on the product graph, a generic labelled graph, or a raw click log).
The two ``fraud`` commands are different click objects in different groups. Heavy imports stay
inside the functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

_path = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("fraud")
@click.option("--network", "networks", multiple=True, help="Only affiliates of this network (repeatable).")
@click.option("--labels", "label_file", type=_path,
              help="Known labels (CSV id,label: graph ids or network ids; fraud/honest, 1/0).")
@click.option("--no-models", is_flag=True, help="Skip the GNN and GBM (rings, behaviour and rules only).")
@click.option("--dry-run", is_flag=True, help="Analyse and print; write nothing to the graph.")
@click.option("--top", type=click.IntRange(0, 100), default=10, show_default=True, help="Rings to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.option("--no-progress", is_flag=True, help="No progress bars (log lines only).")
@click.pass_obj
def fraud(obj: Any, networks: tuple[str, ...], label_file: Path | None, no_models: bool, dry_run: bool,
          top: int, as_json: bool, no_progress: bool) -> None:
    """Find fraud rings: shared-identifier graph, behaviour, rings, GNN and baselines; write rings,
    risk and alerts (with evidence) to the graph."""
    from dataclasses import replace

    from gnn.fraud.detect import FraudConfig
    from gnn.fraud.stage import run_fraud

    cfg = replace(FraudConfig(), models=not no_models)
    run, stats = run_fraud(obj.store(), obj.settings, cfg, networks=list(networks) or None,
                           label_file=label_file, write=not dry_run, progress=not no_progress)
    rings = [{"id": r.id, "score": r.score, "size": r.size, "flagged": r.flagged, "evidence": r.evidence,
              "behaviour": r.behaviour, "kinds": r.kinds} for r in run.rings[:top]]
    if as_json:
        click.echo(json.dumps({"summary": run.summary(), "stats": stats, "notes": run.notes,
                               "timings": run.timings, "labels": run.labels.counts(), "rings": rings},
                              indent=1, default=str))
        return
    click.echo(run.summary())
    for n in run.notes:
        click.echo(f"note: {n}")
    if stats:
        click.echo(f"written: {json.dumps(stats, default=str)}")
    for r in rings:
        click.echo(f"  {r['id']}  {'FLAGGED ' if r['flagged'] else 'candidate'}  score {r['score']:.2f}  "
                   f"{r['size']} members  evidence {r['evidence']:.2f}  behaviour {r['behaviour']:.2f}")
    click.echo("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in run.timings.items()))


@click.command("trace")
@click.argument("a")
@click.argument("b")
@click.option("--k", type=click.IntRange(1, 20), default=3, show_default=True, help="Paths to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the paths and evidence as JSON.")
@click.pass_obj
def trace(obj: Any, a: str, b: str, k: int, as_json: bool) -> None:
    """Shortest and k-shortest paths between two affiliates through shared identifiers, with each
    hop's evidence (identifiers, rarity, counts, source rows)."""
    from gnn.fraud.stage import cache_dir
    from gnn.fraud.trace import TraceIndex, to_json
    from gnn.fraud.trace import trace as do_trace

    index = TraceIndex.load(cache_dir(obj.settings))
    res = do_trace(obj.store(), index, a, b, k)
    click.echo(to_json(res) if as_json else "\n".join(res.lines()))


@click.command("ring")
@click.argument("ring_id", required=False)
@click.option("--list", "list_", is_flag=True, help="List the rings (flagged first).")
@click.option("--pack", type=click.Path(file_okay=False, path_type=Path),
              help="Write the evidence pack (facts.csv with sources, ring.json, subgraph.png) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def ring(obj: Any, ring_id: str | None, list_: bool, pack: Path | None, as_json: bool) -> None:
    """One ring: members, shared identifiers, timeline, behaviour, and its evidence pack."""
    from gnn.fraud import queries as Q
    from gnn.fraud.ring_report import ring_report

    store = obj.store()
    if list_ or not ring_id:
        rows = Q.read_all(store, Q.RING_IDS)
        if not rows:
            click.echo("no rings yet (run: partnergraph fraud)")
        for r in rows:
            click.echo(f"{r['id']}  {r['status']:<9}  score {float(r['score'] or 0):.2f}  size {r['size']}")
        return
    rep = ring_report(store, obj.settings, ring_id)
    if as_json:
        click.echo(json.dumps({"ring": rep.ring, "members": rep.members.to_dict("records"),
                               "identifiers": rep.identifiers.head(50).to_dict("records"),
                               "timeline": rep.timeline.drop(columns=["click_sources", "conversion_sources"])
                               .to_dict("records")}, indent=1, default=str))
    else:
        for line in rep.lines():
            click.echo(line)
    if pack is not None:
        for p in rep.write_pack(pack):
            click.echo(f"wrote {p}")


@click.group("case")
def case() -> None:
    """Investigation cases opened from alerts: assign, annotate, confirm or dismiss, export."""


@case.command("alerts")
@click.option("--status", help="Only alerts with this status (open, investigating, confirmed, dismissed).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.pass_obj
def case_alerts(obj: Any, status: str | None, limit: int) -> None:
    """List alerts with their evidence summary."""
    from gnn.fraud import queries as Q

    rows = [a for a in Q.read_all(obj.store(), Q.ALERTS) if status is None or a.get("status") == status]
    for a in rows[:limit]:
        ev = json.loads(a.get("evidence") or "{}")
        click.echo(f"{a['id']}  {a.get('status')}  score {float(a.get('score') or 0):.2f}  {ev.get('summary', '')}")
    click.echo(f"{len(rows)} alerts")


@case.command("open")
@click.argument("alert_ids", nargs=-1, required=True)
@click.option("--by", required=True, help="Who opens the case (kept in the log).")
@click.option("--assignee", help="Investigator in charge.")
@click.option("--title", help="Case title (default: from the first alert).")
@click.option("--note", help="A first note.")
@click.pass_obj
def case_open(obj: Any, alert_ids: tuple[str, ...], by: str, assignee: str | None, title: str | None,
              note: str | None) -> None:
    """Open a case about one or more alerts."""
    from gnn.fraud.cases import open_case

    c = open_case(obj.store(), list(alert_ids), by=by, assignee=assignee, title=title, note=note)
    click.echo(f"opened {c.id}: {c.title} ({len(c.alerts)} alerts, assignee {c.assignee or '-'})")


@case.command("list")
@click.option("--status", help="Only cases with this status.")
@click.pass_obj
def case_list(obj: Any, status: str | None) -> None:
    """List cases."""
    from gnn.fraud.cases import list_cases

    cases = list_cases(obj.store(), status)
    for c in cases:
        click.echo(f"{c.id}  {c.status:<13} {c.assignee or '-':<12} {c.opened_at}  {c.title}")
    click.echo(f"{len(cases)} cases")


@case.command("show")
@click.argument("case_id")
@click.pass_obj
def case_show(obj: Any, case_id: str) -> None:
    """A case with its notes and full change log (JSON)."""
    from gnn.fraud.cases import get

    click.echo(json.dumps(get(obj.store(), case_id).as_dict(), indent=1))


@case.command("update")
@click.argument("case_id")
@click.option("--by", required=True, help="Who makes the change (kept in the log).")
@click.option("--status", type=click.Choice(["open", "investigating", "confirmed", "dismissed"]))
@click.option("--assignee")
@click.option("--note")
@click.option("--reason", help="Why (required to dismiss).")
@click.pass_obj
def case_update(obj: Any, case_id: str, by: str, status: str | None, assignee: str | None, note: str | None,
                reason: str | None) -> None:
    """Change a case's status or assignee, or add a note; dismissing needs --reason."""
    from gnn.fraud.cases import update

    c = update(obj.store(), case_id, by=by, status=status, assignee=assignee, note=note, reason=reason)
    extra = f"; allow-listed {len(c.allowlist)} identifiers" if c.status == "dismissed" else ""
    click.echo(f"{c.id}: {c.status}, assignee {c.assignee or '-'}, {len(c.log)} log entries{extra}")


@case.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="json", show_default=True)
@click.option("--status", help="Only cases with this status.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.pass_obj
def case_export(obj: Any, fmt: str, status: str | None, out: Path | None) -> None:
    """Export cases (with flagged affiliates and identifiers) as CSV or JSON for case tools."""
    from gnn.fraud.cases import export

    text = export(obj.store(), fmt, status)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"wrote {out}")


@click.command("fraud")
@click.option("--edges", type=_path, help="Generic graph: CSV source,target[,type,sign,weight,time].")
@click.option("--labels", type=_path, help="Generic graph: CSV id,label.")
@click.option("--nodes", type=_path, help="Generic graph: node list (CSV with an id column).")
@click.option("--features", type=_path, help="Generic graph: node features (CSV id + numeric, or JSON).")
@click.option("--positive", help="The label value that means fraud (default: -1 of -1/+1, 1 of 0/1).")
@click.option("--hide-incoming", is_flag=True,
              help="Remove edges into labelled nodes (where labels were derived from received ratings).")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--truth", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Generator truth folder: evaluate planted rings on this HOME's graph (read-only).")
@click.option("--clicks", type=_path, help="A raw click log to analyse (no labels), e.g. TalkingData.")
@click.option("--preset", default="talkingdata-clicks", show_default=True, help="Import preset for --clicks.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON ({shipped, models: {name: {roc_auc, pr_auc}}}).")
@click.option("--no-progress", is_flag=True, help="No progress bars (log lines only).")
@click.pass_obj
def eval_fraud(obj: Any, edges: Path | None, labels: Path | None, nodes: Path | None, features: Path | None,
               positive: str | None, hide_incoming: bool, folds: int, truth: Path | None, clicks: Path | None,
               preset: str, seed: int, as_json: bool, no_progress: bool) -> None:
    """Fraud models vs baselines: a labelled graph (stratified CV ROC-AUC/PR-AUC), planted rings
    (--truth), or which sources of a raw click log look like click fraud (--clicks)."""
    from graph.errors import InputError

    modes = sum(x is not None for x in (edges, truth, clicks))
    if modes != 1:
        raise InputError("give one of --edges (with --labels), --truth or --clicks",
                         hint="partnergraph eval fraud --edges E.csv --labels L.csv")
    from gnn.fraud import evaluate as E

    if edges is not None:
        if labels is None:
            raise InputError("--edges needs --labels", hint="a CSV id,label")
        res = E.generic(edges, labels, nodes, features, seed=seed, folds=folds, positive=positive,
                        hide_incoming=hide_incoming, progress=not no_progress)
        if as_json:
            click.echo(json.dumps({"shipped": res["shipped"], "models": res["models"], "setting": res["setting"],
                                   "labels": res["labels"]}))
            return
        click.echo(f"{res['graph']['nodes']:,} nodes, {res['graph']['edges']:,} edges; {res['labels']['labelled']} "
                   f"labelled ({res['labels']['fraud']} fraud); {folds}-fold stratified CV; {res['setting']}")
        if res["labels"]["unknown_ids"]:
            click.echo(f"note: {res['labels']['unknown_ids']} labelled ids are not in the graph "
                       f"(e.g. {res['labels']['unknown_examples']})")
        for name, m in res["models"].items():
            star = " (shipped)" if name == res["shipped"] else ""
            click.echo(f"  {name:<6} ROC-AUC {m['roc_auc']:.4f} ± {m['roc_auc_sd']:.4f}   "
                       f"PR-AUC {m['pr_auc']:.4f} ± {m['pr_auc_sd']:.4f}{star}")
        return
    if truth is not None:
        from gnn.fraud.detect import FraudConfig, analyse

        cfg = FraudConfig()
        run = analyse(obj.store(), obj.settings, cfg, progress=not no_progress)
        res = E.planted(run, truth, cfg, folds=folds, seed=seed, progress=not no_progress)
        if as_json:
            from gnn.fraud.detect import SHIPPED

            click.echo(json.dumps({"shipped": SHIPPED, "models": res["nodes"], **res}, default=str))
            return
        r = res["rings"]
        click.echo(f"rings: {r['flagged']} flagged, {r['planted']} planted; precision {r['precision']:.3f}, "
                   f"recall {r['recall']:.3f} (match = each covers >= 80% of the other)")
        for name, m in res["nodes"].items():
            click.echo(f"  {name:<16} node ROC-AUC {m['roc_auc']:.4f}  PR-AUC {m['pr_auc']:.4f}")
        hn = res["hard_negatives"]
        click.echo(f"hard negatives: {hn['flagged']}/{hn['n']} flagged (FPR {hn['fpr']:.3f}); "
                   f"all honest FPR {res['honest_fpr']:.4f}")
        ts = res["template_sharers"]
        click.echo(f"honest affiliates sharing a rare tracking template: {ts['flagged']}/{ts['n']} flagged")
        click.echo(f"observable labels: {json.dumps(res['observable_labels'])}")
        for name, m in res["cv_observable_labels"].items():
            click.echo(f"  {name:<16} {folds}-fold CV, trained on observable labels: ROC-AUC {m['roc_auc']:.4f} "
                       f"± {m['roc_auc_sd']:.4f}  PR-AUC {m['pr_auc']:.4f} ± {m['pr_auc_sd']:.4f}")
        for name, m in res["cv_truth_labels"].items():
            click.echo(f"  {name} with {folds}-fold CV on truth labels: ROC-AUC {m['roc_auc']:.4f}  "
                       f"PR-AUC {m['pr_auc']:.4f}")
        return
    assert clicks is not None
    res = E.click_log(clicks, preset, progress=not no_progress)
    if as_json:
        click.echo(json.dumps(res, indent=1, default=str))
        return
    click.echo(res["import"])
    click.echo(f"{res['sources']} sources, {res['clicks']:,} clicks, {res['conversions']:,} conversions "
               f"(rate {res['conversion_rate']:.5f}); {res['flagged_sources']} of {res['sources_with_100_clicks']} "
               f"sources with >= 100 clicks look like click fraud: {res['flagged_click_share']:.1%} of clicks, "
               f"conversion rate {res['flagged_conversion_rate']:.5f} vs {res['other_conversion_rate']:.5f}")
    for t in res["top"]:
        ev = ", ".join(f"{e['feature']} z {e['z']}" for e in t["evidence"])
        click.echo(f"  source {t['source']}: {t['clicks']:,} clicks, {t['conversions']} conversions "
                   f"({t['conversion_rate']:.5f}), anomaly {t['anomaly']:.2f}: {ev}")


COMMANDS: list[click.Command] = [fraud, trace, ring, case]
EVAL_COMMANDS: list[click.Command] = [eval_fraud]
