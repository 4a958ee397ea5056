"""Background jobs from the app: the runner (a thread per job, one per kind, progress from the
job's own log lines), the status texts, who may start what, and the jobs page in a real browser
running the real discovery job and fraud stage on small hand-built graphs."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app import ids
from app import jobs_view as view
from app.jobs import JobRefused, JobRunner
from graph.errors import InputError
from graph.settings import Settings, load_settings
from graph.store.base import GraphStore
from tests.browser import wait_until

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
stage_log = logging.getLogger("gnn.test_stage")


# ------------------------------------------------------------------------------- the runner


def test_runner_runs_in_the_background_refuses_a_second_and_keeps_progress() -> None:
    runner = JobRunner()
    release = threading.Event()

    def work() -> dict[str, Any]:
        stage_log.info("phase export: %d rows", 42)
        release.wait(10)
        return {"run_id": "r-1", "counts": {"edges": 3}}

    t0 = time.monotonic()
    job = runner.start("discovery", work, by="ann")
    assert time.monotonic() - t0 < 1.0  # start returns at once; the work waits in its thread
    wait_until(lambda: runner.snapshot("discovery")["lines"], what="the first progress line")  # type: ignore[index]
    running = runner.snapshot("discovery")
    assert running is not None and running["status"] == "running" and running["by"] == "ann"
    assert running["lines"][0].endswith("phase export: 42 rows")
    with pytest.raises(JobRefused, match=f"a discovery run is already going: {job.id}, started by ann"):
        runner.start("discovery", work, by="bo")
    other = runner.start("fraud", lambda: {"counts": {}}, by="bo")  # another kind may run meanwhile
    assert runner.wait("fraud", 5)["status"] == "done" and other.kind == "fraud"  # type: ignore[index]
    stage_log.info("logged by the test's own thread: not a job line")
    release.set()
    done = runner.wait("discovery", 5)
    assert done is not None and done["status"] == "done" and done["result"]["run_id"] == "r-1"
    assert [ln for ln in done["lines"] if "not a job line" in ln] == []
    assert runner.start("discovery", lambda: None, by="ann").id != job.id  # free again once finished


def test_failures_are_outcomes_in_plain_words() -> None:
    runner = JobRunner()

    def bad_input() -> None:
        raise InputError("no brand in the graph", hint="import a CRM export first")

    def bug() -> None:
        raise KeyError("brand_id")

    runner.start("discovery", bad_input, by="ann")
    runner.start("fraud", bug, by="ann")
    expected, unexpected = runner.wait("discovery", 5), runner.wait("fraud", 5)
    assert expected is not None and unexpected is not None
    text, cls = view.status_line("discovery", expected)
    assert text.startswith("Failed after ") and text.endswith(
        ": no brand in the graph (import a CRM export first).") and "error" in cls
    text, _ = view.status_line("fraud", unexpected)
    assert "something went wrong on the server (KeyError: 'brand_id'); the details are in the server log." in text


def test_status_lines() -> None:
    assert view.status_line("fraud", None)[0] == "No fraud run started from the app yet."
    running = {"status": "running", "seconds": 75.2, "by": "ann", "lines": [f"l{i}" for i in range(20)]}
    assert view.status_line("discovery", running)[0] == (
        "Running for 1 min 15 s (started by ann); the page updates by itself.")
    assert view.progress_lines(running, 12) == [f"l{i}" for i in range(8, 20)]
    done = {"status": "done", "seconds": 3.4, "result": {"run_id": "discovery-1", "counts": {"brands scored": 1200}}}
    assert view.status_line("discovery", done) == ("Done in 3 s: run discovery-1 — brands scored 1,200.",
                                                   "pg-status pg-status-ok")
    nothing = {"status": "done", "seconds": 1, "result": {"run_id": None, "counts": {},
                                                          "summary": "no affiliates in the graph: nothing to score"}}
    assert view.status_line("fraud", nothing)[0] == "Done in 1 s — no affiliates in the graph: nothing to score."


# ------------------------------------------------------------------------------- access


def test_who_may_start_what(tmp_path: Path) -> None:
    from app.access import denial_text
    from app.users import User

    analyst = User("ann", frozenset({"analyst"}))
    investigator = User("ivy", frozenset({"investigator"}))
    from app.access import can, can_open

    assert can(analyst, "discover") and not can(analyst, "fraud")
    assert can(investigator, "fraud") and not can(investigator, "discover")
    assert not can_open(User("mia", frozenset({"manager"})), "/jobs")
    assert denial_text(analyst, action="fraud") == (
        "Your account ann (analyst) cannot start a fraud run: it needs the investigator or admin role. "
        "Ask an admin to add it to your account.")


def test_a_start_by_the_wrong_role_is_refused_on_the_server(tmp_path: Path) -> None:
    import flask

    from app.access import AccessDenied, require
    from app.factory import create_app
    from app.users import add_user

    users = tmp_path / "users.yaml"
    add_user(users, "ann", "analyst-pass", ["analyst"], rounds=4)
    add_user(users, "mia", "manager-pass", ["manager"], rounds=4)
    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, home=tmp_path, app_users=users)
    app = create_app(settings)
    with app.server.test_request_context("/"):
        flask.session["pg_user"] = "ann"
        flask.session["pg_expires"] = time.time() + 60
        with pytest.raises(AccessDenied, match="cannot start a fraud run"):
            require("fraud")
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"name": "mia", "password": "manager-pass", "csrf": csrf})
    resp = client.post("/_dash-update-component", json={
        "output": "job-notice.children", "outputs": {"id": "job-notice", "property": "children"},
        "inputs": [], "changedPropIds": []})
    assert resp.status_code == 403 and resp.get_json() == {"error": "mia may not use /jobs"}


# ------------------------------------------------------------------------------- job records


def test_jobs_are_recorded_under_home_and_outlive_the_runner(tmp_path: Path) -> None:
    from app.job_records import JobRecords

    runner = JobRunner(JobRecords.under(tmp_path))
    runner.start("fraud", lambda: {"run_id": "fraud-1", "counts": {"rings flagged": 2}}, by="ivy")
    assert runner.wait("fraud", 5)["status"] == "done"  # type: ignore[index]
    runner.start("discovery", lambda: (_ for _ in ()).throw(InputError("no brands")), by="ann")
    assert runner.wait("discovery", 5)["status"] == "failed"  # type: ignore[index]
    assert (tmp_path / "app" / "console.sqlite").stat().st_mode & 0o777 == 0o600

    again = JobRunner(JobRecords.under(tmp_path))  # the app restarted: nothing in memory
    done = again.snapshot("fraud")
    assert done is not None and done["status"] == "done" and done["result"]["run_id"] == "fraud-1"
    assert view.status_line("fraud", done)[0].startswith("Done in ")
    rows = view.history_rows(again.history())
    assert [(r["kind"], r["status"], r["by"]) for r in rows] == [
        ("discovery run", "failed", "ann"), ("fraud run", "done", "ivy")]
    assert rows[0]["outcome"] == "no brands." and rows[1]["outcome"] == "fraud-1"
    assert JobRunner().snapshot("fraud") is None and JobRunner().history() == []  # without records


def test_a_job_running_when_the_app_dies_shows_as_interrupted(tmp_path: Path) -> None:
    """A real process starts a job and is killed -9 mid-run; the next runner marks it."""
    import os
    import signal
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "from app.job_records import JobRecords\n"
        "from app.jobs import JobRunner\n"
        "r = JobRunner(JobRecords.under(Path(sys.argv[1])))\n"
        "job = r.start('discovery', lambda: threading.Event().wait(600), by='ann')\n"
        "print(job.id, flush=True)\n"
        "threading.Event().wait(600)\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        job_id = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert job_id.startswith("discovery-job-")
        from app.job_records import JobRecords

        assert JobRunner(JobRecords.under(tmp_path)).snapshot("discovery")["status"] == "running"  # type: ignore[index]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]
    restarted = JobRunner(JobRecords.under(tmp_path))
    job = restarted.snapshot("discovery")
    assert job is not None and job["id"] == job_id and job["status"] == "interrupted"
    text, cls = view.status_line("discovery", job)
    assert text.startswith(f"Interrupted (the app stopped): {job_id}, started by ann") and "error" in cls
    assert view.history_rows(restarted.history())[0]["status"] == "interrupted (the app stopped)"
    started = restarted.start("discovery", lambda: None, by="ann")  # and a new one may start
    assert restarted.wait("discovery", 5)["id"] == started.id  # type: ignore[index]


# ------------------------------------------------------------------------------- in a browser


def _pm(kind: str, index: str) -> str:
    """CSS selector of a pattern-matching component (Dash writes its id as sorted JSON)."""
    return f"[id='{{\"index\":\"{index}\",\"type\":\"{kind}\"}}']"


@pytest.mark.browser
@pytest.mark.parametrize("store", ["falkordb"], indirect=True)
def test_jobs_page_runs_discovery_and_fraud_in_the_background(
        dash_duo: Any, store: GraphStore, falkor_settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.factory import create_app
    from gnn.lock import DiscoveryLock
    from tests.gnn import discover_world as W
    from tests.gnn.fraud.world import import_world, write_world

    settings = replace(falkor_settings, home=tmp_path, pseudonym_key="k" * 32)
    monkeypatch.setattr("gnn.discover._train_module", lambda: None)  # content ranker: the job, not training
    W.build(store, tmp_path)
    import_world(store, settings, write_world(tmp_path / "fraud-world"))
    dash_duo.start_server(create_app(settings, store))
    dash_duo.driver.get(dash_duo.server_url + "/jobs")
    status = _pm(ids.JOB_STATUS, "discovery")
    dash_duo.wait_for_text_to_equal(status, "No discovery run started from the app yet.", timeout=20)

    # discovery: started, runs in the background, ends with its run id and counts
    dash_duo.find_element(_pm(ids.JOB_START, "discovery")).click()
    dash_duo.wait_for_contains_text(f"#{ids.JOB_NOTICE}", "Started discovery-job-", timeout=10)
    dash_duo.wait_for_contains_text(status, "RECOMMENDED edges written", timeout=120)
    text = dash_duo.find_element(status).text
    run = store.read("MATCH (r:DiscoveryRun {status: 'complete'}) RETURN r.id AS id").rows
    assert len(run) == 1 and f"run {run[0]['id']}" in text and text.startswith("Done in ")
    lines = dash_duo.find_element(_pm(ids.JOB_LINES, "discovery")).text
    assert f"run {run[0]['id']} complete" in lines and "RECOMMENDED edges written: 14" in lines

    # while a run started elsewhere holds the lock, a start is refused, naming that run
    with DiscoveryLock(tmp_path, "discovery-from-cron", "2026-11-29T03:00:00Z"):
        dash_duo.find_element(_pm(ids.JOB_START, "discovery")).click()
        dash_duo.wait_for_contains_text(f"#{ids.JOB_NOTICE}", "Not started: discovery is already running: "
                                        "run discovery-from-cron (pid ", timeout=10)
    assert len(store.read("MATCH (r:DiscoveryRun) RETURN r.id AS id").rows) == 1

    # fraud: the same, with its own counts
    fraud_status = _pm(ids.JOB_STATUS, "fraud")
    dash_duo.find_element(_pm(ids.JOB_START, "fraud")).click()
    dash_duo.wait_for_contains_text(fraud_status, "rings flagged", timeout=120)
    assert dash_duo.find_element(fraud_status).text.startswith("Done in ")
    assert store.read("MATCH (r:Ring {status: 'flagged'}) RETURN count(r) AS n").rows[0]["n"] == 1
    dash_duo.wait_for_contains_text(f"#{ids.JOB_HISTORY}", "fraud run", timeout=10)  # past runs, newest first
    assert "discovery run" in dash_duo.find_element(f"#{ids.JOB_HISTORY}").text
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "jobs.png"))
    assert dash_duo.get_logs() == []


def test_shared_reads_are_computed_once_when_sessions_miss_together() -> None:
    from app import cache

    cache.clear()
    calls: list[int] = []
    gate = threading.Event()

    def slow_count() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    threads = [threading.Thread(target=lambda: cache.cached(("test-herd",), slow_count, 60.0)) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert calls == [1] and cache.cached(("test-herd",), slow_count, 60.0) == 42
    assert cache.cached(("test-herd",), lambda: 7, 60.0, fresh=True) == 7  # "Refresh" reads again
    cache.clear()
