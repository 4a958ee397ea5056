"""What text stands for each node: pure builders, tested without a model or a database.

- an article: its title, then its body;
- a publisher or influencer: name, description, then the titles of what it published;
- a brand: name, description, then the titles of the articles that promote or mention it
  (CRM brand rows carry little text; what partners write about a brand says what it sells);
- a taxonomy node: its path (``Sports > Soccer``), which carries the tier context.
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


def partner_text(row: Mapping[str, Any], titles: Sequence[str] = ()) -> str:
    head = join([_s(row.get("name")), _s(row.get("description"))])
    tail = "; ".join(dict.fromkeys(t for t in (_s(x) for x in titles) if t))
    return join([head, tail]) if tail else head


def brand_text(row: Mapping[str, Any], titles: Sequence[str] = ()) -> str:
    return partner_text(row, titles)


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

    def count(self) -> int:
        return sum(len(v) for v in self.texts.values())


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None or df.empty:
        return []
    return [{k: v for k, v in r.items() if k != "embedding"} for r in df.to_dict("records")]


def build_corpus(nodes: Mapping[str, pd.DataFrame], edges: Mapping[str, pd.DataFrame]) -> Corpus:
    """Texts for every Article, Publisher, Influencer and Brand of an export."""
    articles = {str(r["id"]): r for r in _records(nodes.get("Article"))}
    publishers_of: dict[str, list[str]] = defaultdict(list)
    articles_of: dict[str, list[str]] = defaultdict(list)
    pub = edges.get("PUBLISHED")
    if pub is not None and not pub.empty:
        for s, d in zip(pub["src"], pub["dst"], strict=True):
            publishers_of[str(d)].append(str(s))
            articles_of[str(s)].append(str(d))
    for rel in ("PROMOTES", "MENTIONS"):
        df = edges.get(rel)
        if df is None or df.empty:
            continue
        for s, d, sl in zip(df["src"], df["dst"], df["src_label"], strict=True):
            if sl == "Article":
                articles_of[str(d)].append(str(s))
            else:  # a partner promotes the brand: its articles speak for the brand too
                articles_of[str(d)].extend(articles_of.get(str(s), [])[:3])

    def titles(owner: str) -> list[str]:
        seen = list(dict.fromkeys(articles_of.get(owner, [])))
        return [_s(articles[a].get("title")) for a in seen if a in articles][:MAX_TITLES]

    ids: dict[str, list[str]] = {}
    texts: dict[str, list[str]] = {}
    ids["Article"] = list(articles)
    texts["Article"] = [article_text(r) for r in articles.values()]
    for label in ("Publisher", "Influencer"):
        recs = _records(nodes.get(label))
        ids[label] = [str(r["id"]) for r in recs]
        texts[label] = [partner_text(r, titles(str(r["id"]))) for r in recs]
    recs = _records(nodes.get("Brand"))
    ids["Brand"] = [str(r["id"]) for r in recs]
    texts["Brand"] = [brand_text(r, titles(str(r["id"]))) for r in recs]
    art_titles = [_s(r.get("title")) for r in articles.values()]
    return Corpus(ids, texts, dict(publishers_of), dict(articles_of), art_titles)
