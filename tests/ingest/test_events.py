"""Click events: event store, aggregates, privacy (no raw identifier anywhere), retention, forget."""

import gzip
import logging

import pandas as pd
import pytest

from gnn.fraud.identifiers import behaviour_totals
from graph.ingest.events import EventStore
from graph.ingest.mapping import load_mapping
from graph.ingest.pipeline import Importer
from graph.ingest.privacy import apply_retention, forget_identifier, forget_partner
from graph.settings import load_settings

RAW_IPS = ["203.0.113.7", "203.0.113.9", "2a01:3423:4934:d96d::15"]
RAW_DEVICES = ["dev-aaaa-1111", "dev-bbbb-2222"]


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, home=tmp_path / "home", pseudonym_key="t" * 32)


def clicks_file(path):
    rows = ["click_id,timestamp,publisher_id,advertiser,ip,device_id,user_agent,os,referrer_url,landing_domain"]
    for i in range(12):
        day = "2024-05-01" if i < 8 else "2024-06-03"
        rows.append(f"clk{i:04d},{day}T0{i % 9}:00:00Z,{100 + i % 2},Acme,{RAW_IPS[i % 3]},"
                    f"{RAW_DEVICES[(i // 2) % 2]},Mozilla/5.0,iOS,https://pub.example/x,acme.com")
    rows.append("clk9999,not a time,100,Acme,1.1.1.1,dev-x,UA,iOS,,acme.com")
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    return path


def test_clicks_to_event_store_and_aggregates(store, settings, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    f = clicks_file(tmp_path / "clicks-2024-05.csv.gz")
    rep = Importer(store, settings).run(f, load_mapping("generator-clicks"))
    assert (rep.rows_in, rep.rows_imported, rep.rows_quarantined) == (13, 12, 1)
    ev = EventStore(settings.home / "events")
    assert ev.days("click") == ["2024-05-01", "2024-06-03"]
    df = pd.concat(pd.read_parquet(p) for p in ev.files("click"))
    assert len(df) == 12 and set(df["affiliate"]) == {"100", "101"}
    used = store.read("MATCH (a:Affiliate)-[r:USED_DEVICE]->(d:Device) RETURN a.id AS a, r.period AS p, "
                      "r.count AS n ORDER BY a, p, n").rows
    assert sum(r["n"] for r in used) == 12 and {r["p"] for r in used} == {"2024-05", "2024-06"}
    seen = store.read("MATCH (:Affiliate)-[r:SEEN_FROM]->(n:IPNetwork) RETURN n.id AS id, n.version AS v").rows
    assert {r["v"] for r in seen} == {4, 6} and len({r["id"] for r in seen}) == 2  # two /24 + /48 networks
    beh = store.read("MATCH (a:Affiliate {id: 'affiliate:gen-net:100'}) RETURN a.behaviour AS b").rows[0]["b"]
    assert '"2024-05"' in beh and '"clicks": 4' in beh
    # no raw identifier anywhere: graph, event store, quarantine, logs
    export = store.export()
    blob = " ".join(df.astype(str).to_numpy().ravel()) + " ".join(
        frame.astype(str).to_string() for frame in [*export.nodes.values(), *export.edges.values()])
    blob += "".join(p.read_text() for p in (settings.home / "quarantine").glob("*.jsonl")) + caplog.text
    for raw in RAW_IPS + RAW_DEVICES + ["1.1.1.1", "dev-x", "Mozilla"]:
        assert raw not in blob
    # idempotent: a re-import replaces this file's events and gives the same aggregates
    Importer(store, settings).run(f, load_mapping("generator-clicks"))
    assert len(pd.concat(pd.read_parquet(p) for p in ev.files("click"))) == 12
    assert store.read("MATCH (:Affiliate)-[r:USED_DEVICE]->() RETURN sum(r.count) AS n").rows[0]["n"] == 12


def test_forget_identifier_and_retention(store, settings, tmp_path):
    f = clicks_file(tmp_path / "c.csv.gz")
    Importer(store, settings).run(f, load_mapping("generator-clicks"))
    out = forget_identifier(store, settings, RAW_DEVICES[0])
    assert "6 event rows removed" in out[0]
    assert store.read("MATCH (:Affiliate)-[r:USED_DEVICE]->() RETURN sum(r.count) AS n").rows[0]["n"] == 6
    assert store.read("MATCH (d:Device) RETURN count(d) AS n").rows[0]["n"] == 1
    msg = apply_retention(settings, 30, today="2024-06-20")
    assert "dropped 1 event partition" in msg[0]
    assert EventStore(settings.home / "events").days("click") == ["2024-06-03"]
    assert store.read("MATCH (:Affiliate)-[r:USED_DEVICE]->() RETURN sum(r.count) AS n").rows[0]["n"] == 6


def _clicks(path, rows):
    head = "click_id,timestamp,publisher_id,advertiser,ip,device_id,user_agent,os,referrer_url,landing_domain"
    body = [f"{c},{ts},{pub},Acme,198.51.100.{i},{dev},UA,iOS,,acme.com" for i, (c, ts, pub, dev) in enumerate(rows)]
    path.write_bytes(gzip.compress(("\n".join([head, *body]) + "\n").encode()))
    return path


def test_identifiers_enter_the_graph_once_shared_and_stay(store, settings, tmp_path):
    """A device of one affiliate links nobody: it stays in the event store. When a later file
    shows a second affiliate on it, the node and the first affiliate's earlier edge are written."""
    mapping = load_mapping("generator-clicks")
    Importer(store, settings).run(_clicks(tmp_path / "jan.csv.gz", [
        ("c1", "2024-01-05T10:00:00Z", 100, "dev-solo"), ("c2", "2024-01-06T10:00:00Z", 100, "dev-solo"),
        ("c3", "2024-01-07T10:00:00Z", 100, "dev-pair"), ("c4", "2024-01-08T10:00:00Z", 101, "dev-pair")]),
        mapping)
    devices = "MATCH (d:Device) RETURN count(d) AS n"
    uses = ("MATCH (a:Affiliate)-[r:USED_DEVICE]->(:Device) RETURN a.network_id AS a, r.period AS p, "
            "r.count AS n ORDER BY a, p, n")
    assert store.read(devices).rows[0]["n"] == 1  # dev-pair only
    assert [(r["a"], r["p"], r["n"]) for r in store.read(uses).rows] == [("100", "2024-01", 1), ("101", "2024-01", 1)]
    beh = store.read("MATCH (a:Affiliate {id: 'affiliate:gen-net:100'}) RETURN a.behaviour AS b").rows[0]["b"]
    assert '"devices": 2' in beh  # the single-affiliate device still counts in the behaviour figures
    # fraud without click events takes traffic shares against these totals, not the shared uses
    totals = behaviour_totals(store).sort_values("affiliate")
    assert totals.values.tolist() == [["affiliate:gen-net:100", 3.0], ["affiliate:gen-net:101", 1.0]]
    Importer(store, settings).run(_clicks(tmp_path / "feb.csv.gz", [
        ("c5", "2024-02-02T10:00:00Z", 102, "dev-solo")]), mapping)
    assert store.read(devices).rows[0]["n"] == 2
    assert [(r["a"], r["p"], r["n"]) for r in store.read(uses).rows] == [
        ("100", "2024-01", 1), ("100", "2024-01", 2), ("101", "2024-01", 1), ("102", "2024-02", 1)]
    # retention drops January: dev-pair stays a graph identifier and keeps getting edges
    apply_retention(settings, 30, today="2024-03-10")
    Importer(store, settings).run(_clicks(tmp_path / "mar.csv.gz", [
        ("c6", "2024-03-02T10:00:00Z", 100, "dev-pair")]), mapping)
    assert ("100", "2024-03", 1) in [(r["a"], r["p"], r["n"]) for r in store.read(uses).rows]


def test_forget_partner_drops_identifiers_it_alone_shared(store, settings, tmp_path):
    """Forgetting an affiliate deletes the identifier nodes it shared with one other affiliate
    only (they would link nobody, and keep a trace of it); those still shared by two stay."""
    Importer(store, settings).run(_clicks(tmp_path / "jan.csv.gz", [
        ("c1", "2024-01-05T10:00:00Z", 100, "dev-pair"), ("c2", "2024-01-06T10:00:00Z", 101, "dev-pair"),
        ("c3", "2024-01-07T10:00:00Z", 100, "dev-trio"), ("c4", "2024-01-08T10:00:00Z", 101, "dev-trio"),
        ("c5", "2024-01-09T10:00:00Z", 102, "dev-trio")]), load_mapping("generator-clicks"))
    users = ("MATCH (a:Affiliate)-[:USED_DEVICE|SEEN_FROM]->(i) WITH i, count(DISTINCT a) AS n "
             "RETURN labels(i)[0] AS kind, n ORDER BY kind, n")
    assert [(r["kind"], r["n"]) for r in store.read(users).rows] == [("Device", 2), ("Device", 3), ("IPNetwork", 3)]
    out = forget_partner(store, settings, "affiliate:gen-net:102")  # everything it used stays shared
    assert "0 identifier node(s) no longer shared" in out[0]
    assert [(r["kind"], r["n"]) for r in store.read(users).rows] == [("Device", 2), ("Device", 2), ("IPNetwork", 2)]
    out = forget_partner(store, settings, "affiliate:gen-net:100")  # 101 is left alone on all three
    assert "3 identifier node(s) no longer shared" in out[0]
    assert store.read(users).rows == []
    assert store.read("MATCH (i) WHERE i:Device OR i:IPNetwork RETURN count(i) AS n").rows[0]["n"] == 0
    assert store.read("MATCH (a:Affiliate) RETURN a.network_id AS a").rows == [{"a": "101"}]
