"""Explore filters (topic, country, date range) and colour by risk: pure rules, the facts read
from a real FalkorDB-lite store (tests/app/graphs.py), and the page in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.keys import Keys

from app import explore_view as ev
from app import ids, queries
from graph.settings import Settings
from graph.store.base import GraphStore
from tests.app.graphs import IMG, seed_performance
from tests.browser import wait_until as _wait

falkordb_only = pytest.mark.parametrize("store", ["falkordb"], indirect=True)
SPORTS, RUNNING = "iab-content-3.1:483", "iab-content-3.1:484"


def _node(node_id: str, label: str, **facts: Any) -> dict[str, Any]:
    el = ev.node_element(node_id, label, node_id)
    return {**el, "data": {**el["data"], **ev.facts_to_data(facts)}} if facts else el


def test_filters_keep_what_matches_and_what_they_do_not_apply_to() -> None:
    root = ev.node_element("brand:a", "Brand", "A", root=True)
    fr = _node("pub:fr", "Publisher", country="fr", topics=[{"topic": SPORTS, "score": 0.8}, {"topic": SPORTS, "score": 0.3}],
               active_from="2024-01", active_to="2024-06")
    de = _node("pub:de", "Publisher", country="DE", topics=[{"topic": RUNNING, "score": 0.2}], active_from="2025-01",
               active_to="2025-03")
    camp = _node("camp:1", "Campaign", active_from="2024-03-01", active_to="2024-04-30")
    topic = ev.node_element(SPORTS, "Topic", "Sports")
    unknown = ev.node_element("pub:new", "Publisher", "not annotated yet")
    els = [root, fr, de, camp, topic, unknown]
    types = ["Brand", "Publisher", "Campaign", "Topic"]

    def shown(f: ev.Filters) -> set[str]:
        return {e["data"]["id"] for e in ev.visible(els, types, filters=f) if ev.is_node(e)}

    everything = {"brand:a", "pub:fr", "pub:de", "camp:1", SPORTS, "pub:new"}
    assert shown(ev.Filters()) == everything
    assert fr["data"]["topics"] == {SPORTS: 0.8} and fr["data"]["country"] == "FR"
    assert shown(ev.Filters(topics=frozenset({SPORTS}))) == everything - {"pub:de"}
    assert shown(ev.Filters(topics=frozenset({RUNNING}), min_score=0.5)) == everything - {"pub:de", "pub:fr"}
    assert shown(ev.Filters(countries=frozenset({"DE"}))) == everything - {"pub:fr"}  # the root brand stays
    assert shown(ev.Filters(since="2024-04-15", until="2024-12-31")) == everything - {"pub:de"}
    assert shown(ev.Filters(since="2025-02-01")) == everything - {"pub:fr", "camp:1"}
    assert ev.filtered_out(els, types, ev.Filters(countries=frozenset({"DE"}))) == 1
    assert "2 hidden by the filters" in ev.status_text(els, els, 0, 2)
    assert ev.needs_facts(els) == {"Brand": ["brand:a"], "Publisher": ["pub:new"]}
    # colour by risk: a gradient from green to red for nodes that carry a risk
    risky = _node("inf:x", "Influencer", risk=0.9)
    [drawn] = [e for e in ev.visible([risky], ["Influencer"], colour_mode="risk") if ev.is_node(e)]
    assert drawn["data"]["colour"] == ev.risk_colour(0.9) != ev.colour("Influencer")
    assert ev.risk_colour(0.0) == "#16a34a" and ev.risk_colour(1.0) == "#dc2626"


def test_node_facts_read_countries_topics_with_ancestors_and_activity(store: GraphStore) -> None:
    seed_performance(store)
    facts = queries.node_facts(store, {"Publisher": ["pub:steady", "pub:short"], "Influencer": ["inf:drop"],
                                       "Brand": ["brand:acme"], "Campaign": ["camp:1"], "Topic": [SPORTS]})
    steady = ev.facts_to_data(facts["pub:steady"])
    assert steady["country"] == "FR" and steady["topics"] == {RUNNING: 0.9, SPORTS: 0.9}  # the tier-1 ancestor too
    assert (steady["active_from"], steady["active_to"]) == ("2024-08", "2025-07")
    short = ev.facts_to_data(facts["pub:short"])
    assert short["topics"] == {} and short["active_to"] == "2024-10"
    assert ev.facts_to_data(facts["inf:drop"])["risk"] == 0.9
    assert "camp:1" in facts and SPORTS not in facts  # topics carry no filter facts
    rows = store.read(queries.TOPIC_OPTIONS, {}).rows
    assert [r["id"] for r in rows] == [SPORTS, RUNNING] or {r["id"] for r in rows} == {SPORTS, RUNNING}


def _cy_names(dash_duo: Any) -> set[str]:
    return set(dash_duo.driver.execute_script("return window.cy ? window.cy.nodes().map(n => n.data('name')) : []"))


def _pick(dash_duo: Any, dropdown_id: str, text: str) -> None:
    dash_duo.find_element(f"#{dropdown_id}").click()
    search = _wait(lambda: [e for e in dash_duo.find_elements(f"#{dropdown_id} input, input.dash-dropdown-search")
                            if e.is_displayed()], what="the dropdown search")[0]
    search.send_keys(text)
    search.send_keys(Keys.ENTER)
    search.send_keys(Keys.ESCAPE)


@pytest.mark.browser
@falkordb_only
def test_explore_filters_by_topic_and_country(dash_duo: Any, store: GraphStore, falkor_settings: Settings) -> None:
    from app.factory import create_app

    seed_performance(store)
    dash_duo.start_server(create_app(falkor_settings, store))
    dash_duo.driver.get(dash_duo.server_url + "/explore?id=camp%3A1")
    _wait(lambda: {"Steady Mag", "Short Lived", IMG} <= _cy_names(dash_duo), timeout=20, what="the campaign's partners")

    _pick(dash_duo, ids.EXPLORE_TOPIC, "Sports")
    _wait(lambda: "Short Lived" not in _cy_names(dash_duo), what="the partner without the topic to be hidden")
    assert {"Steady Mag", IMG} <= _cy_names(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_STATUS}", "1 hidden by the filters")

    _pick(dash_duo, ids.EXPLORE_COUNTRY, "FR")
    _wait(lambda: IMG not in _cy_names(dash_duo), what="the Swiss partner to be hidden")
    assert _cy_names(dash_duo) == {"Steady Mag", "Acme always-on"}  # the root stays; the brand has no country
    dash_duo.wait_for_contains_text(f"#{ids.EXPLORE_STATUS}", "3 hidden by the filters")
    assert not dash_duo.find_element(f"#{ids.BANNER}").is_displayed()
    assert dash_duo.get_logs() == []
