"""The discovery lock: refusal names the running run, a dead holder's lock is taken over and
reported, and the CLI refuses in one line before opening the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gnn.lock import LOCK_NAME, DiscoveryLock, DiscoveryLocked, current_holder, pid_alive


def test_a_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    with DiscoveryLock(tmp_path, "run-1", "2026-01-05T03:00:00Z") as first:
        assert first.stale is None
        holder = current_holder(tmp_path)
        assert holder is not None and holder.run_id == "run-1" and holder.pid == os.getpid()
        with pytest.raises(DiscoveryLocked) as err:
            DiscoveryLock(tmp_path, "run-2", "2026-01-05T03:01:00Z").acquire()
        msg = str(err.value)
        assert "run run-1" in msg and f"pid {os.getpid()}" in msg and "2026-01-05T03:00:00Z" in msg
        assert err.value.exit_code == 9
    assert current_holder(tmp_path) is None  # released
    with DiscoveryLock(tmp_path, "run-2", "2026-01-05T04:00:00Z") as again:
        assert again.stale is None  # a clean release leaves nothing stale


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    # a child takes the lock and is killed with SIGKILL: no clean-up runs
    root, home = str(Path(__file__).resolve().parents[2]), str(tmp_path)
    code = (f"import sys, time; sys.path.insert(0, {root!r}); from gnn.lock import DiscoveryLock; "
            f"DiscoveryLock({home!r}, 'run-dead', '2026-01-05T03:00:00Z').acquire(); print('held', flush=True); "
            "time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(DiscoveryLocked, match="run-dead"):
            DiscoveryLock(tmp_path, "run-2", "x").acquire()
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid)
    info = json.loads((tmp_path / LOCK_NAME).read_text())
    assert info["run_id"] == "run-dead"  # the dead holder's details are still there
    with DiscoveryLock(tmp_path, "run-3", "y") as lock:
        assert lock.stale is not None and lock.stale.run_id == "run-dead" and lock.stale.pid == child.pid


def test_the_cli_refuses_a_second_discover_in_one_line(tmp_path: Path) -> None:
    from app.cli import main

    with DiscoveryLock(tmp_path, "discovery-20260105T030000-abc123", "2026-01-05T03:00:00Z"):
        res = CliRunner().invoke(main, ["--home", str(tmp_path), "discover", "--no-progress"])
    assert res.exit_code == 9
    assert res.output.strip().splitlines() == [
        f"error: discovery is already running: run discovery-20260105T030000-abc123 (pid {os.getpid()} on "
        f"{os.uname()[1]}, started 2026-01-05T03:00:00Z) (wait for it to finish)"]
    assert not (tmp_path / "graph.db").exists()  # refused before opening the store
