"""Access to the app: users file and admin from env, sign-in, sessions, roles per page and action.

Flask's test client drives the real app (no browser) on a store whose server is gone, which is
enough: sign-in and roles are decided before any graph access. One browser test signs in through
the form and meets a page its role does not open.
"""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import flask
import pytest
from click.testing import CliRunner

from app import ids
from app.access import (
    AccessDenied,
    build_access,
    can,
    can_open,
    denial_text,
    pages_for_callback,
    require,
    session_secret,
)
from app.login import safe_next
from app.server import check_binding
from app.users import (
    LOCAL_USER,
    User,
    add_user,
    admin_from_settings,
    hash_password,
    load_users,
    parse_users,
    remove_user,
    verify_password,
)
from graph.errors import ConfigError, InputError, StoreUnavailable
from graph.settings import Settings, load_settings

FAST = 4  # bcrypt rounds for hashes written by tests (the product uses 12)


class _Gone:
    backend = "neo4j"
    uri = "bolt://127.0.0.1:1"

    def schema_version(self) -> int | None:
        raise StoreUnavailable("cannot reach bolt://127.0.0.1:1")

    def counts(self) -> dict[str, int]:
        raise StoreUnavailable("cannot reach bolt://127.0.0.1:1")

    def close(self) -> None:
        pass


def _user(name: str, *roles: str) -> User:
    return User(name, frozenset(roles))


# ------------------------------------------------------------------------------- roles


def test_pages_and_actions_are_limited_by_role() -> None:
    manager, analyst = _user("mia", "manager"), _user("ann", "analyst")
    investigator, admin = _user("ivy", "investigator"), _user("root", "admin")
    assert can_open(analyst, "/console") and can_open(admin, "/console")
    assert not can_open(manager, "/console") and not can_open(investigator, "/console")
    assert can_open(investigator, "/investigations") and not can_open(analyst, "/investigations")
    assert can_open(manager, "/recommendations") and not can_open(investigator, "/recommendations")
    assert all(can_open(u, "/explore") for u in (manager, analyst, investigator, admin))
    assert not can_open(None, "/")
    assert can(manager, "feedback") and can(manager, "preferences") and not can(analyst, "feedback")
    assert can(investigator, "cases") and not can(manager, "cases")
    assert all(can(LOCAL_USER, a) for a in ("console", "feedback", "preferences", "cases", "investigate"))
    text = denial_text(analyst, path="/investigations", page_name="Investigations")
    assert text == ("Your account ann (analyst) cannot open Investigations: it needs the investigator or admin "
                    "role. Ask an admin to add it to your account.")
    assert "accept or reject recommendations" in denial_text(analyst, action="feedback")
    assert pages_for_callback("console-status") == {"/console"}
    assert pages_for_callback("inv-case-notes") == {"/investigations"}
    assert pages_for_callback("explore-results") == set()


# ------------------------------------------------------------------------------- users file


def test_users_file_round_trip_is_private_and_hashed(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "users.yaml"
    add_user(path, "ann", "analyst-pass-1", ["analyst"], rounds=FAST)
    add_user(path, "ivy", "investigator-pass", ["investigator", "manager"], rounds=FAST)
    add_user(path, "ann", "analyst-pass-2", ["analyst", "admin"], rounds=FAST)  # replaced, not duplicated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "analyst-pass" not in text and "$2b$" in text
    users = load_users(path)
    assert sorted(users) == ["ann", "ivy"]
    assert users["ann"].roles == {"analyst", "admin"}
    assert verify_password(users["ann"], "analyst-pass-2")
    assert not verify_password(users["ann"], "analyst-pass-1")
    assert not verify_password(None, "analyst-pass-2")
    assert not verify_password(users["ann"], "x" * 100)  # over bcrypt's limit: refused, not an error
    remove_user(path, "ivy")
    assert sorted(load_users(path)) == ["ann"]
    with pytest.raises(InputError, match="no user 'ivy'"):
        remove_user(path, "ivy")


def test_users_file_accepts_json_and_names_bad_entries() -> None:
    hashed = hash_password("good-password", rounds=FAST)
    users = parse_users(f'[{{"name": "bob", "password_hash": "{hashed}", "roles": "manager"}}]')
    assert users["bob"].roles == {"manager"}
    assert parse_users("") == {}
    with pytest.raises(ConfigError, match="entry 1: unknown role boss"):
        parse_users(f"users: [{{name: bob, password_hash: '{hashed}', roles: [boss]}}]")
    with pytest.raises(ConfigError, match="user 'bob' has no bcrypt password_hash"):
        parse_users("users: [{name: bob, password_hash: plaintext, roles: [manager]}]")
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_users("users: [")
    with pytest.raises(ConfigError, match="invalid user name"):
        parse_users(f"- {{name: '<b>x</b>', password_hash: '{hashed}', roles: [admin]}}")
    with pytest.raises(InputError, match="at least 8"):
        hash_password("short")
    with pytest.raises(InputError, match="72 bytes"):
        hash_password("é" * 40)


def test_users_cli_adds_lists_and_removes(tmp_path: Path) -> None:
    from app.cli import main

    path = tmp_path / "users.yaml"
    runner = CliRunner()
    env = {"PARTNERGRAPH_HOME": str(tmp_path), "PARTNERGRAPH_APP_USERS": str(path)}
    res = runner.invoke(main, ["users", "add", "ann", "--role", "analyst", "--role", "manager", "--password-stdin"],
                        input="a-long-password\n", env=env)
    assert res.exit_code == 0, res.output
    assert f"ann: roles analyst, manager written to {path}" in res.output
    assert verify_password(load_users(path)["ann"], "a-long-password")
    res = runner.invoke(main, ["users", "list"], env=env)
    assert "ann\tanalyst, manager" in res.output and "1 user in" in res.output and "$2b$" not in res.output
    res = runner.invoke(main, ["users", "add", "bob", "--role", "analyst", "--password-stdin"], input="short\n", env=env)
    assert res.exit_code == 6 and "error: the password is 5 characters long; use at least 8" in res.output
    res = runner.invoke(main, ["users", "add", "bob", "--role", "boss", "--password-stdin"], input="x" * 9 + "\n", env=env)
    assert res.exit_code == 2 and "'boss' is not one of" in res.output
    res = runner.invoke(main, ["users", "list"], env={"PARTNERGRAPH_HOME": str(tmp_path)})
    assert res.exit_code == 6 and "no users file is configured" in res.output
    res = runner.invoke(main, ["users", "remove", "ann"], env=env)
    assert res.exit_code == 0 and load_users(path) == {}


# ------------------------------------------------------------------------------- admin, modes, secret


def _settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings(env=env, home=tmp_path)


def test_admin_from_settings_or_secret_file(tmp_path: Path) -> None:
    assert admin_from_settings(_settings(tmp_path)) is None
    boss = _settings(tmp_path, PARTNERGRAPH_ADMIN_USER="boss", PARTNERGRAPH_ADMIN_PASSWORD="admin-password")
    admin = admin_from_settings(boss, rounds=FAST)
    assert admin is not None and admin.name == "boss" and admin.roles == {"admin"}
    assert verify_password(admin, "admin-password")
    assert "admin-password" not in repr(boss) + str(boss.describe())  # a secret setting: masked
    secret = tmp_path / "admin_password"
    secret.write_text("from-a-file-123\n")
    admin = admin_from_settings(_settings(tmp_path, PARTNERGRAPH_ADMIN_PASSWORD_FILE=str(secret)), rounds=FAST)
    assert admin is not None and admin.name == "admin" and verify_password(admin, "from-a-file-123")
    (tmp_path / "config.yaml").write_text(f"PARTNERGRAPH_ADMIN_PASSWORD_FILE: {secret}\n")  # or the config file
    admin = admin_from_settings(_settings(tmp_path), rounds=FAST)
    assert admin is not None and verify_password(admin, "from-a-file-123")
    (tmp_path / "config.yaml").unlink()
    with pytest.raises(ConfigError, match="cannot be read"):
        admin_from_settings(_settings(tmp_path, PARTNERGRAPH_ADMIN_PASSWORD_FILE=str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match="use at least 8"):
        admin_from_settings(_settings(tmp_path, PARTNERGRAPH_ADMIN_PASSWORD="p"))


def test_modes_local_without_users_and_login_with_them(tmp_path: Path) -> None:
    plain = load_settings(env={}, home=tmp_path)
    assert build_access(plain).mode == "local"
    with_admin = build_access(_settings(tmp_path, PARTNERGRAPH_ADMIN_PASSWORD="admin-password"))
    assert with_admin.mode == "login" and with_admin.user("admin") is not None
    missing = load_settings(env={}, home=tmp_path, app_users=tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        build_access(missing)
    # docker-compose: the users file does not exist yet, the admin comes from env
    compose = load_settings(env={"PARTNERGRAPH_ADMIN_PASSWORD": "admin-password"}, home=tmp_path,
                            app_users=tmp_path / "nope.yaml")
    assert build_access(compose).users().keys() == {"admin"}

    with pytest.raises(ConfigError, match="no users are configured"):
        check_binding(_settings(tmp_path, PARTNERGRAPH_APP_HOST="0.0.0.0"))
    check_binding(_settings(tmp_path, PARTNERGRAPH_APP_HOST="0.0.0.0", PARTNERGRAPH_ADMIN_PASSWORD="admin-password"))


def test_session_secret_from_env_file_or_generated_once(tmp_path: Path) -> None:
    assert session_secret(load_settings(env={"PARTNERGRAPH_APP_SECRET": "s3"}, home=tmp_path)) == "s3"
    f = tmp_path / "secret"
    f.write_text("from-file\n")
    assert session_secret(_settings(tmp_path, PARTNERGRAPH_APP_SECRET_FILE=str(f))) == "from-file"
    with pytest.raises(ConfigError, match="cannot be read"):
        session_secret(_settings(tmp_path, PARTNERGRAPH_APP_SECRET_FILE=str(tmp_path / "missing")))
    home = tmp_path / "home"
    first = session_secret(load_settings(env={}, home=home))
    assert len(first) == 64 and session_secret(load_settings(env={}, home=home)) == first
    assert stat.S_IMODE((home / "app-secret.key").stat().st_mode) == 0o600
    with pytest.raises(ConfigError, match="production refuses a generated session secret"):
        session_secret(load_settings(env={"PARTNERGRAPH_ENV": "production"}, home=tmp_path / "prod"))


def test_next_after_sign_in_stays_on_this_site() -> None:
    assert safe_next("/explore?id=pub%3Ax") == "/explore?id=pub%3Ax"
    for bad in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", None):
        assert safe_next(bad) == "/"


# ------------------------------------------------------------------------------- the app


@pytest.fixture
def login_app(tmp_path: Path) -> Iterator[tuple[Any, Settings]]:
    from app.factory import create_app

    users = tmp_path / "users.yaml"
    add_user(users, "mia", "manager-pass", ["manager"], rounds=FAST)
    add_user(users, "ann", "analyst-pass", ["analyst"], rounds=FAST)
    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1",
                                  "PARTNERGRAPH_ADMIN_PASSWORD": "admin-password"}, home=tmp_path, app_users=users)
    app = create_app(settings, _Gone())  # type: ignore[arg-type]
    yield app, settings


def _csrf(client: Any) -> str:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _sign_in(client: Any, name: str, password: str, next_: str = "/") -> Any:
    return client.post("/login", data={"name": name, "password": password, "csrf": _csrf(client), "next": next_})


def _callback(client: Any, output_id: str) -> Any:
    return client.post("/_dash-update-component", json={
        "output": f"{output_id}.children", "outputs": {"id": output_id, "property": "children"},
        "inputs": [], "changedPropIds": []})


def test_sign_in_is_required_and_roles_are_enforced(login_app: tuple[Any, Settings]) -> None:
    app, _settings = login_app
    client = app.server.test_client()
    resp = client.get("/console?x=1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?why=signin&next=/console%3Fx%3D1"
    assert "Sign in to open that page." in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    # a callback without a session updates nothing and sends the browser to the sign-in page
    resp = _callback(client, "overview-kpi-nodes")
    assert resp.status_code == 200 and resp.get_json()["response"] == {}
    assert resp.get_json()["sideUpdate"] == {ids.AUTH_REDIRECT: {"href": "/login?why=signin&next=/"}}
    assert client.get("/healthz").status_code == 503  # open: probes need no sign-in (the store is gone here)
    assert client.get("/assets/style.css").status_code == 200

    resp = client.post("/login", data={"name": "mia", "password": "manager-pass", "csrf": "forged"})
    assert resp.status_code == 400 and "The form expired" in resp.get_data(as_text=True)
    resp = _sign_in(client, "mia", "wrong-password")
    assert resp.status_code == 401 and "Wrong user name or password." in resp.get_data(as_text=True)
    resp = _sign_in(client, "nobody", "wrong-password")
    assert resp.status_code == 401 and "Wrong user name or password." in resp.get_data(as_text=True)
    resp = _sign_in(client, "mia", "manager-pass", "/explore")
    assert resp.status_code == 302 and resp.headers["Location"] == "/explore"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "mia" in layout and "Sign out" in layout and "Local mode" not in layout
    assert '"Explore"' in layout and "Cypher console" not in layout  # the nav lists what mia may open
    resp = _callback(client, "console-status")
    assert resp.status_code == 403 and resp.get_json() == {"error": "mia may not use /console"}

    # the console page itself explains, in one sentence, instead of failing
    with app.server.test_request_context("/"):
        flask.session["pg_user"] = "mia"
        page = next(p for p in dash.page_registry.values() if p["relative_path"] == "/console")
        shown = str(page["layout"]())
        with pytest.raises(AccessDenied, match="cannot run queries in the Cypher console"):
            require("console")
    assert ids.ACCESS_DENIED in shown
    assert "Your account mia (manager) cannot open Cypher console: it needs the analyst or admin role." in shown
    assert "Traceback" not in shown

    # the admin from env signs in too; signing out ends the session
    client.get("/logout")
    assert client.get("/_dash-layout").status_code == 401
    assert _sign_in(client, "admin", "admin-password").status_code == 302
    assert "Cypher console" in client.get("/_dash-layout").get_data(as_text=True)


def test_repeated_failures_lock_the_name_out(login_app: tuple[Any, Settings]) -> None:
    app, _ = login_app
    client = app.server.test_client()
    for _ in range(5):
        assert _sign_in(client, "ann", "wrong-password").status_code == 401
    resp = _sign_in(client, "ann", "analyst-pass")
    assert resp.status_code == 429 and "Too many failed sign-ins" in resp.get_data(as_text=True)


def test_local_mode_needs_no_sign_in_and_says_so(tmp_path: Path) -> None:
    from app.factory import create_app

    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, home=tmp_path)
    app = create_app(settings, _Gone())  # type: ignore[arg-type]
    client = app.server.test_client()
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Local mode \\u00b7 every role" in layout and "Cypher console" in layout
    assert client.get("/login").status_code == 302  # nothing to sign in to
    assert client.get("/explore").status_code == 200


def test_an_expired_session_is_sent_back_to_sign_in_with_a_message(login_app: tuple[Any, Settings]) -> None:
    app, _settings = login_app
    client = app.server.test_client()
    assert _sign_in(client, "mia", "manager-pass", "/explore").status_code == 302
    assert client.get("/explore").status_code == 200
    with client.session_transaction() as sess:  # twelve hours later
        sess["pg_expires"] = time.time() - 1
    resp = client.get("/explore?id=pub%3Ax")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?why=expired&next=/explore%3Fid%3Dpub%253Ax"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired. Sign in again to continue." in page
    with client.session_transaction() as sess:
        assert "pg_user" not in sess  # the expired name is dropped, not reused
    # a callback from a page left open: back to sign-in, to the page it came from
    assert _sign_in(client, "mia", "manager-pass").status_code == 302
    with client.session_transaction() as sess:
        sess["pg_expires"] = time.time() - 1
    resp = client.post("/_dash-update-component", headers={"Referer": "http://localhost/explore?id=a"}, json={
        "output": "overview-kpi-nodes.children", "outputs": {"id": "overview-kpi-nodes", "property": "children"},
        "inputs": [], "changedPropIds": []})
    assert resp.get_json()["sideUpdate"][ids.AUTH_REDIRECT]["href"] == "/login?why=expired&next=/explore%3Fid%3Da"
    # a session without an expiry (tampering is impossible: it is signed, but be strict) is over too
    assert _sign_in(client, "mia", "manager-pass").status_code == 302
    with client.session_transaction() as sess:
        del sess["pg_expires"]
    assert "why=expired" in client.get("/explore").headers["Location"]


@pytest.mark.browser
@pytest.mark.parametrize("store", ["falkordb"], indirect=True)
def test_sign_in_in_a_browser_then_meet_a_page_the_role_does_not_open(
        dash_duo: Any, store: Any, falkor_settings: Settings, tmp_path: Path) -> None:
    from dataclasses import replace

    from app.factory import create_app
    from tests.app.graphs import seed_recommendations

    seed_recommendations(store)
    users = tmp_path / "users.yaml"
    add_user(users, "mia", "manager-pass", ["manager"], rounds=FAST)
    settings = replace(falkor_settings, app_users=users)
    dash_duo.start_server(create_app(settings, store), navigate=False)  # "/" is the sign-in form
    dash_duo.driver.get(dash_duo.server.url + "/recommendations")
    dash_duo.wait_for_element("#login-name", timeout=20).send_keys("mia")
    dash_duo.find_element("#login-password").send_keys("manager-pass")
    dash_duo.find_element("#login-submit").click()

    dash_duo.wait_for_contains_text(f"#{ids.REC_TABLE}", "Trail Runner Weekly", timeout=20)
    assert dash_duo.find_element(f"#{ids.USER_BADGE}").text == "mia · manager"
    nav = [a.text for a in dash_duo.find_elements(f"#{ids.NAV_LINKS} a")]
    assert nav[:4] == ["Overview", "Explore", "Partner profile", "Recommendations"]
    assert "Cypher console" not in nav and "Investigations" not in nav
    assert dash_duo.find_element(".pg-accept[data-partner='pub:trail']").is_enabled()

    dash_duo.driver.get(dash_duo.server.url + "/console")
    dash_duo.wait_for_contains_text(f"#{ids.ACCESS_DENIED}", "cannot open Cypher console", timeout=20)
    assert dash_duo.find_element(f"#{ids.ACCESS_DENIED}").text == (
        "Your account mia (manager) cannot open Cypher console: it needs the analyst or admin role. "
        "Ask an admin to add it to your account.")
    assert not dash_duo.find_elements(f"#{ids.CONSOLE_EDITOR}")
    SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    dash_duo.driver.save_screenshot(str(SHOTS / "access-denied.png"))

    dash_duo.find_element(f"#{ids.LOGOUT}").click()
    dash_duo.wait_for_element("#login-name", timeout=20)
    assert dash_duo.get_logs() == []


@pytest.mark.browser
@pytest.mark.parametrize("store", ["falkordb"], indirect=True)
def test_missing_or_expired_session_in_a_browser_goes_to_sign_in_with_a_message(
        dash_duo: Any, store: Any, falkor_settings: Settings, tmp_path: Path) -> None:
    from dataclasses import replace

    from app.access import build_access
    from app.factory import create_app
    from tests.browser import wait_until

    store.write("CREATE (:Publisher {id: 'pub:x', name: 'Kicker'})")
    users = tmp_path / "users.yaml"
    add_user(users, "mia", "manager-pass", ["manager"], rounds=FAST)
    settings = replace(falkor_settings, app_users=users, home=tmp_path)
    access = build_access(settings)
    access.session_seconds = 4.0  # a short session, to see it end
    dash_duo.start_server(create_app(settings, store, access=access), navigate=False)

    # no session: a protected page sends the browser to sign in, saying why
    dash_duo.driver.get(dash_duo.server.url + "/explore")
    dash_duo.wait_for_text_to_equal("#login-message", "Sign in to open that page.", timeout=20)
    dash_duo.find_element("#login-name").send_keys("mia")
    dash_duo.find_element("#login-password").send_keys("manager-pass")
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_STATUS}", "Search for a partner or brand to start.", timeout=20)
    signed_in = time.monotonic()

    # the session ends while the page is open: the next action goes back to sign in
    time.sleep(max(0.0, 4.5 - (time.monotonic() - signed_in)))
    dash_duo.find_element(f"#{ids.EXPLORE_SEARCH}").send_keys("Kick")
    dash_duo.find_element(f"#{ids.EXPLORE_SEARCH_GO}").click()
    dash_duo.wait_for_text_to_equal("#login-message", "Your session has expired. Sign in again to continue.",
                                    timeout=20)
    assert wait_until(lambda: "/login?why=expired&next=/explore" in dash_duo.driver.current_url, what="the URL")
    dash_duo.find_element("#login-name").send_keys("mia")
    dash_duo.find_element("#login-password").send_keys("manager-pass")
    dash_duo.find_element("#login-submit").click()  # and back where the user was
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_STATUS}", "Search for a partner or brand to start.", timeout=20)
    assert dash_duo.driver.current_url.endswith("/explore")
    assert dash_duo.get_logs() == []
