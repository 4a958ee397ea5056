"""Messy observable exports: CRM, affiliate network, click logs.

Mess is deliberate and recorded in truth/entities.csv: name variants, duplicate partners
under several crm_ids, missing values, stray whitespace, one date format per file, amounts in
EUR/USD/GBP, garbage rows that importers must quarantine.

The network's ``affiliates.csv`` carries each affiliate's ``tracking_template`` (its click-tracking
URL, ids filled in; see :func:`tracking_templates`), an identifier shared inside planted rings.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph.generator import words
from graph.generator.campaigns import Campaigns, brand_currency
from graph.generator.clicks import UAS, Network
from graph.generator.config import ScaleConfig, month_str
from graph.generator.entities import Brands, Partners

OWNERS = ("a.martin", "j.schmidt", "s.rossi", "m.garcia", "e.smith", "l.dubois", "")


def name_variant(name: str, domain: str, handle: str, cc: str, rng: np.random.Generator) -> str:
    k = int(rng.integers(0, 10))
    core = domain.split(".")[0]
    tld = domain[len(core):]
    if k == 0:
        return "".join(w[:1].upper() + w[1:] for w in name.split()) + tld  # "LeMonde.fr"
    if k == 1:
        return f"{name.lower()} ({cc})"
    if k == 2:
        return "@" + handle
    if k == 3:
        return name.upper()
    if k == 4:
        return words.strip_accents(name)
    if k == 5:
        return f"  {name} "
    if k == 6:
        return name + (" Media" if rng.random() < 0.5 else " SAS")
    if k == 7:
        return name.replace(" ", "")
    return name


def url_variant(domain: str, rng: np.random.Generator) -> str:
    k = int(rng.integers(0, 7))
    return [f"https://{domain}", f"https://www.{domain}/", f"http://{domain}/", domain, f"www.{domain}",
            f"https://{domain}/?utm_source=crm", f"HTTPS://{domain.upper()}"][k]


def fmt_date(iso: str, style: str) -> str:
    y, m, d = iso.split("-")
    if style == "dmy":
        return f"{d}/{m}/{y}"
    if style == "mdy":
        return f"{m}/{d}/{y}"
    if style == "dmon":
        return f"{int(d)} {words.MONTHS_EN[int(m) - 1]} {y}"
    return iso


def _day(m: int, rng: np.random.Generator) -> str:
    return f"{month_str(m)}-{int(rng.integers(1, 29)):02d}"


def _csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")


def _mess(df: pd.DataFrame, cols: list[str], rng: np.random.Generator, p_na: float = 0.04) -> pd.DataFrame:
    df = df.copy()
    for col in cols:
        vals = df[col].astype(object).to_numpy().copy()
        na = rng.random(len(df)) < p_na
        vals[na] = ""
        ws = rng.random(len(df)) < 0.03
        vals[ws] = np.array([f" {v}  " if v else v for v in vals[ws]], dtype=object)
        df[col] = vals
    return df


NETWORK_TRACKER = "https://trk.gen-net.example/c"
POPULAR_TRACKERS = ("https://go.linkpilot.example/t", "https://l.clickstack.example/r",
                    "https://track.affboost.example/click", "https://s.dealrelay.example/go")


def tracking_templates(cfg: ScaleConfig, p: Partners, net: Network, rng: np.random.Generator) -> list[str]:
    """The click-tracking URL template of each network affiliate, its ids filled in.

    Honest affiliates mostly use the network's default template (``NETWORK_TRACKER``) or a
    personal one on their own domain; a few small groups of honest affiliates share a popular
    third-party link tool (hard negatives, like the office NATs); the members of a planted ring
    share their ring's tracker host and path (a few keep the network default).
    """
    na = len(net.aff)
    pid = net.pub_id.tolist()
    u = rng.random((na, 3))
    out: list[str] = []
    for j in range(na):
        dom = p.domains[int(net.aff[j])]
        if u[j, 0] < 0.62:
            out.append(f"{NETWORK_TRACKER}?aff={pid[j]}&sub={{subid}}")
        elif u[j, 1] < 0.5:
            out.append(f"https://trk.{dom}/c?aff={pid[j]}&sub={{subid}}")
        else:
            q = "url={landing}&sub={subid}" if u[j, 2] < 0.5 else "sub={subid}&url={landing}"
            out.append(f"https://{dom}/go/{pid[j]}?{q}")
    free = (net.label == 0) & (np.array(net.hard_neg, dtype=object) == "")
    for g in range(max(2, cfg.office_nats)):
        members = rng.choice(np.flatnonzero(free), size=int(rng.integers(3, 9)), replace=False)
        free[members] = False
        base = POPULAR_TRACKERS[g % len(POPULAR_TRACKERS)] + (f"/{g}" if g >= len(POPULAR_TRACKERS) else "")
        for a in members.tolist():
            out[a] = f"{base}/{pid[a]}?campaign={{subid}}&pub={pid[a]}"
    for rg in net.rings:
        members = rng.permutation(np.asarray(rg["members"]))
        host = (words.BRAND_A[int(rng.integers(len(words.BRAND_A)))].lower()
                + words.BRAND_B[int(rng.integers(len(words.BRAND_B)))] + f"-{int(rng.integers(10, 99))}"
                + (".com", ".net", ".io", ".click")[int(rng.integers(4))])
        path = ("r", "go", "t", "c")[int(rng.integers(4))]
        n_tpl = max(2, int(len(members) * rng.uniform(0.6, 1.0)))
        for a in members[:n_tpl].tolist():
            out[a] = f"https://trk.{host}/{path}/{pid[a]}?s={{subid}}&a={pid[a]}&u={{landing}}"
    upper = rng.random(na) < 0.03  # a few typed by hand: scheme and host in capitals
    for a in np.flatnonzero(upper).tolist():
        scheme, rest = out[a].split("://", 1)
        host, tail = rest.split("/", 1)
        out[a] = f"{scheme.upper()}://{host.upper()}/{tail}"
    return out


def write_all(cfg: ScaleConfig, p: Partners, b: Brands, c: Campaigns, net: Network,
              rng: np.random.Generator, out: Path) -> tuple[dict[str, int], list[tuple[str, str, str, str]]]:
    """Write observable/; return row counts and entity variants (entity_id, type, kind, value)."""
    obs = out / "observable"
    variants: list[tuple[str, str, str, str]] = []
    counts: dict[str, int] = {}
    # ---- partners
    in_crm = np.ones(p.n, bool)
    in_crm[net.aff[net.network_only]] = False
    crm_ids = rng.choice(np.arange(10000, 10000 + p.n * 30), p.n * 2, replace=False)
    rows: list[dict[str, Any]] = []
    p_crm: dict[int, list[str]] = {}
    for i in np.flatnonzero(in_crm).tolist():
        cc = words.COUNTRIES[int(p.country[i])]
        soc = {pf: u for pf, _h, u, _f in p.socials[i]}
        ncopies = 2 if rng.random() < 0.08 else 1
        for k in range(ncopies):
            cid = f"CRM-{int(crm_ids[2 * i + k]):07d}"
            nm = p.names[i] if (k == 0 and rng.random() < 0.6) else name_variant(
                p.names[i], p.domains[i], p.handles[i], cc, rng)
            p_crm.setdefault(i, []).append(cid)
            variants += [(p.ids[i], "partner", "crm_id", cid), (p.ids[i], "partner", "name", nm.strip())]
            rows.append({"crm_id": cid, "name": nm, "website": url_variant(p.domains[i], rng),
                         "type": ("publisher" if p.kind[i] == 0 else "influencer") if rng.random() < 0.97
                         else ("Publisher" if p.kind[i] == 0 else "creator"),
                         "country": cc if rng.random() < 0.9 else cc.lower(), "language": p.lang[i],
                         "instagram": soc.get("Instagram", "").replace("https://www.instagram.com/", "@").rstrip("/"),
                         "youtube": soc.get("YouTube", ""), "tiktok": soc.get("TikTok", ""),
                         "x_twitter": soc.get("X", ""), "contact_owner": OWNERS[int(rng.integers(len(OWNERS)))]})
    df = pd.DataFrame(rows).iloc[rng.permutation(len(rows))]
    df = _mess(df, ["website", "country", "language", "instagram", "youtube", "contact_owner"], rng)
    _csv(df, obs / "crm" / "partners.csv")
    counts["crm_partners"] = len(df)
    # ---- brands
    rows = []
    b_crm: list[str] = []
    for bi in range(b.n):
        cid = f"ACC-{bi * 7919 % 100000:05d}{chr(65 + bi % 26)}"
        b_crm.append(cid)
        cc = words.COUNTRIES[int(b.country[bi])]
        variants += [(b.ids[bi], "brand", "crm_id", cid), (b.ids[bi], "brand", "domain", b.domains[bi])]
        created = _day(0, rng).replace(month_str(0)[:4], str(2015 + int(rng.integers(0, 9))))
        rows.append({"account_id": cid, "name": b.names[bi], "website": url_variant(b.domains[bi], rng),
                     "country": cc, "industry": "", "created": fmt_date(created, "iso" if bi % 2 else "dmon"),
                     "account_manager": OWNERS[int(rng.integers(len(OWNERS)))]})
        variants.append((b.ids[bi], "brand", "name", b.names[bi]))
    _csv(_mess(pd.DataFrame(rows), ["website", "country", "account_manager"], rng), obs / "crm" / "brands.csv")
    counts["crm_brands"] = b.n

    def bname(bi: int) -> str:
        nm = b.names[bi]
        r = rng.random()
        v = nm if r < 0.6 else nm.split(" ")[0] if r < 0.8 else nm.upper() if r < 0.9 else f" {nm.lower()}"
        variants.append((b.ids[bi], "brand", "name", v.strip()))
        return v

    def pref(i: int) -> str:
        ids = p_crm.get(i)
        return ids[int(rng.integers(len(ids)))] if ids else ""

    # ---- contracts (month-first dates) and campaigns (day-first dates)
    T2 = cfg.months - cfg.test_months
    rows = []
    for k in np.flatnonzero(c.pair_direct).tolist():
        bi, i, m = int(c.pair_brand[k]), int(c.pair_partner[k]), int(c.pair_first_month[k])
        if m >= T2 and rng.random() < 0.5:
            continue  # some held-out deals are not yet in the CRM
        cur = brand_currency(b, bi)
        val = float(np.round(b.budget[bi] * rng.lognormal(0.5, 0.5) / c.fx[cur][m], 2))
        st, en = _day(m, rng), _day(min(m + 12, cfg.months + 11), rng)
        rows.append({"contract_id": f"K-{k:06d}", "brand": bname(bi), "partner_crm_id": pref(i),
                     "partner_name": p.names[i], "start_date": fmt_date(st, "mdy" if k % 5 else "iso"),
                     "end_date": fmt_date(en, "mdy"), "value": f"{val:.2f}", "currency": cur,
                     "model": c.pair_model[k], "status": "signed" if m < T2 else "pending"})
    for g in range(max(3, len(rows) // 100)):
        rows.append({"contract_id": f"K-X{g}", "brand": "", "partner_crm_id": "n/a", "partner_name": "TEST",
                     "start_date": "31/02/2024", "end_date": "", "value": "-1500", "currency": "EUR",
                     "model": "???", "status": ""})
    _csv(pd.DataFrame(rows).iloc[rng.permutation(len(rows))], obs / "crm" / "contracts.csv")
    counts["crm_contracts"] = len(rows)
    rows = []
    for ci in range(len(c.cid)):
        bi, m, d = int(c.brand[ci]), int(c.start[ci]), int(c.dur[ci])
        cur = brand_currency(b, bi)
        rows.append({"campaign_id": c.cid[ci], "advertiser": bname(bi),
                     "campaign_name": f"{b.names[bi].split(' ')[0]} {c.objective[ci]} {month_str(m)}",
                     "start": fmt_date(_day(m, rng), "dmy"),
                     "end": fmt_date(f"{month_str(m + d - 1)}-28", "dmy"),
                     "budget": f"{c.budget[ci] / c.fx[cur][m]:.2f}", "currency": cur,
                     "objective": c.objective[ci]})
    for g in range(max(3, len(rows) // 150)):
        rows.append({"campaign_id": f"camp-bad{g}", "advertiser": "???", "campaign_name": "copy of copy",
                     "start": "13/13/2024", "end": "yesterday", "budget": "-12,50", "currency": "EURO",
                     "objective": ""})
    _csv(pd.DataFrame(rows).iloc[rng.permutation(len(rows))], obs / "crm" / "campaigns.csv")
    counts["crm_campaigns"] = len(rows)
    # ---- performance (campaign x partner x month), amounts in the brand's currency
    wb = c.brand[c.w_camp]
    cur = np.array([brand_currency(b, int(x)) for x in range(b.n)], dtype=object)[wb]
    rate = np.select([cur == "USD", cur == "GBP"], [c.fx["USD"][c.w_month], c.fx["GBP"][c.w_month]], 1.0)
    cids = np.array(c.cid, dtype=object)[c.w_camp]
    pids = np.array([pref(int(x)) for x in c.w_partner], dtype=object)
    months = np.array([month_str(int(m)) for m in range(cfg.months)], dtype=object)[c.w_month]
    perf = pd.DataFrame({"campaign_id": cids, "partner_crm_id": pids, "month": months,
                         "impressions": c.impressions, "clicks": c.clicks, "conversions": c.conversions,
                         "revenue": np.round(c.revenue / rate, 2), "cost": np.round(c.cost / rate, 2),
                         "currency": cur})
    perf = perf[c.w_month < T2]  # the held-out period is not reported yet
    bad = perf.sample(n=max(5, len(perf) // 200), random_state=np.random.RandomState(int(rng.integers(2**31))))
    bad = bad.assign(clicks=-bad["clicks"].abs() - 1, revenue="NaN")
    perf = pd.concat([perf, bad, perf.iloc[: max(2, len(perf) // 300)]], ignore_index=True)
    _csv(perf, obs / "crm" / "performance.csv")
    counts["crm_performance"] = len(perf)
    fx = pd.DataFrame([{"currency": k, "month": month_str(m), "rate_to_EUR": float(v[m])}
                       for k, v in c.fx.items() for m in range(cfg.months)])
    _csv(fx, obs / "crm" / "fx_rates.csv")
    # ---- network
    rows = []
    for j, i in enumerate(net.aff.tolist()):
        pid = int(net.pub_id[j])
        nm = name_variant(p.names[i], p.domains[i], p.handles[i], words.COUNTRIES[int(p.country[i])], rng)
        variants += [(p.ids[i], "partner", "network_id", str(pid)), (p.ids[i], "partner", "name", nm.strip())]
        rows.append({"publisher_id": pid, "name": nm, "website": url_variant(p.domains[i], rng),
                     "payment_account": net.payment[j], "joined": _day(int(net.join_month[j]), rng),
                     "country": words.COUNTRIES[int(p.country[i])], "status": "active"})
    # drawn after every other draw of this file, so the other exports stay byte-identical
    for row, tpl in zip(rows, tracking_templates(cfg, p, net, rng), strict=True):
        row["tracking_template"] = tpl
    _csv(pd.DataFrame(rows), obs / "network" / "affiliates.csv")
    counts["network_affiliates"] = len(rows)
    adv_name = np.array([b.names[x].split(" ")[0] if x % 3 else b.names[x] for x in range(b.n)], dtype=object)
    for x in range(b.n):
        variants.append((b.ids[x], "brand", "name", str(adv_name[x])))
    cv = net.conv
    nconv = len(cv["aff"])
    users = cv["user"]
    first = np.array([words.strip_accents(x).lower() for x in words.FIRST], dtype=object)
    last = np.array([words.slug(x, "") for x in words.LAST], dtype=object)
    prov = np.array(["gmail.com", "yahoo.fr", "gmx.de", "outlook.com", "orange.fr", "libero.it", "hotmail.co.uk"], dtype=object)
    email = (first[users % len(first)] + "." + last[(users // 7) % len(last)]
             + (users % 97).astype(str).astype(object) + "@" + prov[(users // 3) % len(prov)])
    ts = pd.to_datetime(cv["ts"], unit="s").strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()
    conv = pd.DataFrame({"transaction_id": [f"T{x:09d}" for x in range(nconv)], "click_ref": cv["click_ref"],
                         "publisher_id": net.pub_id[cv["aff"]], "advertiser": adv_name[cv["adv"]],
                         "sale_amount": cv["amount"], "commission": np.round(cv["amount"] * 0.08, 2),
                         "currency": "EUR", "customer_email": email, "timestamp": ts, "status": cv["status"]})
    conv = conv.iloc[np.argsort(cv["ts"], kind="stable")]
    _csv(conv, obs / "network" / "conversions.csv")
    counts["conversions"] = nconv
    # ---- click logs per month
    ck = net.clicks
    n = len(ck["aff"])
    kind = ck["kind"]
    pa = net.aff[ck["aff"]]
    dom = np.array(p.domains, dtype=object)[pa]
    paths = np.array(["/", "/articles/", "/blog/", "/deals/", "/review/"], dtype=object)
    ref = "https://" + dom + paths[np.arange(n) % len(paths)]
    ref[kind == 4] = ""
    stuffed = kind == 3
    ref[stuffed] = np.where(np.arange(n)[stuffed] % 2 == 0, "", "https://" + dom[stuffed] + "/frame.html")
    ua_s = np.array([u for _o, u in UAS], dtype=object)
    os_s = np.array([o for o, _u in UAS], dtype=object)
    bdom = np.array(b.domains, dtype=object)
    frame = pd.DataFrame({"click_id": ck["click_id"],
                          "timestamp": pd.to_datetime(ck["ts"], unit="s").strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
                          "publisher_id": net.pub_id[ck["aff"]], "advertiser": adv_name[ck["adv"]],
                          "ip": ck["ip"], "device_id": ck["device"], "user_agent": ua_s[ck["ua"]],
                          "os": os_s[ck["ua"]], "referrer_url": ref, "landing_domain": bdom[ck["adv"]]})
    (obs / "clicks").mkdir(parents=True, exist_ok=True)
    for m in range(cfg.months):
        part = frame[ck["month"] == m]
        buf = io.StringIO()
        part.to_csv(buf, index=False, lineterminator="\n")
        with open(obs / "clicks" / f"clicks-{month_str(m)}.csv.gz", "wb") as fh, \
                gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=5) as gz:
            gz.write(buf.getvalue().encode())
    counts["clicks"] = n
    return counts, variants
