"""The fraud stage on a real store (both backends): rings, risk, alerts and their evidence,
re-runs, trace, the ring evidence pack, and the case workflow feeding labels and the allow-list."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gnn.fraud import cases as C
from gnn.fraud import queries as Q
from gnn.fraud.detect import FraudConfig, analyse
from gnn.fraud.ring_report import ring_report
from gnn.fraud.stage import cache_dir, run_fraud
from gnn.fraud.trace import TraceIndex, trace
from graph.errors import InputError
from graph.settings import load_settings
from graph.store.base import GraphStore
from tests.gnn.fraud.world import (
    OFFICE,
    OWNER,
    RING_IDS,
    SILENT,
    TOOL,
    aff,
    import_world,
    write_world,
)

FAST = FraudConfig(models=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(tmp_path_factory.mktemp("fraud-world"))


def test_fraud_stage_end_to_end(store: GraphStore, world: Path, tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path / "home", pseudonym_key="k" * 32)
    import_world(store, settings, world)
    run, stats = run_fraud(store, settings, FAST)
    ring_members = {aff(p) for p in RING_IDS}
    assert [set(r.members) for r in run.flagged_rings] == [ring_members]
    assert stats["alerts"]["new_ring"] == 1 and stats["rings"]["flagged"] == 1
    flagged = set(run.scores.index[run.scores["risk"] >= 0.5])
    assert flagged == ring_members  # not the office NAT, not the shared-payment owner, not everybody
    assert {aff(p) for p in OFFICE + OWNER + TOOL}.isdisjoint(flagged)
    # tracking templates: imported as an affiliate property, compared with their ids stripped
    tpl = run.uses[run.uses["kind"] == "template"].set_index("affiliate")["ident"]
    assert {tpl[aff(p)] for p in RING_IDS} == {"https://trk.quickcash-77.click/r/{id}?a&s"}
    assert {tpl[aff(p)] for p in TOOL} == {"https://go.linkpilot.example/t/{id}?campaign&pub"}
    t_src = run.uses.loc[run.uses["kind"] == "template", "source"]
    assert t_src.str.contains("affiliates.csv#row=").all()  # the affiliate's row in the network export
    ring_ev = run.links.evidence[run.links.evidence["a"].isin(ring_members) & run.links.evidence["b"].isin(ring_members)]
    assert (ring_ev["kind"] == "template").sum() == len(RING_IDS) * (len(RING_IDS) - 1) // 2
    t_uses = run.uses[run.uses["kind"] == "template"]
    common = t_uses[t_uses["ident"].str.contains("gen-net")]  # the network's default template
    assert common["degree"].iloc[0] >= 10
    assert common["weight"].max() < t_uses.loc[t_uses["affiliate"] == aff(RING_IDS[0]), "weight"].iloc[0]
    assert SILENT and aff(SILENT) in run.scores.index  # no clicks: scored, no crash
    assert any("no clicks" in n for n in run.notes)
    devices = run.uses[run.uses["kind"] == "device"]
    default = devices[devices["degree"] == devices["degree"].max()]  # the 00000000 device
    assert default["degree"].iloc[0] >= 20 and (default["weight"] < 0.1).all()  # weighs ~0

    rows = store.read("MATCH (a:Affiliate)-[m:MEMBER_OF]->(r:Ring {status: 'flagged'}) "
                      "RETURN r.id AS ring, collect(a.id) AS members").rows
    assert len(rows) == 1 and set(rows[0]["members"]) == ring_members
    ring_id = rows[0]["ring"]
    alerts = Q.read_all(store, Q.ALERTS)
    assert len(alerts) == 1 and alerts[0]["status"] == "open"
    ev = json.loads(alerts[0]["evidence"])
    assert ev["summary"] and ev["identifiers"] and ring_id in alerts[0]["flagged"]
    assert set(alerts[0]["flagged"]) >= ring_members
    risk = store.read("MATCH (a:Affiliate {id: $id}) RETURN a.risk AS r, a.risk_evidence AS e",
                      {"id": aff(RING_IDS[0])}).rows[0]
    assert risk["r"] >= 0.5 and json.loads(risk["e"])["ring"] == ring_id

    # a re-run on the same data: same ring id, no new alert
    run2, stats2 = run_fraud(store, settings, FAST)
    assert [r.id for r in run2.flagged_rings] == [ring_id]
    assert stats2["alerts"]["alerts"] == 0 and len(Q.read_all(store, Q.ALERTS)) == 1

    # trace: two ring members through shared identifiers, each hop citing its source rows
    index = TraceIndex.load(cache_dir(settings))
    res = trace(store, index, aff(RING_IDS[0]), RING_IDS[1], k=2)  # a bare network id resolves too
    assert res.paths and len(res.paths[0].hops) == 1 and res.names[aff(RING_IDS[0])] == f"Site {RING_IDS[0]}"
    ident = res.paths[0].hops[0].identifiers[0]
    assert ident["source_from"].startswith("file://") and "#row=" in ident["source_from"]
    with pytest.raises(InputError):
        trace(store, index, aff(RING_IDS[0]), "no-such-affiliate")

    # ring report and evidence pack: every fact cites its provenance
    rep = ring_report(store, settings, ring_id[5:11])
    assert set(rep.members["id"]) == ring_members and not rep.identifiers.empty and not rep.timeline.empty
    paths = rep.write_pack(tmp_path / "pack")
    facts = pd.read_csv(paths[0])
    assert (facts.loc[facts["fact"] != "figure_label", "source"].fillna("") != "").all()
    uses = facts[facts["fact"] == "identifier_use"]
    assert uses["source"].str.contains("clicks-2024-05.csv.gz#row=").any()
    assert facts.loc[facts["fact"] == "member", "source"].str.contains("affiliates.csv#row=").all()
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # cases: open from the alert, dismissing needs a reason, the dismissal allow-lists identifiers
    case = C.open_case(store, [alerts[0]["id"]], by="ana", assignee="bo")
    assert case.status == "open" and Q.read_all(store, Q.ALERTS_BY_ID, {"ids": case.alerts})[0]["status"] == \
        "investigating"
    with pytest.raises(InputError, match="reason"):
        C.update(store, case.id, by="ana", status="dismissed")
    dismissed = C.update(store, case.id, by="ana", status="dismissed", reason="one agency, known")
    assert dismissed.allowlist and [e["action"] for e in dismissed.log] == ["opened", "status"]
    run3, _ = run_fraud(store, settings, FAST)
    assert not run3.flagged_rings  # its shared identifiers are allow-listed now
    assert set(dismissed.allowlist).isdisjoint(set(run3.uses["ident"]))
    # re-opened and confirmed: the members become positive labels for the next run
    C.update(store, case.id, by="bo", status="investigating", note="new evidence from the network")
    final = C.update(store, case.id, by="bo", status="confirmed")
    assert final.allowlist == [] and final.closed_at and len(final.log) == 5
    lab = analyse(store, settings, FAST).labels
    assert {a for a, v in lab.y.items() if v == 1} >= ring_members and set(lab.origin[lab.y == 1]) == {"case"}
    text = C.export(store, "csv")
    assert text.splitlines()[0].startswith("id,title,status") and case.id in text
    doc = json.loads(C.export(store, "json"))
    assert doc["cases"][0]["status"] == "confirmed" and set(doc["cases"][0]["affiliates"]) >= ring_members


@pytest.mark.parametrize("case", ["single", "everybody_shares", "no_events"])
def test_bad_networks_do_not_crash_or_flag_everybody(store: GraphStore, tmp_path: Path, case: str) -> None:
    from graph.ingest.mapping import load_mapping
    from graph.ingest.pipeline import Importer

    settings = load_settings(env={}, home=tmp_path / "home", pseudonym_key="k" * 32)
    n = 1 if case == "single" else 8
    rows = ["publisher_id,name,website,payment_account,joined,country,status"]
    rows += [f"{500 + i},Site {i},https://s{i}.example,FR76{i:020d},2024-01-10,FR,active" for i in range(n)]
    (tmp_path / "affiliates.csv").write_text("\n".join(rows) + "\n")
    imp = Importer(store, settings)
    imp.run(tmp_path / "affiliates.csv", load_mapping("generator-affiliates"))
    if case != "no_events":
        clicks = ["click_id,timestamp,publisher_id,advertiser,ip,device_id,user_agent,os,referrer_url,landing_domain"]
        for i in range(n):
            for j in range(30):
                clicks.append(f"c{i}-{j},2024-05-{1 + j % 28:02d}T12:00:00Z,{500 + i},Acme,203.0.113.9,"
                              f"00000000-0000-0000-0000-000000000000,UA,iOS,,acme.com")
        (tmp_path / "clicks.csv").write_text("\n".join(clicks) + "\n")
        imp.run(tmp_path / "clicks.csv", load_mapping("generator-clicks"))
    run, stats = run_fraud(store, settings, FraudConfig(models=True))
    assert len(run.scores) == n
    assert not run.flagged_rings and (run.scores["risk"] < 0.5).all()  # sharing one device is not a ring
    assert "gnn" not in run.scores  # no known labels: supervised models skipped, and said so
    assert any("weak label signal" in x for x in run.notes)
