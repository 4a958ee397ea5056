"""Score a crawled graph against the generator's truth/sites.jsonl (precision / recall per kind)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crawlers.extract.domains import site_key
from crawlers.extract.robots import parse_robots
from crawlers.extract.social import parse_social


def blocked_sites(sites_dir: Path, agent: str = "PartnerGraph") -> set[str]:
    """Sites whose robots.txt disallows their home page to us (their facts cannot be crawled)."""
    out = set()
    for d in sites_dir.iterdir():
        r = d / "robots.txt"
        if r.is_file() and not parse_robots(r.read_bytes()).can_fetch(f"https://{d.name}/", agent):
            out.add(d.name)
    return out


def truth_sets(truth_file: Path, skip: set[str] = frozenset()) -> dict[str, set[tuple[Any, ...]]]:
    t: dict[str, set[tuple[Any, ...]]] = {k: set() for k in ("ads_txt", "social", "affiliate", "sponsored",
                                                              "sponsored_pages", "links")}
    for line in truth_file.read_text(encoding="utf-8").splitlines():
        s = json.loads(line)
        dom = s["domain"]
        if dom in skip:
            continue
        for a in s["ads_txt"]:
            t["ads_txt"].add((dom, a["ad_system"], a["seller_id"], a["relationship"], a["cert_authority"] or None))
        for x in s["social_links"]:
            acc = parse_social(x["url"])
            t["social"].add((dom, x["platform"], acc.handle if acc else x["url"]))
        for x in s["affiliate_links"]:
            t["affiliate"].add((dom, x["url"], x["network"], x["affiliate_id"]))
        for x in s["sponsored_posts"]:
            t["sponsored"].add((dom, x["link"]))
            if s["family"] != "bio":
                t["sponsored_pages"].add(x["url"])
        for x in s["outbound_links"]:
            tgt = site_key(x["url"])
            if tgt and tgt != dom:
                t["links"].add((dom, tgt))
    return t


def graph_sets(store: Any) -> dict[str, set[tuple[Any, ...]]]:
    def q(cypher: str) -> list[dict[str, Any]]:
        return store.read(cypher, limit=1_000_000).rows

    def site(pid: str) -> str:
        return pid.split(":", 1)[1]

    g: dict[str, set[tuple[Any, ...]]] = {}
    g["ads_txt"] = {(site(r["p"]), r["sys"], r["sid"], r["rel"], r["cert"]) for r in q(
        "MATCH (p)-[r:SELLS_VIA]->(s:SellerAccount) RETURN p.id AS p, s.ad_system AS sys, s.seller_id AS sid, "
        "r.relationship AS rel, r.cert_authority AS cert")}
    g["social"] = {(site(r["p"]), r["pf"], r["h"]) for r in q(
        "MATCH (p)-[:HAS_ACCOUNT]->(s:SocialAccount) RETURN p.id AS p, s.platform AS pf, s.handle AS h")}
    promos = q("MATCH (x)-[r:PROMOTES]->(b:Brand) RETURN x.id AS x, labels(x) AS l, r.source AS src, "
               "r.evidence_url AS ev, r.network AS net, r.affiliate_id AS aff")
    g["affiliate"], g["sponsored"] = set(), set()
    for r in promos:
        owner = site_key(r["src"]) if "Article" in r["l"] else site(r["x"])
        if r["net"]:
            g["affiliate"].add((owner, r["ev"], r["net"], r["aff"]))
        else:
            g["sponsored"].add((owner, r["ev"]))
    g["sponsored_pages"] = {r["u"] for r in q("MATCH (a:Article) WHERE a.sponsored = true RETURN a.url AS u")}
    g["links"] = {(site(r["a"]), site(r["b"])) for r in q("MATCH (a)-[:LINKS_TO]->(b) RETURN a.id AS a, b.id AS b")}
    return g


def score(truth: dict[str, set[tuple[Any, ...]]], got: dict[str, set[tuple[Any, ...]]],
          domains: set[str] | None = None) -> dict[str, dict[str, float]]:
    out = {}
    for k, want in truth.items():
        have = got.get(k, set())
        if domains is not None and k != "sponsored_pages":  # only facts of the crawled sites
            have = {x for x in have if x[0] in domains}
        tp = len(want & have)
        out[k] = {"precision": tp / len(have) if have else 1.0, "recall": tp / len(want) if want else 1.0,
                  "truth": len(want), "found": len(have), "tp": tp}
    return out
