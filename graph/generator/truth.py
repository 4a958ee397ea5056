"""Truth files, read only by evaluators."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from graph.generator import words
from graph.generator.campaigns import Campaigns
from graph.generator.clicks import Network, ip_network
from graph.generator.config import ScaleConfig, month_str
from graph.generator.entities import Brands, Partners, Taxa
from graph.generator.web import Web


def split_of(cfg: ScaleConfig, m: int) -> str:
    t2 = cfg.months - cfg.test_months
    t1 = t2 - cfg.valid_months
    return "train" if m < t1 else "validation" if m < t2 else "test"


def write_all(cfg: ScaleConfig, t: Taxa, p: Partners, b: Brands, c: Campaigns, net: Network, web: Web,
              variants: list[tuple[str, str, str, str]], out: Path) -> dict[str, int]:
    tr = out / "truth"
    tr.mkdir(parents=True, exist_ok=True)
    rows = list(variants)
    for i in range(p.n):
        kind = "partner"
        rows += [(p.ids[i], kind, "name", p.names[i]), (p.ids[i], kind, "domain", p.domains[i]),
                 (p.ids[i], kind, "handle", p.handles[i])]
        rows += [(p.ids[i], kind, "social_url", u) for _pf, _h, u, _f in p.socials[i]]
    for bi in range(b.n):
        rows.append((b.ids[bi], "brand", "name", b.names[bi]))
    ent = pd.DataFrame(rows, columns=["entity_id", "entity_type", "kind", "value"]).drop_duplicates()
    ent = ent.sort_values(["entity_id", "kind", "value"], kind="stable")
    ent.to_csv(tr / "entities.csv", index=False, lineterminator="\n")
    pr = pd.DataFrame({"brand_id": np.array(b.ids, dtype=object)[c.pair_brand],
                       "partner_id": np.array(p.ids, dtype=object)[c.pair_partner],
                       "start_date": [month_str(int(m)) + "-01" for m in c.pair_first_month],
                       "split": [split_of(cfg, int(m)) for m in c.pair_first_month],
                       "campaign_ids": [";".join(c.cid[x] for x in cs) for cs in c.pair_campaigns]})
    pr.to_csv(tr / "partnerships.csv", index=False, lineterminator="\n")
    aff = pd.DataFrame({"brand_id": pr["brand_id"], "partner_id": pr["partner_id"],
                        **{k: np.round(v, 6) for k, v in c.pair_comp.items()}})
    aff.to_parquet(tr / "affinity.parquet", index=False)
    rr = []
    for r in net.rings:
        mem = np.asarray(r["members"])
        rr.append({"ring_id": r["ring_id"], "affiliate_ids": ";".join(str(int(net.pub_id[a])) for a in mem),
                   "partner_ids": ";".join(p.ids[int(net.aff[a])] for a in mem), "fraud_type": r["type"],
                   "size": len(mem), "start_month": month_str(int(r["start"])),  # type: ignore[call-overload]
                   "shared_devices": ";".join(r["devices"]),  # type: ignore[arg-type]
                   "shared_ip_networks": ";".join(sorted({ip_network(x)[0] for x in r["ips"]})),  # type: ignore[attr-defined]
                   "shared_payment_accounts": ";".join(r["payments"])})  # type: ignore[arg-type]
    pd.DataFrame(rr).to_csv(tr / "rings.csv", index=False, lineterminator="\n")
    ring_type = {i: str(r["type"]) for i, r in enumerate(net.rings)}
    fl = pd.DataFrame({"affiliate_id": net.pub_id, "partner_id": np.array(p.ids, dtype=object)[net.aff],
                       "label": np.where(net.label == 1, "fraud", "honest"),
                       "fraud_type": [ring_type.get(int(x), "") for x in net.ring_of],
                       "ring_id": [f"ring-{int(x):03d}" if x >= 0 else "" for x in net.ring_of],
                       "hard_negative": [bool(h) for h in net.hard_neg], "hard_negative_reason": net.hard_neg,
                       "network_only": net.network_only})
    fl.to_csv(tr / "fraud_labels.csv", index=False, lineterminator="\n")
    with open(tr / "sites.jsonl", "w", encoding="utf-8") as fh:
        for s in web.truth:
            fh.write(json.dumps(s, ensure_ascii=False, sort_keys=True) + "\n")
    trows: list[tuple[str, str, str, str, bool]] = []
    for i in range(p.n):
        for k, x in enumerate(p.topics[i]):
            trows.append((p.ids[i], "partner", "topic", t.content[x].id, k == 0))
        for x in p.audiences[i]:
            trows.append((p.ids[i], "partner", "audience", t.audience[x].id, False))
    for bi in range(b.n):
        trows.append((b.ids[bi], "brand", "product_category", t.adproduct[int(b.category[bi])].id, True))
        for x in b.audiences[bi]:
            trows.append((b.ids[bi], "brand", "audience", t.audience[x].id, False))
        trows.append((b.ids[bi], "brand", "target_countries", ";".join(
            sorted(words.COUNTRIES[x] for x in b.targets[bi])), False))
    for a in web.articles:
        trows.append((a["url"], "article", "topic", t.content[a["topic"]].id, True))
    pd.DataFrame(trows, columns=["entity_id", "entity_type", "kind", "taxonomy_id", "primary"]).to_csv(
        tr / "topics.csv", index=False, lineterminator="\n")
    return {"partnerships": len(pr), "test_partnerships": int((pr["split"] == "test").sum()),
            "rings": len(rr), "fraud_affiliates": int(net.label.sum())}
