"""The console's per-user saved queries and history: stored under HOME (not in the graph), one
user never sees another's, and in a real browser a query with $parameters is run, saved,
found again after a reload, re-run from "My queries" and deleted."""

from __future__ import annotations

import json
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dash
import flask
import pytest
from selenium.webdriver.common.keys import Keys

from app import console_view as cv
from app import ids
from app.user_queries import HISTORY_KEEP, UserQueries
from graph.errors import InputError
from graph.settings import Settings, load_settings
from graph.store.base import GraphStore
from tests.browser import wait_until


def test_saved_queries_and_history_are_per_user(tmp_path: Path) -> None:
    mine = UserQueries.under(tmp_path)
    mine.save("ann", "Kicker by id", "MATCH (p:Publisher {id: $id}) RETURN p", {"id": "pub:kicker.de"})
    mine.save("ann", "Kicker by id", "MATCH (p:Publisher {id: $id}) RETURN p.name", {"id": "pub:kicker.de"})  # replaced
    mine.save("bob", "Mine", "RETURN 1")
    assert [(q["name"], q["text"], q["params"]) for q in mine.saved("ann")] == [
        ("Kicker by id", "MATCH (p:Publisher {id: $id}) RETURN p.name", {"id": "pub:kicker.de"})]
    assert [q["name"] for q in mine.saved("bob")] == ["Mine"]
    assert mine.saved("carl") == [] and not mine.delete("bob", "Kicker by id")
    assert mine.delete("ann", "Kicker by id") and mine.saved("ann") == []
    assert stat.S_IMODE((tmp_path / "app" / "console.sqlite").stat().st_mode) == 0o600

    for i in range(HISTORY_KEEP + 10):
        mine.record("ann", cv.history_entry(text=f"RETURN {i % 30}", saved=None, params={}, status="ok", rows=1))
    mine.record("bob", cv.history_entry(text="RETURN 'bob'", saved=None, params={"x": 1}, status="ok", rows=1))
    ann = mine.history("ann", 25)
    assert len(ann) == 25 and ann[0]["text"] == f"RETURN {(HISTORY_KEEP + 9) % 30}"  # newest first, each once
    assert len({h["text"] for h in ann}) == 25 and all("bob" not in h["text"] for h in ann)
    assert mine.history("bob") == [{**mine.history("bob")[0], "text": "RETURN 'bob'", "params": {"x": 1}}]
    assert UserQueries.under(tmp_path).history("ann", 1)[0]["text"] == ann[0]["text"]  # kept on disk

    with pytest.raises(InputError, match="give the query a name"):
        mine.save("ann", "  ", "RETURN 1")
    with pytest.raises(InputError, match="the editor is empty"):
        mine.save("ann", "x", " ")


def test_editor_parameters_are_checked() -> None:
    assert cv.parse_params("") == {} and cv.parse_params(' {"id": "a", "k": 3, "ids": ["x", 1]} ') == {
        "id": "a", "k": 3, "ids": ["x", 1]}
    for bad, match in (('{"id": ', "not valid JSON"), ("[1, 2]", "must be a JSON object"),
                       ('{"bad name": 1}', "is not a parameter name"), ('{"m": {"a": 1}}', "must be a number")):
        with pytest.raises(InputError, match=match):
            cv.parse_params(bad)
    assert cv.params_text({"k": 3, "id": "a"}) == '{"id": "a", "k": 3}' and cv.params_text(None) == "{}"


def test_the_console_shows_each_user_only_their_own(tmp_path: Path) -> None:
    from app.factory import create_app
    from app.users import add_user

    users = tmp_path / "users.yaml"
    add_user(users, "ann", "analyst-pass", ["analyst"], rounds=4)
    add_user(users, "bob", "analyst-pass", ["analyst"], rounds=4)
    settings = load_settings(env={"PARTNERGRAPH_GRAPH_URI": "bolt://127.0.0.1:1"}, home=tmp_path, app_users=users)
    UserQueries.under(tmp_path).save("ann", "ann's secret query", "RETURN 'ann-only'")
    UserQueries.under(tmp_path).record("ann", cv.history_entry(text="RETURN 'ann-history'", saved=None, params={},
                                                               status="ok", rows=1))
    app = create_app(settings)
    page = next(p for p in dash.page_registry.values() if p["relative_path"] == "/console")
    for name, sees in (("ann", True), ("bob", False)):
        with app.server.test_request_context("/console"):
            flask.session["pg_user"] = name
            flask.session["pg_expires"] = time.time() + 60
            shown = json.dumps(page["layout"]().to_plotly_json(), default=str)
        assert ("ann-only" in shown) is sees and ("ann-history" in shown) is sees


# ------------------------------------------------------------------------------- in a browser


def _type(dash_duo: Any, element_id: str, text: str) -> None:
    box = dash_duo.find_element(f"#{element_id}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)


@pytest.mark.browser
@pytest.mark.parametrize("store", ["falkordb"], indirect=True)
def test_save_a_query_with_parameters_find_it_again_and_rerun_it(
        dash_duo: Any, store: GraphStore, falkor_settings: Settings, tmp_path: Path) -> None:
    from app.factory import create_app
    from graph.bulk import write_frames
    from tests.fixture_graph import fixture_export

    write_frames(store, fixture_export(), progress=False)
    dash_duo.start_server(create_app(replace(falkor_settings, home=tmp_path), store))
    dash_duo.driver.get(dash_duo.server_url + "/console")
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_MINE_LIST}", "Queries you save", timeout=20)

    # a query with a $parameter, the value given as JSON next to it
    _type(dash_duo, ids.CONSOLE_EDITOR, "MATCH (p:Publisher {id: $id}) RETURN p.name AS name")
    _type(dash_duo, ids.CONSOLE_EDITOR_PARAMS, '{"id": "pub:kicker.de"}')
    dash_duo.find_element(f"#{ids.CONSOLE_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_STATUS}", "1 row in")
    assert dash_duo.find_element(f"#{ids.CONSOLE_TABLE} tbody td").text == "Kicker"
    _type(dash_duo, ids.CONSOLE_EDITOR_PARAMS, '{"id": ')
    dash_duo.find_element(f"#{ids.CONSOLE_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_STATUS}", "Not run: the parameters are not valid JSON")

    _type(dash_duo, ids.CONSOLE_EDITOR_PARAMS, '{"id": "pub:kicker.de"}')
    dash_duo.find_element(f"#{ids.CONSOLE_SAVE_NAME}").send_keys("Publisher by id")
    dash_duo.find_element(f"#{ids.CONSOLE_SAVE}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.CONSOLE_SAVE_STATUS}", "Saved as Publisher by id.")
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_MINE_LIST}", "Publisher by id")

    # a new visit: the saved query and the history are still there
    dash_duo.driver.get(dash_duo.server_url + "/console")
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_MINE_LIST}", "Publisher by id", timeout=20)
    history = [b.text for b in dash_duo.find_elements(f"#{ids.CONSOLE_HISTORY_LIST} button")]
    assert len(history) == 2 and "refused or failed" in history[0] and "1 rows" in history[1]
    dash_duo.find_element(f"#{ids.CONSOLE_MINE_LIST} .pg-history-item").click()
    wait_until(lambda: "$id" in dash_duo.find_element(f"#{ids.CONSOLE_EDITOR}").get_attribute("value"),
               what="the saved query in the editor")
    assert json.loads(dash_duo.find_element(f"#{ids.CONSOLE_EDITOR_PARAMS}").get_attribute("value")) == {
        "id": "pub:kicker.de"}
    dash_duo.find_element(f"#{ids.CONSOLE_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_STATUS}", "1 row in")
    dash_duo.driver.save_screenshot(str(Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "console-mine.png"))

    dash_duo.find_element(f"#{ids.CONSOLE_MINE_LIST} .pg-mine-delete").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.CONSOLE_SAVE_STATUS}", "Deleted Publisher by id.")
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_MINE_LIST}", "Queries you save")
    assert UserQueries.under(tmp_path).saved("local") == []
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    assert dash_duo.get_logs() == []
