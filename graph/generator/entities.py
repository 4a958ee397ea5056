"""Partners (publishers, influencers), brands, their hidden features and identities."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graph.generator import iab, words
from graph.generator.config import ScaleConfig

# Hidden mapping seeds: brand product vertical -> content verticals it fits (by IAB names).
BRAND_FIT: dict[str, tuple[str, ...]] = {
    "Alcohol": ("Food & Drink", "Pop Culture", "Events"),
    "Clothing and Accessories": ("Style & Fashion", "Shopping"),
    "Consumer Electronics": ("Technology & Computing", "Video Gaming"),
    "Computer Software": ("Technology & Computing", "Business and Finance"),
    "Cosmetic Services": ("Style & Fashion", "Healthy Living"),
    "Consumer Packaged Goods": ("Food & Drink", "Family and Relationships", "Home & Garden"),
    "Dieting and Weightloss": ("Healthy Living", "Food & Drink", "Sports"),
    "Education and Careers": ("Education", "Careers"),
    "Events and Performances": ("Entertainment", "Events", "Pop Culture"),
    "Family and Parenting": ("Family and Relationships", "Education"),
    "Finance and Insurance": ("Personal Finance", "Business and Finance", "Real Estate"),
    "Food and Beverage Services": ("Food & Drink", "Travel"),
    "Gifts and Holiday Items": ("Shopping", "Holidays", "Personal Celebrations & Life Events"),
    "Health and Medical Services": ("Medical Health", "Healthy Living"),
    "Home and Garden Services": ("Home & Garden", "Real Estate"),
    "Media": ("Entertainment", "Pop Culture", "Books and Literature"),
    "Pet Ownership": ("Pets", "Family and Relationships"),
    "Personal/Consumer Telcom": ("Technology & Computing", "Video Gaming"),
    "Retail": ("Shopping", "Style & Fashion", "Home & Garden"),
    "Fitness Activities": ("Sports", "Healthy Living"),
    "Sporting Goods": ("Sports", "Healthy Living", "Travel"),
    "Travel and Tourism": ("Travel", "Attractions"),
    "Vehicles": ("Automotive", "Travel"),
    "Durable Goods": ("Home & Garden", "Technology & Computing"),
    "Green/Eco": ("Science", "Home & Garden"),
    "Gambling": ("Sports", "Video Gaming"),
    "Culture and Fine Arts": ("Fine Art", "Books and Literature", "Entertainment"),
    "Collectables and Antiques": ("Hobbies & Interests", "Fine Art"),
    "Non-Fiat Currency": ("Personal Finance", "Technology & Computing"),
}
POPULAR = {"Food & Drink": 3.0, "Travel": 2.5, "Technology & Computing": 2.5, "Style & Fashion": 2.5,
           "Sports": 2.2, "Video Gaming": 2.0, "Healthy Living": 2.0, "Home & Garden": 1.8,
           "Personal Finance": 1.5, "Entertainment": 1.8, "Family and Relationships": 1.5,
           "Automotive": 1.3, "Pop Culture": 1.5, "Business and Finance": 1.2, "Pets": 1.0,
           "Shopping": 1.2, "Books and Literature": 0.8, "Education": 0.8, "Medical Health": 0.7}
RARE = {"Sensitive Topics", "War and Conflicts", "Crime", "Disasters", "Genres", "Communication"}


@dataclass
class Taxa:
    content: list[iab.Node]
    audience: list[iab.Node]
    adproduct: list[iab.Node]
    c_root: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # vertical index
    verticals: list[int] = field(default_factory=list)  # content index of each tier-1 node
    vnames: list[str] = field(default_factory=list)
    children: dict[int, list[int]] = field(default_factory=dict)  # vertical -> content idx
    cidx: dict[str, int] = field(default_factory=dict)
    ages: list[int] = field(default_factory=list)
    genders: list[int] = field(default_factory=list)
    interest_of_v: list[int] = field(default_factory=list)  # vertical -> audience idx
    ad_roots: list[int] = field(default_factory=list)  # adproduct idx of BRAND_FIT roots
    ad_desc: dict[int, list[int]] = field(default_factory=dict)


def load_taxa() -> Taxa:
    t = Taxa(iab.load("content"), iab.load("audience"), iab.load("adproduct"))
    cidx = t.cidx = {n.id: i for i, n in enumerate(t.content)}
    root = np.zeros(len(t.content), np.int64)
    for i in range(len(t.content)):
        j = i
        while (par := t.content[j].parent_id) and par in cidx:
            j = cidx[par]
        root[i] = j
    t.verticals = sorted({int(r) for r in root}, key=lambda j: t.content[j].code)
    vpos = {c: k for k, c in enumerate(t.verticals)}
    t.c_root = np.array([vpos[int(r)] for r in root])
    t.vnames = [t.content[j].name for j in t.verticals]
    for i in range(len(t.content)):
        t.children.setdefault(int(t.c_root[i]), []).append(i)
    aud = t.audience
    t.ages = [i for i, n in enumerate(aud) if n.path.startswith("Demographic > Age Range >") and n.tier == 3]
    t.genders = [i for i, n in enumerate(aud) if n.path.startswith("Demographic > Gender >") and n.tier == 3]
    inter = {n.name.lower(): i for i, n in enumerate(aud) if n.path.startswith("Interest >") and n.tier == 2}
    anyint = sorted(inter.values())
    for k, name in enumerate(t.vnames):
        t.interest_of_v.append(inter.get(name.lower(), anyint[k % len(anyint)]))
    aidx = {n.id: i for i, n in enumerate(t.adproduct)}
    for i, n in enumerate(t.adproduct):
        if n.tier == 1 and n.name in BRAND_FIT:
            t.ad_roots.append(i)
    for i in range(len(t.adproduct)):
        j = i
        while (par := t.adproduct[j].parent_id) and par in aidx:
            j = aidx[par]
        if j in t.ad_roots:
            t.ad_desc.setdefault(j, []).append(i)
    return t


@dataclass
class Partners:
    n: int
    kind: np.ndarray  # 0 publisher, 1 influencer
    ids: list[str]
    names: list[str]
    domains: list[str]
    handles: list[str]
    country: np.ndarray  # index into words.COUNTRIES
    lang: list[str]
    audience_size: np.ndarray
    quality: np.ndarray
    vertical: np.ndarray  # primary vertical index
    vvec: np.ndarray  # (n, V) topic weight per vertical
    topics: list[list[int]]  # content idx
    fine: np.ndarray  # (n,) primary fine topic content idx
    audiences: list[list[int]]
    age: np.ndarray
    gender: np.ndarray
    family: np.ndarray  # site markup family 0 blog, 1 news, 2 bio
    platform: list[str]
    socials: list[list[tuple[str, str, str, int]]]  # (platform, handle, url, followers)


@dataclass
class Brands:
    n: int
    ids: list[str]
    names: list[str]
    domains: list[str]
    country: np.ndarray
    category: np.ndarray  # adproduct idx
    root: np.ndarray  # adproduct root idx
    pref: np.ndarray  # (n, V) hidden topic preference
    fine: list[set[int]]  # hidden sweet-spot content topics
    targets: list[set[int]]  # country indices
    age: np.ndarray
    gender: np.ndarray  # -1 = any
    audiences: list[list[int]]
    budget: np.ndarray  # EUR per campaign month (median)
    aov: np.ndarray  # average order value EUR
    activity: np.ndarray  # campaign rate multiplier


def _unique(name: str, seen: dict[str, int]) -> str:
    k = seen.get(name, 0)
    seen[name] = k + 1
    return name if k == 0 else f"{name}{k + 1}"


def make_partners(cfg: ScaleConfig, t: Taxa, rng: np.random.Generator) -> Partners:
    n = cfg.publishers + cfg.influencers
    V = len(t.verticals)
    kind = np.r_[np.zeros(cfg.publishers, np.int64), np.ones(cfg.influencers, np.int64)]
    country = rng.choice(len(words.COUNTRIES), size=n, p=np.array(words.COUNTRY_P) / sum(words.COUNTRY_P))
    vw = np.array([0.0 if nm in RARE else POPULAR.get(nm, 0.35) for nm in t.vnames])
    vertical = rng.choice(V, size=n, p=vw / vw.sum())
    # related verticals: a hidden vertical-vertical correlation
    corr = rng.dirichlet(np.full(V, 0.15), size=V) * vw[None, :]
    corr /= corr.sum(1, keepdims=True)
    quality = rng.normal(0, 1, n)
    size_pub = rng.lognormal(10.2, 1.7, n)
    size_inf = (rng.pareto(1.15, n) + 1) * 4000
    audience_size = np.where(kind == 0, size_pub, size_inf) * np.exp(0.25 * quality)
    audience_size = np.maximum(audience_size, 300).astype(np.int64)
    ntop = rng.choice([1, 2, 3, 4], size=n, p=[0.25, 0.35, 0.25, 0.15])
    second = np.array([rng.choice(V, p=corr[v]) for v in vertical])
    age_n = len(t.ages)
    age = np.clip(np.round(rng.normal(age_n * 0.45, age_n * 0.25, n)), 0, age_n - 1).astype(np.int64)
    gender = rng.choice(len(t.genders), size=n)
    family = np.where(kind == 1, 2, rng.choice(2, size=n, p=[0.55, 0.45]))
    vvec = np.zeros((n, V))
    topics: list[list[int]] = []
    fine = np.zeros(n, np.int64)
    audiences: list[list[int]] = []
    names: list[str] = []
    domains: list[str] = []
    handles: list[str] = []
    platform: list[str] = []
    socials: list[list[tuple[str, str, str, int]]] = []
    seen_d: dict[str, int] = {}
    seen_h: dict[str, int] = {}
    langs = [words.LANG_OF[words.COUNTRIES[c]] for c in country]
    u = rng.random((n, 8))
    ints = rng.integers(0, 1 << 30, size=(n, 8))
    plats = ("Instagram", "YouTube", "TikTok", "Twitch", "Apple Podcasts")
    for i in range(n):
        v, s = int(vertical[i]), int(second[i])
        pool = t.children[v]
        tops = [pool[ints[i, 0] % len(pool)]]
        for k in range(1, int(ntop[i])):
            src = t.children[s] if (k == 1 and u[i, 0] < 0.45) else pool
            c = src[ints[i, k] % len(src)]
            if c not in tops:
                tops.append(c)
        topics.append(tops)
        fine[i] = tops[0]
        for k, c in enumerate(tops):
            vvec[i, t.c_root[c]] += 1.0 if k == 0 else 0.5
        vvec[i] /= vvec[i].sum()
        auds = [t.ages[int(age[i])], t.genders[int(gender[i])]]
        if u[i, 1] < 0.5 and age[i] + 1 < age_n:
            auds.append(t.ages[int(age[i]) + 1])
        auds += sorted({t.interest_of_v[int(t.c_root[c])] for c in tops})
        audiences.append(auds)
        lang = langs[i]
        cc = words.COUNTRIES[int(country[i])]
        tw = words.topic_word(t.content[tops[0]].name)
        if kind[i] == 0:
            pats = words.PUB_PATTERNS.get(lang, words.PUB_PATTERNS["en"])
            wl = words.PUB_WORDS.get(lang, words.PUB_WORDS["en"])
            name = pats[ints[i, 4] % len(pats)].format(W=wl[ints[i, 5] % len(wl)], T=tw)
            tld = words.TLD_OF[cc] if u[i, 2] < 0.7 else (".com" if u[i, 2] < 0.9 else ".net")
            base = _unique(words.slug(name, ""), seen_d)
            domains.append(base + tld)
            handle = _unique(words.slug(name, "")[:20], seen_h)
            platform.append("Web")
        else:
            first = words.FIRST[ints[i, 4] % len(words.FIRST)]
            last = words.LAST[ints[i, 5] % len(words.LAST)]
            style = ints[i, 6] % 3
            name = (f"{first} {last}" if style == 0 else f"{first} {tw}" if style == 1
                    else f"{tw} with {first}")
            handle = _unique(words.slug(f"{first}{'.' if style else ''}{tw if style else last}", "")
                             .replace("-", "")[:24], seen_h)
            domains.append(f"{handle}.bio.link" if u[i, 2] < 0.6 else f"{handle}.carrd.co")
            platform.append(plats[ints[i, 7] % len(plats)])
        names.append(name)
        handles.append(handle)
        acc: list[tuple[str, str, str, int]] = []
        cands = (["Instagram", "X", "Facebook", "LinkedIn", "YouTube"] if kind[i] == 0
                 else [platform[-1], "Instagram", "TikTok", "YouTube", "X", "Spotify", "Pinterest"])
        k = 1 + int(u[i, 3] * (2 if kind[i] == 0 else 3.5))
        if kind[i] == 0 and u[i, 4] < 0.35:
            k = 0
        for j, p in enumerate(dict.fromkeys(cands)):
            if j >= k:
                break
            shape = words.PLATFORMS[p][1]
            url = shape.format(h=handle, n=100000000 + ints[i, 3] % 899999999,
                               s=words.slug(handle, "") + str(ints[i, 2] % 10000))
            share = 0.8 if (kind[i] == 1 and j == 0) else 0.15 + 0.3 * u[i, 5 + j % 3]
            acc.append((p, handle, url, int(audience_size[i] * share) + 10))
        socials.append(acc)
    ids = [f"pub-{i:06d}" if kind[i] == 0 else f"inf-{i:06d}" for i in range(n)]
    return Partners(n, kind, ids, names, domains, handles, country, langs, audience_size, quality,
                    vertical, vvec, topics, fine, audiences, age, gender, family, platform, socials)


def make_brands(cfg: ScaleConfig, t: Taxa, rng: np.random.Generator) -> Brands:
    n = cfg.brands
    V = len(t.verticals)
    vpos = {nm: k for k, nm in enumerate(t.vnames)}
    root = rng.choice(np.array(t.ad_roots), size=n)
    category = np.array([t.ad_desc[int(r)][int(rng.integers(len(t.ad_desc[int(r)])))] for r in root])
    base = np.zeros((len(t.adproduct), V))
    for r in t.ad_roots:
        fits = [vpos[x] for x in BRAND_FIT[t.adproduct[r].name] if x in vpos]
        for k, v in enumerate(fits):
            base[r, v] = 1.0 / (k + 1)
    noise = rng.dirichlet(np.full(V, 0.08), size=n)
    pref = 0.7 * base[root] / base[root].sum(1, keepdims=True) + 0.3 * noise
    country = rng.choice(len(words.COUNTRIES), size=n, p=np.array(words.COUNTRY_P) / sum(words.COUNTRY_P))
    fine: list[set[int]] = []
    targets: list[set[int]] = []
    names: list[str] = []
    domains: list[str] = []
    seen: dict[str, int] = {}
    age_n = len(t.ages)
    age = rng.integers(0, age_n, n)
    gender = np.where(rng.random(n) < 0.6, -1, rng.integers(0, len(t.genders), n))
    audiences: list[list[int]] = []
    for i in range(n):
        top = np.argsort(-pref[i])[:2]
        fine.append({t.children[int(v)][int(rng.integers(len(t.children[int(v)])))] for v in top}
                    | {t.children[int(top[0])][int(rng.integers(len(t.children[int(top[0])])))]})
        k = int(rng.choice([1, 1, 2, 3, 4]))
        targets.append({int(country[i])} | {int(c) for c in rng.choice(len(words.COUNTRIES), k - 1)})
        nm = words.BRAND_A[int(rng.integers(len(words.BRAND_A)))] + words.BRAND_B[
            int(rng.integers(len(words.BRAND_B)))]
        nm = _unique(nm, seen)
        names.append(nm + words.BRAND_SUFFIX[int(rng.integers(len(words.BRAND_SUFFIX)))])
        domains.append(words.slug(nm, "") + (".com" if rng.random() < 0.6 else
                                             words.TLD_OF[words.COUNTRIES[int(country[i])]]))
        auds = [t.ages[int(age[i])]] + ([t.genders[int(gender[i])]] if gender[i] >= 0 else [])
        auds += [t.interest_of_v[int(v)] for v in top]
        audiences.append(auds)
    budget = rng.lognormal(8.3, 1.0, n)
    aov = rng.lognormal(3.8, 0.7, n)
    activity = rng.lognormal(0, 0.6, n)
    ids = [f"brand-{i:05d}" for i in range(n)]
    return Brands(n, ids, names, domains, country, category, root, pref, fine, targets, age, gender,
                  audiences, budget, aov, activity)


def affinity_components(p: Partners, b: Brands, bi: int, idx: np.ndarray,
                        t: Taxa) -> dict[str, np.ndarray]:
    """Hidden affinity components of brand ``bi`` with partners ``idx`` (vectorised)."""
    topic = p.vvec[idx] @ b.pref[bi]
    fine_set = b.fine[bi]
    fine = np.array([1.0 if (set(p.topics[int(j)]) & fine_set) else 0.0 for j in idx])
    age_fit = np.exp(-0.5 * ((p.age[idx] - b.age[bi]) / 1.5) ** 2)
    g = b.gender[bi]
    gfit = np.ones(len(idx)) if g < 0 else np.where(p.gender[idx] == g, 1.0, 0.3)
    audience = 0.6 * age_fit + 0.4 * gfit
    tc = b.targets[bi]
    in_t = np.isin(p.country[idx], np.array(sorted(tc)))
    blang = {words.LANG_OF[words.COUNTRIES[c]] for c in tc}
    same_lang = np.array([p.lang[int(j)] in blang for j in idx])
    country = np.where(in_t, 1.0, np.where(same_lang, 0.4, 0.0))
    return {"topic": topic, "fine_topic": fine, "audience": audience, "country": country,
            "quality": p.quality[idx]}


WEIGHTS = {"topic": 3.0, "fine_topic": 0.8, "audience": 0.8, "country": 1.4, "quality": 0.45}


def affinity(comp: dict[str, np.ndarray]) -> np.ndarray:
    return sum(WEIGHTS[k] * comp[k] for k in WEIGHTS)  # type: ignore[return-value]
