"""Pure helpers of the explore, profile and console pages (no browser), plus the console's
guard on a real FalkorDB-lite store: runaway queries stop with a plain message."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cypher
from app import console_view as cv
from app import explore_view as ev
from app import profile_view as pv
from graph.bulk import write_frames
from graph.errors import InputError, QueryError, QueryRefused, QueryTimeout
from graph.settings import Settings
from graph.store.base import GraphStore, QueryResult
from tests.fixture_graph import fixture_export

SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"


# ------------------------------------------------------------------------------- explore


def _group(rel: str, label: str, total: int, k: int, *, outgoing: bool = True, prefix: str = "m") -> dict[str, Any]:
    top = [{"id": f"{prefix}{i}", "name": f"{label} {i}", "weight": 1000 - i, "links": 1} for i in range(min(k, total))]
    return {"rel": rel, "outgoing": outgoing, "label": label, "total": total, "edges": total, "top": top}


def test_search_ranks_exact_then_fuzzy_and_merges_full_text() -> None:
    assert ev.fuzzy_probes("Kiker  de") == ["kiker de", "kik", "ker"]
    assert ev.similarity("kicker", "Kicker") == 1.0
    assert ev.similarity("kiker", "Kicker") > ev.similarity("kiker", "Le Monde")
    name_rows = [
        {"id": "pub:kicker.de", "label": "Publisher", "name": "Kicker"},
        {"id": "pub:lemonde.fr", "label": "Publisher", "name": "Le Monde"},
        {"id": "pub:kicker.de", "label": "Publisher", "name": "Kicker"},  # found by two probes
    ]
    fulltext = [("Brand", {"id": "brand:x", "name": "Sports Co", "description": "kicker boots"}, 1.0)]
    got = ev.rank_matches("kiker", name_rows, fulltext)
    assert [m.id for m in got] == ["pub:kicker.de", "brand:x"]  # Le Monde is not similar enough
    assert got[0].how == "fuzzy" and got[1].how == "full text"


def test_search_with_falls_back_to_names_when_full_text_is_missing() -> None:
    probes: list[str] = []

    def names(probe: str) -> list[dict[str, Any]]:
        probes.append(probe)
        return [{"id": "pub:kicker.de", "label": "Publisher", "name": "Kicker"}] if probe in ("kick", "kic") else []

    def fulltext(label: str, text: str) -> list[tuple[dict[str, Any], float]]:
        raise QueryError(f"no full-text index on :{label}")

    assert [m.name for m in ev.search_with(names, fulltext, "  kicker ")] == ["Kicker"]
    assert probes == ["kicker", "kic", "ker"]
    assert ev.search_with(names, fulltext, "k") == []  # too short: nothing is queried
    assert len(ev.clean_search("x" * 10_000)) == ev.MAX_SEARCH


def test_expansion_aggregates_big_groups_into_more_nodes() -> None:
    groups = [_group("USED_DEVICE", "Device", 5000, ev.TOP_K), _group("LINKS_TO", "Publisher", 3, ev.TOP_K, outgoing=False, prefix="p")]
    els = ev.expansion_elements("root", groups)
    nodes = [e for e in els if ev.is_node(e)]
    assert len(nodes) == ev.TOP_K + 1 + 3  # top-k devices, one "+ n more", three publishers
    more = [e for e in nodes if e["data"]["type"] == "more"]
    assert len(more) == 1 and more[0]["data"]["caption"] == f"+ {5000 - ev.TOP_K:,} more"
    assert more[0]["data"]["name"] == f"{5000 - ev.TOP_K:,} more Device via USED_DEVICE"
    incoming = [e for e in els if not ev.is_node(e) and e["data"]["rel"] == "LINKS_TO"]
    assert {e["data"]["target"] for e in incoming} == {"root"}  # direction kept

    # clicking "+ more" asks for the next members of that group only
    req = ev.expand_request(more[0]["data"], [], ["Device"])
    assert req == {"id": "root", "labels": ["Device"], "k": ev.TOP_K + ev.MORE_STEP, "only": ("USED_DEVICE", True)}
    rows = ev.only_group([_group("USED_DEVICE", "Device", 5000, req["k"]), groups[1]], req["only"])
    root = ev.node_element("root", "Publisher", "Root", root=True)
    merged, dropped = ev.merge([root], els, expanded="root")
    merged, dropped = ev.merge(merged, ev.expansion_elements("root", rows, include_resolved=True))
    assert dropped == 0
    more_now = [e for e in merged if e["data"].get("type") == "more"]
    assert len(more_now) == 1 and more_now[0]["data"]["hidden"] == 5000 - ev.TOP_K - ev.MORE_STEP
    # a group opened completely loses its "+ more" node
    done = ev.expansion_elements("root", [_group("USED_DEVICE", "Device", 24, 24)], include_resolved=True)
    merged, _ = ev.merge(merged, done)
    assert not [e for e in merged if e["data"].get("type") == "more"]
    assert ev.expanded_ids(merged) == ["root"]
    assert ev.expand_request({"id": "root", "type": "Publisher"}, ["root"], []) is None  # expanded once


def test_merge_keeps_the_view_in_the_hundreds() -> None:
    root = ev.node_element("root", "Publisher", "Root", root=True)
    big = ev.expansion_elements("root", [_group(f"R{i}", "Topic", 8, 8, prefix=f"t{i}-") for i in range(60)])
    merged, dropped = ev.merge([root], big)
    assert len(merged) <= ev.MAX_ELEMENTS and dropped > 0
    nodes = {e["data"]["id"] for e in merged if ev.is_node(e)}
    assert all(e["data"]["source"] in nodes and e["data"]["target"] in nodes for e in merged if not ev.is_node(e))
    assert f"at most {ev.MAX_ELEMENTS} elements" in ev.status_text(merged, merged, dropped)


def test_visible_filters_types_but_keeps_the_root_and_sizes_nodes() -> None:
    root = ev.node_element("root", "Brand", "Root", root=True)
    els = ev.expansion_elements("root", [_group("RAN", "Campaign", 2, 2), _group("REACHES", "Audience", 1, 1, prefix="a")])
    merged, _ = ev.merge([root], els)
    shown = ev.visible(merged, ["Audience"])
    assert {e["data"]["id"] for e in shown if ev.is_node(e)} == {"root", "a0"}
    assert all(e["data"]["target"] in ("root", "a0") for e in shown if not ev.is_node(e))
    assert {e["data"]["size"] for e in ev.visible(merged, ["Campaign"], "none") if ev.is_node(e)} == {28.0}
    assert 18 <= ev.node_size(10) < ev.node_size(10_000_000) <= 60
    assert ev.legend(["Topic", "Publisher", "nope"]) == [("Publisher", ev.colour("Publisher")), ("Topic", ev.colour("Topic"))]


def test_markup_in_node_names_stays_text(falkor_settings: Settings) -> None:
    el = ev.node_element("pub:x", "Publisher", SCRIPT)
    assert el["data"]["name"] == SCRIPT  # drawn on the canvas as text, not parsed
    assert ev.details(el["data"])[0] == ("Name", SCRIPT)

    from app.factory import create_app

    create_app(falkor_settings)  # registers the pages
    from app.pages import explore as page

    rendered = json.dumps([c.to_plotly_json() for c in page._details(el["data"])], default=lambda o: o.to_plotly_json())
    assert json.dumps(SCRIPT)[1:-1] in rendered  # a plain string child
    assert "dangerously" not in rendered and '"type": "Script"' not in rendered
    href = [c for c in page._details(el["data"]) if getattr(c, "href", None)][0].href
    assert href == "/profile?id=pub%3Ax"


# ------------------------------------------------------------------------------- profile


def test_profile_identity_links_only_http_urls() -> None:
    row = {"id": "pub:x", "labels": ["Publisher", "Affiliate"], "name": SCRIPT, "domain": "x.example",
           "crm_url": "javascript:alert(1)", "audience_size": 1234567, "country": "DE"}
    ident = pv.identity(row)
    assert ident["title"] == SCRIPT and ident["kind"] == "Publisher" and ident["roles"] == ["Affiliate"]
    assert ident["crm_url"] is None and ident["crm_url_rejected"]
    assert ident["website"] == "https://x.example"
    assert ("Audience", "1,234,567") in ident["facts"]
    for bad in ("data:text/html,<b>", "//evil.example", "https://a.example/\"onmouseover=x", "ftp://a.example", None, 3):
        assert pv.safe_url(bad) is None
    assert pv.safe_url("https://crm.example/p/1") == "https://crm.example/p/1"
    assert pv.provenance({"source": "file:///x.csv#row=2"})[0] == ("Source", "file:///x.csv#row=2")


def test_profile_sections_from_rows() -> None:
    topics, audiences = pv.segments([
        {"rel": "COVERS", "id": "t1", "name": "Soccer", "path": "Sports > Soccer", "score": 0.5},
        {"rel": "COVERS", "id": "t2", "name": "Tennis", "path": "Sports > Tennis", "score": 0.9},
        {"rel": "REACHES", "id": "a1", "name": "Fans", "path": None, "score": None},
    ])
    assert [t["name"] for t in topics] == ["Tennis", "Soccer"] and audiences[0]["score"] is None
    social, sellers = pv.accounts([
        {"rel": "HAS_ACCOUNT", "platform": "X", "handle": "k", "url": "javascript:x", "followers": 1500},
        {"rel": "SELLS_VIA", "system": "google.com", "seller_id": "pub-1", "seller_type": "PUBLISHER", "relationship": "DIRECT"},
    ])
    assert social == [{"platform": "X", "handle": "k", "url": None, "followers": "1,500"}]
    assert sellers[0]["relationship"] == "DIRECT"
    perf = [{"period": "2025-09", "cost": 800.0, "revenue": 1500.0, "clicks": 400, "impressions": 30000, "conversions": 12},
            {"period": "2025-06", "cost": 1000.0, "revenue": 4200.0, "clicks": 900, "impressions": 50000, "conversions": 30}]
    totals = pv.performance_totals(perf)
    assert totals["revenue"] == 5700 and round(totals["roi"], 2) == 3.17
    assert ("ROI", "3.17×") in pv.totals_text(totals)
    assert pv.performance_totals([])["roi"] is None
    fig = pv.performance_figure(perf)
    assert list(fig.data[1].x) == ["2025-06", "2025-09"] and list(fig.data[1].y) == [4200.0, 1500.0]
    rows = pv.campaign_rows([{"id": "c", "name": "C", "brand": None, "brand_id": "b", "start": "2025-01-01", "end": None,
                              "cost": 0, "revenue": 10}])
    assert rows[0]["roi"] == "—" and rows[0]["period"] == "2025-01-01 → ?" and rows[0]["brand"] == "b"
    assert pv.similar_rows([{"id": "p:1", "name": "P", "label": "Publisher", "shared": 1}])[0]["shared"] == "1 shared topic"


# ------------------------------------------------------------------------------- console


def test_saved_queries_are_listed_by_purpose_with_typed_fields() -> None:
    opts = cv.saved_options()
    assert {o["value"] for o in opts} == set(cypher.catalog())
    by_name = {o["value"]: o["label"] for o in opts}
    assert by_name["neighbourhood"] == cypher.get("neighbourhood").purpose.rstrip(".")
    fields = {f.name: f for f in cv.param_fields(cypher.get("explore_expand"))}
    assert fields["k"].input_type == "number" and fields["k"].step == "1"
    assert fields["labels"].kind == "list" and fields["id"].input_type == "text"


def test_invalid_parameters_get_clear_messages() -> None:
    q = cypher.get("neighbourhood")
    assert cv.coerce_params(q, {"id": " pub:x ", "limit": 5.0}) == {"id": "pub:x", "limit": 5}
    assert cv.coerce_params(q, {"id": "pub:x", "limit": "7"}) == {"id": "pub:x", "limit": 7}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"id": "pub:x", "limit": "five"}, r"\$limit='five' is not a valid int"),
        ({"id": "pub:x", "limit": 2.5}, r"\$limit=2.5 is not a valid int"),
        ({"id": "pub:x", "limit": -1}, r"\$limit must not be negative"),
        ({"id": "", "limit": 1}, r"\$id is required"),
        ({"limit": 1}, r"\$id is required"),
        ({"id": "x" * (cv.MAX_PARAM_CHARS + 1), "limit": 1}, "characters long"),
    ]
    for raw, message in cases:
        with pytest.raises(InputError, match=message):
            cv.coerce_params(q, raw)
    # an empty list parameter means "no filter"
    assert cv.coerce_params(cypher.get("explore_expand"), {"id": "a", "labels": "", "k": 3})["labels"] == []
    assert cv.coerce_params(cypher.get("explore_expand"), {"id": "a", "labels": "Topic, Brand", "k": 3})["labels"] == ["Topic", "Brand"]


def test_a_10_mb_query_is_rejected_before_the_store() -> None:
    huge = "MATCH (n) RETURN n // " + "x" * (10 * 1024 * 1024)
    with pytest.raises(InputError) as err:
        cv.check_query_text(huge)
    msg = cv.explain_error(err.value)
    assert msg.startswith("Not run: the query is 10,485,") and f"at most {cv.MAX_QUERY_CHARS:,}" in msg
    with pytest.raises(InputError, match="the editor is empty"):
        cv.check_query_text("   \n ")
    assert cv.check_query_text("  MATCH (n) RETURN n ") == "MATCH (n) RETURN n"


def test_refusals_timeouts_and_truncation_in_plain_words() -> None:
    refused = cv.explain_error(QueryRefused("the query plan contains 'Create': refused, it changes data"))
    assert refused.startswith("Refused: the query plan contains 'Create'") and "only reads the graph" in refused
    stopped = cv.explain_error(QueryTimeout("no answer within 500 ms"), timeout=0.5)
    assert stopped.startswith("Stopped: the query ran past the time limit of 0.5 s") and "LIMIT" in stopped
    assert cv.explain_error(QueryError("syntax error at 'MATC'")).startswith("The database could not run the query")
    assert "server log" in cv.explain_error(RuntimeError("boom"))
    cut = QueryResult(columns=["x"], rows=[{"x": i} for i in range(10)], truncated=True, elapsed_ms=12.0)
    assert "Only the first 10 rows are kept" in cv.result_summary(cut, cap=10)
    assert cv.result_summary(QueryResult(["x"], [{"x": 1}], False, 3.2), cap=10) == "1 row in 3 ms."


def _node(eid: str, name: str, label: str = "Publisher") -> dict[str, Any]:
    return {"kind": "node", "element_id": eid, "labels": [label], "properties": {"id": f"id-{eid}", "name": name}}


def test_results_as_table_graph_and_csv() -> None:
    a, b = _node("1", SCRIPT), _node("2", "Kicker")
    r = {"kind": "relationship", "element_id": "9", "type": "LINKS_TO", "start": "1", "end": "2", "properties": {}}
    path = {"kind": "path", "nodes": [a, b], "relationships": [r]}
    res = QueryResult(columns=["a", "r", "p", "n"], rows=[{"a": a, "r": r, "p": path, "n": "=HYPERLINK(\"http://x\")"}])
    columns, data = cv.table(res)
    assert [c["name"] for c in columns] == ["a", "r", "p", "n"] and all("presentation" not in c for c in columns)
    assert data[0] == {"c0": f"(:Publisher {SCRIPT})", "c1": "[:LINKS_TO]", "c2": f"(:Publisher {SCRIPT}) → (:Publisher Kicker)",
                       "c3": "=HYPERLINK(\"http://x\")"}
    csv_text = cv.to_csv(res)
    assert csv_text.splitlines()[0] == "a,r,p,n" and "'=HYPERLINK" in csv_text  # no formula runs in a spreadsheet
    elements, extra = cv.graph_elements(res.rows)
    assert extra == 0
    assert sorted(e["data"]["id"] for e in elements) == ["n1", "n2", "r9"]
    assert [e["data"]["name"] for e in elements if ev.is_node(e)][0] == SCRIPT
    assert cv.graph_elements([{"x": 1, "y": "text"}]) == ([], 0)  # no graph values: no graph
    many = [{"n": _node(str(i), f"n{i}")} for i in range(cv.GRAPH_NODES + 5)]
    assert cv.graph_elements(many)[1] == 5
    assert cv.cell_text([1, "a"]) == '[1, "a"]' and cv.cell_text(None) == "" and cv.cell_text(True) == "true"


def test_history_is_newest_first_deduplicated_and_bounded() -> None:
    h: list[dict[str, Any]] = []
    for i in range(cv.HISTORY_SIZE + 5):
        h = cv.add_history(h, cv.history_entry(text=f"RETURN {i}", saved=None, params={}, status="ok", rows=1))
    assert len(h) == cv.HISTORY_SIZE and h[0]["text"] == f"RETURN {cv.HISTORY_SIZE + 4}"
    h = cv.add_history(h, cv.history_entry(text="RETURN 10", saved=None, params={}, status="ok", rows=1))
    assert h[0]["text"] == "RETURN 10" and [e["text"] for e in h].count("RETURN 10") == 1
    assert "neighbourhood · 3 rows" in cv.history_label(cv.history_entry(text="x", saved="neighbourhood", params={}, status="ok", rows=3))


def test_schema_rows_list_every_label_and_type_with_counts() -> None:
    labels, rels = cv.schema_rows({"Publisher": 3, "SchemaInfo": 1}, {"LINKS_TO": 2})
    assert labels[0] == {"name": "Publisher", "count": 3, "properties": labels[0]["properties"], "doc": labels[0]["doc"]}
    assert "SchemaInfo" not in {x["name"] for x in labels} and {"Brand", "Ring"} <= {x["name"] for x in labels}
    assert rels[0]["name"] == "LINKS_TO" and "count" in rels[0]["properties"]
    assert cv.label_query("Publisher").startswith("MATCH (n:Publisher)")
    with pytest.raises(InputError):
        cv.label_query("Publisher) DETACH DELETE (n")


# ------------------------------------------------------------------------------- real store


@pytest.mark.parametrize("store", ["falkordb"], indirect=True)
def test_runaway_queries_are_stopped_with_a_plain_message(store: GraphStore) -> None:
    write_frames(store, fixture_export(), progress=False)
    # cartesian product: ~25^6 rows to count; the timeout stops it
    with pytest.raises(QueryTimeout) as err:
        store.guarded_read("MATCH (a), (b), (c), (d), (e), (f) RETURN count(*) AS n", {}, timeout=0.3, limit=100)
    assert cv.explain_error(err.value, timeout=0.3).startswith("Stopped: the query ran past the time limit of 0.3 s")
    # unbounded variable-length paths (15,030 on the fixture): the row cap cuts the answer, and says so
    res = store.guarded_read("MATCH p = (a)-[*]-(b) RETURN length(p) AS hops", {}, timeout=2.0, limit=25)
    assert res.truncated and len(res.rows) == 25
    assert "Only the first 25 rows are kept" in cv.result_summary(res, cap=25)
    # a cartesian product that returns rows: cut by the cap too
    res = store.guarded_read("MATCH (a), (b) RETURN a.id AS a, b.id AS b", {}, timeout=2.0, limit=25)
    assert res.truncated and len(res.rows) == 25
    # a write never runs
    with pytest.raises(QueryRefused) as refused:
        store.guarded_read("MATCH (n:Publisher) SET n.name = 'x' RETURN n", {})
    assert cv.explain_error(refused.value).startswith("Refused:")
    assert store.read("MATCH (n:Publisher {name: 'x'}) RETURN n").rows == []
