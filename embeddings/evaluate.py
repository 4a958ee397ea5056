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
from embeddings.tagging import (
    LabelSpace,
    accuracy,
    label_space,
    similarities,
    taxonomy_nodes,
    top_k,
)
from embeddings.texts import (
    DESC_SUFFIX,
    NAME_SUFFIX,
    TITLE_SUFFIX,
    Corpus,
    article_text,
    build_corpus,
)
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


def dev_half(entity: str) -> bool:
    """Entities are hashed into two halves: weights were chosen on the dev half, the other is held out."""
    import hashlib

    return int(hashlib.md5(entity.encode()).hexdigest(), 16) % 2 == 0


def graph_vectors(home: Path, corpus: Corpus) -> dict[str, np.ndarray]:
    """The cached vectors of a corpus (titles, names and descriptions included), aligned with its ids."""
    vecs: dict[str, np.ndarray] = {}
    for label in ("Article", "Publisher", "Influencer", "Brand"):
        vid, v, _ = read_vectors(home, label, include_titles=True)
        pos = {x: i for i, x in enumerate(vid)}
        zero = np.zeros(v.shape[1], np.float32)
        suffixes = ("", TITLE_SUFFIX) if label == "Article" else ("", NAME_SUFFIX, DESC_SUFFIX)
        for suffix in suffixes:
            key = "ArticleTitle" if suffix == TITLE_SUFFIX else label + suffix
            vecs[key] = np.stack([v[pos[x + suffix]] if x + suffix in pos else zero for x in corpus.ids[label]]) \
                if corpus.ids[label] else np.zeros((0, v.shape[1]), np.float32)
    return vecs


def evaluate_graph(store: GraphStore, home: Path, out: Path) -> dict[str, dict[str, float]]:
    """Top-1/top-3 of the embed stage's scores on a graph built from ``out``'s observable sources.

    Each figure comes with the zero-shot baseline of the node's own text vector (``base_top1``,
    ``base_top3``) and with the figures on the held-out half of the entities (``test_*``). Brand
    categories are also scored at Tier 1 (``brand product category tier 1``): the generator draws
    a brand's exact category at random under its Tier-1 parent, which nothing observable reveals.
    """
    from embeddings.stage import SPACES, TEXT_RELS, all_sims

    export = store.export(labels=["Article", "Publisher", "Influencer", "Brand"], rel_types=list(TEXT_RELS))
    corpus: Corpus = build_corpus(export.nodes, export.edges)
    ids = _id_map(out, export.nodes)
    truth = truth_topics(out)
    vecs = graph_vectors(home, corpus)

    def space(label: str) -> LabelSpace:
        tid, tv, _ = read_vectors(home, label)
        spec = next((t, sub) for lb, t, sub in SPACES if lb == label)
        pos = {x: i for i, x in enumerate(tid)}
        nodes = taxonomy_nodes(*spec)
        return LabelSpace(spec[0], label, nodes, tv[[pos[n.id] for n in nodes]])

    spaces = {lb: space(lb) for lb, _, _ in SPACES}
    sims, gate = all_sims(corpus, vecs, spaces)
    results: dict[str, dict[str, float]] = {}

    def tier1(sp: LabelSpace) -> dict[str, str]:
        by_id = {n.id: n for n in sp.nodes}
        out_: dict[str, str] = {}
        for n in sp.nodes:
            x = n
            while x.parent_id and x.parent_id in by_id:
                x = by_id[x.parent_id]
            out_[n.id] = x.id
        return out_

    def score(name: str, labels: list[str], sp: LabelSpace, kind: str, roots: bool = False) -> None:
        rows: list[tuple[bool, list[str], list[str], set[str]]] = []
        gated: list[tuple[int, bool, bool]] = []  # (calibrated gate level, top-1 right, its Tier 1 right)
        root_of = tier1(sp)
        known = set(sp.ids)
        up = tier1(sp) if roots else {}
        for label in labels:
            own = similarities(vecs[label], sp)
            key = f"{label}/{sp.label}"
            tops = top_k(sims[key], sp, 40 if roots else 3)
            base = top_k(own, sp, 40 if roots else 3)
            levels = gate.get(key, np.full(len(tops), 2))
            for node_id, p, b, level in zip(corpus.ids[label], tops, base, levels, strict=True):
                entity = ids.get(node_id, "")
                want = truth.get((entity, kind), set()) & known
                if not want:  # truth outside the scored branch (e.g. demographics) is not text-inferable
                    continue
                if roots:
                    p = list(dict.fromkeys(up[x] for x in p))
                    b = list(dict.fromkeys(up[x] for x in b))
                    want = {up[x] for x in want}
                rows.append((dev_half(entity) if label != "Article" else False, p, b, want))
                gated.append((int(level), p[0] in want, root_of.get(p[0]) in {root_of.get(x) for x in want}))
        res: dict[str, float] = {"n": len(rows)}
        if key in gate and gated:
            g = np.array(gated, int)
            for lv, name_ in ((3, "named"), (2, "kept"), (1, "tier1_only"), (0, "dropped")):
                m = g[:, 0] == lv
                res[f"gate_{name_}"] = float(m.mean())
                res[f"gate_{name_}_top1"] = float(g[m, 1].mean()) if m.any() else float("nan")
                res[f"gate_{name_}_tier1_top1"] = float(g[m, 2].mean()) if m.any() else float("nan")
        for prefix, keep in (("", rows), ("test_", [r for r in rows if not r[0]])):
            gold = [r[3] for r in keep]
            res[prefix + "n"] = len(keep)
            for k in (1, 3):
                res[f"{prefix}top{k}"] = accuracy([r[1] for r in keep], gold, k) if keep else float("nan")
                res[f"{prefix}base_top{k}"] = accuracy([r[2] for r in keep], gold, k) if keep else float("nan")
        results[name] = {k: round(v, 4) for k, v in res.items()}

    topics, audiences, products = spaces["Topic"], spaces["Audience"], spaces["ProductCategory"]
    score("article topic", ["Article"], topics, "topic")
    score("partner primary topic", ["Publisher", "Influencer"], topics, "topic-primary")
    score("partner any topic", ["Publisher", "Influencer"], topics, "topic")
    score("partner audience", ["Publisher", "Influencer"], audiences, "audience")
    score("brand product category", ["Brand"], products, "product_category")
    score("brand product category tier 1", ["Brand"], products, "product_category", roots=True)
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


def _scores(pred: list[list[str]], gold: list[set[str]]) -> dict[str, float]:
    return {"top1": round(accuracy(pred, gold, 1), 4), "top3": round(accuracy(pred, gold, 3), 4)}


def musae_classifier(embed: Callable[[list[str]], np.ndarray], root: Path, n: int = 6000,
                     seed: int = 7) -> dict[str, Any]:
    """Page types of Facebook pages: zero-shot against a logistic regression trained on 60% of a
    sample, calibrated (isotonic) on 20%, both scored on the same held-out 20%."""
    import random

    from embeddings.classifier import (
        Calibrator,
        VectorClassifier,
        expected_calibration_error,
        split,
        top_k_labels,
    )

    with open(root / "facebook_target.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows = random.Random(seed).sample(rows, min(n, len(rows)))
    part = split([r["id"] for r in rows], [0.6, 0.2, 0.2], salt="musae")
    x = embed([r["page_name"] for r in rows])
    y = [r["page_type"] for r in rows]
    kinds = list(MUSAE_TYPES)
    zs = x @ embed([f"{k}: {d}" for k, d in MUSAE_TYPES.items()]).T
    clf = VectorClassifier.fit(x[part == 0], [y[i] for i in np.flatnonzero(part == 0)])
    p = clf.expand(clf.proba(x), kinds)
    cal_rows, test_rows = np.flatnonzero(part == 1), np.flatnonzero(part == 2)
    correct = np.array([kinds[int(j)] == y[i] for i, j in enumerate(p.argmax(1))])
    cal = Calibrator.fit(p.max(1)[cal_rows], correct[cal_rows])
    gold = [{y[i]} for i in test_rows]
    raw_conf, cal_conf = p.max(1)[test_rows], cal(p.max(1)[test_rows])
    th = cal.threshold(0.9)
    keep = raw_conf >= th
    return {"n_train": int((part == 0).sum()), "n_calibration": len(cal_rows), "n_test": len(test_rows),
            "zero_shot": _scores(top_k_labels(zs[test_rows], kinds), gold),
            "classifier": _scores(top_k_labels(p[test_rows], kinds), gold),
            "ece_raw": round(expected_calibration_error(raw_conf, correct[test_rows]), 4),
            "ece_calibrated": round(expected_calibration_error(cal_conf, correct[test_rows]), 4),
            "threshold_p90": round(th, 4), "coverage_at_p90": round(float(keep.mean()), 4),
            "accuracy_at_p90": round(float(correct[test_rows][keep].mean()), 4) if keep.any() else float("nan")}


#: Self-training: zero-shot article topics kept as pseudo-labels (fixed before any scoring).
PSEUDO_FLOOR, PSEUDO_MARGIN = 0.45, 0.05


def self_training_eval(store: GraphStore, home: Path, out: Path) -> dict[str, Any]:
    """Article topics on the ci graph: zero-shot against a classifier trained on the taxonomy's
    node texts plus high-confidence zero-shot pseudo-labels of one half of the graph's articles
    (no truth), calibrated on a held-out part of those pseudo-labels; both scored against the
    generator's truth on the other half, with the calibration error of the calibrated probability."""
    from embeddings.classifier import (
        Calibrator,
        expected_calibration_error,
        pseudo_labels,
        select,
        split,
        top_k_labels,
    )
    from embeddings.stage import SPACES, TEXT_RELS, TITLE_WEIGHT, article_topic_sims

    export = store.export(labels=["Article"], rel_types=list(TEXT_RELS[:1]))
    corpus = build_corpus(export.nodes, export.edges)
    vecs = {k: v for k, v in graph_vectors(home, corpus).items() if k in ("Article", "ArticleTitle")}
    tid, tv, _ = read_vectors(home, "Topic")
    spec = next((t, sub) for lb, t, sub in SPACES if lb == "Topic")
    pos = {x: i for i, x in enumerate(tid)}
    nodes = taxonomy_nodes(*spec)
    space = LabelSpace(spec[0], "Topic", nodes, tv[[pos[n.id] for n in nodes]])
    sims = article_topic_sims(vecs, space)
    has_title = np.any(vecs["ArticleTitle"], axis=1)[:, None]
    feats = np.where(has_title, TITLE_WEIGHT * vecs["ArticleTitle"] + (1 - TITLE_WEIGHT) * vecs["Article"],
                     vecs["Article"])
    feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-9)
    arts = corpus.ids["Article"]
    part = split(arts, [0.35, 0.15, 0.5], salt="self-train")  # fit / calibrate / test
    rows, labels = pseudo_labels(sims, space.ids, PSEUDO_FLOOR, PSEUDO_MARGIN)
    lab = dict(zip(rows.tolist(), labels, strict=True))
    fit_rows = [r for r in lab if part[r] == 0]
    cal_rows = [r for r in lab if part[r] == 1]
    x = np.vstack([space.vectors, feats[fit_rows]])
    y = space.ids + [lab[r] for r in fit_rows]
    clf, grid = select(x, y, feats[cal_rows], [lab[r] for r in cal_rows])
    p = clf.expand(clf.proba(feats), space.ids)
    pred = p.argmax(1)
    cal = Calibrator.fit(p.max(1)[cal_rows], np.array([space.ids[int(pred[r])] == lab[r] for r in cal_rows]))
    urls = {a: str(u) for a, u in zip(export.nodes["Article"]["id"], export.nodes["Article"]["url"], strict=True)}
    truth = truth_topics(out)
    test = [r for r in range(len(arts)) if part[r] == 2 and (urls.get(arts[r], ""), "topic") in truth]
    gold = [truth[(urls[arts[r]], "topic")] for r in test]
    correct = np.array([space.ids[int(pred[r])] in g for r, g in zip(test, gold, strict=True)])
    conf = cal(p.max(1)[test])
    zs_best = sims[test].max(1)
    zs_correct = np.array([space.ids[int(sims[r].argmax())] in g for r, g in zip(test, gold, strict=True)])
    th = cal.threshold(0.5)
    keep = p.max(1)[test] >= th
    return {"pseudo_labels": len(lab), "fit": len(fit_rows), "taxonomy_examples": len(space.ids),
            "selection_on_calibration_part": grid, "chosen": f"scale={clf.scale:g},C={clf.model.C:g}",
            "calibration": len(cal_rows), "test": len(test),
            "zero_shot": _scores(top_k_labels(sims[test], space.ids), gold),
            "classifier": _scores(top_k_labels(p[test], space.ids), gold),
            "ece_calibrated_vs_truth": round(expected_calibration_error(conf, correct), 4),
            "ece_zero_shot_cosine_vs_truth": round(expected_calibration_error(zs_best.clip(0, 1), zs_correct), 4),
            "threshold_p50": round(th, 4), "coverage_at_p50": round(float(keep.mean()), 4),
            "accuracy_at_p50": round(float(correct[keep].mean()), 4) if keep.any() else float("nan")}
