"""Canonical bulk-load files: nodes/<Label>.parquet and edges/<TYPE>.parquet.

A development tool (fast loading, scaling curves), never an evaluation input. Columns follow
graph.schema exactly: ``id`` + the label's properties, or ``src, dst, src_label, dst_label`` +
the type's properties, plus provenance (``source``, ``first_seen``, ``last_seen``, ``run_id``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph import schema
from graph.generator import iab, sites, words
from graph.generator.campaigns import Campaigns, brand_currency
from graph.generator.clicks import Network, ip_network
from graph.generator.config import ScaleConfig, month_str
from graph.generator.entities import Brands, Partners, Taxa
from graph.generator.web import Web

FIRST, LAST = "2023-09-01", "2025-12-31"


def _pseudo(kind: str, raw: str) -> str:
    return f"{kind}:{hashlib.sha256(f'generator|{kind}|{raw}'.encode()).hexdigest()[:20]}"


class Sink:
    def __init__(self, out: Path, seed: int) -> None:
        self.out = out
        self.source = f"generator://seed-{seed}"
        self.run_id = f"generate-seed-{seed}"
        self.nodes: dict[str, list[pd.DataFrame]] = {}
        self.edges: dict[str, list[pd.DataFrame]] = {}

    def node(self, label: str, cols: dict[str, Any]) -> None:
        nt = schema.NODES[label]
        df = pd.DataFrame(cols)
        unknown = set(df.columns) - {"id", *nt.properties}
        assert not unknown, (label, unknown)
        self.nodes.setdefault(label, []).append(df)

    def edge(self, rtype: str, src_label: str, dst_label: str, cols: dict[str, Any]) -> None:
        rt = schema.RELS[rtype]
        assert (src_label, dst_label) in rt.pairs, (rtype, src_label, dst_label)
        df = pd.DataFrame(cols)
        unknown = set(df.columns) - {"src", "dst", *rt.properties}
        assert not unknown, (rtype, unknown)
        df.insert(2, "src_label", src_label)
        df.insert(3, "dst_label", dst_label)
        self.edges.setdefault(rtype, []).append(df)

    def write(self, write: bool = True) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind, store, spec in (("nodes", self.nodes, schema.NODES), ("edges", self.edges, schema.RELS)):
            d = self.out / "canonical" / kind
            if write:
                d.mkdir(parents=True, exist_ok=True)
            for name in sorted(store):
                df = pd.concat(store[name], ignore_index=True)
                props = spec[name].properties
                head = ["id"] if kind == "nodes" else ["src", "dst", "src_label", "dst_label"]
                for pcol in props:
                    if pcol not in df.columns:
                        df[pcol] = None
                df = df[head + list(props)]
                if kind == "nodes":
                    df = df.drop_duplicates("id")
                df["source"] = self.source
                df["first_seen"] = FIRST
                df["last_seen"] = LAST
                df["run_id"] = self.run_id
                if write:
                    df.to_parquet(d / f"{name}.parquet", index=False)
                counts[f"{kind}.{name}"] = len(df)
        return counts


def build(cfg: ScaleConfig, t: Taxa, p: Partners, b: Brands, c: Campaigns, net: Network, web: Web,
          crm_of: dict[str, str], out: Path, seed: int, write: bool = True) -> dict[str, int]:
    s = Sink(out, seed)
    for name, nodes in (("content", t.content), ("audience", t.audience), ("adproduct", t.adproduct)):
        label = iab.LABELS[name]
        s.node(label, {"id": [n.id for n in nodes], "name": [n.name for n in nodes],
                       "path": [n.path for n in nodes], "tier": [n.tier for n in nodes],
                       "taxonomy": iab.FILES[name][1], "code": [n.code for n in nodes]})
        ch = [(n.id, n.parent_id) for n in nodes if n.parent_id]
        s.edge("CHILD_OF", label, label, {"src": [a for a, _ in ch], "dst": [x for _, x in ch]})
    pid = np.array(p.ids, dtype=object)
    bid = np.array(b.ids, dtype=object)
    for k, label in enumerate(("Publisher", "Influencer")):
        ix = np.flatnonzero(p.kind == k)
        cols: dict[str, Any] = {
            "id": pid[ix], "name": [p.names[i] for i in ix], "domain": [p.domains[i] for i in ix],
            "url": [f"https://{p.domains[i]}/" for i in ix],
            "country": [words.COUNTRIES[int(p.country[i])] for i in ix], "language": [p.lang[i] for i in ix],
            "audience_size": p.audience_size[ix], "crm_id": [crm_of.get(p.ids[i], "") for i in ix],
            "partner_type": label.lower(), "brand_safety_flag": False}
        if label == "Influencer":
            cols["handle"] = [p.handles[i] for i in ix]
        s.node(label, cols)
        tp = [(p.ids[i], t.content[x].id, 1.0 if j == 0 else 0.6) for i in ix for j, x in enumerate(p.topics[i])]
        s.edge("COVERS", label, "Topic", {"src": [a for a, _, _ in tp], "dst": [x for _, x, _ in tp],
                                          "score": [z for _, _, z in tp], "method": "generator"})
        au = [(p.ids[i], t.audience[x].id) for i in ix for x in p.audiences[i]]
        s.edge("REACHES", label, "Audience", {"src": [a for a, _ in au], "dst": [x for _, x in au], "score": 1.0})
        sa = [(p.ids[i], f"social:{pf.lower().replace(' ', '')}:{h}", pf, h, u, f)
              for i in ix for pf, h, u, f in p.socials[i]]
        s.node("SocialAccount", {"id": [x[1] for x in sa], "platform": [x[2] for x in sa],
                                 "handle": [x[3] for x in sa], "url": [x[4] for x in sa],
                                 "followers": [x[5] for x in sa]})
        s.edge("HAS_ACCOUNT", label, "SocialAccount", {"src": [x[0] for x in sa], "dst": [x[1] for x in sa]})
        s.edge("ON_PLATFORM", "SocialAccount", "Platform",
               {"src": [x[1] for x in sa], "dst": [f"platform:{words.slug(x[2])}" for x in sa]})
    s.node("Platform", {"id": [f"platform:{words.slug(k)}" for k in words.PLATFORMS],
                        "name": list(words.PLATFORMS), "domain": [v[0] for v in words.PLATFORMS.values()]})
    s.node("Brand", {"id": bid, "name": b.names, "domain": b.domains,
                     "country": [words.COUNTRIES[int(x)] for x in b.country], "crm_id": [crm_of.get(x, "") for x in b.ids]})
    s.edge("IN_CATEGORY", "Brand", "ProductCategory", {"src": bid, "dst": [t.adproduct[int(x)].id for x in b.category],
                                                       "score": 1.0, "method": "crm"})
    ba = [(b.ids[i], t.audience[x].id) for i in range(b.n) for x in b.audiences[i]]
    s.edge("REACHES", "Brand", "Audience", {"src": [a for a, _ in ba], "dst": [x for _, x in ba], "score": 1.0})
    # campaigns, contracts
    cid = np.array(c.cid, dtype=object)
    s.node("Campaign", {"id": cid, "name": [f"{b.names[int(c.brand[k])]} {c.objective[k]} {month_str(int(c.start[k]))}"
                                            for k in range(len(cid))],
                        "start": [month_str(int(m)) + "-01" for m in c.start],
                        "end": [month_str(int(m + d - 1)) + "-28" for m, d in zip(c.start, c.dur, strict=True)],
                        "budget": np.round(c.budget, 2), "currency": "EUR", "objective": c.objective})
    s.edge("RAN", "Brand", "Campaign", {"src": bid[c.brand], "dst": cid})
    lab = np.where(p.kind[c.w_partner] == 0, "Publisher", "Influencer")
    for label in ("Publisher", "Influencer"):
        mk = lab == label
        s.edge("WITH", "Campaign", label, {
            "src": cid[c.w_camp[mk]], "dst": pid[c.w_partner[mk]], "cost": np.round(c.cost[mk], 2),
            "impressions": c.impressions[mk], "clicks": c.clicks[mk], "conversions": c.conversions[mk],
            "revenue": np.round(c.revenue[mk], 2), "currency": "EUR",
            "period": [month_str(int(m)) for m in c.w_month[mk]]})
    master = [f"contract-master-{x}" for x in b.ids]
    s.node("Contract", {"id": master, "name": [f"{n} master agreement" for n in b.names], "currency": "EUR",
                        "status": "signed", "model": "framework"})
    s.edge("SIGNED", "Brand", "Contract", {"src": bid, "dst": master})
    s.edge("UNDER", "Campaign", "Contract", {"src": cid, "dst": np.array(master, dtype=object)[c.brand]})
    dk = np.flatnonzero(c.pair_direct)
    kid = np.array([f"contract-{k:07d}" for k in dk], dtype=object)
    s.node("Contract", {"id": kid, "name": [f"{b.names[int(c.pair_brand[k])]} × {p.names[int(c.pair_partner[k])]}" for k in dk],
                        "start": [month_str(int(c.pair_first_month[k])) + "-01" for k in dk],
                        "currency": [brand_currency(b, int(c.pair_brand[k])) for k in dk],
                        "status": "signed", "model": [c.pair_model[k] for k in dk]})
    s.edge("SIGNED", "Brand", "Contract", {"src": bid[c.pair_brand[dk]], "dst": kid})
    for k2, label in enumerate(("Publisher", "Influencer")):
        mk = p.kind[c.pair_partner[dk]] == k2
        s.edge("SIGNED", label, "Contract", {"src": pid[c.pair_partner[dk][mk]], "dst": kid[mk]})
    # affiliates, identifiers, rings
    s.node("Affiliate", {"id": pid[net.aff], "network": "awin", "network_id": net.pub_id.astype(str),
                         "name": pid[net.aff], "status": "active"})
    ck = net.clicks
    A, M = ck["aff"], ck["month"]
    uip, inv = np.unique(ck["ip"].astype(str), return_inverse=True)
    nets = np.array([ip_network(x)[0] for x in uip], dtype=object)
    ipn = np.array([_pseudo("ipnet", x) for x in nets], dtype=object)
    ver = np.array([ip_network(x)[1] for x in uip])
    df = pd.DataFrame({"a": A, "m": M, "n": ipn[inv]}).value_counts().reset_index()
    s.node("IPNetwork", {"id": ipn, "network": nets, "version": ver})
    s.edge("SEEN_FROM", "Affiliate", "IPNetwork", {"src": pid[net.aff[df["a"].to_numpy()]], "dst": df["n"].to_numpy(),
                                                   "period": [month_str(int(m)) for m in df["m"]],
                                                   "count": df["count"].to_numpy()})
    udev, dinv = np.unique(ck["device"].astype(str), return_inverse=True)
    dd = pd.DataFrame({"a": A, "m": M, "d": dinv})
    shared = dd.groupby("d")["a"].nunique()
    keep = shared[shared >= 3].index.to_numpy()  # cross-affiliate devices only
    dd = dd[np.isin(dd["d"].to_numpy(), keep)].value_counts().reset_index()
    dev_id = np.array([_pseudo("device", x) for x in udev[keep]], dtype=object)
    dmap = dict(zip(keep.tolist(), dev_id.tolist(), strict=True))
    s.node("Device", {"id": dev_id, "kind": "device_id"})
    s.edge("USED_DEVICE", "Affiliate", "Device", {"src": pid[net.aff[dd["a"].to_numpy()]],
                                                  "dst": [dmap[int(x)] for x in dd["d"]],
                                                  "period": [month_str(int(m)) for m in dd["m"]],
                                                  "count": dd["count"].to_numpy()})
    pay = np.array([_pseudo("payment", x.replace(" ", "")) for x in net.payment], dtype=object)
    s.node("PaymentAccount", {"id": pay, "kind": "iban"})
    cv = net.conv
    ok = cv["status"] == "approved"
    pc = pd.DataFrame({"a": cv["aff"][ok], "m": pd.to_datetime(cv["ts"][ok], unit="s").strftime("%Y-%m")}).value_counts().reset_index()
    s.edge("PAID_TO", "Affiliate", "PaymentAccount", {"src": pid[net.aff[pc["a"].to_numpy()]], "dst": pay[pc["a"].to_numpy()],
                                                      "period": pc["m"].to_numpy(), "count": pc["count"].to_numpy()})
    # Rings are truth (truth/rings.csv) and an output of the fraud stage, never a canonical fact.
    # web
    if web.articles:
        arts = web.articles
        s.node("Article", {"id": [a["id"] for a in arts], "url": [a["url"] for a in arts],
                           "title": [a["title"] for a in arts], "author": [a["author"] for a in arts],
                           "date": [a["date"] for a in arts], "language": [a["lang"] for a in arts],
                           "sponsored": [a["sponsored"] for a in arts]})
        s.edge("COVERS", "Article", "Topic", {"src": [a["id"] for a in arts], "dst": [t.content[a["topic"]].id for a in arts],
                                              "score": 1.0, "method": "generator"})
        s.edge("PUBLISHED", "Publisher", "Article", {"src": [p.ids[a["partner"]] for a in arts],
                                                     "dst": [a["id"] for a in arts]})
    _partner_edges(s, "LINKS_TO", p, [(i, j) for i, j in web.links], {"count": [1] * len(web.links)})
    for key, rows in (("PROMOTES", web.promotes), ("MENTIONS", web.mentions)):
        pairs = [(r["partner"], r["brand"]) for r in rows]
        props: dict[str, list[Any]] = {"evidence_url": [r["url"] for r in rows], "count": [1] * len(rows)}
        if key == "PROMOTES":
            props |= {"affiliate_id": [r["affid"] for r in rows], "network": [r["network"] for r in rows]}
        for k, label in enumerate(("Publisher", "Influencer")):
            mk = [p.kind[i] == k for i, _ in pairs]
            s.edge(key, label, "Brand", {"src": [p.ids[i] for (i, _), x in zip(pairs, mk, strict=True) if x],
                                         "dst": [b.ids[j] for (_, j), x in zip(pairs, mk, strict=True) if x],
                                         **{kk: [v for v, x in zip(vv, mk, strict=True) if x] for kk, vv in props.items()}})
    sv = web.sells
    acc = sorted({(d, sid, cert) for _i, d, sid, _r, cert in sv})
    s.node("AdSystem", {"id": [f"adsystem:{d}" for d, _n, _c in sites.AD_SYSTEMS],
                        "domain": [d for d, _n, _c in sites.AD_SYSTEMS], "name": [n for _d, n, _c in sites.AD_SYSTEMS]})
    s.node("SellerAccount", {"id": [f"seller:{d}:{sid}" for d, sid, _c in acc], "seller_id": [sid for _d, sid, _c in acc],
                             "ad_system": [d for d, _s, _c in acc], "cert_authority": [cc for _d, _s, cc in acc]})
    s.edge("OF", "SellerAccount", "AdSystem", {"src": [f"seller:{d}:{sid}" for d, sid, _c in acc],
                                               "dst": [f"adsystem:{d}" for d, _s, _c in acc]})
    s.edge("SELLS_VIA", "Publisher", "SellerAccount", {"src": [p.ids[i] for i, *_ in sv],
                                                        "dst": [f"seller:{d}:{sid}" for _i, d, sid, _r, _c in sv],
                                                        "relationship": [r for *_x, r, _c in sv]})
    return s.write(write)


def _partner_edges(s: Sink, rtype: str, p: Partners, pairs: list[tuple[int, int]], props: dict[str, list[Any]]) -> None:
    labels = ("Publisher", "Influencer")
    for a in (0, 1):
        for bb in (0, 1):
            mk = [p.kind[i] == a and p.kind[j] == bb for i, j in pairs]
            s.edge(rtype, labels[a], labels[bb], {"src": [p.ids[i] for (i, _), x in zip(pairs, mk, strict=True) if x],
                                                  "dst": [p.ids[j] for (_, j), x in zip(pairs, mk, strict=True) if x],
                                                  **{k: [v for v, x in zip(vv, mk, strict=True) if x] for k, vv in props.items()}})
