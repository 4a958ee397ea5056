"""App users: the users file (``PARTNERGRAPH_APP_USERS``) and the admin provisioned from env.

The users file is YAML (JSON is YAML too): a list of ``{name, password_hash, roles}`` or a
mapping ``{users: [...]}``. Passwords are stored as bcrypt hashes only; ``partnergraph users add
NAME --role analyst`` (or ``python -m app.users add NAME --role analyst``) writes one. The file is
written atomically with mode 0600.

The admin of a deployment comes from the settings (``graph/settings.py``; env or config file):
``PARTNERGRAPH_ADMIN_USER`` (default ``admin``) and ``PARTNERGRAPH_ADMIN_PASSWORD``, or
``PARTNERGRAPH_ADMIN_PASSWORD_FILE`` naming a file that holds it (a Docker secret). It is hashed
in memory at start-up, never written.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import click
import yaml

from graph.errors import ConfigError, InputError
from graph.settings import Settings

ROLES = ("manager", "analyst", "investigator", "admin")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer passwords are refused, not silently cut
ROUNDS = 12

# The names of these settings (graph/settings.py's table), for messages.
ADMIN_USER_ENV = "PARTNERGRAPH_ADMIN_USER"
ADMIN_PASSWORD_ENV = "PARTNERGRAPH_ADMIN_PASSWORD"
ADMIN_PASSWORD_FILE_ENV = "PARTNERGRAPH_ADMIN_PASSWORD_FILE"



@dataclass(frozen=True)
class User:
    """Someone who can use the app, with their roles. ``local`` marks the loopback user."""

    name: str
    roles: frozenset[str]
    password_hash: str = field(default="", repr=False, compare=False)
    local: bool = False

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


LOCAL_USER = User("local", frozenset(ROLES), local=True)


# ------------------------------------------------------------------------------- passwords


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is {len(password)} characters long; use at least {MIN_PASSWORD}")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise InputError(f"the password is longer than {MAX_PASSWORD_BYTES} bytes, bcrypt's limit; use a shorter one")


def hash_password(password: str, rounds: int = ROUNDS) -> str:
    """A bcrypt hash of ``password`` (checked for length first)."""
    check_new_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


@functools.cache
def _dummy_hash() -> str:
    """Checked when a name is unknown, so a sign-in takes as long whether or not the user exists."""
    return bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=ROUNDS)).decode()


def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; as slow for an unknown user as for a known one."""
    hashed = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        ok = bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:  # a password over 72 bytes, or a malformed hash
        ok = False
    return ok and user is not None and bool(user.password_hash)


# ------------------------------------------------------------------------------- the file


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise InputError(f"invalid user name {name!r}",
                         hint="use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    return name


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    out = frozenset(str(r).strip().lower() for r in roles)
    unknown = sorted(out - set(ROLES))
    if unknown:
        raise InputError(f"unknown role {', '.join(unknown)}", hint=f"roles are {', '.join(ROLES)}")
    if not out:
        raise InputError("a user needs at least one role", hint=f"roles are {', '.join(ROLES)}")
    return out


def parse_users(text: str, origin: str = "users file") -> dict[str, User]:
    """Users from the file's text; :class:`ConfigError` naming the entry that is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin} is not valid YAML or JSON: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if isinstance(data, Mapping):
        data = data.get("users", [])
    if not isinstance(data, list):
        raise ConfigError(f"{origin} must be a list of {{name, password_hash, roles}} (or {{users: [...]}})")
    users: dict[str, User] = {}
    for i, entry in enumerate(data, start=1):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{origin}: entry {i} is not a mapping of name, password_hash, roles")
        try:
            name = check_name(str(entry.get("name") or ""))
            roles = entry.get("roles") or []
            roles = check_roles([roles] if isinstance(roles, str) else roles)
        except InputError as exc:
            raise ConfigError(f"{origin}: entry {i}: {exc}") from None
        hashed = str(entry.get("password_hash") or "")
        if not hashed.startswith(("$2a$", "$2b$", "$2y$")):
            raise ConfigError(f"{origin}: user {name!r} has no bcrypt password_hash",
                              hint="write users with `partnergraph users add NAME --role ROLE`")
        users[name] = User(name, roles, hashed)
    return users


def load_users(path: Path) -> dict[str, User]:
    if not path.is_file():
        raise ConfigError(f"the users file {path} does not exist",
                          hint="create it with `partnergraph users add NAME --role ROLE`")
    return parse_users(path.read_text(encoding="utf-8"), str(path))


def dump_users(users: Mapping[str, User]) -> str:
    rows = [{"name": u.name, "password_hash": u.password_hash, "roles": sorted(u.roles)}
            for u in sorted(users.values(), key=lambda u: u.name)]
    return "# PartnerGraph app users (bcrypt hashes; edit with `partnergraph users`)\n" + yaml.safe_dump(
        {"users": rows}, sort_keys=False)


def save_users(path: Path, users: Mapping[str, User]) -> None:
    """Write the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".users-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dump_users(users))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_user(path: Path, name: str, password: str, roles: Iterable[str], *, rounds: int = ROUNDS) -> User:
    """Add ``name`` (or replace its password and roles) in the users file."""
    users = load_users(path) if path.exists() else {}
    user = User(check_name(name), check_roles(roles), hash_password(password, rounds))
    users[user.name] = user
    save_users(path, users)
    return user


def remove_user(path: Path, name: str) -> None:
    users = load_users(path)
    if name not in users:
        raise InputError(f"no user {name!r} in {path}")
    del users[name]
    save_users(path, users)


# ------------------------------------------------------------------------------- admin from env


def admin_from_settings(settings: Settings, *, rounds: int = ROUNDS) -> User | None:
    """The admin named by the settings (``PARTNERGRAPH_ADMIN_USER`` and ``_PASSWORD`` or
    ``_PASSWORD_FILE``), hashed in memory, or ``None`` when no password is set."""
    password = settings.admin_password or ""
    secret_file = settings.admin_password_file
    if not password and secret_file:
        try:
            password = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{ADMIN_PASSWORD_FILE_ENV}={secret_file} cannot be read ({exc.strerror})") from None
    if not password:
        return None
    name = settings.admin_user or "admin"
    try:
        check_name(name)
        hashed = hash_password(password, rounds)
    except InputError as exc:
        raise ConfigError(f"the admin from {ADMIN_USER_ENV}/{ADMIN_PASSWORD_ENV}: {exc}") from None
    return User(name, frozenset({"admin"}), hashed)


def admin_configured(settings: Settings) -> bool:
    """Whether the settings provision an admin (a password or a password file)."""
    return bool(settings.admin_password or settings.admin_password_file)


# ------------------------------------------------------------------------------- CLI


def _users_file(obj: Any, file: str | None) -> Path:
    if file:
        return Path(file).expanduser()
    settings = getattr(obj, "settings", None)
    if settings is None:
        from graph.settings import load_settings

        settings = load_settings()
    if settings.app_users is None:
        raise InputError("no users file is configured", hint="set PARTNERGRAPH_APP_USERS=/path/users.yaml or pass --file")
    return Path(settings.app_users)


@click.group("users")
def users_group() -> None:
    """App users with bcrypt-hashed passwords and roles (the PARTNERGRAPH_APP_USERS file)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="A role (repeat for several).")
@click.option("--file", type=click.Path(dir_okay=False), help="Users file (default PARTNERGRAPH_APP_USERS).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def add_command(obj: Any, name: str, roles: tuple[str, ...], file: str | None, password_stdin: bool) -> None:
    """Add a user, or replace their password and roles."""
    path = _users_file(obj, file)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = add_user(path, name, password, roles)
    click.echo(f"{user.name}: roles {', '.join(sorted(user.roles))} written to {path}")


@users_group.command("list")
@click.option("--file", type=click.Path(dir_okay=False), help="Users file (default PARTNERGRAPH_APP_USERS).")
@click.pass_obj
def list_command(obj: Any, file: str | None) -> None:
    """List the users and their roles (never the hashes)."""
    path = _users_file(obj, file)
    users = load_users(path)
    for user in sorted(users.values(), key=lambda u: u.name):
        click.echo(f"{user.name}\t{', '.join(sorted(user.roles))}")
    click.echo(f"{len(users)} user{'s' if len(users) != 1 else ''} in {path}")


@users_group.command("remove")
@click.argument("name")
@click.option("--file", type=click.Path(dir_okay=False), help="Users file (default PARTNERGRAPH_APP_USERS).")
@click.pass_obj
def remove_command(obj: Any, name: str, file: str | None) -> None:
    """Remove a user."""
    path = _users_file(obj, file)
    remove_user(path, name)
    click.echo(f"{name} removed from {path}")


def main() -> None:
    """``python -m app.users``: the same commands, errors as one line."""
    from graph.errors import PartnerGraphError

    try:
        users_group.main(standalone_mode=False, obj=None)
    except PartnerGraphError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)


if __name__ == "__main__":
    main()
