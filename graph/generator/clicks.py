"""Affiliate network: affiliates, identifiers, click and conversion logs, planted fraud rings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.generator import words
from graph.generator.campaigns import Campaigns, season
from graph.generator.config import ScaleConfig, month_str
from graph.generator.entities import Brands, Partners

UAS = (
    ("iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"),
    ("iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
    ("Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"),
    ("Android", "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36"),
    ("Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    ("Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    ("macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"),
    ("macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    ("Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    ("Android", "Mozilla/5.0 (Linux; Android 12; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"),
)
UA_P = np.array([0.16, 0.08, 0.14, 0.14, 0.18, 0.06, 0.08, 0.08, 0.03, 0.05])
DEFAULT_DEVICE = "00000000-0000-0000-0000-000000000000"
FRAUD_TYPES = ("click_injection", "cookie_stuffing", "click_spam")
STATUSES = np.array(["approved", "declined", "refunded"])


@dataclass
class Network:
    aff: np.ndarray  # partner index per affiliate
    pub_id: np.ndarray  # network publisher id (int)
    join_month: np.ndarray
    network_only: np.ndarray  # bool: not in the CRM export
    payment: list[str]  # raw IBAN-like string per affiliate
    own_ip: list[str]
    advertisers: list[np.ndarray]  # brand indices per affiliate
    net_brands: np.ndarray  # brands enrolled in the network (bool per brand)
    label: np.ndarray  # 1 fraud
    hard_neg: list[str]  # '' or reason
    rings: list[dict[str, object]]
    clicks: dict[str, np.ndarray]  # columns, strings as object arrays
    conv: dict[str, np.ndarray]
    ring_of: np.ndarray  # ring index or -1


def _hex(rng: np.random.Generator, n: int, k: int) -> list[str]:
    v = rng.integers(0, 1 << 62, size=(n, (k + 15) // 16), dtype=np.int64)
    return ["".join(f"{x:016x}" for x in row)[:k] for row in v]


def _uuid(h: str) -> str:
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _iban(rng: np.random.Generator, cc: str) -> str:
    cc = cc if cc in ("FR", "DE", "ES", "IT", "NL", "BE", "AT", "IE") else ("GB" if cc == "GB" else "FR")
    digits = "".join(str(int(x)) for x in rng.integers(0, 10, 20))
    raw = f"{cc}{int(rng.integers(10, 99))}{digits}"
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if rng.random() < 0.5 else raw


def _ips(rng: np.random.Generator, n: int, prefixes: np.ndarray, v6_share: float) -> list[str]:
    pre = prefixes[rng.integers(0, len(prefixes), n)]
    host = rng.integers(1, 255, n)
    v6 = rng.random(n) < v6_share
    h6 = rng.integers(0, 1 << 16, size=(n, 3))
    return [f"2a01:{p % 65536:x}:{(p >> 8) & 0xffff:x}:{a:x}:{b:x}::{c:x}" if s
            else f"{p >> 16}.{(p >> 8) & 255}.{p & 255}.{hh}"
            for p, hh, s, (a, b, c) in zip(pre.tolist(), host.tolist(), v6.tolist(), h6.tolist(),
                                           strict=True)]


def ip_network(ip: str) -> tuple[str, int]:
    if ":" in ip:
        parts = ip.split(":")
        return ":".join(parts[:3]) + "::/48", 6
    return ip.rsplit(".", 1)[0] + ".0/24", 4


def run(cfg: ScaleConfig, p: Partners, b: Brands, c: Campaigns, rng: np.random.Generator,
        progress: bool = False) -> Network:
    months = cfg.months
    is_aff = rng.random(p.n) < cfg.affiliate_share * np.where(p.quality < -0.5, 1.3, 1.0)
    aff = np.flatnonzero(is_aff)
    na = len(aff)
    pub_id = np.sort(rng.choice(np.arange(100000, 100000 + na * 20), na, replace=False))
    pub_id = rng.permutation(pub_id)
    join = np.minimum(rng.integers(0, months + 10, na) // 2, months - 2)
    network_only = (rng.random(na) < 0.12) & ~np.isin(aff, c.pair_partner)
    net_brands = rng.random(b.n) < 0.6
    nb = np.flatnonzero(net_brands)
    # advertisers: past partnerships in the network plus topic fit
    part_brands: dict[int, set[int]] = {}
    for bb, pp in zip(c.pair_brand.tolist(), c.pair_partner.tolist(), strict=True):
        if net_brands[bb]:
            part_brands.setdefault(pp, set()).add(bb)
    topv = np.argmax(b.pref[nb], axis=1)
    by_v: dict[int, np.ndarray] = {int(v): nb[topv == v] for v in np.unique(topv)}
    advertisers: list[np.ndarray] = []
    for pi in aff.tolist():
        s = set(sorted(part_brands.get(pi, set()))[:4])
        cand = by_v.get(int(p.vertical[pi]), nb)
        k = int(rng.integers(1, 4))
        s |= {int(x) for x in rng.choice(cand if len(cand) else nb, k)}
        if rng.random() < 0.3:
            s.add(int(rng.choice(nb)))
        advertisers.append(np.array(sorted(s), np.int64))
    payment = [_iban(rng, words.COUNTRIES[int(p.country[pi])]) for pi in aff]
    # country IP prefixes (as 24-bit ints) and shared infrastructure
    n_pre = max(150, int(na * 0.6))
    country_pre = {cc: rng.integers(0x020000, 0xDF0000, n_pre // len(words.COUNTRIES) + 5)
                   for cc in range(len(words.COUNTRIES))}
    own_ip = _ips(rng, na, rng.integers(0x020000, 0xDF0000, na), 0.1)
    label = np.zeros(na, np.int64)
    hard_neg = [""] * na
    ring_of = np.full(na, -1)
    # --- fraud rings: prefer low-quality and network-only affiliates
    w = np.exp(-p.quality[aff]) * np.where(network_only, 4.0, 1.0) * (join < months - 6)
    rings: list[dict[str, object]] = []
    free = np.ones(na, bool)
    for r in range(cfg.rings):
        size = int(rng.integers(3, 13))
        ww = w * free
        members = rng.choice(na, size=size, replace=False, p=ww / ww.sum())
        free[members] = False
        ftype = FRAUD_TYPES[r % len(FRAUD_TYPES)]
        devs = [_uuid(h) for h in _hex(rng, int(rng.integers(3, 25)), 32)]
        dc = rng.integers(0x2D0000, 0x2E0000, int(rng.integers(1, 4)))  # datacenter /24s
        ips = _ips(rng, int(rng.integers(4, 30)), dc, 0.0)
        pays = [_iban(rng, "FR") for _ in range(int(rng.integers(1, 3)))]
        n_pay = max(2, int(size * rng.uniform(0.4, 1.0)))
        for j, a in enumerate(members[:n_pay]):
            payment[a] = pays[j % len(pays)]
        label[members] = 1
        ring_of[members] = r
        rings.append({"ring_id": f"ring-{r:03d}", "members": members, "type": ftype,
                      "devices": devs, "ips": ips, "payments": pays,
                      "start": int(rng.integers(0, months - 6))})
    # --- hard negatives
    honest = np.flatnonzero(free)
    office_ips = []
    for _o in range(cfg.office_nats):
        g = rng.choice(honest, size=int(rng.integers(3, 8)), replace=False)
        oip = _ips(rng, 1, rng.integers(0x020000, 0xDF0000, 1), 0.0)[0]
        office_ips.append(oip)
        for a in g:
            own_ip[a] = oip
            hard_neg[a] = "office_nat"
    for _o in range(max(2, cfg.rings // 2)):  # one owner, several honest sites: shared payment
        g = rng.choice(honest, size=int(rng.integers(2, 4)), replace=False)
        for a in g[1:]:
            payment[a] = payment[g[0]]
            hard_neg[a] = hard_neg[a] or "multi_site_owner"
        hard_neg[g[0]] = hard_neg[g[0]] or "multi_site_owner"
    carrier_ip = "92.184.105.98"
    # --- user pool
    base = cfg.clicks_per_affiliate_month * rng.lognormal(0, 1.0, na) * np.sqrt(
        p.audience_size[aff] / np.median(p.audience_size[aff]))
    counts = np.zeros((na, months), np.int64)
    for m in range(months):
        counts[:, m] = rng.poisson(base * season(m) * (join <= m))
    # --- organic clicks
    A = np.repeat(np.repeat(np.arange(na), months), counts.ravel())
    M = np.repeat(np.tile(np.arange(months), na), counts.ravel())
    kind = np.zeros(len(A), np.int8)  # 0 organic, 1 self/test, 2 injected, 3 stuffed, 4 spam
    # fraud extras
    extra_a, extra_m, extra_k = [], [], []
    for rg in rings:
        mem = np.asarray(rg["members"])
        for a in mem:
            ms = np.arange(int(rg["start"]), months)  # type: ignore[call-overload]
            fvol = {"click_injection": 1.5, "cookie_stuffing": 9.0, "click_spam": 7.0}[str(rg["type"])]
            k = {"click_injection": 2, "cookie_stuffing": 3, "click_spam": 4}[str(rg["type"])]
            nn = rng.poisson(max(base[a], 4.0) * fvol, len(ms))
            extra_a.append(np.full(nn.sum(), a))
            extra_m.append(np.repeat(ms, nn))
            extra_k.append(np.full(nn.sum(), k, np.int8))
    if extra_a:
        A = np.concatenate([A, *extra_a])
        M = np.concatenate([M, *extra_m])
        kind = np.concatenate([kind, *extra_k])
    n = len(A)
    self_test = (kind == 0) & (rng.random(n) < 0.03)
    kind[self_test] = 1
    # users: each affiliate has its own audience window in a shared pool; windows overlap a
    # little (people follow several sites), users live mostly in the affiliate's country
    avol = np.bincount(A, minlength=na).astype(float)
    win = np.maximum(3, (avol * 0.6).astype(np.int64))
    start = np.r_[0, np.cumsum(win)[:-1]]
    n_users = int(win.sum())
    user = (start[A] + (rng.random(n) * win[A] * 1.25).astype(np.int64)) % n_users
    owner = np.repeat(np.arange(na), win)
    u_country = np.where(rng.random(n_users) < 0.85, p.country[aff[owner]],
                         rng.choice(len(words.COUNTRIES), n_users))
    u_dev = np.array([_uuid(h) for h in _hex(rng, n_users, 32)], dtype=object)
    u_ip = np.empty(n_users, dtype=object)
    for cc in range(len(words.COUNTRIES)):
        idx = np.flatnonzero(u_country == cc)
        u_ip[idx] = _ips(rng, len(idx), country_pre[cc], 0.15)
    u_ua = rng.choice(len(UAS), n_users, p=UA_P / UA_P.sum())
    dev = u_dev[user].copy()
    ip = u_ip[user].copy()
    ua = u_ua[user].copy()
    carrier = rng.random(n) < 0.04
    ip[carrier] = carrier_ip
    dflt = rng.random(n) < 0.015
    dev[dflt] = DEFAULT_DEVICE
    own_dev = np.array([_uuid(h) for h in _hex(rng, na, 32)], dtype=object)
    st = np.flatnonzero(self_test)
    ip[st] = np.array(own_ip, dtype=object)[A[st]]
    dev[st] = own_dev[A[st]]
    for ri, rg in enumerate(rings):
        sel = np.flatnonzero((kind >= 2) & (ring_of[A] == ri))
        rdevs: Any = np.array(rg["devices"], dtype=object)
        rips: Any = np.array(rg["ips"], dtype=object)
        share_d = 0.7 if rg["type"] != "cookie_stuffing" else 0.25
        sd = sel[rng.random(len(sel)) < share_d]
        dev[sd] = rdevs[rng.integers(0, len(rdevs), len(sd))]
        si = sel[rng.random(len(sel)) < 0.6]
        ip[si] = rips[rng.integers(0, len(rips), len(si))]
        # their own test clicks also come from a shared ring IP
        mine = np.flatnonzero((kind == 1) & (ring_of[A] == ri))
        ip[mine] = rips[0]
    # timestamps: seconds since epoch
    m0 = np.array([np.datetime64(month_str(m) + "-01T00:00:00") for m in range(months + 1)])
    mlen = (m0[1:] - m0[:-1]).astype("timedelta64[s]").astype(np.int64)
    t0 = m0[:-1].astype("datetime64[s]").astype(np.int64)
    hour_w = np.array([1, .6, .4, .3, .3, .4, .8, 1.4, 1.8, 2, 2, 2.1, 2.3, 2.2, 2, 2, 2.1, 2.4,
                       2.8, 3.1, 3.2, 2.8, 2.1, 1.4])
    day = (rng.random(n) * (mlen[M] // 86400)).astype(np.int64)
    hour = rng.choice(24, n, p=hour_w / hour_w.sum())
    ts = t0[M] + day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    spam = kind == 4
    ts[spam] = t0[M[spam]] + (rng.random(spam.sum()) * mlen[M[spam]]).astype(np.int64)
    # advertiser per click
    adv = np.empty(n, np.int64)
    lens = np.array([len(x) for x in advertisers])
    offs = np.r_[0, np.cumsum(lens)]
    flat = np.concatenate(advertisers)
    adv[:] = flat[offs[A] + (rng.random(n) * lens[A]).astype(np.int64)]
    order = np.lexsort((A, ts))
    A, M, ts, adv, user = (x[order] for x in (A, M, ts, adv, user))
    kind = kind[order]
    dev, ip, ua = dev[order], ip[order], ua[order]
    click_id = np.array([f"clk{seq:09d}{h:04x}" for seq, h in
                         zip(range(n), rng.integers(0, 1 << 16, n).tolist(), strict=True)], dtype=object)
    # --- conversions
    q = p.quality[aff[A]]
    cvr = np.select([kind == 0, kind == 1, kind == 2, kind == 3, kind == 4],
                    [0.03 * np.exp(0.4 * q), 0.0, 0.45, 0.004, 0.0005])
    conv = rng.random(n) < np.clip(cvr, 0, 1)
    ci = np.flatnonzero(conv)
    delay = np.where(kind[ci] == 2, rng.integers(2, 35, len(ci)),
                     np.where(kind[ci] == 3, rng.integers(86400, 29 * 86400, len(ci)),
                              np.minimum(rng.lognormal(np.log(5400), 1.6, len(ci)), 30 * 86400)))
    cts = ts[ci] + delay.astype(np.int64)
    amount = np.round(b.aov[adv[ci]] * rng.lognormal(0, 0.45, len(ci)), 2)
    st_p = np.where(kind[ci] >= 2, 0, 1)
    u = rng.random(len(ci))
    status = np.where(u < np.where(st_p == 1, 0.86, 0.6), 0, np.where(u < np.where(st_p == 1, 0.95, 0.85), 1, 2))
    ref = click_id[ci].copy()
    # cookie stuffing: many conversions have no plausible click in the log
    orphan = (kind[ci] == 3) & (rng.random(len(ci)) < 0.5)
    ref[orphan] = np.array([f"clk-x{h}" for h in _hex(rng, int(orphan.sum()), 10)], dtype=object) \
        if orphan.any() else ref[orphan]
    blank = (rng.random(len(ci)) < 0.01)
    ref[blank] = ""
    conv_cols = {"aff": A[ci], "click_ref": ref, "adv": adv[ci], "amount": amount, "ts": cts,
                 "status": STATUSES[status], "user": user[ci]}
    clicks = {"click_id": click_id, "aff": A, "month": M, "kind": kind, "device": dev, "ip": ip,
              "ua": ua, "ts": ts, "adv": adv}
    return Network(aff, pub_id, join, network_only, payment, own_ip, advertisers, net_brands, label,
                   hard_neg, rings, clicks, conv_cols, ring_of)
