"""Jobs ("/jobs"): start a discovery run or a fraud run now, and watch it.

The run goes to the app's background runner (:mod:`app.jobs`) and the button returns at once;
a ``dcc.Interval`` polls the runner every second while something runs and shows how long it has
been going and the lines the stage logs (phases, counts). When it ends the card says the run id
and its counts, or what went wrong in plain words. A second start while one runs is refused,
naming the running one; discovery is also refused while a run started elsewhere (the weekly
job, the CLI) holds its lock under HOME. "Past runs" lists the jobs recorded under HOME
(:mod:`app.job_records`), so they outlive the app process; one that was running when the app
stopped reads "interrupted (the app stopped)".
"""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from app import ids
from app import jobs_view as view
from app.access import can, current_user, denial_text, require
from app.components import page_head
from app.jobs import current_jobs
from app.state import current_state
from graph.errors import PartnerGraphError

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/jobs",
    name="Jobs",
    title="Jobs · PartnerGraph",
    description="Start a discovery run or a fraud run and follow its progress.",
    order=7,
)

WHAT = {
    "discovery": ("Scores every eligible partner for every brand with the shipped model (retrained when it is "
                  "stale or drifted) and publishes the new recommendations when the run is complete."),
    "fraud": ("Links affiliates through shared devices, networks and payment accounts, finds candidate rings, "
              "scores risk and raises alerts for investigators."),
}
POLL_MS = 1000


def _card(kind: str) -> html.Section:
    user = current_user()
    allowed = can(user, view.ACTIONS[kind])
    return html.Section(
        className="pg-card pg-job",
        children=[
            html.Div(className="pg-card-head", children=[
                html.H2(view.TITLES[kind]),
                html.Button(f"Start a {view.RUN_NAMES[kind]}", id={"type": ids.JOB_START, "index": kind},
                            className="pg-button", n_clicks=0, disabled=not allowed,
                            title="" if allowed else denial_text(user, action=view.ACTIONS[kind])),
            ]),
            html.P(WHAT[kind], className="pg-muted"),
            html.P("", id={"type": ids.JOB_STATUS, "index": kind}, className="pg-status", role="status"),
            html.Progress(id={"type": ids.JOB_PROGRESS, "index": kind}, hidden=True, className="pg-job-progress"),
            html.Pre(id={"type": ids.JOB_LINES, "index": kind}, className="pg-job-lines", hidden=True),
        ],
    )


def layout(**_query: Any) -> html.Div:
    return html.Div(
        className="pg-page",
        children=[
            dcc.Interval(id=ids.JOB_TICK, interval=POLL_MS, disabled=False, n_intervals=0),
            page_head("Jobs", "Run partner discovery or the fraud stage now. They run in the background: "
                      "keep using the app, this page follows them."),
            html.P("", id=ids.JOB_NOTICE, className="pg-status", role="alert"),
            html.Div(className="pg-grid", children=[_card(kind) for kind in view.KINDS]),
            html.Section(className="pg-card", children=[
                html.H2("Past runs"),
                html.P("Runs started from this page, kept under HOME: they stay listed after the app restarts.",
                       className="pg-muted"),
                html.Div(id=ids.JOB_HISTORY),
            ]),
        ],
    )


HISTORY_COLUMNS = (("kind", "Run"), ("job", "Job"), ("by", "By"), ("started", "Started"),
                   ("status", "Status"), ("took", "Took"), ("outcome", "Outcome"))


def history_table(rows: list[dict[str, str]]) -> Any:
    if not rows:
        return html.P("No run started from the app yet.", className="pg-muted")
    return html.Table(className="pg-table", children=[
        html.Thead(html.Tr([html.Th(title) for _, title in HISTORY_COLUMNS])),
        html.Tbody([html.Tr([html.Td(row[key]) for key, _ in HISTORY_COLUMNS]) for row in rows]),
    ])


# ------------------------------------------------------------------------------- callbacks


@callback(
    Output(ids.JOB_NOTICE, "children"),
    Output(ids.JOB_NOTICE, "className"),
    Output(ids.JOB_TICK, "disabled", allow_duplicate=True),
    Input({"type": ids.JOB_START, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def start(_clicks: list[int | None]) -> tuple[str, str, bool]:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    kind = str(trigger["index"])
    if kind not in view.KINDS:
        raise PreventUpdate
    try:
        user = require(view.ACTIONS[kind])
        state = current_state()
        job = start_job(kind, state.store(), state.settings, by=user.name)
    except PartnerGraphError as exc:
        log.info("jobs: %s run not started: %s", kind, exc)
        return f"Not started: {exc}", "pg-status pg-status-error", False
    return f"Started {job.id}.", "pg-status pg-status-ok", False


def start_job(kind: str, store: Any, settings: Any, *, by: str) -> Any:
    """Start a ``kind`` job on the app's runner; refused (naming the running one) when one runs."""
    runner = current_jobs()
    if kind == "discovery":
        from gnn.lock import DiscoveryLocked, current_holder

        holder = current_holder(settings.home)
        if holder is not None:  # the weekly job or the CLI holds the lock
            raise DiscoveryLocked(f"discovery is already running: {holder.describe()}",
                                  hint="wait for it to finish, then start again")
        return runner.start(kind, view.discovery_job(store, settings), by=by)
    return runner.start(kind, view.fraud_job(store, settings), by=by)


@callback(
    Output({"type": ids.JOB_STATUS, "index": ALL}, "children"),
    Output({"type": ids.JOB_STATUS, "index": ALL}, "className"),
    Output({"type": ids.JOB_PROGRESS, "index": ALL}, "hidden"),
    Output({"type": ids.JOB_LINES, "index": ALL}, "children"),
    Output({"type": ids.JOB_LINES, "index": ALL}, "hidden"),
    Output({"type": ids.JOB_START, "index": ALL}, "disabled"),
    Output(ids.JOB_TICK, "disabled"),
    Output(ids.JOB_HISTORY, "children"),
    Input(ids.JOB_TICK, "n_intervals"),
    State({"type": ids.JOB_STATUS, "index": ALL}, "id"),
)
def poll(_n: int, status_ids: list[dict[str, str]]) -> tuple[Any, ...]:
    runner = current_jobs()
    user = current_user()
    kinds = [str(i["index"]) for i in status_ids]
    texts, classes, bars, lines, lines_hidden, disabled = [], [], [], [], [], []
    running = False
    for kind in kinds:
        job = runner.snapshot(kind)
        text, cls = view.status_line(kind, job)
        is_running = bool(job and job.get("status") == "running")
        running = running or is_running
        shown = view.progress_lines(job)
        texts.append(text)
        classes.append(cls)
        bars.append(not is_running)
        lines.append("\n".join(shown))
        lines_hidden.append(not shown)
        disabled.append(is_running or not can(user, view.ACTIONS[kind]))
    past = history_table(view.history_rows(runner.history(10)))
    return texts, classes, bars, lines, lines_hidden, disabled, not running, past
