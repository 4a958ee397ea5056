"""docker-compose.yml is valid (Debian's docker-compose 1.29; there is no engine here)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {"NEO4J_PASSWORD": "x", "PARTNERGRAPH_PSEUDONYM_KEY": "k", "PARTNERGRAPH_APP_SECRET": "s",
           "PARTNERGRAPH_ADMIN_PASSWORD": "p"}


def _compose(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is missing: `make test` installs it")
        pytest.skip("docker-compose not installed (make test installs it)")
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run([exe, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], cwd=ROOT,
                          capture_output=True, text=True, env={**clean, **env}, timeout=60)


def test_compose_file_validates() -> None:
    res = _compose(SECRETS)
    assert res.returncode == 0, res.stderr


def test_compose_refuses_missing_secrets() -> None:
    res = _compose({})
    assert res.returncode != 0 and "NEO4J_PASSWORD" in res.stderr


def test_compose_services_and_healthcheck() -> None:
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert services["neo4j"]["image"].startswith("neo4j:5.26")
    assert "apoc" in services["neo4j"]["environment"]["NEO4J_PLUGINS"]
    assert "healthcheck" in services["neo4j"] and "healthcheck" in services["app"]
    assert "discover" in services and "discover" in " ".join(services["discover"]["command"])
    assert "PARTNERGRAPH_ADMIN_PASSWORD" in services["app"]["environment"]
