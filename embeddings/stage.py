"""The embed stage: texts -> vectors (cached) -> graph vector index -> IAB tags -> brand safety.

``run_embed(store, settings)`` reads articles, partners and brands through the store, embeds
only texts whose content hash changed (the cache lives under ``$PARTNERGRAPH_HOME/vectors``),
writes vectors to the graph's vector index, tags nodes with Content/Audience/Ad Product
categories and flags brand-safety risks. ``run_embed_stage`` is the demo's runner.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from embeddings import tagstate
from embeddings.cache import VectorCache, cache_dir, content_hash
from embeddings.encoder import TextEncoder, TextReport
from embeddings.lexical import NAMED_METHOD, NAMED_RULE, NameMatcher, partner_named, with_named
from embeddings.profiles import (
    BRAND_RULE,
    P_MIN,
    brand_sims,
    gate_weak,
    partner_parts,
    partner_sims,
    roots,
    tier1_only,
    weak_view_calibrator,
)
from embeddings.safety import SafetyModel, assess
from embeddings.tagging import (
    DEFAULTS,
    METHOD,
    LabelSpace,
    Tag,
    similarities,
    tag,
    tag_rows,
    taxonomy_nodes,
)
from embeddings.texts import (
    DESC_SUFFIX,
    NAME_SUFFIX,
    PARTNER_LABELS,
    TEXT_LABELS,
    TITLE_SUFFIX,
    Corpus,
    build_corpus,
    taxonomy_text,
)
from graph.errors import InputError
from graph.schema import check_rel_type
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.store.builders import with_names
from graph.writers import GraphWriter, Provenance, new_run_id

log = logging.getLogger(__name__)

#: Removes model-written tags that the current run did not write again (labels via with_names).
PRUNE_TAGS = ("MATCH ()-[r:{rel}]->() WHERE r.source STARTS WITH $prefix AND r.run_id <> $run_id "
              "DELETE r RETURN count(*) AS removed")

#: What the texts are built from: articles, promotions, record links, campaigns and contracts.
TEXT_RELS = ("PUBLISHED", "PROMOTES", "MENTIONS", "SAME_AS", "RAN", "WITH", "SIGNED")
#: (label, taxonomy, subtree) of the taxonomy vectors the stage keeps
SPACES = (("Topic", "content", None), ("Audience", "audience", "Interest"), ("ProductCategory", "adproduct", None))
#: gate level of partners tagged by the categories their own texts name (method ``named``)
NAMED = 3
#: weight of an article's title similarity against its full text's (0.7: top-1 0.87 vs 0.64 for
#: the full text alone, on 300 ci articles; kept below 1 so bodies still count on real pages)
TITLE_WEIGHT = 0.7


def article_topic_sims(vecs: dict[str, np.ndarray], space: LabelSpace) -> np.ndarray:
    """Article-category similarities: title and full text blended (full text when no title)."""
    full = similarities(vecs["Article"], space)
    titles = vecs.get("ArticleTitle")
    if titles is None or not len(titles):
        return full
    has_title = np.any(titles, axis=1)
    blended = TITLE_WEIGHT * similarities(titles, space) + (1 - TITLE_WEIGHT) * full
    return np.where(has_title[:, None], blended, full)


def index_dimension(store: GraphStore) -> int | None:
    """The dimension the store's vector indexes were created with (None when unknown)."""
    mod = sys.modules.get(type(store).__module__)
    for name in ("VECTOR_DIMENSION", "VECTOR_DIMENSIONS"):
        value = getattr(mod, name, None)
        if isinstance(value, int):
            return value
    return None


def check_dimension(store: GraphStore, dim: int, model_id: str) -> None:
    want = index_dimension(store)
    if want is not None and want != dim:
        raise InputError(
            f"the graph's vector indexes are {want}-d but model {model_id} makes {dim}-d vectors",
            hint="use a model with the index's dimension (PARTNERGRAPH_MODEL_DIR), or rebuild the vector indexes",
        )


@dataclass
class EmbedReport:
    texts: int = 0
    embedded: int = 0
    cached: int = 0
    written_vectors: int = 0
    relationships: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    model_id: str = ""
    discarded_model: bool = False
    text_report: TextReport = field(default_factory=TextReport)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rels = ", ".join(f"{k} {v:,}" for k, v in sorted(self.relationships.items()))
        msgs = "; ".join(self.text_report.messages() + self.notes)
        return (f"{self.texts:,} texts: embedded {self.embedded:,}, cached {self.cached:,}; "
                f"vectors written {self.written_vectors:,}; {rels or 'no tags'}; "
                f"brand-safety flags {self.flagged:,}; {self.seconds:.1f} s"
                + (f" ({msgs})" if msgs else ""))


class Embedder:
    """Embeds (label, ids, texts) through the cache; counts what it embedded."""

    def __init__(self, encoder: TextEncoder, cache: VectorCache, report: EmbedReport) -> None:
        self.encoder, self.cache, self.report = encoder, cache, report

    def __call__(self, label: str, ids: Sequence[str], texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Vectors for every id, and the positions that were (re-)embedded now."""
        from embeddings.encoder import prepare

        clean, langs, rep = prepare(list(texts), self.encoder.max_chars)
        tr = self.report.text_report
        tr.total += rep.total
        tr.empty += rep.empty
        tr.truncated += rep.truncated
        tr.invalid_utf8 += rep.invalid_utf8
        tr.languages.update(rep.languages)
        hashes = [content_hash(t) for t in clean]
        hit = self.cache.lookup(label, ids, hashes)
        todo = [i for i in hit.missing if clean[i]]
        if todo:
            t0 = time.perf_counter()
            hit.vectors[todo] = self.encoder.encode_clean([clean[i] for i in todo])
            self.report.embed_seconds += time.perf_counter() - t0
        self.report.texts += len(ids)
        self.report.embedded += len(todo)
        self.report.cached += len(ids) - len(hit.missing)
        if hit.missing or len(ids) != len(self.cache.frame(label)):
            self.cache.replace(label, ids, hashes, hit.vectors, langs)
        return hit.vectors, todo


def _missing_in_graph(df: Any, ids: Sequence[str]) -> set[str]:
    """Ids that are nodes of the graph but have no vector there yet."""
    if df is None or df.empty:
        return set()
    present = {str(i) for i in df["id"]} & set(ids)
    if "embedding" not in df.columns:
        return present
    have = {str(i) for i, v in zip(df["id"], df["embedding"], strict=True) if isinstance(v, list | np.ndarray)
            and len(v)}
    return present - have


def run_embed(store: GraphStore, settings: Settings, encoder: TextEncoder | None = None, *,
              tag_nodes: bool = True, retag: bool = False) -> EmbedReport:
    """Embed every text through the cache, index the vectors, then tag and flag, unless the
    tagging inputs are those of the last run (:mod:`embeddings.tagstate`; ``retag`` forces it)."""
    t_start = time.perf_counter()
    encoder = encoder or TextEncoder.from_settings(settings)
    report = EmbedReport(model_id=encoder.model_id)
    dim = encoder.dimension
    check_dimension(store, dim, encoder.model_id)
    cache = VectorCache(cache_dir(settings.home), encoder.model_id, dim)
    report.discarded_model = bool(cache.discarded)
    embedder = Embedder(encoder, cache, report)

    counts = store.counts()
    labels = [x for x in TEXT_LABELS + tuple(s[0] for s in SPACES) if f":{x}" in counts]
    rels = [r for r in TEXT_RELS if f"[:{r}]" in counts]
    export = store.export(labels=labels, rel_types=rels)
    corpus = build_corpus(export.nodes, export.edges)

    vecs: dict[str, np.ndarray] = {}
    for label in TEXT_LABELS:
        ids, texts = corpus.ids.get(label, []), corpus.texts.get(label, [])
        if not ids:
            continue
        if label == "Article":  # titles are embedded apart, in the same cache file
            both, fresh_both = embedder(label, ids + [i + TITLE_SUFFIX for i in ids], texts + corpus.titles)
            v, titles_v = both[: len(ids)], both[len(ids):]
            fresh = [i for i in fresh_both if i < len(ids)]
            vecs["ArticleTitle"] = titles_v
        else:  # names and descriptions too (when present): strong cues that the pooled text dilutes
            n = len(ids)
            parts = [(i + sfx, t) for sfx, col in ((NAME_SUFFIX, corpus.names[label]),
                                                   (DESC_SUFFIX, corpus.descriptions[label]))
                     for i, t in zip(ids, col, strict=True) if t]
            allv, fresh_all = embedder(label, ids + [p[0] for p in parts], texts + [p[1] for p in parts])
            v = allv[:n]
            part_v = {p[0]: allv[n + j] for j, p in enumerate(parts)}
            zero = np.zeros(allv.shape[1], np.float32)
            for sfx in (NAME_SUFFIX, DESC_SUFFIX):
                vecs[label + sfx] = np.stack([part_v.get(i + sfx, zero) for i in ids]) if n else allv[:0]
            fresh = [i for i in fresh_all if i < n]
        vecs[label] = v
        stale = {ids[i] for i in fresh} | _missing_in_graph(export.nodes.get(label), ids)
        write = [i for i, node_id in enumerate(ids) if node_id in stale and texts[i].strip() and np.any(v[i])]
        if write:
            report.written_vectors += store.set_vectors(label, [ids[i] for i in write], v[write])

    spaces: dict[str, LabelSpace] = {}
    for label, taxonomy, subtree in SPACES:
        # Tag only with categories that are nodes of this graph: a tag needs its target node.
        df = export.nodes.get(label)
        present = set() if df is None or df.empty else {str(i) for i in df["id"]}
        nodes = [n for n in taxonomy_nodes(taxonomy, subtree) if n.id in present]
        if not nodes:
            report.notes.append(f"no :{label} nodes in the graph (load the taxonomies first); not tagged")
            continue
        ids = [n.id for n in nodes]
        v, fresh = embedder(label, ids, [taxonomy_text(n) for n in nodes])
        spaces[label] = LabelSpace(taxonomy, label, nodes, v)
        stale = {ids[i] for i in fresh} | _missing_in_graph(df, ids)
        write = [i for i, node_id in enumerate(ids) if node_id in stale]
        if write:
            report.written_vectors += store.set_vectors(label, [ids[i] for i in write], v[write])

    if tag_nodes:
        _tag_unless_unchanged(store, settings, encoder, corpus, vecs, spaces, report, counts, retag)
    report.seconds = time.perf_counter() - t_start
    return report


def partner_topic_sims(corpus: Corpus, label: str, vecs: dict[str, np.ndarray], space: LabelSpace) -> np.ndarray:
    """A partner's category scores: names, descriptions and articles pooled over its group."""
    arts = article_topic_sims(vecs, space) if len(vecs.get("Article", ())) else None
    return partner_sims(corpus, vecs, space, arts)[label]


def all_sims(corpus: Corpus, vecs: dict[str, np.ndarray],
             spaces: dict[str, LabelSpace]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The scores tags are cut from, keyed ``<label>/<space label>`` (``Publisher/Topic``, ...), and
    per partner key the level the calibrated gate allows: 2 as scored, 1 Tier 1 only, 0 none, and
    :data:`NAMED` for partners tagged by the categories their texts name (:mod:`embeddings.lexical`)."""
    out: dict[str, np.ndarray] = {}
    keep: dict[str, np.ndarray] = {}
    topics, audiences, products = spaces.get("Topic"), spaces.get("Audience"), spaces.get("ProductCategory")
    has_articles = len(vecs.get("Article", ())) > 0
    if topics and has_articles:
        out["Article/Topic"] = article_topic_sims(vecs, topics)
    partner_topics: dict[str, np.ndarray] = {}
    for space in (topics, audiences):
        if space is None:
            continue
        arts = article_topic_sims(vecs, space) if has_articles else None
        parts = partner_parts(corpus, vecs, space, arts)
        exact, tier1 = weak_view_calibrator(parts), weak_view_calibrator(parts, roots(space))
        matcher = NameMatcher(space) if space is topics else None
        art_found = ([matcher.find(t) for t in corpus.texts.get("Article", [])]
                     if matcher is not None else None)
        for label, p in parts.items():
            sims = p.blended()
            # 2: tag as scored, 1: Tier-1 categories only, 0: no tags
            keep[f"{label}/{space.label}"] = (gate_weak(p, sims, exact, P_MIN)[1].astype(np.int8)
                                              + gate_weak(p, sims, tier1, P_MIN)[1])
            if matcher is not None:
                partner_topics[label] = sims  # the brands' content profiles stay on similarities
                named = partner_named(corpus, label, matcher, art_found)
                keep[f"{label}/{space.label}"][named.any(axis=1)] = NAMED  # named: no gate
                sims = with_named(sims, named)
            out[f"{label}/{space.label}"] = sims
    if products and len(vecs.get("Brand", ())):
        out["Brand/ProductCategory"] = brand_sims(corpus, vecs, products, topics, partner_topics)
    return out, keep


def group_articles(corpus: Corpus, label: str) -> dict[str, list[str]]:
    """Partner id -> the articles of its whole group (so every record of a partner is judged alike)."""
    return {p: corpus.group_articles(p) for p in corpus.ids.get(label, [])}


def _tag_unless_unchanged(store: GraphStore, settings: Settings, encoder: TextEncoder, corpus: Corpus,
                          vecs: dict[str, np.ndarray], spaces: dict[str, LabelSpace], report: EmbedReport,
                          counts: dict[str, int], retag: bool) -> None:
    fp = tagstate.fingerprint(encoder.model_id, corpus, {k: [n.id for n in s.nodes] for k, s in spaces.items()},
                              (DEFAULTS, P_MIN, TITLE_WEIGHT, NAMED_RULE, BRAND_RULE))
    last = None if retag else tagstate.unchanged(cache_dir(settings.home), fp, counts)
    if last is not None:
        report.relationships = {k: int(v) for k, v in last["written"].items()}
        report.flagged = int(last["flagged"])
        report.notes.append(f"tags unchanged since {last['at']} (same texts, links, taxonomy and model): "
                            "not written again; --retag forces it")
        return
    _tag_and_flag(store, encoder, corpus, vecs, spaces, report)
    tagstate.remember(cache_dir(settings.home), fp, store.counts(), report.relationships, report.flagged)


def _tag_and_flag(store: GraphStore, encoder: TextEncoder, corpus: Corpus, vecs: dict[str, np.ndarray],
                  spaces: dict[str, LabelSpace], report: EmbedReport) -> None:
    writer = GraphWriter(store, Provenance(source=f"model://{encoder.model_id}", run_id=new_run_id("embed")))
    topics, audiences, products = spaces.get("Topic"), spaces.get("Audience"), spaces.get("ProductCategory")

    def write(rel: str, label: str, dst: str, tags: list[Tag], with_method: bool = True) -> None:
        if tags:
            n = writer.relationships(rel, tag_rows(tags, with_method=with_method), src_label=label, dst_label=dst)
            report.relationships[rel] = report.relationships.get(rel, 0) + n

    sims, keep = all_sims(corpus, vecs, spaces)
    for key, level in keep.items():  # partners known only by name, below the calibrated probability
        space = spaces[key.split("/")[1]]
        sims[key] = np.where((level >= 2)[:, None], sims[key],
                             np.where((level == 1)[:, None], tier1_only(sims[key], space), 0.0)).astype(np.float32)
        if (level < 2).any():
            report.notes.append(f"name-only {key.replace('/', ' ')} rows below calibrated p {P_MIN}: "
                                f"{int((level == 1).sum()):,} tagged at Tier 1 only, {int((level == 0).sum()):,} "
                                "not tagged")
    if "Article/Topic" in sims and topics:
        write("COVERS", "Article", "Topic", tag(corpus.ids["Article"], vecs["Article"], topics, DEFAULTS["Article"],
                                                sims=sims["Article/Topic"]))
    for label in PARTNER_LABELS:
        ids = corpus.ids.get(label, [])
        if topics and f"{label}/Topic" in sims:
            named = {ids[i] for i in np.flatnonzero(keep[f"{label}/Topic"] == NAMED)}
            write("COVERS", label, "Topic", [
                replace(t, method=NAMED_METHOD) if t.method == METHOD and t.node in named else t
                for t in tag(ids, vecs[label], topics, DEFAULTS[label], sims=sims[f"{label}/Topic"])])
        if audiences and f"{label}/Audience" in sims:
            write("REACHES", label, "Audience", tag(ids, vecs[label], audiences, DEFAULTS["audience"],
                                                    sims=sims[f"{label}/Audience"]), with_method=False)
    if products and "Brand/ProductCategory" in sims:
        write("IN_CATEGORY", "Brand", "ProductCategory",
              tag(corpus.ids["Brand"], vecs["Brand"], products, DEFAULTS["Brand"], sims=sims["Brand/ProductCategory"]))

    # tags of earlier runs (or of an earlier model) that this run did not confirm
    for rel in sorted(report.relationships):
        res = store.write(with_names(PRUNE_TAGS, rel=check_rel_type(rel)),
                          {"prefix": "model://", "run_id": writer.prov.run_id})
        removed = int(res.rows[0]["removed"]) if res.rows else 0
        if removed:
            report.notes.append(f"{removed:,} stale {rel} tags removed")

    # brand safety
    safety = SafetyModel.build(encoder.encode_clean)
    art_ids = corpus.ids.get("Article", [])
    art_index = {a: i for i, a in enumerate(art_ids)}
    art_vecs = vecs.get("Article", np.zeros((0, encoder.dimension), np.float32))
    for label in ("Publisher", "Influencer"):
        if label not in vecs:
            continue
        verdicts = assess(safety, corpus.ids[label], vecs[label], group_articles(corpus, label), art_index, art_vecs)
        report.flagged += sum(v.flagged for v in verdicts)
        store.upsert_nodes(label, [v.row() for v in verdicts])


def run_embed_stage(store: GraphStore, settings: Settings) -> str:
    """The demo's runner: one summary line."""
    return run_embed(store, settings).summary()
