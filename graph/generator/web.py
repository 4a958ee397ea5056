"""Plan every partner's web presence from the world, write it, and record the truth."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graph.generator import sites, words
from graph.generator.campaigns import Campaigns
from graph.generator.clicks import Network
from graph.generator.config import ScaleConfig, month_str
from graph.generator.entities import Brands, Partners, Taxa


@dataclass
class Web:
    site_partners: list[int] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)  # id, partner, url, ... topic
    links: list[tuple[int, int]] = field(default_factory=list)  # LINKS_TO partner pairs
    promotes: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    sells: list[tuple[int, str, str, str, str]] = field(default_factory=list)  # p, sys, id, rel, cert
    pages: int = 0
    files: int = 0


def _seller_pools(rng: np.random.Generator, n: int) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for dom, _nm, _c in sites.AD_SYSTEMS:
        k = max(8, n // 40)
        if dom == "google.com":
            pools[dom] = [f"pub-{int(x):016d}" for x in rng.integers(10**15, 10**16 - 1, k)]
        else:
            pools[dom] = [str(int(x)) for x in rng.integers(1000, 999999, k)]
    return pools


def plan_and_write(cfg: ScaleConfig, t: Taxa, p: Partners, b: Brands, c: Campaigns, net: Network,
                   rng: np.random.Generator, out: Path | None, progress: bool = False) -> Web:
    w = Web()
    n = p.n
    if cfg.site_cap and cfg.site_cap < n:
        must = set(net.aff[net.label == 1].tolist())
        pick = set(rng.choice(n, cfg.site_cap, replace=False).tolist()) | must
        chosen = sorted(pick)
    else:
        chosen = list(range(n))
    w.site_partners = chosen
    aff_pos = {int(a): i for i, a in enumerate(net.aff.tolist())}
    pairs_of: dict[int, list[int]] = {}
    for kk, pp in enumerate(c.pair_partner.tolist()):
        pairs_of.setdefault(pp, []).append(kk)
    by_v = [np.flatnonzero(p.vertical == v) for v in range(len(t.verticals))]
    resellers = _seller_pools(rng, n)
    mids = rng.integers(1000, 99999, b.n)
    ad_sys = [d for d, _n, _c in sites.AD_SYSTEMS]
    cert = {d: c0 for d, _n, c0 in sites.AD_SYSTEMS}
    seller_docs: dict[str, list[dict[str, Any]]] = {d: [] for d in ad_sys}
    for d in ad_sys:
        for sid in resellers[d]:
            seller_docs[d].append({"seller_id": sid, "name": f"{d.split('.')[0].title()} Partner {sid[-4:]}",
                                   "domain": f"ssp{sid[-3:]}.example-exchange.com", "seller_type": "INTERMEDIARY"})
    art_no = 0
    it: Any = chosen
    if progress:
        from tqdm import tqdm
        it = tqdm(chosen, desc="sites", unit="site", leave=False)
    for i in it:
        fam = int(p.family[i])
        dom = p.domains[i]
        www = fam != 2 and (i % 3 == 0)
        base = f"https://{'www.' if www else ''}{dom}"
        lang = p.lang[i]
        tnames = [t.content[x].name for x in p.topics[i]]
        socials = [(pf, u) for pf, _h, u, _f in p.socials[i]]
        site: dict[str, Any] = {"name": p.names[i], "lang": lang, "base": base, "socials": socials,
                                "handle": p.handles[i], "theme": ["light", "dark", "pastel"][i % 3],
                                "desc": f"{', '.join(tnames)} — {p.names[i]}", "foot": "© " + p.names[i]}
        tr: dict[str, Any] = {"domain": dom, "partner_id": p.ids[i], "family": sites.FAMILIES[fam],
                              "base_url": base, "pages": [], "sponsored_posts": [], "affiliate_links": [],
                              "ads_txt": [], "social_links": [{"platform": pf, "url": u} for pf, u in socials],
                              "outbound_links": [], "mentions": []}
        ai = aff_pos.get(i)
        own = int(net.pub_id[ai]) if ai is not None else None
        advs = net.advertisers[ai].tolist() if ai is not None else []
        # outbound links to similar partners
        nl = int(rng.poisson(1.5 if fam != 2 else 0.3))
        pool = by_v[int(p.vertical[i])]
        targets = sorted({int(x) for x in rng.choice(pool, min(nl, len(pool)))} - {i})
        if rng.random() < 0.2:
            targets.append(int(rng.integers(n)))
            targets = sorted(set(targets) - {i})
        sponsored = [x for x in pairs_of.get(i, []) if rng.random() < 0.7]
        files: dict[str, str] = {}
        if fam == 2:
            buttons: list[tuple[str, str, str]] = []
            for ks in sponsored:
                bi = int(c.pair_brand[ks])
                dl = words.DISCLOSURE.get(lang, words.DISCLOSURE["en"])
                disc = dl[int(rng.integers(len(dl)))].format(b=b.names[bi])
                u = f"https://www.{b.domains[bi]}/?utm_source={p.handles[i]}&utm_medium=influencer"
                buttons.append((u, f"{disc} · {b.names[bi]}", "sponsored"))
                tr["sponsored_posts"].append({"url": base + "/", "brand_id": b.ids[bi], "link": u,
                                              "disclosure": disc, "language": lang,
                                              "campaign_ids": [c.cid[x] for x in c.pair_campaigns[ks]]})
                w.promotes.append({"partner": i, "brand": bi, "url": base + "/", "network": "", "affid": ""})
            for bi in advs[:3]:
                u = sites.aff_url("awin", str(own), b.domains[bi], rng, int(mids[bi]))
                buttons.append((u, f"{b.names[bi]} ⭐", "sponsored nofollow"))
                tr["affiliate_links"].append({"url": u, "page": base + "/", "network": "awin",
                                              "affiliate_id": str(own), "brand_id": b.ids[bi]})
                w.promotes.append({"partner": i, "brand": bi, "url": base + "/", "network": "awin",
                                   "affid": str(own)})
            if rng.random() < 0.5:
                bi = int(rng.integers(b.n))
                net2 = str(rng.choice(["amazon", "skimlinks", "impact"]))
                aid = sites.net_affid(net2, rng, None)
                u = sites.aff_url(net2, aid, b.domains[bi], rng, int(mids[bi]))
                buttons.append((u, "My favourite gear", ""))
                tr["affiliate_links"].append({"url": u, "page": base + "/", "network": net2,
                                              "affiliate_id": aid, "brand_id": b.ids[bi]})
            for tj in targets:
                u = f"https://{p.domains[tj]}/"
                buttons.append((u, p.names[tj], ""))
                tr["outbound_links"].append({"url": u, "page": base + "/", "target_partner_id": p.ids[tj]})
                w.links.append((i, tj))
            files["index.html"] = sites.render_bio(site, buttons)
            files["robots.txt"] = "User-agent: *\nAllow: /\n"
            tr["pages"].append(base + "/")
            w.pages += 1
        else:
            k_art = int(np.clip(rng.poisson(cfg.articles_per_site * (1 + 0.3 * np.log10(
                max(p.audience_size[i], 10) / 1e4))), 1, 60))
            arts: list[dict[str, Any]] = []
            plan: list[int | None] = [None] * k_art + list(sponsored)
            slugs: set[str] = set()
            for j, k in enumerate(plan):
                topic = p.topics[i][int(rng.integers(len(p.topics[i])))]
                tname = t.content[topic].name
                fill = words.FILLER.get(lang, words.FILLER["en"])
                title = f"{fill[int(rng.integers(len(fill)))].capitalize()}: {tname}"
                s = words.slug(title)[:50]
                while s in slugs:
                    s += f"-{j}"
                slugs.add(s)
                m = int(rng.integers(0, cfg.months)) if k is None else int(c.pair_first_month[k])
                author = f"{words.FIRST[int(rng.integers(len(words.FIRST)))]} {words.LAST[int(rng.integers(len(words.LAST)))]}"
                a: dict[str, Any] = {"title": title, "author": author, "date": sites._date(m, rng),
                                     "categories": [t.content[x].name for x in _ancestors(t, topic)][:2],
                                     "tags": [words.slug(tname).replace("-", " "), words.topic_word(tnames[0]).lower()],
                                     "paras": sites._text(rng, lang, tnames, int(rng.integers(2, 6))),
                                     "links": [], "topic": topic, "sponsored": k is not None}
                sub = "sponsored" if (k is not None and fam == 1) else "articles"
                a["url"] = f"{base}/{sub}/{s}.html"
                a["path"] = f"{sub}/{s}.html"
                if k is not None:
                    bi = int(c.pair_brand[k])
                    dl = words.DISCLOSURE.get(lang, words.DISCLOSURE["en"])
                    a["disclosure"] = dl[int(rng.integers(len(dl)))].format(b=b.names[bi])
                    u = f"https://www.{b.domains[bi]}/?utm_source={words.slug(dom, '')}&utm_campaign={c.cid[c.pair_campaigns[k][0]]}"
                    a["links"].append((u, b.names[bi], "sponsored"))
                    tr["sponsored_posts"].append({"url": a["url"], "brand_id": b.ids[bi], "link": u,
                                                  "disclosure": a["disclosure"], "language": lang,
                                                  "campaign_ids": [c.cid[x] for x in c.pair_campaigns[k]]})
                    w.promotes.append({"partner": i, "brand": bi, "url": a["url"], "network": "", "affid": ""})
                    a["brand"] = bi
                if advs and rng.random() < 0.55:
                    bi = int(advs[int(rng.integers(len(advs)))])
                    u = sites.aff_url("awin", str(own), b.domains[bi], rng, int(mids[bi]))
                    a["links"].append((u, b.names[bi], "sponsored nofollow"))
                    tr["affiliate_links"].append({"url": u, "page": a["url"], "network": "awin",
                                                  "affiliate_id": str(own), "brand_id": b.ids[bi]})
                    w.promotes.append({"partner": i, "brand": bi, "url": a["url"], "network": "awin",
                                       "affid": str(own)})
                if rng.random() < 0.25:
                    bi = int(rng.integers(b.n))
                    net2 = str(rng.choice(sites.NETWORKS[1:]))
                    aid = sites.net_affid(net2, rng, None)
                    u = sites.aff_url(net2, aid, b.domains[bi], rng, int(mids[bi]))
                    a["links"].append((u, b.names[bi].split(" ")[0], "nofollow" if rng.random() < 0.5 else ""))
                    tr["affiliate_links"].append({"url": u, "page": a["url"], "network": net2,
                                                  "affiliate_id": aid, "brand_id": b.ids[bi]})
                if rng.random() < 0.2:
                    bi = int(rng.integers(b.n))
                    a["paras"].append(f"{b.names[bi]}: {tname}.")
                    tr["mentions"].append({"page": a["url"], "brand_id": b.ids[bi], "name": b.names[bi]})
                    w.mentions.append({"partner": i, "brand": bi, "url": a["url"]})
                arts.append(a)
            home_links = []
            for tj in targets:
                u = f"https://{p.domains[tj]}/"
                host = arts[int(rng.integers(len(arts)))] if rng.random() < 0.6 else None
                if host is not None:
                    host["links"].append((u, p.names[tj], ""))
                else:
                    home_links.append((u, p.names[tj]))
                tr["outbound_links"].append({"url": u, "page": host["url"] if host else base + "/",
                                             "target_partner_id": p.ids[tj]})
                w.links.append((i, tj))
            site["home_links"] = home_links
            arts.sort(key=lambda x: x["date"], reverse=True)
            for a in arts:
                files[a["path"]] = sites.render_article(fam, site, a)
                tr["pages"].append(a["url"])
                art_no += 1
                a["id"] = f"art-{art_no:07d}"
                a["partner"] = i
                w.articles.append({k2: a[k2] for k2 in ("id", "partner", "url", "title", "author", "date",
                                                         "topic", "sponsored")} | {"lang": lang})
            files["index.html"] = sites.render_index(fam, site, arts)
            tr["pages"].append(base + "/")
            urls = [(base + "/", arts[0]["date"])] + [(a["url"], a["date"]) for a in arts]
            files.update(sites.sitemap(urls, base, index=fam == 1 and len(arts) > 4))
            files["feed.xml"] = sites.feed(fam, site, arts[:20])
            rob = ["User-agent: *", "Disallow: /wp-admin/" if fam == 0 else "Disallow: /search",
                   f"Sitemap: {base}/sitemap.xml"]
            if rng.random() < 0.2:
                rob[0:0] = ["User-agent: GPTBot", "Disallow: /", ""]
            files["robots.txt"] = "\n".join(rob) + "\n"
            w.pages += len(arts) + 1
            if fam != 2 and p.kind[i] == 0 and rng.random() < 0.75:
                lines: list[dict[str, str]] = []
                direct = ["google.com"] + [str(x) for x in rng.choice(ad_sys[1:], int(rng.integers(0, 4)), replace=False)]
                for d in direct:
                    sid = (f"pub-{int(rng.integers(10**15, 10**16 - 1)):016d}" if d == "google.com"
                           else str(int(rng.integers(10000, 9999999))))
                    lines.append({"ad_system": d, "seller_id": sid, "relationship": "DIRECT",
                                  "cert_authority": cert[d]})
                    seller_docs[d].append({"seller_id": sid, "name": p.names[i], "domain": dom,
                                           "seller_type": "PUBLISHER"})
                for _ in range(int(rng.integers(1, 8))):
                    d = str(rng.choice(ad_sys))
                    sid = resellers[d][int(rng.integers(len(resellers[d])))]
                    lines.append({"ad_system": d, "seller_id": sid, "relationship": "RESELLER",
                                  "cert_authority": cert[d]})
                uniq = list({(x["ad_system"], x["seller_id"], x["relationship"]): x for x in lines}.values())
                files["ads.txt"] = sites.ads_txt(uniq, rng, dom)
                tr["ads_txt"] = uniq
                for x in uniq:
                    w.sells.append((i, x["ad_system"], x["seller_id"], x["relationship"], x["cert_authority"]))
        w.truth.append(tr)
        if out is not None:
            w.files += sites.write(out / "sites" / dom, files)
    if out is not None:
        for d, nm, c0 in sites.AD_SYSTEMS:
            doc = {"contact_email": f"sellers@{d}", "contact_address": f"{nm}, 1 Market St", "version": "1.0",
                   "identifiers": [{"name": "TAG-ID", "value": c0}] if c0 else [],
                   "sellers": [dict(s, is_confidential=0) for s in seller_docs[d]]}
            w.files += sites.write(out / "sites" / d, {"sellers.json": json.dumps(doc, indent=1, ensure_ascii=False) + "\n"})
    return w


def _ancestors(t: Taxa, ci: int) -> list[int]:
    idx = t.cidx
    chain = [ci]
    while t.content[chain[-1]].parent_id in idx:
        chain.append(idx[str(t.content[chain[-1]].parent_id)])
    return chain


__all__ = ["Web", "month_str", "plan_and_write"]
