"""Tagging accuracy against labelled data: the generator's truth and real labelled text.

Evaluators only read truth files; the graph under evaluation is built from observable sources
(import + crawl). :func:`evaluate_graph` scores the stage's own tagging on such a graph;
:func:`site_articles` reads article pages straight from the generator's observable websites,
for a cheap gate that needs no graph.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.cache import cache_dir, read_vectors
from embeddings.tagging import LabelSpace, accuracy, label_space, similarities, top_k
from embeddings.texts import TITLE_SUFFIX, Corpus, article_text, build_corpus
from graph.store.base import GraphStore

_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_BODY = re.compile(r"<(?:p|h1|h2)[^>]*>(.*?)</(?:p|h1|h2)>", re.S | re.I)


def truth_topics(out: Path) -> dict[tuple[str, str], set[str]]:
    """``(entity_id, kind) -> true taxonomy ids`` (kind: topic, topic-primary, audience, product_category)."""
    res: dict[tuple[str, str], set[str]] = defaultdict(set)
    with open(out / "truth" / "topics.csv", newline="") as f:
        for r in csv.DictReader(f):
            res[(r["entity_id"], r["kind"])].add(r["taxonomy_id"])
            if r["primary"] == "True":
                res[(r["entity_id"], r["kind"] + "-primary")].add(r["taxonomy_id"])
    return dict(res)


def site_articles(out: Path, limit: int | None = None) -> list[tuple[str, str, str]]:
    """``(url, title, text)`` of the article pages on the generated websites (observable data)."""
    import html
    import json

    pages: list[tuple[str, str, str]] = []
    with open(out / "truth" / "sites.jsonl") as f:  # only used to map files to URLs
        sites = [json.loads(line) for line in f]
    root = out / "observable" / "sites"
    for site in sites:
        base = site["base_url"].rstrip("/")
        for url in site["pages"]:
            if "/articles/" not in url:
                continue
            path = root / site["domain"] / url[len(base):].lstrip("/")
            if not path.is_file():
                continue
            raw = path.read_text(encoding="utf-8", errors="replace")
            title = _TITLE.search(raw)
            body = " ".join(_TAG.sub(" ", m) for m in _BODY.findall(raw))
            row = {"title": html.unescape(_TAG.sub(" ", title.group(1))) if title else "",
                   "text": html.unescape(body)}
            pages.append((url, row["title"].strip(), article_text(row)))
            if limit and len(pages) >= limit:
                return pages
    return pages


def score_articles(embed: Callable[[list[str]], np.ndarray], space: LabelSpace,
                   pages: list[tuple[str, str, str]], truth: dict[tuple[str, str], set[str]]) -> dict[str, float]:
    """Top-1/top-3 of article topics scored as the stage scores them (title and text blended)."""
    from embeddings.stage import article_topic_sims

    rows = [p for p in pages if (p[0], "topic") in truth]
    if not rows:
        return {"n": 0, "top1": float("nan"), "top3": float("nan")}
    vecs = {"Article": embed([t for _, _, t in rows]), "ArticleTitle": embed([t for _, t, _ in rows])}
    pred = top_k(article_topic_sims(vecs, space), space, 3)
    gold = [truth[(u, "topic")] for u, _, _ in rows]
    return {"n": len(rows), "top1": accuracy(pred, gold, 1), "top3": accuracy(pred, gold, 3)}


def _id_map(out: Path, export_nodes: dict[str, Any]) -> dict[str, str]:
    """Graph node id -> generator entity id, through observable keys (CRM id, domain, URL)."""
    by_key: dict[tuple[str, str], str] = {}
    with open(out / "truth" / "entities.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] in ("crm_id", "domain"):
                by_key[(r["kind"], r["value"].lower())] = r["entity_id"]
    res: dict[str, str] = {}
    for label in ("Publisher", "Influencer", "Brand"):
        df = export_nodes.get(label)
        if df is None or df.empty:
            continue
        for rec in df.to_dict("records"):
            for kind in ("crm_id", "domain"):
                v = rec.get(kind)
                if isinstance(v, str) and (kind, v.lower()) in by_key:
                    res[str(rec["id"])] = by_key[(kind, v.lower())]
                    break
    df = export_nodes.get("Article")
    if df is not None and not df.empty:
        for rec in df.to_dict("records"):
            if isinstance(rec.get("url"), str):
                res[str(rec["id"])] = rec["url"]
    return res


def evaluate_graph(store: GraphStore, home: Path, out: Path) -> dict[str, dict[str, float]]:
    """Top-1/top-3 of the embed stage's scores on a graph built from ``out``'s observable sources."""
    from embeddings.stage import article_topic_sims, partner_topic_sims

    export = store.export(labels=["Article", "Publisher", "Influencer", "Brand"],
                          rel_types=["PUBLISHED", "PROMOTES", "MENTIONS"])
    corpus: Corpus = build_corpus(export.nodes, export.edges)
    ids = _id_map(out, export.nodes)
    truth = truth_topics(out)
    vecs: dict[str, np.ndarray] = {}
    for label in ("Article", "Publisher", "Influencer", "Brand"):
        vid, v, _ = read_vectors(home, label, include_titles=True)
        pos = {x: i for i, x in enumerate(vid)}
        vecs[label] = v[[pos[x] for x in corpus.ids[label]]]
        if label == "Article":
            vecs["ArticleTitle"] = v[[pos[x + TITLE_SUFFIX] for x in corpus.ids[label]]]

    def space(label: str) -> LabelSpace:
        tid, tv, _ = read_vectors(home, label)
        from embeddings.tagging import taxonomy_nodes

        spec = {"Topic": ("content", None), "Audience": ("audience", "Interest"),
                "ProductCategory": ("adproduct", None)}[label]
        pos = {x: i for i, x in enumerate(tid)}
        nodes = taxonomy_nodes(*spec)
        return LabelSpace(spec[0], label, nodes, tv[[pos[n.id] for n in nodes]])

    topics, audiences, products = space("Topic"), space("Audience"), space("ProductCategory")
    results: dict[str, dict[str, float]] = {}

    def score(name: str, labels: list[str], sp: LabelSpace, kind: str, blend: bool) -> None:
        preds, gold = [], []
        known = set(sp.ids)
        for label in labels:
            if label == "Article":
                sims = article_topic_sims(vecs, sp)
            else:
                sims = partner_topic_sims(corpus, label, vecs, sp) if blend else similarities(vecs[label], sp)
            tops = top_k(sims, sp, 3)
            for node_id, p in zip(corpus.ids[label], tops, strict=True):
                want = truth.get((ids.get(node_id, ""), kind), set()) & known
                if want:  # truth outside the scored branch (e.g. demographics) is not text-inferable
                    preds.append(p)
                    gold.append(want)
        results[name] = {"n": len(gold), "top1": accuracy(preds, gold, 1) if gold else float("nan"),
                         "top3": accuracy(preds, gold, 3) if gold else float("nan")}

    score("article topic", ["Article"], topics, "topic", False)
    score("partner primary topic", ["Publisher", "Influencer"], topics, "topic-primary", True)
    score("partner any topic", ["Publisher", "Influencer"], topics, "topic", True)
    score("partner audience", ["Publisher", "Influencer"], audiences, "audience", True)
    score("brand product category", ["Brand"], products, "product_category", False)
    return results


def zero_shot_space(embed: Callable[[list[str]], np.ndarray], taxonomy: str = "content") -> LabelSpace:
    return label_space(taxonomy, embed)


__all__ = ["cache_dir", "evaluate_graph", "score_articles", "site_articles", "truth_topics", "zero_shot_space"]


#: Site categories that say nothing about the topic; pages with only these are not scored.
GENERIC_CATEGORIES = frozenset(x.lower() for x in ("Allgemein", "News", "Uncategorized", "Aktuelles", "Artikel",
                                                   "Notizen", "Lexikon", "Blog", "Sonstiges", "Home", "Startseite"))


def _trafilatura_pages(root: Path, field_name: str, limit: int | None) -> list[tuple[str, list[str]]]:
    import gzip
    import json

    import trafilatura

    data = json.loads((root / "evaldata.json").read_text())
    out: list[tuple[str, list[str]]] = []
    for entry in data.values():
        labels = [x for x in (entry.get(field_name) or []) if x and x.lower() not in GENERIC_CATEGORIES]
        if not labels:
            continue
        path = next((p for p in (root / "eval" / (entry["file"] + ".gz"), root / "cache" / (entry["file"] + ".gz"))
                     if p.exists()), None)
        if path is None:
            continue
        raw = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        title = _TITLE.search(raw)
        body = trafilatura.extract(raw) or ""
        text = article_text({"title": _TAG.sub(" ", title.group(1)) if title else "", "text": body[:3000]})
        out.append((text, labels))
        if limit and len(out) >= limit:
            break
    return out


def label_retrieval(embed: Callable[[list[str]], np.ndarray], items: list[tuple[str, list[str]]],
                    pool: list[str] | None = None) -> dict[str, float]:
    """Zero-shot on real labels: rank every distinct label by similarity to each text (top-1/top-3)."""
    labels = pool or sorted({x for _, ls in items for x in ls})
    lv = embed(labels)
    tv = embed([t for t, _ in items])
    sims = tv @ lv.T
    order = np.argsort(-sims, axis=1)[:, :3]
    gold = [set(ls) for _, ls in items]
    pred = [[labels[j] for j in row] for row in order]
    return {"n": len(items), "labels": len(labels), "top1": accuracy(pred, gold, 1), "top3": accuracy(pred, gold, 3),
            "chance_top1": float(np.mean([len(g) / len(labels) for g in gold]))}


def trafilatura_eval(embed: Callable[[list[str]], np.ndarray], root: Path,
                     limit: int | None = None) -> dict[str, dict[str, float]]:
    """Categories and tags of the trafilatura evaluation pages (mostly German, free-form labels)."""
    return {f: label_retrieval(embed, _trafilatura_pages(root, f, limit)) for f in ("categories", "tags")}


MUSAE_TYPES = {"government": "government agency or public institution", "company": "company, brand or business",
               "politician": "politician or political party member", "tvshow": "television show or TV series"}


def musae_page_types(embed: Callable[[list[str]], np.ndarray], root: Path, n: int = 2000,
                     seed: int = 7) -> dict[str, float]:
    """Page type (4 classes) of Facebook pages from their names, zero-shot against short descriptions."""
    import random

    with open(root / "facebook_target.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows = random.Random(seed).sample(rows, min(n, len(rows)))
    kinds = list(MUSAE_TYPES)
    lv = embed([f"{k}: {d}" for k, d in MUSAE_TYPES.items()])
    tv = embed([r["page_name"] for r in rows])
    order = np.argsort(-(tv @ lv.T), axis=1)
    pred = [[kinds[j] for j in row] for row in order]
    gold = [{r["page_type"]} for r in rows]
    return {"n": len(rows), "classes": 4, "top1": accuracy(pred, gold, 1), "top3": accuracy(pred, gold, 3)}
