"""Shared fixtures: real stores on both backends.

- ``neo4j_uri`` (session): ``NEO4J_URI`` when given, else the project's own Neo4j 5.26 test
  server (``tests/neo4j-server``), started once and stopped at the end. Without Java or the
  built server, Neo4j tests skip with the reason, unless ``PARTNERGRAPH_REQUIRE_NEO4J=1``
  (CI), where they fail.
- ``falkor_settings`` (session): settings on a FalkorDB-lite database in a temp HOME.
- ``store`` (function, parametrised ``falkordb`` / ``neo4j``): an empty store with the schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.settings import Settings, load_settings
from graph.store import open_store
from graph.store.base import GraphStore

pytest_plugins = ["tests.conftest_browser"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REQUIRE_NEO4J = os.environ.get("PARTNERGRAPH_REQUIRE_NEO4J") == "1"


def _need(reason: str, required: bool) -> None:
    if required:
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("NEO4J_URI"):
        yield os.environ["NEO4J_URI"]
        return
    from tests.neo4j_server import Neo4jServerUnavailable, start_server

    try:
        server = start_server(tmp_path_factory.mktemp("neo4j-home"))
    except Neo4jServerUnavailable as exc:
        _need(f"Neo4j test server: {exc}", REQUIRE_NEO4J)
        return
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def falkor_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("pg-home")
    return load_settings(env={}, home=home)


@pytest.fixture(scope="session")
def neo4j_settings(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("pg-home-neo4j")
    env = {"PARTNERGRAPH_GRAPH_URI": neo4j_uri}
    if os.environ.get("NEO4J_USER"):
        env["NEO4J_USER"] = os.environ["NEO4J_USER"]
    if os.environ.get("NEO4J_PASSWORD"):
        env["NEO4J_PASSWORD"] = os.environ["NEO4J_PASSWORD"]
    return load_settings(env=env, home=home)


_open: dict[str, GraphStore] = {}


def _session_store(backend: str, request: pytest.FixtureRequest) -> GraphStore:
    if backend not in _open:
        settings = request.getfixturevalue(f"{'falkor' if backend == 'falkordb' else 'neo4j'}_settings")
        store = open_store(settings)
        _open[backend] = store
        request.session.config.add_cleanup(store.close)
    return _open[backend]


@pytest.fixture(params=["falkordb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """An empty graph with the schema applied, on each backend."""
    s = _session_store(request.param, request)
    s.clear()
    s.apply_schema()
    return s


@dataclass(frozen=True)
class CiWorld:
    """The ``ci`` ecosystem built as a user builds it: ``partnergraph demo --no-app`` in a fresh
    HOME (generate, import the observable exports, crawl the sites, embed, and every later stage
    that exists). Built once per session; tests read it and must not change it."""

    home: Path
    stdout: str
    stderr: str
    returncode: int

    def settings(self) -> Settings:
        return load_settings(home=self.home, graph_uri=None)


@pytest.fixture(scope="session")
def ci_world(tmp_path_factory: pytest.TempPathFactory) -> CiWorld:
    import subprocess
    import sys

    home = tmp_path_factory.mktemp("ci-world")
    env = {**os.environ, "PARTNERGRAPH_HOME": str(home)}
    env.pop("PARTNERGRAPH_GRAPH_URI", None)
    res = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-app", "--no-progress"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=1800)
    return CiWorld(home, res.stdout, res.stderr, res.returncode)


#: Building the ci world (the whole demo) takes 5-10 minutes on 2 cores; whichever test asks for
#: it first pays that inside its own timeout.
CI_WORLD_TIMEOUT = 2400


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "ci_world" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(CI_WORLD_TIMEOUT))
