"""What text stands for each node: pure builders, tested without a model or a database.

- an article: its title, then its body;
- a publisher or influencer: its names, descriptions, then the titles of what it published,
  pooled over its *group*: the records of one partner in the graph (a CRM row, a network
  affiliate, a crawled site) are joined by ``SAME_AS`` edges or share a registrable domain, and
  usually only the crawled one has articles and a description;
- a brand: names, descriptions, then the titles of the articles that promote or mention it,
  pooled over the brand's records with the same domain (CRM brand rows carry little text);
- a taxonomy node: its path (``Sports > Soccer``), which carries the tier context.

Besides the one text per node (its vector goes to the graph's index, search and gnn/), each
partner's name and description are embedded apart (cache ids ``<id>#name``, ``<id>#desc``): a
name like "Adoption Weekly" is a strong topic cue that a long text dilutes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graph.taxonomy import TaxonomyNode

#: Article titles folded into a partner's or brand's text.
MAX_TITLES = 12
TEXT_LABELS = ("Article", "Publisher", "Influencer", "Brand")
#: Suffix of the cache ids of article-title vectors (kept in the Article file of the cache).
TITLE_SUFFIX = "#title"
#: Suffixes of the cache ids of partner/brand name and description vectors (in their label's file).
NAME_SUFFIX, DESC_SUFFIX = "#name", "#desc"
#: Cache ids ending so are parts of a node's text, not nodes (read_vectors leaves them out).
PART_SUFFIXES = (TITLE_SUFFIX, NAME_SUFFIX, DESC_SUFFIX)
PARTNER_LABELS = ("Publisher", "Influencer")


def _s(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_s(v) for v in value if _s(v))
    return " ".join(str(value).split())


def join(parts: Iterable[str], sep: str = ". ") -> str:
    return sep.join(p for p in (x.strip(" .") for x in parts) if p)


def article_text(row: Mapping[str, Any]) -> str:
    title, body = _s(row.get("title")), _s(row.get("text"))
    if title and body.startswith(title):
        body = body[len(title):]
    return join([title, body, _s(row.get("categories")), _s(row.get("tags"))])


def partner_text(row: Mapping[str, Any], titles: Sequence[str] = (), names: Sequence[str] = (),
                 descriptions: Sequence[str] = ()) -> str:
    """Name, description, then titles; ``names``/``descriptions`` of the node's group are added once."""
    heads = dict.fromkeys(x for x in (_s(v) for v in [row.get("name"), *names]) if x)
    descs = dict.fromkeys(x for x in (_s(v) for v in [row.get("description"), *descriptions]) if x)
    head = join([" / ".join(heads), *descs])
    tail = "; ".join(dict.fromkeys(t for t in (_s(x) for x in titles) if t))
    return join([head, tail]) if tail else head


def brand_text(row: Mapping[str, Any], titles: Sequence[str] = (), names: Sequence[str] = (),
               descriptions: Sequence[str] = ()) -> str:
    return partner_text(row, titles, names, descriptions)


def domain_key(value: Any) -> str:
    """A comparable domain: lower case, no scheme, no ``www.``, no path."""
    d = _s(value).lower()
    d = d.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    return d.removeprefix("www.")


def groups(records: Mapping[str, Mapping[str, Any]], same_as: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Node id -> the ids of its group (itself included, sorted): ``SAME_AS`` pairs and shared domains."""
    parent = {i: i for i in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for a, b in same_as:
        if a in parent and b in parent:
            union(a, b)
    by_domain: dict[str, str] = {}
    for i, rec in records.items():
        key = domain_key(rec.get("domain"))
        if key:
            union(i, by_domain.setdefault(key, i))
    members: dict[str, list[str]] = defaultdict(list)
    for i in records:
        members[find(i)].append(i)
    return {i: sorted(members[find(i)]) for i in records}


def taxonomy_text(node: TaxonomyNode) -> str:
    return node.path.rstrip("*").replace("*", "")


@dataclass
class Corpus:
    """The texts to embed, per label, in a stable order."""

    ids: dict[str, list[str]]
    texts: dict[str, list[str]]
    #: article id -> partner ids that published it
    publishers_of: dict[str, list[str]]
    #: partner/brand id -> article ids (published, or promoting/mentioning the brand)
    articles_of: dict[str, list[str]]
    #: article titles, aligned with ``ids["Article"]`` (embedded apart: a title is a strong topic cue)
    titles: list[str] = field(default_factory=list)
    #: partner/brand id -> ids of the same partner/brand's records (itself included)
    group: dict[str, list[str]] = field(default_factory=dict)
    #: per partner/brand label, names and descriptions aligned with ``ids[label]``
    names: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, list[str]] = field(default_factory=dict)
    #: brand id -> partner ids it works with (campaigns, contracts, promotions), repeated per link
    partners_of: dict[str, list[str]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(v) for v in self.texts.values())

    def group_articles(self, node: str) -> list[str]:
        """The articles of every record in ``node``'s group, in first-seen order, once each."""
        return _group_articles(self.group.get(node, [node]), self.articles_of)


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None or df.empty:
        return []
    return [{k: v for k, v in r.items() if k != "embedding"} for r in df.to_dict("records")]


def _pairs(df: pd.DataFrame | None) -> list[tuple[str, str, str, str]]:
    if df is None or df.empty:
        return []
    blank = [""] * len(df)
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in
            zip(df["src"], df["dst"], df.get("src_label", blank), df.get("dst_label", blank), strict=True)]


def brand_partners(edges: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Brand id -> partner ids it works with: campaign partners (``RAN``/``WITH``), contract
    parties (``SIGNED``) and partners that promote it (``PROMOTES``). One entry per link."""
    campaign_brand = {d: s for s, d, sl, _ in _pairs(edges.get("RAN")) if sl == "Brand"}
    contract_brand = {d: s for s, d, sl, _ in _pairs(edges.get("SIGNED")) if sl == "Brand"}
    out: dict[str, list[str]] = defaultdict(list)
    for s, d, _, dl in _pairs(edges.get("WITH")):
        if s in campaign_brand and dl in PARTNER_LABELS:
            out[campaign_brand[s]].append(d)
    for s, d, sl, _ in _pairs(edges.get("SIGNED")):
        if sl in PARTNER_LABELS and d in contract_brand:
            out[contract_brand[d]].append(s)
    for s, d, sl, _ in _pairs(edges.get("PROMOTES")):
        if sl in PARTNER_LABELS:
            out[d].append(s)
    return dict(out)


def build_corpus(nodes: Mapping[str, pd.DataFrame], edges: Mapping[str, pd.DataFrame]) -> Corpus:
    """Texts for every Article, Publisher, Influencer and Brand of an export."""
    articles = {str(r["id"]): r for r in _records(nodes.get("Article"))}
    publishers_of: dict[str, list[str]] = defaultdict(list)
    articles_of: dict[str, list[str]] = defaultdict(list)
    for s, d, _, _ in _pairs(edges.get("PUBLISHED")):
        publishers_of[d].append(s)
        articles_of[s].append(d)
    partner_recs = {str(r["id"]): r for label in PARTNER_LABELS for r in _records(nodes.get(label))}
    brand_recs = {str(r["id"]): r for r in _records(nodes.get("Brand"))}
    same_as = [(s, d) for s, d, _, _ in _pairs(edges.get("SAME_AS"))]
    group = groups(partner_recs, same_as) | groups(brand_recs, same_as)
    for rel in ("PROMOTES", "MENTIONS"):
        for s, d, sl, _ in _pairs(edges.get(rel)):
            if sl == "Article":
                articles_of[d].append(s)
            else:  # a partner promotes the brand: its articles speak for the brand too
                articles_of[d].extend(_group_articles(group.get(s, [s]), articles_of)[:3])

    def titles(owner: str) -> list[str]:
        seen = _group_articles(group.get(owner, [owner]), articles_of)
        return [_s(articles[a].get("title")) for a in seen if a in articles][:MAX_TITLES]

    def pooled(owner: str, recs: Mapping[str, Mapping[str, Any]], key: str) -> list[str]:
        return [_s(recs[j].get(key)) for j in group.get(owner, [owner]) if j != owner and j in recs]

    ids: dict[str, list[str]] = {}
    texts: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    descriptions: dict[str, list[str]] = {}
    ids["Article"] = list(articles)
    texts["Article"] = [article_text(r) for r in articles.values()]
    for label in (*PARTNER_LABELS, "Brand"):
        recs = _records(nodes.get(label))
        pool = brand_recs if label == "Brand" else partner_recs
        build = brand_text if label == "Brand" else partner_text
        ids[label] = [str(r["id"]) for r in recs]
        texts[label] = [build(r, titles(str(r["id"])), pooled(str(r["id"]), pool, "name"),
                              pooled(str(r["id"]), pool, "description")) for r in recs]
        names[label] = [_s(r.get("name")) for r in recs]
        descriptions[label] = [_s(r.get("description")) for r in recs]
    art_titles = [_s(r.get("title")) for r in articles.values()]
    return Corpus(ids, texts, dict(publishers_of), {k: list(dict.fromkeys(v)) for k, v in articles_of.items()},
                  art_titles, group, names, descriptions, brand_partners(edges))


def _group_articles(members: Sequence[str], articles_of: Mapping[str, Sequence[str]]) -> list[str]:
    return list(dict.fromkeys(a for m in members for a in articles_of.get(m, ())))
