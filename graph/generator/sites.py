"""Static partner websites in three unrelated markup families, plus ads.txt and sellers.json.

Families: 0 ``blog`` (WordPress-like, JSON-LD BlogPosting, RSS), 1 ``news`` (news CMS,
OpenGraph + microdata byline, Atom, /sponsored/ paths, sitemap index), 2 ``bio`` (creator
link-in-bio page). Every planted fact is returned for truth/sites.jsonl.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from graph.generator import words
from graph.generator.config import month_str

FAMILIES = ("blog", "news", "bio")
AD_SYSTEMS = (  # domain, name, TAG certification authority id
    ("google.com", "Google", "f08c47fec0942fa0"), ("appnexus.com", "Xandr", "f5ab79cb980f11d1"),
    ("rubiconproject.com", "Magnite", "0bfd66d529a55807"), ("pubmatic.com", "PubMatic", "5d62403b186f2ace"),
    ("openx.com", "OpenX", "6a698e2ec38604c6"), ("indexexchange.com", "Index Exchange", "50b1c356f2c5c8fc"),
    ("criteo.com", "Criteo", "9fac4a4a87c2a44f"), ("triplelift.com", "TripleLift", "6c33edb13117fd86"),
    ("sovrn.com", "Sovrn", "fafdf38b16bf6b2b"), ("smartadserver.com", "Equativ", "060d053dcf45cbf3"),
    ("teads.tv", "Teads", "15a9c44f6d26cbe1"), ("adform.com", "Adform", ""),
)
NETWORKS = ("awin", "amazon", "impact", "cj", "rakuten", "shareasale", "skimlinks")


def aff_url(net: str, affid: str, brand_domain: str, rng: np.random.Generator, mid: int) -> str:
    dest = quote(f"https://www.{brand_domain}/", safe="")
    if net == "awin":
        return f"https://www.awin1.com/cread.php?awinmid={mid}&awinaffid={affid}&ued={dest}"
    if net == "amazon":
        asin = "B0" + "".join("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[int(x)] for x in rng.integers(0, 34, 8))
        return f"https://www.amazon.{rng.choice(['com', 'fr', 'de', 'co.uk', 'es', 'it'])}/dp/{asin}?tag={affid}"
    if net == "impact":
        host = rng.choice([f"{brand_domain.split('.')[0]}.sjv.io", f"{brand_domain.split('.')[0]}.pxf.io",
                           "imp.i" + str(mid % 1000) + ".net"])
        return f"https://{host}/c/{affid}/{mid}/{mid % 9000 + 1000}"
    if net == "cj":
        host = rng.choice(["www.anrdoezrs.net", "www.tkqlhce.com", "www.jdoqocy.com", "www.dpbolvw.net",
                           "www.kqzyfj.com"])
        return f"https://{host}/click-{affid}-{mid}"
    if net == "rakuten":
        return f"https://click.linksynergy.com/deeplink?id={affid}&mid={mid}&murl={dest}"
    if net == "shareasale":
        return f"https://www.shareasale.com/r.cfm?b={mid % 100000}&u={affid}&m={mid}&urllink={dest}"
    return f"https://go.skimresources.com/?id={affid}&xs=1&url={dest}"


def net_affid(net: str, rng: np.random.Generator, own: int | None) -> str:
    if net == "awin" and own is not None:
        return str(own)
    n = int(rng.integers(100000, 9999999))
    return {"amazon": f"{words.slug(str(n), '')[:6]}site-21", "skimlinks": f"{n % 900000 + 10000}X{n % 9000 + 100}",
            "cj": str(n), "impact": str(n % 5000000 + 100000)}.get(net, str(n))


def _text(rng: np.random.Generator, lang: str, topics: list[str], n: int) -> list[str]:
    fill = words.FILLER.get(lang, words.FILLER["en"])
    out = []
    for _ in range(n):
        t = topics[int(rng.integers(len(topics)))]
        f1, f2 = fill[int(rng.integers(len(fill)))], fill[int(rng.integers(len(fill)))]
        out.append(f"{f1.capitalize()}: {t.lower()}, {f2} — {t} ({topics[0]}).")
    return out


def _date(m: int, rng: np.random.Generator) -> str:
    return f"{month_str(m)}-{int(rng.integers(1, 29)):02d}"


def _a(url: str, text: str, rel: str = "", cls: str = "") -> str:
    r = f' rel="{rel}"' if rel else ""
    c = f' class="{cls}"' if cls else ""
    return f'<a href="{escape(url)}"{c}{r}>{escape(text)}</a>'


def render_article(fam: int, site: dict[str, Any], art: dict[str, Any]) -> str:
    lang, url, title = site["lang"], art["url"], art["title"]
    body = "".join(f"<p>{escape(t)}</p>" for t in art["paras"])
    links = "".join(f"<p>{_a(u, txt, rel)}</p>" for u, txt, rel in art["links"])
    disc = art.get("disclosure", "")
    socials = "".join(f"<li>{_a(u, pf, 'me noopener')}</li>" for pf, u in site["socials"])
    cats = art["categories"]
    tags = art["tags"]
    if fam == 0:
        ld = {"@context": "https://schema.org", "@type": "BlogPosting", "headline": title,
              "author": {"@type": "Person", "name": art["author"]}, "datePublished": art["date"],
              "articleSection": cats, "keywords": ", ".join(tags), "inLanguage": lang,
              "mainEntityOfPage": url}
        d = f'<p class="sponsored-disclosure">{escape(disc)}</p>' if disc else ""
        return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
                f"<title>{escape(title)} – {escape(site['name'])}</title>"
                f'<link rel="canonical" href="{url}">'
                f'<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
                f'</head><body class="post-template-default single single-post">'
                f'<header class="site-header"><a class="site-title" href="/">{escape(site["name"])}</a></header>'
                f'<main id="primary" class="site-main"><article class="post type-post status-publish hentry">'
                f'<h1 class="entry-title">{escape(title)}</h1><div class="entry-meta">'
                f'<span class="posted-on"><time class="entry-date published" datetime="{art["date"]}">{art["date"]}</time></span> '
                f'<span class="byline"><span class="author vcard">{escape(art["author"])}</span></span></div>{d}'
                f'<div class="entry-content">{body}{links}</div><footer class="entry-footer">'
                + "".join(f'<span class="cat-links"><a href="/category/{words.slug(c)}/" rel="category tag">{escape(c)}</a></span>' for c in cats)
                + "".join(f'<span class="tags-links"><a href="/tag/{words.slug(t)}/" rel="tag">{escape(t)}</a></span>' for t in tags)
                + f'</footer></article></main><footer class="site-footer"><ul class="social-navigation">{socials}</ul>'
                f"</footer></body></html>\n")
    og = (f'<meta property="og:type" content="article"><meta property="og:title" content="{escape(title)}">'
          f'<meta property="og:url" content="{url}"><meta property="og:site_name" content="{escape(site["name"])}">'
          f'<meta property="article:published_time" content="{art["date"]}T08:00:00Z">'
          f'<meta property="article:author" content="{escape(art["author"])}">'
          + "".join(f'<meta property="article:section" content="{escape(c)}">' for c in cats)
          + "".join(f'<meta property="article:tag" content="{escape(t)}">' for t in tags))
    d = (f'<div class="article__label article__label--partner" data-label="partner">{escape(disc)}</div>'
         if disc else "")
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>{og}'
            f'<link rel="alternate" type="application/atom+xml" href="/feed.xml"></head><body class="page--article">'
            f'<div class="l-masthead"><a class="masthead__logo" href="/">{escape(site["name"])}</a>'
            f'<nav class="masthead__nav">' + "".join(f'<a href="/rubrique/{words.slug(c)}">{escape(c)}</a>' for c in cats)
            + f'</nav></div><article class="c-article" itemscope itemtype="https://schema.org/NewsArticle">{d}'
            f'<h1 class="article__headline" itemprop="headline">{escape(title)}</h1>'
            f'<div class="c-byline" itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<span itemprop="name">{escape(art["author"])}</span></div>'
            f'<time class="c-timestamp" itemprop="datePublished" datetime="{art["date"]}T08:00:00Z">{art["date"]}</time>'
            f'<div class="article__body" itemprop="articleBody">{body}{links}</div>'
            f'<ul class="article__tags">' + "".join(f"<li>{escape(t)}</li>" for t in tags)
            + f'</ul></article><div class="l-footer"><div class="footer__social">{socials}</div></div></body></html>\n')


def render_index(fam: int, site: dict[str, Any], arts: list[dict[str, Any]]) -> str:
    items = "".join(f'<li class="{"post-item" if fam == 0 else "teaser"}">{_a(a["url"], a["title"])}</li>'
                    for a in arts)
    socials = "".join(f"<li>{_a(u, pf, 'me')}</li>" for pf, u in site["socials"])
    out = "".join(f"<li>{_a(u, t)}</li>" for u, t in site["home_links"])
    cls = "home blog" if fam == 0 else "page--home"
    return (f'<!DOCTYPE html>\n<html lang="{site["lang"]}"><head><meta charset="utf-8">'
            f'<title>{escape(site["name"])}</title><meta name="description" content="{escape(site["desc"])}">'
            f'</head><body class="{cls}"><h1>{escape(site["name"])}</h1><ul>{items}</ul>'
            f'<aside class="blogroll"><ul>{out}</ul></aside><footer><ul class="social">{socials}</ul>'
            f"</footer></body></html>\n")


def render_bio(site: dict[str, Any], buttons: list[tuple[str, str, str]]) -> str:
    btn = "".join(f'<a class="lnk-btn" href="{escape(u)}"' + (f' rel="{r}"' if r else "")
                  + f' target="_blank"><span class="lnk-btn__label">{escape(t)}</span></a>'
                  for u, t, r in buttons)
    soc = "".join(f'<a class="lnk-social lnk-social--{words.slug(pf)}" href="{escape(u)}" aria-label="{escape(pf)}"></a>'
                  for pf, u in site["socials"])
    return (f'<!DOCTYPE html>\n<html lang="{site["lang"]}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{escape(site["name"])} | Links</title>'
            f'<meta property="og:title" content="{escape(site["name"])}"></head><body>'
            f'<main class="lnk-wrap" data-theme="{site["theme"]}"><img class="lnk-avatar" src="/avatar.jpg" alt="">'
            f'<h1 class="lnk-name">@{escape(site["handle"])}</h1><p class="lnk-bio">{escape(site["desc"])}</p>'
            f'<div class="lnk-socials">{soc}</div><div class="lnk-list">{btn}</div>'
            f'<footer class="lnk-foot">{escape(site["foot"])}</footer></main></body></html>\n')


def sitemap(urls: list[tuple[str, str]], base: str, index: bool) -> dict[str, str]:
    def urlset(us: list[tuple[str, str]]) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "".join(f"  <url><loc>{escape(u)}</loc><lastmod>{d}</lastmod></url>\n" for u, d in us)
                + "</urlset>\n")
    if not index:
        return {"sitemap.xml": urlset(urls)}
    half = (len(urls) + 1) // 2
    parts = {"sitemap-posts-1.xml": urlset(urls[:half]), "sitemap-posts-2.xml": urlset(urls[half:])}
    idx = ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
           + "".join(f"  <sitemap><loc>{base}/{k}</loc></sitemap>\n" for k in parts) + "</sitemapindex>\n")
    return {"sitemap.xml": idx, **parts}


def feed(fam: int, site: dict[str, Any], arts: list[dict[str, Any]]) -> str:
    if fam == 0:
        items = "".join(f"<item><title>{escape(a['title'])}</title><link>{a['url']}</link>"
                        f"<pubDate>{a['date']}</pubDate>"
                        + "".join(f"<category>{escape(c)}</category>" for c in a["categories"])
                        + "</item>" for a in arts)
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{escape(site["name"])}</title>'
                f'<link>{site["base"]}/</link><language>{site["lang"]}</language>{items}</channel></rss>\n')
    ent = "".join(f'<entry><title>{escape(a["title"])}</title><link href="{a["url"]}"/><id>{a["url"]}</id>'
                  f'<updated>{a["date"]}T08:00:00Z</updated><author><name>{escape(a["author"])}</name></author></entry>'
                  for a in arts)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{escape(site["name"])}</title><id>{site["base"]}/</id>{ent}</feed>\n')


def ads_txt(lines: list[dict[str, str]], rng: np.random.Generator, domain: str) -> str:
    out = [f"# ads.txt for {domain}", f"# updated {month_str(int(rng.integers(0, 20)))}"]
    for ln in lines:
        cert = f", {ln['cert_authority']}" if ln["cert_authority"] else ""
        sep = ", " if rng.random() < 0.8 else ","
        out.append(sep.join([ln["ad_system"], ln["seller_id"], ln["relationship"]]) + cert
                   + ("  # banner" if rng.random() < 0.05 else ""))
    if rng.random() < 0.5:
        out.append(f"contact=adops@{domain}")
    if rng.random() < 0.3:
        out.append(f"OWNERDOMAIN={domain}")
    garbage = ["<html><body>404</body></html>", "google.com pub-123 DIRECT", "appnexus.com, , RESELLER",
               "﻿", "example.com, 12345, PARTNER, abc", "rubiconproject.com;1234;DIRECT"]
    for _ in range(int(rng.integers(0, 3))):
        out.insert(int(rng.integers(2, len(out) + 1)), garbage[int(rng.integers(len(garbage)))])
    return "\n".join(out) + "\n"


def write(out: Path, files: dict[str, str]) -> int:
    for rel, text in files.items():
        f = out / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return len(files)
