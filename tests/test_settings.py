from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import ConfigError
from graph.settings import TABLE, load_settings


def test_defaults_are_embedded_under_home(tmp_path: Path) -> None:
    s = load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path)})
    assert s.backend == "falkordb"
    assert s.embedded_path == tmp_path.resolve() / "graph.db"
    assert s.app_host == "127.0.0.1"


def test_env_overrides_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("PARTNERGRAPH_ROW_CAP: 50\nquery_timeout: 3\n")
    s = load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path), "PARTNERGRAPH_ROW_CAP": "70"})
    assert s.row_cap == 70 and s.query_timeout == 3.0


@pytest.mark.parametrize("uri,match", [
    ("mysql://x", "unknown graph URI scheme"),
    ("bolt://neo4j:secret@host:7687", "credentials in PARTNERGRAPH_GRAPH_URI"),
    ("localhost:7687", "unknown graph URI scheme"),
])
def test_bad_uris_are_refused(tmp_path: Path, uri: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path), "PARTNERGRAPH_GRAPH_URI": uri})


def test_bad_values_and_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PARTNERGRAPH_APP_PORT"):
        load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path), "PARTNERGRAPH_APP_PORT": "http"})
    with pytest.raises(ConfigError, match="PARTNERGRAPH_DISCOVER_MAX_AGE_DAYS"):
        load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path), "PARTNERGRAPH_DISCOVER_MAX_AGE_DAYS": "weekly"})
    (tmp_path / "config.yaml").write_text("PARTNERGRAPH_NOPE: 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path)})


def test_secrets_are_masked(tmp_path: Path) -> None:
    s = load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path), "NEO4J_PASSWORD": "hunter2",
                           "PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:7687"})
    text = repr(s) + str(s.describe())
    assert "hunter2" not in text
    assert s.describe()["NEO4J_PASSWORD"] == "set (hidden)"
    assert set(TABLE) <= {f for f in s.__dataclass_fields__}


def test_pseudonym_key_dev_and_production(tmp_path: Path) -> None:
    dev = load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path)})
    key = dev.dev_pseudonym_key()
    assert len(key) == 64 and dev.dev_pseudonym_key() == key
    prod = load_settings(env={"PARTNERGRAPH_HOME": str(tmp_path), "PARTNERGRAPH_ENV": "production"})
    with pytest.raises(ConfigError, match="PSEUDONYM_KEY"):
        prod.dev_pseudonym_key()
