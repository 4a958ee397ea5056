"""The columnar path of event files (Arrow blocks) against the line-by-line path: same event
store, same quarantine, same accounting, same graph aggregates; fallback; the file ledger."""

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from graph.ingest.events import EventStore
from graph.ingest.mapping import load_mapping
from graph.ingest.pipeline import Importer
from graph.ingest.quarantine import read_quarantine
from graph.settings import load_settings

HEADER = "click_id,timestamp,publisher_id,advertiser,ip,device_id,user_agent,os,referrer_url,landing_domain"
IPS = ["203.0.113.7", " 203.0.113.9 ", "2a01:3423:4934:d96d::15", "010.1.2.3", "not-an-ip", "", "198.51.100.1"]
DEVICES = ["dev-AAAA-1111", "dev-aaaa-1111 ", "dev-bbbb-2222", "", "dev-cccc-3333"]


def rows(n: int = 400) -> list[str]:
    out = []
    for i in range(n):
        day = f"2024-{5 + i % 3:02d}-{1 + i % 27:02d}"
        adv = '"Acme, Inc."' if i % 7 == 0 else "Acme"
        ref = "" if i % 5 == 0 else "https://pub.example/x"
        land = "bad domain!" if i % 11 == 0 else "acme.com"
        out.append(f"clk{i:05d},{day}T{i % 24:02d}:00:00Z,{100 + i % 4},{adv},{IPS[i % len(IPS)]},"
                   f"{DEVICES[i % len(DEVICES)]},Mozilla/5.0 (X),iOS,{ref},{land}")
    out[10] = out[10].replace("2024-", "20x4-", 1)  # not a date and time
    out[20] = out[20].replace(",100,", ",,", 1).replace(",101,", ",,", 1).replace(",102,", ",,", 1) \
        .replace(",103,", ",,", 1)  # missing publisher
    out[30] = "clk00001" + out[30][8:]  # duplicate of an earlier click, a few blocks later
    out[31] = "clk00031" + out[31][8:].replace("Acme", "=HYPERLINK(1)", 1)  # formula in advertiser
    if n > 40:
        out[40] = "clk00010" + out[40][8:]  # same click as row 12, which is quarantined: imported
    out[32] = "clk00032" + out[32][8:].replace("T08:", "T31:", 1)  # read as a day (existing rule)
    return out


def write(path, lines):
    path.write_bytes(gzip.compress(("\n".join([HEADER, *lines]) + "\n").encode()))
    return path


def home(tmp_path, name):
    return load_settings(env={}, home=tmp_path / name, pseudonym_key="t" * 32)


def snapshot(store, settings, rep):
    ev = EventStore(settings.home / "events")
    events = pd.concat(pd.read_parquet(p) for p in ev.files("click")).sort_values("source_row").reset_index(drop=True)
    quarantine = [(q["row"], q["reason"], q["values"]) for q in
                  read_quarantine(settings.home / "quarantine" / f"{rep.run_id}.jsonl")]
    edges = store.read("MATCH (a:Affiliate)-[r]->(x) WHERE type(r) IN ['USED_DEVICE', 'SEEN_FROM'] "
                       "RETURN a.id AS a, type(r) AS t, x.id AS x, r.period AS p, r.count AS n, "
                       "r.source AS s ORDER BY a, t, x, p", limit=100_000).rows
    nodes = store.read("MATCH (x) WHERE x:Device OR x:IPNetwork RETURN labels(x) AS l, x.id AS id, "
                       "x.version AS v, x.kind AS k ORDER BY id", limit=100_000).rows
    beh = store.read("MATCH (a:Affiliate) RETURN a.id AS id, a.behaviour AS b ORDER BY id").rows
    return events, quarantine, edges, nodes, [(b["id"], json.loads(b["b"])) for b in beh]


def test_columnar_and_line_by_line_agree(store, settings_pair, tmp_path):
    f = write(tmp_path / "clicks.csv.gz", rows())
    m = load_mapping("generator-clicks")
    fast = Importer(store, settings_pair[0], block_bytes=2048).run(f, m)  # ~25 blocks: duplicates across blocks
    a = snapshot(store, settings_pair[0], fast)
    store.clear()
    store.apply_schema()
    slow = Importer(store, settings_pair[1], columnar=False).run(f, m)
    b = snapshot(store, settings_pair[1], slow)
    assert (fast.mode, slow.mode) == ("columnar", "line by line")
    assert (fast.rows_in, fast.rows_imported, fast.rows_quarantined) == (400, 396, 4)
    assert (fast.rows_in, fast.rows_imported, fast.rows_quarantined, fast.reasons, fast.notes, fast.events) == \
        (slow.rows_in, slow.rows_imported, slow.rows_quarantined, slow.reasons, slow.notes, slow.events)
    assert "landing_domain: invalid values left empty: 37" in fast.notes
    pd.testing.assert_frame_equal(a[0], b[0], check_dtype=False)
    assert a[0]["ip_version"].tolist() == b[0]["ip_version"].tolist() and set(a[0]["ip_version"]) == {0, 4, 6}
    assert a[1] == b[1] and [r for r, _, _ in a[1]] == [12, 22, 32, 33]
    assert "duplicate key click=" in a[1][2][1] and "(first at row 3)" in a[1][2][1]
    assert a[2] == b[2] and len(a[2]) > 50 and {e["s"] for e in a[2]} == {f.resolve().as_uri()}
    assert a[3] == b[3] and a[4] == b[4]
    blob = a[0].astype(str).to_string() + json.dumps(a[1]) + json.dumps(a[2]) + json.dumps(a[3])
    for raw in ["203.0.113", "2a01:", "010.1.2.3", "dev-aaaa", "dev-bbbb", "Mozilla", "clk000"]:
        assert raw not in blob


@pytest.fixture
def settings_pair(tmp_path):
    return home(tmp_path, "fast"), home(tmp_path, "slow")


def test_irregular_files_fall_back_line_by_line(store, tmp_path):
    settings = home(tmp_path, "h")
    lines = rows(40)
    lines.insert(5, "")  # a blank line
    lines[7] = lines[7].replace("Acme", "Caf\xe9 Acme", 1)
    f = tmp_path / "odd.csv"
    f.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode("cp1252"))
    rep = Importer(store, settings).run(f, load_mapping("generator-clicks"))
    assert rep.mode == "line by line" and rep.rows_in == 40 == rep.rows_imported + rep.rows_quarantined
    g = tmp_path / "blank.csv"
    g.write_text("\n".join([HEADER, *lines[:5], "", *lines[6:]]) + "\n", encoding="utf-8")
    rep = Importer(store, settings, block_bytes=1024).run(g, load_mapping("generator-clicks"))
    assert rep.mode == "line by line" and any("read line by line" in n for n in rep.notes)
    assert rep.rows_in == 40 and rep.quarantine is not None
    ev = EventStore(settings.home / "events")
    assert sum(len(pd.read_parquet(p)) for p in ev.files("click")) == 2 * rep.rows_imported  # two sources


def test_reimport_of_the_same_event_file_writes_nothing(store, tmp_path):
    settings = home(tmp_path, "h")
    f = write(tmp_path / "c.csv.gz", rows(60))
    m = load_mapping("generator-clicks")
    first = Importer(store, settings).run(f, m)
    files = EventStore(settings.home / "events").files("click")
    mtimes = [Path(p).stat().st_mtime_ns for p in files]
    again = Importer(store, settings).run(f, m)
    assert (again.rows_in, again.rows_imported, again.rows_quarantined) == (60, first.rows_imported, 4)
    assert again.rows_unchanged == first.rows_imported and not again.written
    assert [Path(p).stat().st_mtime_ns for p in files] == mtimes
    run = store.read("MATCH (r:ImportRun {id: $id}) RETURN r.status AS s, r.rows_in AS n", {"id": again.run_id})
    assert run.rows == [{"s": "complete", "n": 60}]
    write(f, rows(61))  # one more row: imported again, with the new row's aggregates
    changed = Importer(store, settings).run(f, m)
    assert changed.rows_in == 61 and changed.rows_unchanged == 0 and changed.written
    total = store.read("MATCH (:Affiliate)-[r:USED_DEVICE]->() RETURN sum(r.count) AS n").rows[0]["n"]
    events = pd.concat(pd.read_parquet(p) for p in EventStore(settings.home / "events").files("click"))
    assert len(events) == changed.rows_imported and total == int(events["device"].notna().sum())
    full = Importer(store, settings, full=True).run(f, m)
    assert full.rows_unchanged == 0 and full.rows_imported == changed.rows_imported
