"""The explore, profile and console pages in a real browser, on a real FalkorDB-lite store
loaded with the differential fixture graph (tests/fixture_graph.py).

Each test drives its page's main flow, takes a screenshot for docs/ and ends with an empty
browser log. They skip without Chromium/chromedriver (see tests/browser.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from app import ids
from app.factory import create_app
from graph.bulk import write_frames
from graph.settings import Settings
from graph.store.base import GraphStore
from tests.browser import wait_until as _wait
from tests.fixture_graph import fixture_export

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("store", ["falkordb"], indirect=True)]


def _start(dash_duo: Any, store: GraphStore, settings: Settings, path: str) -> None:
    write_frames(store, fixture_export(), progress=False)
    dash_duo.start_server(create_app(settings, store))
    dash_duo.driver.get(dash_duo.server_url + path)


def _shot(dash_duo: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _cy_names(dash_duo: Any) -> list[str]:
    return dash_duo.driver.execute_script("return window.cy ? window.cy.nodes().map(n => n.data('name')) : []")


def _click_node(dash_duo: Any, node_id: str) -> None:
    """Click a Cytoscape node where it is drawn (a real mouse click on the canvas), once the
    layout has settled (two equal reads of its position)."""
    script = ("const n = window.cy && window.cy.getElementById(arguments[0]);"
              "return n && n.length ? n.renderedPosition() : null;")
    last: list[Any] = [None]

    def settled() -> Any:
        pos = dash_duo.driver.execute_script(script, node_id)
        same = pos is not None and pos == last[0]
        last[0] = pos
        time.sleep(0.15)
        return pos if same else None

    pos = _wait(settled, what=f"node {node_id} to be drawn")
    container = dash_duo.find_element(f"#{ids.EXPLORE_GRAPH}")  # offsets are from its top-left corner
    ActionChains(dash_duo.driver).move_to_element_with_offset(container, int(pos["x"]), int(pos["y"])).click().perform()


def test_explore_search_then_expand_a_node(dash_duo: Any, store: GraphStore, falkor_settings: Settings) -> None:
    _start(dash_duo, store, falkor_settings, "/explore")
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_STATUS}", "Search for a partner or brand to start.", timeout=20)

    # markup in a name is shown as text
    search = dash_duo.find_element(f"#{ids.EXPLORE_SEARCH}")
    search.send_keys("food blog")
    dash_duo.find_element(f"#{ids.EXPLORE_SEARCH_GO}").click()
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_RESULTS}", "Food Blog <b>")
    assert not dash_duo.find_elements(f"#{ids.EXPLORE_RESULTS} b")

    # a typo still finds Kicker (fuzzy), and picking it draws its neighbourhood
    dash_duo.clear_input(search)
    search.send_keys("kiker" + Keys.ENTER)
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_RESULTS}", "Kicker")
    result = _wait(lambda: [b for b in dash_duo.find_elements(f"#{ids.EXPLORE_RESULTS} button") if "Kicker" in b.text],
                   what="the Kicker result")[0]
    result.click()
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_STATUS}", "Showing")
    names = _wait(lambda: _cy_names(dash_duo) if "Adidas Tennis" in _cy_names(dash_duo) else None,
                  what="Kicker's neighbours")
    assert {"Kicker", "Le Monde", "Soccer", "Adidas WC", "Adidas Tennis"} <= set(names)
    assert "Tennis Queen" not in names

    # click a campaign: it expands to its brand and its other partner
    _click_node(dash_duo, "camp:2")
    names = _wait(lambda: _cy_names(dash_duo) if "Tennis Queen" in _cy_names(dash_duo) else None,
                  what="the campaign's neighbours")
    assert {"Adidas", "Tennis Queen"} <= set(names)
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_DETAILS}", "Adidas Tennis")
    _shot(dash_duo, "explore")

    # hiding a type hides its nodes
    dash_duo.find_element(f"#{ids.EXPLORE_TYPES} input[value='Campaign']").click()
    _wait(lambda: "Adidas WC" not in _cy_names(dash_duo), what="campaigns to be hidden")
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    assert dash_duo.get_logs() == []


def test_profile_shows_a_partner(dash_duo: Any, store: GraphStore, falkor_settings: Settings) -> None:
    _start(dash_duo, store, falkor_settings, "/profile?id=pub%3Akicker.de")
    dash_duo.wait_for_text_to_equal("#profile-name", "Kicker", timeout=20)
    expected = {
        ids.PROFILE_IDENTITY: ["publisher", "DE", "3,000,000", "CRM-7"],
        ids.PROFILE_TOPICS: ["Soccer"],
        ids.PROFILE_AUDIENCES: ["Sports fans"],
        ids.PROFILE_SOCIAL: ["Instagram", "kicker", "1,200,000"],
        ids.PROFILE_SELLERS: ["google.com", "pub-1", "DIRECT"],
        ids.PROFILE_PERF_TOTALS: ["5,700", "1,800", "3.17×"],
        ids.PROFILE_CAMPAIGNS: ["Adidas WC", "Adidas Tennis", "Adidas"],
        ids.PROFILE_SIMILAR: ["Le Monde", "1 shared topic"],
        ids.PROFILE_PROVENANCE: ["fixture://differential", "2025-01-02T00:00:00Z", "fixture-run"],
    }
    for section, texts in expected.items():
        shown = dash_duo.find_element(f"#{section}").text
        for text in texts:
            assert text in shown, f"{text!r} not in #{section}: {shown!r}"
    dash_duo.wait_for_element(f"#{ids.PROFILE_PERFORMANCE}-chart .main-svg")
    assert dash_duo.find_element("#profile-crm-link").get_attribute("href") == "https://crm.example/partners/CRM-7"
    _shot(dash_duo, "profile")

    # follow a similar partner; a partner with little data says so, and a javascript: CRM link is not linked
    dash_duo.find_element(f"#{ids.PROFILE_SIMILAR} a").click()
    dash_duo.wait_for_text_to_equal("#profile-name", "Le Monde")
    # and open its neighbourhood on the explore page (/explore?id=...)
    [link] = [a for a in dash_duo.find_elements(f"#{ids.PROFILE_BODY} a") if a.text.startswith("Explore neighbourhood")]
    link.click()
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_STATUS}", "Showing", timeout=10)
    _wait(lambda: {"Le Monde", "Kicker", "Adidas WC"} <= set(_cy_names(dash_duo)), what="Le Monde's neighbourhood")
    dash_duo.driver.get(dash_duo.server_url + "/profile?id=pub%3Afoodblog.example")
    dash_duo.wait_for_text_to_equal("#profile-name", "Food Blog <b>", timeout=20)
    assert "not an http(s) address" in dash_duo.find_element(f"#{ids.PAGE}").text
    assert not dash_duo.find_elements("#profile-crm-link")
    assert "No social accounts known yet" in dash_duo.find_element(f"#{ids.PROFILE_SOCIAL}").text
    assert "No campaign performance yet" in dash_duo.find_element(f"#{ids.PROFILE_PERFORMANCE}").text
    assert dash_duo.get_logs() == []


def _type_query(dash_duo: Any, text: str) -> None:
    editor = dash_duo.find_element(f"#{ids.CONSOLE_EDITOR}")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    editor.send_keys(text)


def test_console_runs_a_saved_query_and_refuses_a_write(dash_duo: Any, store: GraphStore, falkor_settings: Settings,
                                                        tmp_path: Path) -> None:
    from dataclasses import replace

    _start(dash_duo, store, replace(falkor_settings, home=tmp_path), "/console")  # a fresh per-user history
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_SCHEMA_LABELS}", "Publisher", timeout=20)
    assert "3" in [b.text.split("\n")[-1] for b in dash_duo.find_elements(f"#{ids.CONSOLE_SCHEMA_LABELS} button")
                   if b.text.startswith("Publisher")]

    # pick the saved query by its purpose, fill its typed form, run it
    dash_duo.find_element(f"#{ids.CONSOLE_SAVED}").click()
    search = _wait(lambda: [e for e in dash_duo.find_elements(f"#{ids.CONSOLE_SAVED} input, input.dash-dropdown-search")
                            if e.is_displayed()], what="the dropdown search")[0]
    search.send_keys("Direct neighbours of any node")
    search.send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_SAVED_PURPOSE}", "neighbourhood")
    id_input = dash_duo.find_element(f"#{ids.CONSOLE_PARAMS} input[placeholder='text']")
    limit_input = dash_duo.find_element(f"#{ids.CONSOLE_PARAMS} input[type='number']")
    id_input.send_keys("pub:kicker.de")
    limit_input.send_keys("3")
    dash_duo.find_element(f"#{ids.CONSOLE_RUN_SAVED}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_STATUS}", "3 rows")
    assert len(dash_duo.find_elements(f"#{ids.CONSOLE_TABLE} tbody tr")) == 1 + 3  # header row + 3
    assert not dash_duo.find_element(f"#{ids.CONSOLE_CSV_BUTTON}").get_attribute("disabled")

    # a write is refused, in plain words
    _type_query(dash_duo, "CREATE (n:Publisher {id: 'evil'}) RETURN n")
    dash_duo.find_element(f"#{ids.CONSOLE_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_STATUS}", "Refused:")
    assert "only reads the graph" in dash_duo.find_element(f"#{ids.CONSOLE_STATUS}").text
    assert "pg-status-error" in dash_duo.find_element(f"#{ids.CONSOLE_STATUS}").get_attribute("class")
    assert not store.read("MATCH (n {id: 'evil'}) RETURN n").rows

    # nodes and relationships come back as a graph too; the history keeps every run
    _type_query(dash_duo, "MATCH (a:Publisher)-[r:LINKS_TO]->(b) RETURN a, r, b")
    dash_duo.find_element(f"#{ids.CONSOLE_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_STATUS}", "2 rows")
    _wait(lambda: dash_duo.find_element(f"#{ids.CONSOLE_GRAPH_WRAP}").is_displayed(), what="the result graph")
    _wait(lambda: {"Le Monde", "Kicker"} <= set(_cy_names(dash_duo)), what="result nodes drawn")
    history = dash_duo.find_elements(f"#{ids.CONSOLE_HISTORY_LIST} button")
    assert len(history) == 3 and "neighbourhood" in history[2].text
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    _shot(dash_duo, "console")
    assert dash_duo.get_logs() == []
