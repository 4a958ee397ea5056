"""The graph as link-prediction tables, per-cutoff snapshots, and PyG ``HeteroData``.

Three steps, each pure except the first:

1. :func:`load_tables` reads the graph through ``GraphStore.export()`` (only the labels and
   relationship types in :data:`EXPORT_LABELS` / :data:`EXPORT_RELS`) and the text vectors
   from the embeddings cache (``embeddings.cache.read_vectors``), and
   :func:`tables_from_export` turns them into :class:`GraphTables`: dense indices for brands
   and partners, the partnership events, and the static partner/brand attributes.
2. :func:`snapshot` cuts the tables at a date: only partnerships that started before the
   cutoff and campaign performance of months that ended before it are visible. Every model
   and baseline sees the graph through a snapshot, so evaluation never sees the future.
3. :func:`to_hetero` turns a snapshot into ``HeteroData`` with the node types and edge types
   below (reverse edges added with ``ToUndirected``). Numeric features are log-scaled and
   standardised with a :class:`Scaler` fitted on the training snapshot only.

**Who is a partner.** Eligible partners are the CRM partner records: ``Publisher`` /
``Influencer`` nodes with a ``crm_id`` (or a campaign ``WITH`` edge). Records the importer
resolved as one entity (``SAME_AS`` with decision ``merge``) collapse to one canonical id
(the smallest id of the group); affiliate-network records (``SAME_AS`` to a CRM partner) and
crawled site records (same registrable domain) only contribute evidence (topics, audiences,
text, links) to their CRM partner. **Brands** are ``Brand`` nodes with a ``crm_id`` (or a
campaign); brands only seen on the web are not ranked.

**Partnerships.** ``(Brand)-[:RAN]->(Campaign {start})-[:WITH]->(partner)``; the first campaign
start of a (brand, partner) pair is the partnership start. Crawled ``PROMOTES``/``MENTIONS``
edges are *not* used: bio pages carry no date, so they would leak later partnerships into
earlier snapshots.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from embeddings.texts import DESC_SUFFIX, NAME_SUFFIX
from graph.errors import InputError

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

    from graph.store.base import GraphExport, GraphStore

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- constants

PARTNER_LABELS = ("Publisher", "Influencer")
EXPORT_LABELS = ("Brand", "Publisher", "Influencer", "Campaign", "Topic", "Audience", "ProductCategory")
EXPORT_RELS = ("RAN", "WITH", "COVERS", "REACHES", "IN_CATEGORY", "LINKS_TO", "SAME_AS", "CHILD_OF")
VECTOR_LABELS = ("Brand", "Publisher", "Influencer", "Topic", "Audience", "ProductCategory")

NODE_TYPES = ("brand", "partner", "topic", "audience", "category")
#: Message-passing edge types; :func:`to_hetero` adds the reverse of each (``rev_*``).
EDGE_TYPES: tuple[tuple[str, str, str], ...] = (
    ("brand", "partnered", "partner"),  # known partnerships at the snapshot's cutoff
    ("partner", "covers", "topic"),
    ("partner", "reaches", "audience"),
    ("brand", "in_category", "category"),
    ("partner", "links", "partner"),  # made symmetric
    ("topic", "child_of", "topic"),  # IAB hierarchy (reverse: parent -> child)
)
#: The supervised edge type (what is predicted).
TARGET = ("brand", "partnered", "partner")

#: Numeric per-partner features of a snapshot: counts/amounts are ``log1p``-scaled, then every
#: column is standardised (:class:`Scaler`). ``hist_*`` only use data before the cutoff.
PARTNER_NUMERIC = (
    "degree", "recent_brands", "hist_campaigns", "hist_rows", "hist_impressions", "hist_clicks",
    "hist_log_roi", "hist_cvr", "hist_ctr", "months_since_last", "n_audiences", "n_links", "n_articles",
)
PARTNER_FLAGS = ("is_influencer", "brand_safety_flag", "has_site", "never_active")
BRAND_NUMERIC = (
    "degree", "hist_campaigns", "recent_campaigns", "hist_log_roi", "hist_cvr", "months_since_last",
    "n_categories",
)
BRAND_FLAGS = ("never_active",)
#: Columns that are counts or amounts (``log1p`` before standardising).
LOG_SCALED = frozenset({"degree", "recent_brands", "hist_campaigns", "hist_rows", "hist_impressions",
                        "hist_clicks", "n_audiences", "n_links", "recent_campaigns",
                        "n_categories", "months_since_last", "n_articles"})
TEXT_DIM = 32  # PCA of the 384-d sentence vectors
RECENT_MONTHS = 6
NEVER_MONTHS = 36.0  # "months since last campaign" for partners that never ran one
ROI_PRIOR_ROWS = 3.0  # shrinkage of per-partner means towards the global mean
MERGE_DECISIONS = frozenset({"merge", "merged", "accept", "accepted", "auto"})


# ----------------------------------------------------------------------------- time helpers

def month_index(dates: Any) -> np.ndarray:
    """``YYYY-MM[-DD]`` strings (or datetime64) -> integer months (year * 12 + month - 1)."""
    d = pd.to_datetime(pd.Series(np.asarray(dates)).astype(str).str[:7], format="%Y-%m", errors="coerce")
    out = (d.dt.year * 12 + d.dt.month - 1).to_numpy(dtype=float)
    return np.where(np.isnan(out), -1, out).astype(np.int64)


def month_str(m: int) -> str:
    y, mm = divmod(int(m), 12)
    return f"{y:04d}-{mm + 1:02d}"


def day_index(dates: Any) -> np.ndarray:
    """``YYYY-MM-DD`` strings -> days since 1970-01-01 (int64); unparsable -> -1."""
    d = pd.to_datetime(pd.Series(np.asarray(dates)).astype(str).str[:10], format="%Y-%m-%d",
                       errors="coerce")
    out = (d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    return np.where(np.isnan(out), -1, out).astype(np.int64)


def month_start_day(m: int) -> int:
    """Day index of the first day of month ``m``."""
    y, mm = divmod(int(m), 12)
    return int((pd.Timestamp(year=y, month=mm + 1, day=1) - pd.Timestamp("1970-01-01")).days)


# ----------------------------------------------------------------------------- tables

@dataclass
class GraphTables:
    """Everything link prediction needs from the graph, with dense indices."""

    brand_ids: list[str]
    partner_ids: list[str]  # canonical CRM partner ids
    alias: dict[str, int]  # any partner record id (duplicates, affiliate, site) -> partner index
    brand_country: np.ndarray  # object
    partner_country: np.ndarray  # object
    partner_language: np.ndarray  # object
    partner_static: pd.DataFrame  # is_influencer, brand_safety_flag, has_site (floats)
    #: one row per campaign x partner x period: b, p, campaign, start_day, start_month, month,
    #: impressions, clicks, conversions, revenue, cost
    events: pd.DataFrame
    #: first campaign start per (b, p): b, p, start_day, start_month
    pairs: pd.DataFrame
    #: campaigns of brands (even without partner rows): b, campaign, start_day, start_month
    campaigns: pd.DataFrame
    partner_topic: sp.csr_matrix  # P x K (max score)
    partner_audience: sp.csr_matrix  # P x A
    brand_category: sp.csr_matrix  # B x C
    partner_links: sp.csr_matrix  # P x P, symmetric, binary
    #: one row per (partner, publication day) group of articles on its site(s): partner index,
    #: day (``-1`` undated: counted at every cutoff) and count; see :func:`articles_before`
    article_p: np.ndarray
    article_day: np.ndarray
    article_n: np.ndarray
    topic_parent: sp.csr_matrix  # K x K: CHILD_OF (child -> parent)
    topic_root: np.ndarray  # K: index of each topic's tier-1 ancestor (a topic is its own root)
    topic_ids: list[str]
    audience_ids: list[str]
    category_ids: list[str]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # brand/partner/topic/... -> (n, d)
    model_id: str = ""
    #: derived values that do not depend on a snapshot (computed once, never saved)
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def num_brands(self) -> int:
        return len(self.brand_ids)

    @property
    def num_partners(self) -> int:
        return len(self.partner_ids)

    def brand_index(self) -> dict[str, int]:
        return {b: i for i, b in enumerate(self.brand_ids)}

    def snapshot_hash(self) -> str:
        """Hash of what training sees: ids, partnership events and static edges."""
        import hashlib

        h = hashlib.sha256()
        for part in (self.brand_ids, self.partner_ids, self.topic_ids):
            h.update("\n".join(part).encode())
        h.update(np.ascontiguousarray(self.events[["b", "p", "start_day", "month"]].to_numpy(np.int64)).tobytes())
        h.update(np.round(self.events[["cost", "revenue", "conversions", "clicks"]].to_numpy(float), 2).tobytes())
        for m in (self.partner_topic, self.partner_audience, self.brand_category, self.partner_links):
            h.update(np.asarray(m.indices, np.int64).tobytes())
            h.update(np.asarray(m.indptr, np.int64).tobytes())
        return h.hexdigest()[:16]


def load_tables(store: GraphStore, home: Path) -> GraphTables:
    """Export the graph (only what link prediction uses) and read the text vectors."""
    from gnn import queries

    export = store.export(labels=list(EXPORT_LABELS), rel_types=list(EXPORT_RELS))
    art_topics = pd.DataFrame(store.read(queries.SITE_ARTICLE_TOPICS, limit=queries.READ_LIMIT,
                                         timeout=queries.READ_TIMEOUT).rows, columns=["src", "dst", "n", "score"])
    art_counts = pd.DataFrame(store.read(queries.SITE_ARTICLE_COUNTS, limit=queries.READ_LIMIT,
                                         timeout=queries.READ_TIMEOUT).rows, columns=["src", "date", "n"])
    vectors: dict[str, tuple[list[str], np.ndarray]] = {}
    model_id = ""
    from embeddings.cache import read_vectors

    for label in VECTOR_LABELS:
        try:
            ids, vecs, model_id = read_vectors(home, label, include_titles=label == "Brand")
        except InputError:
            log.warning("no cached vectors for :%s; its text features are zero (run `partnergraph embed`)",
                        label)
            continue
        # a brand's own record only (its name and description): see own_record_vectors
        vectors[label] = own_record_vectors(ids, vecs) if label == "Brand" else (ids, vecs)
    tables = tables_from_export(export, vectors, article_topics=art_topics, article_counts=art_counts)
    tables.model_id = model_id
    return tables


def own_record_vectors(ids: Sequence[str], vecs: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each node's vector from its own record: the unit mean of its name and description vectors
    (``<id>#name``, ``<id>#desc`` in the embeddings cache).

    A brand's pooled text (``embeddings.texts``) also holds the articles of the partners that
    promote it, later partnerships included, and its ``IN_CATEGORY`` tags lean on the profile of
    all its partners. Link prediction reads a brand's partners only through snapshots, so its
    static text is its own record."""
    parts: dict[str, list[np.ndarray]] = {}
    for node_id, v in zip(ids, vecs, strict=True):
        base, sep, tail = node_id.rpartition("#")
        norm = float(np.linalg.norm(v))
        if sep + tail in (NAME_SUFFIX, DESC_SUFFIX) and norm > 0:
            parts.setdefault(base, []).append(v / norm)
    out_ids = sorted(parts)
    dim = vecs.shape[1] if vecs.ndim == 2 else 0
    out = np.stack([np.mean(parts[i], axis=0) for i in out_ids]).astype(np.float32) if out_ids \
        else np.zeros((0, dim), np.float32)
    return out_ids, out


def _frame(export: GraphExport, key: str, *, edges: bool) -> pd.DataFrame:
    src = export.edges if edges else export.nodes
    df = src.get(key)
    if df is None:
        cols = ["src", "dst", "src_label", "dst_label"] if edges else ["id", "labels"]
        return pd.DataFrame(columns=cols)
    return df


def _col(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([default] * len(df), index=df.index, dtype=object)


def _domain(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    d = value.strip().lower()
    for prefix in ("https://", "http://"):
        if d.startswith(prefix):
            d = d[len(prefix):]
    d = d.split("/")[0]
    return d[4:] if d.startswith("www.") else d


def _merge_decision(evidence: Any) -> bool:
    if not isinstance(evidence, str) or not evidence.strip():
        return True
    try:
        doc = json.loads(evidence)
    except ValueError:
        return True
    decision = doc.get("decision") if isinstance(doc, dict) else None
    return decision is None or str(decision).lower() in MERGE_DECISIONS


class _UnionFind:
    def __init__(self, items: Sequence[str]) -> None:
        self.parent = {x: x for x in items}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def tables_from_export(export: GraphExport,
                       vectors: dict[str, tuple[list[str], np.ndarray]] | None = None, *,
                       article_topics: pd.DataFrame | None = None,
                       article_counts: pd.DataFrame | None = None) -> GraphTables:
    """Pure: the export's frames (and cached vectors, and the per-site article aggregates of
    :mod:`gnn.queries`) -> :class:`GraphTables`. A partner's topics are those of its records
    and of the articles its site published."""
    vectors = vectors or {}
    export = export.sorted()  # results must not depend on the store's row order
    recs = pd.concat([_frame(export, lab, edges=False).assign(_label=lab) for lab in PARTNER_LABELS],
                     ignore_index=True)
    recs = recs.drop_duplicates("id") if len(recs) else recs
    ran = _frame(export, "RAN", edges=True)
    with_ = _frame(export, "WITH", edges=True)
    same = _frame(export, "SAME_AS", edges=True)
    with_targets = set(with_["dst"].astype(str)) if len(with_) else set()
    crm = _col(recs, "crm_id").notna() & (_col(recs, "crm_id").astype(str).str.strip() != "")
    is_partner = crm | recs["id"].astype(str).isin(with_targets) if len(recs) else crm
    partners_df = recs[is_partner].copy()
    if partners_df.empty:
        raise InputError("the graph has no partners (no Publisher/Influencer with a crm_id or a campaign)",
                         hint="import a CRM partner export first (`partnergraph import`)")
    # ---- canonical partners: SAME_AS merges between partner records
    rec_ids = partners_df["id"].astype(str).tolist()
    uf = _UnionFind(rec_ids)
    rec_set = set(rec_ids)
    others: list[tuple[str, str]] = []  # (non-partner record, partner record)
    for s, d, ev in zip(same["src"].astype(str), same["dst"].astype(str), _col(same, "evidence"),
                        strict=True):
        if not _merge_decision(ev):
            continue
        if s in rec_set and d in rec_set:
            uf.union(s, d)
        elif d in rec_set:
            others.append((s, d))
        elif s in rec_set:
            others.append((d, s))
    canon = sorted({uf.find(x) for x in rec_ids})
    pidx = {c: i for i, c in enumerate(canon)}
    alias: dict[str, int] = {r: pidx[uf.find(r)] for r in rec_ids}
    for other, rec in others:
        alias.setdefault(other, alias[rec])
    # crawled site records: same domain as a CRM partner
    dom_of: dict[str, int] = {}
    for rid, dom in zip(partners_df["id"].astype(str), _col(partners_df, "domain"), strict=True):
        d = _domain(dom)
        if d:
            dom_of.setdefault(d, alias[rid])
    site_records = recs[~is_partner]
    has_site = np.zeros(len(canon))
    for rid, dom, url in zip(site_records["id"].astype(str), _col(site_records, "domain"),
                             _col(site_records, "url"), strict=True):
        d = _domain(dom) or _domain(url)
        if d in dom_of and rid not in alias:
            alias[rid] = dom_of[d]
            if str(rid).split(":")[0] in ("pub", "inf") or url:
                has_site[dom_of[d]] = 1.0
    # ---- partner attributes (from the canonical record, else any record of the group)
    by_id = partners_df.set_index(partners_df["id"].astype(str))
    first_rec = by_id.loc[canon]
    country = _col(first_rec, "country").astype(object).to_numpy()
    language = _col(first_rec, "language").astype(object).to_numpy()
    ptype = _col(first_rec, "partner_type").astype(str).str.lower().to_numpy()
    label = first_rec["_label"].astype(str).to_numpy()
    flag = _col(partners_df, "brand_safety_flag").fillna(False).astype(bool).to_numpy()
    safety = np.zeros(len(canon))
    np.maximum.at(safety, np.array([alias[r] for r in rec_ids]), flag.astype(float))
    static = pd.DataFrame({
        "is_influencer": ((label == "Influencer") | (ptype == "influencer")).astype(float),
        "brand_safety_flag": safety,
        "has_site": has_site,
    })
    # ---- brands
    brands_df = _frame(export, "Brand", edges=False)
    ran_brands = set(ran["src"].astype(str)) if len(ran) else set()
    bcrm = _col(brands_df, "crm_id").notna() & (_col(brands_df, "crm_id").astype(str).str.strip() != "")
    keep = bcrm | brands_df["id"].astype(str).isin(ran_brands) if len(brands_df) else bcrm
    brand_ids = sorted(brands_df[keep]["id"].astype(str).unique().tolist())
    bidx = {b: i for i, b in enumerate(brand_ids)}
    bcountry_map = dict(zip(brands_df["id"].astype(str), _col(brands_df, "country"), strict=True))
    brand_country = np.array([bcountry_map.get(b) for b in brand_ids], dtype=object)
    # ---- campaigns and events
    camps = _frame(export, "Campaign", edges=False)
    cstart = dict(zip(camps["id"].astype(str), _col(camps, "start"), strict=True))
    camp_brand = {str(c): str(b) for b, c in zip(ran["src"], ran["dst"], strict=True)} if len(ran) else {}
    campaigns = pd.DataFrame({"campaign": list(camp_brand), "brand": list(camp_brand.values())})
    campaigns["b"] = campaigns["brand"].map(bidx)
    campaigns["start_day"] = day_index(campaigns["campaign"].map(cstart).fillna(""))
    campaigns = campaigns[campaigns["b"].notna()].copy()
    campaigns["b"] = campaigns["b"].astype(np.int64)
    ev = pd.DataFrame({
        "campaign": with_["src"].astype(str) if len(with_) else pd.Series(dtype=str),
        "rec": with_["dst"].astype(str) if len(with_) else pd.Series(dtype=str),
        "period": _col(with_, "period").astype(str) if len(with_) else pd.Series(dtype=str),
    })
    for col in ("impressions", "clicks", "conversions", "revenue", "cost"):
        ev[col] = pd.to_numeric(_col(with_, col), errors="coerce").to_numpy(float) if len(with_) else []
    ev["b"] = ev["campaign"].map(camp_brand).map(bidx)
    ev["p"] = ev["rec"].map(alias)
    ev["month"] = month_index(ev["period"]) if len(ev) else np.zeros(0, np.int64)
    ev["start_day"] = day_index(ev["campaign"].map(cstart).fillna("")) if len(ev) else np.zeros(0, np.int64)
    # a campaign without a start date starts on the first day of its first period
    missing = ev["start_day"] < 0
    if missing.any():
        ev.loc[missing, "start_day"] = [month_start_day(m) if m >= 0 else -1 for m in ev.loc[missing, "month"]]
    dropped = int((ev["b"].isna() | ev["p"].isna() | (ev["start_day"] < 0)).sum())
    if dropped:
        log.info("link prediction: %d campaign rows without a known brand, partner or date were left out",
                 dropped)
    ev = ev[ev["b"].notna() & ev["p"].notna() & (ev["start_day"] >= 0)].copy()
    ev["b"] = ev["b"].astype(np.int64)
    ev["p"] = ev["p"].astype(np.int64)
    ev[["impressions", "clicks", "conversions", "revenue", "cost"]] = \
        ev[["impressions", "clicks", "conversions", "revenue", "cost"]].fillna(0.0).clip(lower=0.0)
    ev["start_month"] = _day_to_month(ev["start_day"].to_numpy())
    campaigns["start_month"] = _day_to_month(campaigns["start_day"].to_numpy())
    ev = ev.drop(columns=["rec", "period"]).reset_index(drop=True)
    pairs = (ev.groupby(["b", "p"], as_index=False)["start_day"].min()
             if len(ev) else pd.DataFrame({"b": [], "p": [], "start_day": []}, dtype=np.int64))
    pairs["start_month"] = _day_to_month(pairs["start_day"].to_numpy())
    # ---- static edges
    covers = _frame(export, "COVERS", edges=True)
    reaches = _frame(export, "REACHES", edges=True)
    in_cat = _frame(export, "IN_CATEGORY", edges=True)
    links = _frame(export, "LINKS_TO", edges=True)
    topic_ids = sorted(_frame(export, "Topic", edges=False)["id"].astype(str).tolist())
    if article_topics is not None and len(article_topics):
        covers = pd.concat([covers[["src", "dst"] + (["score"] if "score" in covers.columns else [])],
                            article_topics[["src", "dst", "score"]]], ignore_index=True)
    pt = _partner_matrix(covers, alias, len(canon), topic_ids)
    audience_ids = sorted(_frame(export, "Audience", edges=False)["id"].astype(str).tolist())
    pa = _partner_matrix(reaches, alias, len(canon), audience_ids)
    category_ids = sorted(_frame(export, "ProductCategory", edges=False)["id"].astype(str).tolist())
    # a brand's categories count only when its own record states what it sells (a description,
    # e.g. the CRM's industry): without one, the tags come from the profile of all its partners
    stated = set(brands_df["id"].astype(str)[_col(brands_df, "description").fillna("").astype(str)
                                             .str.strip() != ""]) if len(brands_df) else set()
    bc = _brand_matrix(in_cat[in_cat["src"].astype(str).isin(stated)] if len(in_cat) else in_cat,
                       bidx, category_ids)
    pl = _links_matrix(links, alias, len(canon))
    parent, root = _hierarchy(_frame(export, "CHILD_OF", edges=True), topic_ids)
    art_p, art_day, art_n = _article_days(article_counts, alias)
    tables = GraphTables(
        brand_ids=brand_ids, partner_ids=canon, alias=alias, brand_country=brand_country,
        partner_country=country, partner_language=language, partner_static=static, events=ev,
        pairs=pairs.astype({"b": np.int64, "p": np.int64, "start_day": np.int64}),
        campaigns=campaigns[["b", "campaign", "start_day", "start_month"]].reset_index(drop=True),
        partner_topic=pt, partner_audience=pa, brand_category=bc, partner_links=pl,
        article_p=art_p, article_day=art_day, article_n=art_n, topic_parent=parent, topic_root=root,
        topic_ids=topic_ids, audience_ids=audience_ids, category_ids=category_ids,
    )
    tables.vectors = _node_vectors(tables, vectors)
    return tables


def _day_to_month(days: np.ndarray) -> np.ndarray:
    if len(days) == 0:
        return np.zeros(0, np.int64)
    d = pd.to_datetime(np.asarray(days, np.int64), unit="D")
    return np.asarray(d.year * 12 + d.month - 1, np.int64)


def _article_days(counts: pd.DataFrame | None, alias: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-site article counts by publication date (``src``, ``date``, ``n``) -> partner index,
    day and count per row, summed over a partner's sites (undated articles: day ``-1``)."""
    if counts is None or not len(counts):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    pos = counts["src"].astype(str).map(alias)
    ok = pos.notna().to_numpy()
    days = day_index(counts["date"].fillna(""))
    df = pd.DataFrame({"p": pos[ok].astype(np.int64).to_numpy(), "day": days[ok],
                       "n": pd.to_numeric(counts["n"][ok]).to_numpy(np.int64)})
    df = df.groupby(["p", "day"], as_index=False)["n"].sum()
    return (df["p"].to_numpy(np.int64), df["day"].to_numpy(np.int64), df["n"].to_numpy(np.int64))


def articles_before(t: GraphTables, cutoff_day: int) -> np.ndarray:
    """Articles each partner had published before ``cutoff_day`` (undated ones always count).

    Sites carry the sponsored posts of their partnerships, dated when the partnership started;
    an all-time count would tell an earlier snapshot how many partnerships are still to come."""
    seen = t.article_day < cutoff_day
    return np.bincount(t.article_p[seen], weights=t.article_n[seen], minlength=t.num_partners).astype(float)


def _partner_matrix(edges: pd.DataFrame, alias: dict[str, int], n: int, ids: list[str]) -> sp.csr_matrix:
    if edges.empty or not ids:
        return sp.csr_matrix((n, len(ids)))
    rows = edges["src"].astype(str).map(alias)
    col = pd.Index(ids).get_indexer(edges["dst"].astype(str))
    ok = rows.notna().to_numpy() & (col >= 0)
    score = pd.to_numeric(_col(edges, "score", 1.0), errors="coerce").fillna(1.0).clip(0.05, 1.0).to_numpy(float)
    m = sp.coo_matrix((score[ok], (rows[ok].astype(np.int64).to_numpy(), col[ok])), shape=(n, len(ids))).tocsr()
    m.sum_duplicates()
    m.data = np.minimum(m.data, 1.0)  # several records of one partner: keep it in [0, 1]
    return m


def _brand_matrix(edges: pd.DataFrame, bidx: dict[str, int], ids: list[str]) -> sp.csr_matrix:
    if edges.empty or not ids:
        return sp.csr_matrix((len(bidx), len(ids)))
    rows = edges["src"].astype(str).map(bidx)
    col = pd.Index(ids).get_indexer(edges["dst"].astype(str))
    ok = rows.notna().to_numpy() & (col >= 0)
    m = sp.coo_matrix((np.ones(int(ok.sum())), (rows[ok].astype(np.int64).to_numpy(), col[ok])),
                      shape=(len(bidx), len(ids))).tocsr()
    m.data[:] = 1.0
    return m


def _hierarchy(child_of: pd.DataFrame, ids: list[str]) -> tuple[sp.csr_matrix, np.ndarray]:
    """CHILD_OF among topics (child -> parent) and each topic's tier-1 root."""
    k = len(ids)
    parent = np.arange(k)
    if len(child_of) and k:
        index = pd.Index(ids)
        c = index.get_indexer(child_of["src"].astype(str))
        p = index.get_indexer(child_of["dst"].astype(str))
        ok = (c >= 0) & (p >= 0) & (c != p)
        parent[c[ok]] = p[ok]
    mat = sp.csr_matrix((np.ones(int((parent != np.arange(k)).sum())),
                         (np.flatnonzero(parent != np.arange(k)), parent[parent != np.arange(k)])), shape=(k, k))
    root = parent.copy()
    for _ in range(16):  # the IAB trees are a few levels deep
        nxt = parent[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return mat, root


def _links_matrix(edges: pd.DataFrame, alias: dict[str, int], n: int) -> sp.csr_matrix:
    if edges.empty:
        return sp.csr_matrix((n, n))
    a = edges["src"].astype(str).map(alias)
    b = edges["dst"].astype(str).map(alias)
    ok = a.notna() & b.notna() & (a != b)
    r, c = a[ok].astype(np.int64).to_numpy(), b[ok].astype(np.int64).to_numpy()
    m = sp.coo_matrix((np.ones(2 * len(r)), (np.r_[r, c], np.r_[c, r])), shape=(n, n)).tocsr()
    m.data[:] = 1.0
    return m


def _node_vectors(t: GraphTables, vectors: dict[str, tuple[list[str], np.ndarray]]) -> dict[str, np.ndarray]:
    dim = next((v.shape[1] for _, v in vectors.values() if v.ndim == 2 and v.shape[1]), 384)

    def pick(label_list: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(ids), dim), np.float32)
        pos = {x: i for i, x in enumerate(ids)}
        for label in label_list:
            if label not in vectors:
                continue
            vid, vec = vectors[label]
            for j, x in enumerate(vid):
                i = pos.get(x)
                if i is not None:
                    out[i] = vec[j]
        return out

    partner = np.zeros((t.num_partners, dim), np.float32)
    count = np.zeros(t.num_partners, np.float32)
    for label in PARTNER_LABELS:
        if label not in vectors:
            continue
        vid, vec = vectors[label]
        for j, x in enumerate(vid):
            i = t.alias.get(x)
            if i is not None and np.any(vec[j]):
                v = vec[j] / (np.linalg.norm(vec[j]) + 1e-9)
                partner[i] += v
                count[i] += 1
    partner /= np.maximum(count, 1)[:, None]
    return {
        "brand": pick(["Brand"], t.brand_ids),
        "partner": partner,
        "topic": pick(["Topic"], t.topic_ids),
        "audience": pick(["Audience"], t.audience_ids),
        "category": pick(["ProductCategory"], t.category_ids),
    }


# ----------------------------------------------------------------------------- snapshots

@dataclass
class Snapshot:
    """The graph as known just before ``cutoff_day`` (partnerships and performance)."""

    cutoff_day: int
    cutoff_month: int
    known: sp.csr_matrix  # B x P binary: partnerships that started before the cutoff
    partner_num: pd.DataFrame  # PARTNER_NUMERIC + PARTNER_FLAGS (raw, not scaled)
    brand_num: pd.DataFrame  # BRAND_NUMERIC + BRAND_FLAGS (raw)
    good: sp.csr_matrix  # B x P: known pairs with a positive log ROI
    global_log_roi: float  # mean pair-level log ROI before the cutoff
    global_cvr: float
    partner_mean_roi: np.ndarray  # P: mean pair-level log ROI (NaN without history)
    partner_mean_cvr: np.ndarray  # P: conversions / clicks (NaN without clicks)
    brand_mean_roi: np.ndarray  # B


def log_roi(revenue: Any, cost: Any) -> np.ndarray:
    """``ln((revenue + 1) / (cost + 1))``: the performance target, defined for zero rows too."""
    return np.log1p(np.asarray(revenue, float)) - np.log1p(np.asarray(cost, float))


def snapshot(t: GraphTables, cutoff_day: int) -> Snapshot:
    """Pure: the tables cut at ``cutoff_day`` (see the module docstring)."""
    cm = int(_day_to_month(np.array([cutoff_day]))[0])
    B, P = t.num_brands, t.num_partners
    pk = t.pairs[t.pairs["start_day"] < cutoff_day]
    known = sp.csr_matrix((np.ones(len(pk)), (pk["b"].to_numpy(), pk["p"].to_numpy())), shape=(B, P))
    # performance rows of months that ended before the cutoff, of campaigns started before it
    ev = t.events[(t.events["month"] < cm) & (t.events["start_day"] < cutoff_day)]
    pair = ev.groupby(["b", "p"], as_index=False)[["revenue", "cost", "conversions", "clicks"]].sum()
    pair["lr"] = log_roi(pair["revenue"].to_numpy(), pair["cost"].to_numpy())
    glr = float(pair["lr"].mean()) if len(pair) else 0.0
    gcvr = float(ev["conversions"].sum() / max(ev["clicks"].sum(), 1.0)) if len(ev) else 0.0
    g = ev.groupby("p")
    rows = g.size().reindex(range(P), fill_value=0).to_numpy(float)
    gp = pair.groupby("p")
    n_pairs = gp.size().reindex(range(P), fill_value=0).to_numpy(float)
    sum_lr = gp["lr"].sum().reindex(range(P), fill_value=0.0).to_numpy()
    clicks = g["clicks"].sum().reindex(range(P), fill_value=0.0).to_numpy()
    conv = g["conversions"].sum().reindex(range(P), fill_value=0.0).to_numpy()
    impr = g["impressions"].sum().reindex(range(P), fill_value=0.0).to_numpy()
    camps = g["campaign"].nunique().reindex(range(P), fill_value=0).to_numpy(float)
    k = ROI_PRIOR_ROWS
    # last activity of partners: any campaign started before the cutoff
    ev_all = t.events[t.events["start_day"] < cutoff_day]
    last_p = ev_all.groupby("p")["start_month"].max().reindex(range(P)).to_numpy(float)
    recent = pk[pk["start_month"] >= cm - RECENT_MONTHS].groupby("p").size().reindex(range(P), fill_value=0)
    months_since = np.where(np.isnan(last_p), NEVER_MONTHS, np.clip(cm - last_p, 0, NEVER_MONTHS))
    partner_num = pd.DataFrame({
        "degree": np.asarray(known.sum(0)).ravel(),
        "recent_brands": recent.to_numpy(float),
        "hist_campaigns": camps,
        "hist_rows": rows,
        "hist_impressions": impr / np.maximum(rows, 1),
        "hist_clicks": clicks / np.maximum(rows, 1),
        "hist_log_roi": (sum_lr + k * glr) / (n_pairs + k),
        "hist_cvr": (conv + k * 10 * gcvr) / (clicks + k * 10),
        "hist_ctr": (clicks + 1.0) / (impr + 100.0),
        "months_since_last": months_since,
        "n_audiences": np.asarray((t.partner_audience > 0).sum(1)).ravel().astype(float),
        "n_links": np.asarray(t.partner_links.sum(1)).ravel().astype(float),
        "n_articles": articles_before(t, cutoff_day),
    })
    for col in ("is_influencer", "brand_safety_flag", "has_site"):
        partner_num[col] = t.partner_static[col].to_numpy(float)
    partner_num["never_active"] = np.isnan(last_p).astype(float)
    partner_mean_roi = np.where(n_pairs > 0, sum_lr / np.maximum(n_pairs, 1), np.nan)
    partner_mean_cvr = np.where(clicks > 0, conv / np.maximum(clicks, 1), np.nan)
    # brands
    gb = ev.groupby("b")
    gpb = pair.groupby("b")
    b_pairs = gpb.size().reindex(range(B), fill_value=0).to_numpy(float)
    b_lr = gpb["lr"].sum().reindex(range(B), fill_value=0.0).to_numpy()
    b_clk = gb["clicks"].sum().reindex(range(B), fill_value=0.0).to_numpy()
    b_conv = gb["conversions"].sum().reindex(range(B), fill_value=0.0).to_numpy()
    camp = t.campaigns[t.campaigns["start_day"] < cutoff_day]
    bc = camp.groupby("b")
    n_camp = bc.size().reindex(range(B), fill_value=0).to_numpy(float)
    recent_c = camp[camp["start_month"] >= cm - RECENT_MONTHS].groupby("b").size().reindex(
        range(B), fill_value=0).to_numpy(float)
    last_b = bc["start_month"].max().reindex(range(B)).to_numpy(float)
    brand_num = pd.DataFrame({
        "degree": np.asarray(known.sum(1)).ravel(),
        "hist_campaigns": n_camp,
        "recent_campaigns": recent_c,
        "hist_log_roi": (b_lr + k * glr) / (b_pairs + k),
        "hist_cvr": (b_conv + k * 10 * gcvr) / (b_clk + k * 10),
        "months_since_last": np.where(np.isnan(last_b), NEVER_MONTHS, np.clip(cm - last_b, 0, NEVER_MONTHS)),
        "n_categories": np.asarray(t.brand_category.sum(1)).ravel().astype(float),
        "never_active": np.isnan(last_b).astype(float),
    })
    brand_mean_roi = np.where(b_pairs > 0, b_lr / np.maximum(b_pairs, 1), np.nan)
    good = pair[pair["lr"] > 0]
    good_m = sp.csr_matrix((np.ones(len(good)), (good["b"].to_numpy(), good["p"].to_numpy())), shape=(B, P))
    return Snapshot(cutoff_day, cm, known.tocsr(), partner_num, brand_num, good_m, glr, gcvr,
                    partner_mean_roi, partner_mean_cvr, brand_mean_roi)


# ----------------------------------------------------------------------------- scaling

@dataclass
class Scaler:
    """``log1p`` for counts/amounts, then standardise with statistics of the training snapshot."""

    columns: list[str]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> Scaler:
        x = _log_cols(frame)
        std = x.std(axis=0)
        return cls(list(frame.columns), x.mean(axis=0), np.where(std > 1e-9, std, 1.0))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        x = _log_cols(frame[self.columns])
        out = (x - self.mean) / self.std
        if not np.isfinite(out).all():
            raise InputError("link prediction: non-finite node features after scaling",
                             hint="check campaign figures for NaN or infinite values")
        return out.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scaler:
        return cls(list(d["columns"]), np.asarray(d["mean"], float), np.asarray(d["std"], float))


def _log_cols(frame: pd.DataFrame) -> np.ndarray:
    x = frame.to_numpy(dtype=float).copy()
    for j, c in enumerate(frame.columns):
        if c in LOG_SCALED:
            x[:, j] = np.log1p(np.clip(x[:, j], 0, None))
    return x


@dataclass
class TextProjection:
    """PCA of the sentence vectors (unsupervised, fitted on every node's text)."""

    mean: np.ndarray
    components: np.ndarray  # (dim, TEXT_DIM)

    @classmethod
    def fit(cls, vectors: dict[str, np.ndarray], dim: int = TEXT_DIM, seed: int = 7) -> TextProjection:
        stack = np.concatenate([v for v in vectors.values() if len(v)], axis=0).astype(np.float64)
        mean = stack.mean(axis=0)
        x = stack - mean
        k = max(1, min(dim, x.shape[0] - 1, x.shape[1]))
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        comp = vt[:k].T
        if k < dim:
            comp = np.pad(comp, ((0, 0), (0, dim - k)))
        return cls(mean.astype(np.float32), comp.astype(np.float32))

    def __call__(self, v: np.ndarray) -> np.ndarray:
        out = (v - self.mean) @ self.components
        scale = np.sqrt((out ** 2).mean()) + 1e-9
        return (out / scale).astype(np.float32)


@dataclass
class FeatureSpace:
    """What turns a snapshot into node features: scalers (training window) and text PCA."""

    partner_scaler: Scaler
    brand_scaler: Scaler
    text: TextProjection
    countries: list[str]
    languages: list[str]

    @classmethod
    def fit(cls, t: GraphTables, train: Snapshot) -> FeatureSpace:
        num_p = train.partner_num[list(PARTNER_NUMERIC)]
        num_b = train.brand_num[list(BRAND_NUMERIC)]
        countries = _top_values(t.partner_country, 0.02)
        languages = _top_values(t.partner_language, 0.02)
        return cls(Scaler.fit(num_p), Scaler.fit(num_b), TextProjection.fit(t.vectors), countries, languages)

    def partner_x(self, t: GraphTables, s: Snapshot) -> np.ndarray:
        flags = s.partner_num[list(PARTNER_FLAGS)].to_numpy(np.float32)
        return np.concatenate([
            self.partner_scaler.transform(s.partner_num[list(PARTNER_NUMERIC)]), flags,
            _one_hot(t.partner_country, self.countries), _one_hot(t.partner_language, self.languages),
            self.text(t.vectors["partner"]),
        ], axis=1)

    def brand_x(self, t: GraphTables, s: Snapshot) -> np.ndarray:
        flags = s.brand_num[list(BRAND_FLAGS)].to_numpy(np.float32)
        return np.concatenate([
            self.brand_scaler.transform(s.brand_num[list(BRAND_NUMERIC)]), flags,
            _one_hot(t.brand_country, self.countries), self.text(t.vectors["brand"]),
        ], axis=1)


def _top_values(values: np.ndarray, share: float) -> list[str]:
    s = pd.Series(values).dropna().astype(str)
    if s.empty:
        return []
    freq = s.value_counts(normalize=True)
    return sorted(freq[freq >= share].index.tolist())


def _one_hot(values: np.ndarray, vocab: list[str]) -> np.ndarray:
    out = np.zeros((len(values), len(vocab) + 1), np.float32)
    pos = {v: i for i, v in enumerate(vocab)}
    for i, v in enumerate(values):
        out[i, pos.get(str(v), len(vocab)) if v is not None else len(vocab)] = 1.0
    return out


def to_hetero(t: GraphTables, s: Snapshot, space: FeatureSpace) -> HeteroData:
    """The snapshot as ``HeteroData`` with :data:`EDGE_TYPES` and their reverse edges."""
    import torch
    import torch_geometric.transforms as T
    from torch_geometric.data import HeteroData

    data = HeteroData()
    data["brand"].x = torch.from_numpy(space.brand_x(t, s))
    data["partner"].x = torch.from_numpy(space.partner_x(t, s))
    for nt, mat_key in (("topic", "topic"), ("audience", "audience"), ("category", "category")):
        vec = t.vectors[mat_key]
        deg = {"topic": t.partner_topic, "audience": t.partner_audience, "category": t.brand_category}[nt]
        d = np.log1p(np.asarray((deg > 0).sum(0)).ravel()).astype(np.float32)[:, None]
        x = np.concatenate([space.text(vec) if len(vec) else np.zeros((0, TEXT_DIM), np.float32),
                            (d - d.mean()) / (d.std() + 1e-9) if len(d) else d], axis=1)
        data[nt].x = torch.from_numpy(x.astype(np.float32))
    mats = {
        ("brand", "partnered", "partner"): s.known,
        ("partner", "covers", "topic"): t.partner_topic,
        ("partner", "reaches", "audience"): t.partner_audience,
        ("brand", "in_category", "category"): t.brand_category,
        ("partner", "links", "partner"): t.partner_links,
        ("topic", "child_of", "topic"): t.topic_parent,
    }
    for et in EDGE_TYPES:
        coo = sp.coo_matrix(mats[et])
        data[et].edge_index = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    data = T.ToUndirected()(data)
    return data


__all__ = [
    "EDGE_TYPES", "NODE_TYPES", "PARTNER_NUMERIC", "BRAND_NUMERIC", "PARTNER_FLAGS", "BRAND_FLAGS",
    "GraphTables", "Snapshot", "Scaler", "FeatureSpace", "TextProjection", "load_tables",
    "tables_from_export", "snapshot", "to_hetero", "log_roi", "month_index", "month_str",
    "pair_performance",
]


def pair_performance(t: GraphTables, b: np.ndarray, p: np.ndarray, start_month: int,
                     end_month: int) -> tuple[np.ndarray, np.ndarray]:
    """Realised (log ROI, conversion rate) of pairs over months ``[start_month, end_month)``;
    NaN where the pair has no performance rows (or no clicks, for the conversion rate)."""
    ev = t.events[(t.events["month"] >= start_month) & (t.events["month"] < end_month)]
    agg = ev.groupby(["b", "p"])[["revenue", "cost", "conversions", "clicks"]].sum()
    idx = pd.MultiIndex.from_arrays([np.asarray(b, np.int64), np.asarray(p, np.int64)])
    a = agg.reindex(idx)
    roi = log_roi(a["revenue"].to_numpy(float), a["cost"].to_numpy(float))
    clicks = a["clicks"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        cvr = np.where(clicks > 0, a["conversions"].to_numpy(float) / clicks, np.nan)
    return roi, cvr
