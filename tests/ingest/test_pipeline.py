"""Imports through the real stores: counts, provenance, idempotence, quarantine, bad input."""

import json

import pytest

from graph.errors import InputError
from graph.ingest.mapping import load_mapping
from graph.ingest.pipeline import Importer
from graph.ingest.quarantine import read_quarantine
from graph.settings import load_settings

HEADER = "crm_id,name,website,type,country,language,instagram,youtube,tiktok,x_twitter,contact_owner\n"
ROWS = [
    "C1,Le Monde,https://www.lemonde.fr/,publisher,FR,fr,@lemondefr,,,,a.martin",
    "C2,LeMonde.fr,lemonde.fr,publisher,FR,fr,,,,,a.martin",
    "C3,le monde (FR),,publisher,fr,fr,@lemondefr,,,,s.rossi",
    'C4,"x"" }) MATCH (n) DETACH DELETE n //",https://evil.example,publisher,US,en,,,,,e.smith',
    'C5,"=HYPERLINK(""http://x"",""y"")",https://f.example,publisher,US,en,,,,,e.smith',
    "C6," + "z" * 10_000 + ",https://long.example,publisher,US,en,,,,,e.smith",
    "C1,Duplicate Le Monde,https://dup.example,publisher,FR,fr,,,,,a.martin",
    ",No Id,https://noid.example,publisher,FR,fr,,,,,a.martin",
    "C9,Alice Dubois,https://alice.bio.link,creator,FR,fr,@alicedubois,,,,",
]


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, home=tmp_path / "home", pseudonym_key="t" * 32)


def write(path, rows):
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_partner_import_counts_provenance_resolution(store, settings, tmp_path):
    f = write(tmp_path / "partners.csv", ROWS)
    rep = Importer(store, settings).run(f, load_mapping("generator-partners"))
    assert (rep.rows_in, rep.rows_imported, rep.rows_quarantined) == (9, 5, 4)
    q = read_quarantine(settings.home / "quarantine" / f"{rep.run_id}.jsonl")
    reasons = {r["row"]: r["reason"] for r in q}
    assert "spreadsheet formula" in reasons[6] and "10,000 characters" in reasons[7]
    assert "duplicate key crm_id='C1' (first at row 2)" in reasons[8] and "missing required field" in reasons[9]
    assert all(r["source"].startswith(f.resolve().as_uri() + "#row=") for r in q)
    assert all("contact_owner" not in r["values"] for r in q)  # pii columns never leave the file
    run = store.read("MATCH (r:ImportRun {id: $id}) RETURN r.rows_in AS i, r.rows_imported AS ok, "
                     "r.rows_quarantined AS q, r.status AS s", {"id": rep.run_id}).rows[0]
    assert run == {"i": 9, "ok": 5, "q": 4, "s": "complete"}
    cypher = store.read("MATCH (p:Publisher {crm_id: 'C4'}) RETURN p.name AS name, p.source AS src").rows[0]
    assert cypher["name"] == 'x" }) MATCH (n) DETACH DELETE n //' and cypher["src"].endswith("#row=5")
    same = store.read("MATCH (a)-[r:SAME_AS]->(b) RETURN a.crm_id AS a, b.crm_id AS b, r.evidence AS ev").rows
    assert {(r["a"], r["b"]) for r in same} == {("C2", "C1"), ("C3", "C1")}
    assert json.loads(same[0]["ev"])["v"] == 1
    assert store.read("MATCH (i:Influencer {crm_id: 'C9'}) RETURN count(i) AS n").rows[0]["n"] == 1


def test_reimport_changes_nothing_and_changed_rows_only(store, settings, tmp_path):
    f = write(tmp_path / "p.csv", ROWS[:3] + ROWS[8:])
    m = load_mapping("generator-partners")
    Importer(store, settings).run(f, m)
    before = store.counts()
    props = store.read("MATCH (p:Publisher) RETURN p.id AS id, p.name AS n, p.last_seen AS s ORDER BY id").rows
    again = Importer(store, settings).run(f, m)
    assert again.rows_unchanged == 4 and not any(k.startswith((":Publisher", "[:")) for k in again.written)
    assert {k: v for k, v in store.counts().items() if k != ":ImportRun"} == \
        {k: v for k, v in before.items() if k != ":ImportRun"}
    assert store.read("MATCH (p:Publisher) RETURN p.id AS id, p.name AS n, p.last_seen AS s ORDER BY id").rows == props
    write(f, [ROWS[0].replace("Le Monde,", "Le Monde SA,")] + ROWS[1:3] + ROWS[8:])
    changed = Importer(store, settings).run(f, m)
    assert changed.rows_unchanged == 3 and changed.written.get(":Publisher") == 1


def test_killed_import_converges(store, settings, tmp_path, monkeypatch):
    f = write(tmp_path / "p.csv", ROWS[:3] + ROWS[8:])
    m = load_mapping("generator-partners")
    from graph.writers import GraphWriter

    real = GraphWriter.relationships

    def boom(self, *a, **kw):
        raise InputError("killed")

    monkeypatch.setattr(GraphWriter, "relationships", boom)
    with pytest.raises(InputError):
        Importer(store, settings).run(f, m)
    monkeypatch.setattr(GraphWriter, "relationships", real)
    Importer(store, settings).run(f, m)
    first = {k: v for k, v in store.counts().items() if k != ":ImportRun"}
    store.clear()
    store.apply_schema()
    Importer(store, settings.with_overrides(home=tmp_path / "fresh")).run(f, m)
    assert {k: v for k, v in store.counts().items() if k != ":ImportRun"} == first


def test_bad_inputs(store, settings, tmp_path):
    m = load_mapping("generator-partners")
    imp = Importer(store, settings)
    other = tmp_path / "other.csv"
    other.write_text("foo,bar\n1,2\n")
    with pytest.raises(InputError, match="columns differ from mapping 'generator-partners': missing 'crm_id', 'name'"):
        imp.run(other, m)
    dup = tmp_path / "dup.csv"
    dup.write_text("crm_id,name,name\nC1,a,b\n")
    with pytest.raises(InputError, match="column 'name' appears more than once"):
        imp.run(dup, m)
    header_only = tmp_path / "h.csv"
    header_only.write_text(HEADER)
    rep = imp.run(header_only, m)
    assert rep.rows_in == 0 and "no data rows" in " ".join(rep.notes)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match="binary"):
        imp.run(binary, m)


def test_dry_run_writes_nothing(store, settings, tmp_path):
    f = write(tmp_path / "p.csv", ROWS[:3])
    rep = Importer(store, settings, dry_run=True).run(f, load_mapping("generator-partners"))
    assert rep.would_write[":Publisher"] == 3 and store.counts().get(":Publisher", 0) == 0


def test_reimport_keeps_an_affiliate_that_resolution_made_an_influencer(store, settings, tmp_path):
    f = tmp_path / "affiliates.csv"
    f.write_text("publisher_id,name,website,payment_account,joined,country,status,tracking_template\n"
                 "104128,Alice Dubois,https://alice.bio.link,,2024-03-15,FR,active,\n", encoding="utf-8")
    m = load_mapping("generator-affiliates")
    Importer(store, settings).run(f, m)
    [aff] = store.read("MATCH (a:Affiliate) RETURN a.id AS id").rows
    # as entity resolution does when the affiliate is a creator already known from the CRM
    store.write("MATCH (a:Affiliate {id: $id}) REMOVE a:Publisher SET a:Influencer", {"id": aff["id"]})
    rep = Importer(store, settings, full=True).run(f, m)  # the same file again, all rows
    assert rep.rows_imported == 1
    rows = store.read("MATCH (a:Affiliate) RETURN a.id AS id, labels(a) AS l").rows
    assert len(rows) == 1 and sorted(rows[0]["l"]) == ["Affiliate", "Influencer"]
