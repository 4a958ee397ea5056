"""Pair features of (brand, partner) on a snapshot, for the GBM and the heuristic baselines.

Every feature is computed as a block ``[len(brands), P]`` (a chunk of brands against every
partner), from matrices prepared once per snapshot in :class:`PairContext`. Nothing here reads
data after the snapshot's cutoff.

Graph heuristics are defined on the brand–partner–topic graph (brands link to their known
partners, partners to their topics). A brand and a candidate partner are on the two sides of
that bipartite graph, so "common neighbours" counts paths of length 3 (Kovács et al. 2019):
``CN(b, p) = sum over known partners p' of b of |N(p') ∩ N(p)|``, where the shared neighbour
``z`` is another brand (collaborative filtering) or a topic (content). Adamic-Adar weights each
``z`` by ``1 / log(deg z)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from gnn.data import GraphTables, Snapshot

#: The GBM's pair features, in column order (``gnn_*`` only in the hybrid). ``z_*`` are linear
#: profile features standardised within each brand, over every partner (a brand's campaigns pick
#: the partners that fit it best *relative to its other candidates*); ``collab_root_cos`` compares
#: the brand's topic roots with those of the brands each partner worked with.
PAIR_FEATURES = (
    "pop", "pop_recent", "cn_brand", "cn_topic", "aa_brand", "aa_topic", "cf_cosine",
    "topic_cos", "root_cos", "good_root_cos", "audience_cos", "cat_topic_cos", "cat_cf", "text_cos", "text_profile_cos",
    "text_max_cos", "text_good_cos", "country_share", "language_share", "type_share",
    "same_country", "links_to_known",
    "p_hist_log_roi", "p_hist_cvr", "p_hist_impressions", "p_hist_campaigns", "p_months_since_last",
    "p_never_active", "p_is_influencer", "p_brand_safety", "p_has_site", "p_n_articles",
    "b_degree", "b_hist_log_roi", "b_recent_campaigns", "b_hist_cvr",
    "z_topic", "z_root", "z_good_root", "z_text_profile", "z_country", "z_audience", "collab_root_cos",
    "fine_cos", "z_fine",
)
HYBRID_FEATURES = ("gnn_score", "gnn_roi")
#: The pair features the GNN's structural decoder reads (:attr:`gnn.model.GNNConfig.structure`):
#: Adamic-Adar and common-neighbour counts through shared brands and through topics.
STRUCTURE_FEATURES = ("aa_brand", "aa_topic", "cn_brand", "cn_topic")
_STRUCTURE_COLS = [PAIR_FEATURES.index(f) for f in STRUCTURE_FEATURES]
#: Bumped when a model input's meaning changes under the same name, or the GNN's node features
#: change: a model computed on another revision is refused (2: brand text from its own record,
#: brand categories only when stated, article counts cut at each snapshot, no count of the
#: partner's topics; 3: no count of the partner's topics in the GNN's node features either:
#: docs/gnn.md).
FEATURES_REVISION = 3


def features_mismatch(params: dict[str, Any]) -> str | None:
    """Why a model's recorded ``params`` were computed on other pair features than this version
    computes (another list, or the same names under another revision); ``None`` when they match."""
    have = params.get("pair_features") or []
    if have != list(PAIR_FEATURES):
        return f"another set of pair features ({len(have)}, this version has {len(PAIR_FEATURES)})"
    if params.get("features_revision") != FEATURES_REVISION:
        return (f"features of revision {params.get('features_revision') or 1}, "
                f"this version computes revision {FEATURES_REVISION}")
    return None


def structure_inputs(X: np.ndarray) -> np.ndarray:
    """The GNN's structural inputs ``[..., 4]`` (float32) from pair features ``[...,
    len(PAIR_FEATURES)]`` (pairs or a block): every count log-scaled (the CN features already are)."""
    S = np.array(X[..., _STRUCTURE_COLS], dtype=np.float32)
    S[..., :2] = np.log1p(np.maximum(S[..., :2], 0.0))
    return S


#: Each ``z_*`` feature: the linear profile feature it standardises, the brand profile
#: (a :class:`PairContext` field; ``None``: the brand's text profile) and the partner matrix.
_Z = {"z_topic": ("topic_cos", "brand_topic", "Tn"), "z_root": ("root_cos", "brand_root", "Rn"),
      "z_good_root": ("good_root_cos", "good_root", "Rn"), "z_text_profile": ("text_profile_cos", None, "Xp"),
      "z_country": ("country_share", "country_share", "C"), "z_audience": ("audience_cos", "brand_aud", "Un"),
      "z_fine": ("fine_cos", "brand_fine", "Fn")}
BRAND_CHUNK = 64
TEXT_LOW = 64


def _norm_rows(m: np.ndarray) -> np.ndarray:
    return m / (np.linalg.norm(m, axis=1, keepdims=True) + 1e-9)


def _dense(m: Any) -> np.ndarray:
    return np.asarray(m.toarray()) if sp.issparse(m) else np.asarray(m)


@dataclass
class PairContext:
    """Matrices of one snapshot that every pair feature is built from."""

    t: GraphTables
    s: Snapshot
    A: sp.csr_matrix  # B x P known partnerships (binary)
    T: sp.csr_matrix  # P x K partner topics (binary)
    U: sp.csr_matrix  # P x Au partner audiences (binary)
    Xp: np.ndarray  # P x d normalised text vectors
    Xb: np.ndarray  # B x d
    brand_topic: np.ndarray  # B x K profile: topics of the brand's known partners (row-normalised)
    brand_aud: np.ndarray  # B x Au
    cat_topic: np.ndarray  # B x K: topics of partners of brands sharing a category (row-normalised)
    cat_cf: sp.csr_matrix  # B x B category similarity (row-normalised, no self)
    good: sp.csr_matrix  # B x P known partners with a positive log ROI
    aa_w_brand: np.ndarray  # 1 / log(deg) of brands
    aa_w_topic: np.ndarray  # 1 / log(deg) of topics
    partner_country_codes: np.ndarray  # P int
    partner_lang_codes: np.ndarray
    brand_country_codes: np.ndarray  # B int (same codebook as partners)
    country_share: np.ndarray  # B x n_countries
    lang_share: np.ndarray  # B x n_langs
    infl_share: np.ndarray  # B
    Tn: sp.csr_matrix  # P x K row-normalised topics
    Un: sp.csr_matrix  # P x Au
    An: sp.csr_matrix  # B x P row-normalised known partnerships
    Xlow: np.ndarray  # P x 64 normalised low-rank text (for the max-similarity feature)
    Rn: sp.csr_matrix  # P x K row-normalised tier-1 topic roots of partners
    brand_root: np.ndarray  # B x K root profile of the brand's known partners
    good_root: np.ndarray  # B x K root profile of the brand's good partners
    collab_root: np.ndarray  # P x K root profile of the brands each partner worked with
    Fn: sp.csr_matrix  # P x K row-normalised most specific topics of partners (no tagged descendant)
    brand_fine: np.ndarray  # B x K profile of the most specific topics of the brand's known partners
    _pair_aux: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, t: GraphTables, s: Snapshot) -> PairContext:
        A = (s.known > 0).astype(np.float32).tocsr()
        st = _static(t)
        T, U, R, Xp, Xb = st["T"], st["U"], st["R"], st["Xp"], st["Xb"]
        deg_b = np.asarray(A.sum(1)).ravel()
        deg_t = np.asarray(T.sum(0)).ravel()
        brand_topic = _norm_rows(_dense(A @ T))
        brand_aud = _norm_rows(_dense(A @ U))
        C = (t.brand_category > 0).astype(np.float32).tocsr()
        cat_sim = (C @ C.T).tolil()
        cat_sim.setdiag(0)
        cat_sim = cat_sim.tocsr()
        cat_sim.eliminate_zeros()
        rs = np.asarray(cat_sim.sum(1)).ravel()
        cat_sim = sp.diags(1.0 / np.maximum(rs, 1e-9)) @ cat_sim
        cat_topic = _norm_rows(_dense(cat_sim @ (A @ T)))
        good = (s.good > 0).astype(np.float32).tocsr()
        _, pc, bc = st["country_codes"]
        _, pl, _ = st["language_codes"]
        country_share = _share(A, st["C"])
        lang_share = _share(A, st["L"])
        infl = t.partner_static["is_influencer"].to_numpy(np.float32)
        infl_share = np.asarray(A @ infl).ravel() / np.maximum(deg_b, 1)
        brand_root = _norm_rows(_dense(A @ R))
        return cls(t, s, A, T, U, Xp, Xb, brand_topic, brand_aud, cat_topic, cat_sim.tocsr(), good,
                   1.0 / np.log(np.maximum(deg_b, 2.0)), 1.0 / np.log(np.maximum(deg_t, 2.0)),
                   pc, pl, bc, country_share, lang_share, infl_share,
                   st["Tn"], st["Un"], _norm_sparse(A), st["Xlow"], st["Rn"], brand_root,
                   _norm_rows(_dense(good @ R)), _norm_rows(_dense(A.T @ brand_root)).astype(np.float32),
                   st["Fn"], _norm_rows(_dense(A @ st["F"])))

    def zmoments(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Mean and standard deviation over all partners of each linear profile feature of
        :data:`_Z`, per brand (``[B]`` each; once per snapshot). Each feature is
        ``profile_b . M_p``, so both follow from the first two moments of ``M``."""
        if "zmoments" not in self._pair_aux:
            mo = _static(self.t)["moments"]
            text_profile = _norm_rows(_dense(self.A @ self.Xp))
            out = {}
            for name, (_, attr, key) in _Z.items():
                profile = (text_profile if attr is None else getattr(self, attr)).astype(np.float64)
                mu, S = mo[key]
                m = profile @ mu
                v = np.einsum("ij,ij->i", profile @ S, profile) - m * m
                out[name] = (m.astype(np.float32), np.sqrt(np.maximum(v, 1e-12)).astype(np.float32))
            self._pair_aux["zmoments"] = out
        return self._pair_aux["zmoments"]

    # ---- heuristic blocks (also the baselines)

    def popularity(self, brands: np.ndarray) -> np.ndarray:
        deg = self.s.partner_num["degree"].to_numpy(np.float32)
        recent = self.s.partner_num["recent_brands"].to_numpy(np.float32)
        # ties broken by recent popularity: a tiny, monotone tie-breaker
        return np.broadcast_to(deg + 1e-3 * recent, (len(brands), len(deg))).copy()

    def cn_parts(self, brands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Ab = self.A[brands]
        via_brand = _dense((Ab @ self.A.T) @ self.A)  # b - p' - b' - p
        via_topic = _dense((Ab @ self.T) @ self.T.T)  # b - p' - topic - p
        return via_brand, via_topic

    def aa_parts(self, brands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Ab = self.A[brands]
        via_brand = _dense((Ab @ self.A.T) @ sp.diags(self.aa_w_brand) @ self.A)
        via_topic = _dense((Ab @ self.T) @ sp.diags(self.aa_w_topic) @ self.T.T)
        return via_brand, via_topic

    def text_cos(self, brands: np.ndarray) -> np.ndarray:
        return self.Xb[brands] @ self.Xp.T

    def text_profile_cos(self, brands: np.ndarray) -> np.ndarray:
        prof = _norm_rows(_dense(self.A[brands] @ self.Xp))
        return prof @ self.Xp.T

    def structure_block(self, brands: np.ndarray) -> np.ndarray:
        """``[len(brands), P, 4]``: :func:`structure_inputs` of :meth:`block`, computed alone."""
        brands = np.asarray(brands, np.int64)
        aa_b, aa_t = self.aa_parts(brands)
        cn_b, cn_t = self.cn_parts(brands)
        return np.log1p(np.stack([aa_b, aa_t, cn_b, cn_t], axis=-1)).astype(np.float32)

    # ---- the full feature block

    def block(self, brands: np.ndarray) -> np.ndarray:
        """``[len(brands), P, len(PAIR_FEATURES)]`` float32."""
        brands = np.asarray(brands, np.int64)
        nb, P = len(brands), self.A.shape[1]
        pn = self.s.partner_num
        bn = self.s.brand_num
        cn_b, cn_t = self.cn_parts(brands)
        aa_b, aa_t = self.aa_parts(brands)
        Ab = self.A[brands]
        sim = _dense(Ab @ self.A.T)  # b x B co-partner counts
        cf = _dense((self.An.T @ _norm_rows(sim).T).T)  # cosine-ish CF score
        prof = _norm_rows(_dense(Ab @ self.Xp))
        text_max = np.zeros((nb, P), np.float32)
        for i, b in enumerate(brands.tolist()):
            ks = self.A.indices[self.A.indptr[b]:self.A.indptr[b + 1]]
            if len(ks):
                text_max[i] = (self.Xlow[ks] @ self.Xlow.T).max(axis=0)
        goodp = _norm_rows(_dense(self.good[brands] @ self.Xp))
        cat_cf = _dense(self.cat_cf[brands] @ self.A)
        links_known = _dense(Ab @ self.t.partner_links)
        cols: dict[str, np.ndarray] = {
            "pop": self.popularity(brands),
            "pop_recent": np.broadcast_to(pn["recent_brands"].to_numpy(np.float32), (nb, P)),
            "cn_brand": np.log1p(cn_b), "cn_topic": np.log1p(cn_t),
            "aa_brand": aa_b, "aa_topic": aa_t, "cf_cosine": cf,
            "topic_cos": _against(self.brand_topic[brands], self.Tn),
            "root_cos": _against(self.brand_root[brands], self.Rn),
            "good_root_cos": _against(self.good_root[brands], self.Rn),
            "audience_cos": _against(self.brand_aud[brands], self.Un),
            "cat_topic_cos": _against(self.cat_topic[brands], self.Tn),
            "cat_cf": cat_cf,
            "text_cos": self.Xb[brands] @ self.Xp.T,
            "text_profile_cos": prof @ self.Xp.T,
            "text_max_cos": text_max,
            "text_good_cos": goodp @ self.Xp.T,
            "country_share": self.country_share[brands][:, self.partner_country_codes],
            "language_share": self.lang_share[brands][:, self.partner_lang_codes],
            "type_share": np.where(self.t.partner_static["is_influencer"].to_numpy(bool)[None, :],
                                   self.infl_share[brands][:, None], 1.0 - self.infl_share[brands][:, None]),
            "same_country": (self.brand_country_codes[brands][:, None] == self.partner_country_codes[None, :]),
            "links_to_known": links_known,
            "collab_root_cos": self.brand_root[brands] @ self.collab_root.T,
            "fine_cos": _against(self.brand_fine[brands], self.Fn),
        }
        for name, (m, sd) in self.zmoments().items():
            cols[name] = (cols[_Z[name][0]] - m[brands][:, None]) / sd[brands][:, None]
        for name, col in _PARTNER_COLS:
            v = pn[col].to_numpy(np.float32)
            cols[name] = np.broadcast_to(np.log1p(v) if col in _LOG_COLS else v, (nb, P))
        for name, col in _BRAND_COLS:
            v = bn[col].to_numpy(np.float32)[brands]
            cols[name] = np.broadcast_to((np.log1p(v) if col in _LOG_COLS else v)[:, None], (nb, P))
        out = np.empty((nb, P, len(PAIR_FEATURES)), np.float32)
        for j, name in enumerate(PAIR_FEATURES):
            out[:, :, j] = cols[name]
        return out

    def pairs(self, b: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Features of arbitrary pairs ``(b[i], p[i])``: ``[n, len(PAIR_FEATURES)]``, equal to
        ``block(b)[., p]`` but computed pair by pair (sparse gathers over the partner's brands,
        topics and audiences; row-wise dot products), in chunks of :data:`PAIR_CHUNK` pairs."""
        b = np.asarray(b, np.int64)
        p = np.asarray(p, np.int64)
        out = np.zeros((len(b), len(PAIR_FEATURES)), np.float32)
        for i in range(0, len(b), PAIR_CHUNK):
            out[i:i + PAIR_CHUNK] = self._pairs(b[i:i + PAIR_CHUNK], p[i:i + PAIR_CHUNK])
        return out

    def _aux(self) -> dict[str, Any]:
        """Matrices the pairwise path reuses across calls (per snapshot)."""
        if "At" not in self._pair_aux:
            At = self.A.T.tocsr()  # P x B: brands of each partner
            self._pair_aux.update({
                "At": At, "Ant": self.An.T.tocsr().astype(np.float32), "T": self.T.tocsr(),
                "Tn": self.Tn.tocsr(), "Rn": self.Rn.tocsr(), "Un": self.Un.tocsr(), "Fn": self.Fn.tocsr(),
                "links": self.t.partner_links.tocsr(),
            })
        return self._pair_aux

    def _pairs(self, b: np.ndarray, p: np.ndarray) -> np.ndarray:
        aux = self._aux()
        ub, inv = np.unique(b, return_inverse=True)
        Ab = self.A[ub]
        sim = _dense(Ab @ self.A.T).astype(np.float32)  # co-partner counts with every brand
        simn = _norm_rows(sim)
        TbT = _dense(Ab @ self.T).astype(np.float32)  # topics of the brand's known partners (counts)
        At, Ant = aux["At"], aux["Ant"]
        nb_ = len(b)
        pn, bn = self.s.partner_num, self.s.brand_num
        cn_b = _gather_dot(sim, inv, At, p)
        cn_t = _gather_dot(TbT, inv, aux["T"], p)
        aa_b = _gather_dot(sim * self.aa_w_brand[None, :].astype(np.float32), inv, At, p)
        aa_t = _gather_dot(TbT * self.aa_w_topic[None, :].astype(np.float32), inv, aux["T"], p)
        cf = _gather_dot(simn, inv, Ant, p)
        cat_cf = _gather_dot(_dense(self.cat_cf[ub]).astype(np.float32), inv, At, p)
        prof = _norm_rows(_dense(Ab @ self.Xp))
        goodp = _norm_rows(_dense(self.good[ub] @ self.Xp))
        text_max = np.zeros(nb_, np.float32)
        for k, brand in enumerate(ub.tolist()):
            ks = self.A.indices[self.A.indptr[brand]:self.A.indptr[brand + 1]]
            rows = np.flatnonzero(inv == k)
            if len(ks) and len(rows):
                text_max[rows] = (self.Xlow[p[rows]] @ self.Xlow[ks].T).max(axis=1)
        links_known = np.asarray(_dense(Ab @ aux["links"])[inv, p]).ravel() if aux["links"].nnz else np.zeros(nb_)
        infl = self.t.partner_static["is_influencer"].to_numpy(bool)[p]
        cols: dict[str, np.ndarray] = {
            "pop": pn["degree"].to_numpy(np.float32)[p] + 1e-3 * pn["recent_brands"].to_numpy(np.float32)[p],
            "pop_recent": pn["recent_brands"].to_numpy(np.float32)[p],
            "cn_brand": np.log1p(cn_b), "cn_topic": np.log1p(cn_t), "aa_brand": aa_b, "aa_topic": aa_t,
            "cf_cosine": cf,
            "topic_cos": _gather_dot(self.brand_topic[ub], inv, aux["Tn"], p),
            "root_cos": _gather_dot(self.brand_root[ub], inv, aux["Rn"], p),
            "good_root_cos": _gather_dot(self.good_root[ub], inv, aux["Rn"], p),
            "audience_cos": _gather_dot(self.brand_aud[ub], inv, aux["Un"], p),
            "cat_topic_cos": _gather_dot(self.cat_topic[ub], inv, aux["Tn"], p),
            "cat_cf": cat_cf,
            "text_cos": _row_dot(self.Xb[b], self.Xp[p]),
            "text_profile_cos": _row_dot(prof[inv], self.Xp[p]),
            "text_max_cos": text_max,
            "text_good_cos": _row_dot(goodp[inv], self.Xp[p]),
            "country_share": self.country_share[b, self.partner_country_codes[p]],
            "language_share": self.lang_share[b, self.partner_lang_codes[p]],
            "type_share": np.where(infl, self.infl_share[b], 1.0 - self.infl_share[b]),
            "same_country": self.brand_country_codes[b] == self.partner_country_codes[p],
            "links_to_known": links_known,
            "collab_root_cos": _row_dot(self.brand_root[b], self.collab_root[p]),
            "fine_cos": _gather_dot(self.brand_fine[ub], inv, aux["Fn"], p),
        }
        for name, (m, sd) in self.zmoments().items():
            cols[name] = (cols[_Z[name][0]] - m[b]) / sd[b]
        for name, col in _PARTNER_COLS:
            v = pn[col].to_numpy(np.float32)[p]
            cols[name] = np.log1p(v) if col in _LOG_COLS else v
        for name, col in _BRAND_COLS:
            v = bn[col].to_numpy(np.float32)[b]
            cols[name] = np.log1p(v) if col in _LOG_COLS else v
        return np.stack([np.asarray(cols[name], np.float32) for name in PAIR_FEATURES], axis=1)


PAIR_CHUNK = 20_000
_PARTNER_COLS = (("p_hist_log_roi", "hist_log_roi"), ("p_hist_cvr", "hist_cvr"),
                 ("p_hist_impressions", "hist_impressions"), ("p_hist_campaigns", "hist_campaigns"),
                 ("p_months_since_last", "months_since_last"), ("p_never_active", "never_active"),
                 ("p_is_influencer", "is_influencer"), ("p_brand_safety", "brand_safety_flag"),
                 ("p_has_site", "has_site"), ("p_n_articles", "n_articles"))
_BRAND_COLS = (("b_degree", "degree"), ("b_hist_log_roi", "hist_log_roi"),
               ("b_recent_campaigns", "recent_campaigns"), ("b_hist_cvr", "hist_cvr"))
_LOG_COLS = frozenset({"hist_impressions", "hist_campaigns", "n_articles", "degree", "recent_campaigns"})


def _gather_dot(left: np.ndarray, inv: np.ndarray, right: sp.csr_matrix, p: np.ndarray) -> np.ndarray:
    """``(left[inv[i]] * right[p[i]]).sum()`` per pair: ``left`` dense ``[brands, K]``, ``right``
    a sparse ``[P, K]`` CSR; only the partner's non-zeros are visited."""
    start = right.indptr[p].astype(np.int64)
    cnt = right.indptr[p + 1].astype(np.int64) - start
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(len(p), np.float32)
    rep = np.repeat(np.arange(len(p)), cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(start, cnt)
    cols = right.indices[offs]
    vals = left[inv[rep], cols] * right.data[offs]
    return np.bincount(rep, weights=vals, minlength=len(p)).astype(np.float32)


def _row_dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, y).astype(np.float32)


def _norm_sparse(m: sp.csr_matrix) -> sp.csr_matrix:
    n = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
    return (sp.diags(1.0 / (n + 1e-9)) @ m).astype(np.float32).tocsr()


def _against(profile: np.ndarray, Mn: sp.csr_matrix) -> np.ndarray:
    """``profile @ Mn.T`` (dense rows against a sparse row-normalised matrix)."""
    return _dense((Mn @ profile.T).T).astype(np.float32)


def _static(t: GraphTables) -> dict[str, Any]:
    """Snapshot-independent matrices (topics, audiences, text, codes), computed once per tables."""
    if "pair_static" not in t.memo:
        T = (t.partner_topic > 0).astype(np.float32).tocsr()
        U = (t.partner_audience > 0).astype(np.float32).tocsr()
        K = T.shape[1]
        to_root = sp.csr_matrix((np.ones(K, np.float32), (np.arange(K), t.topic_root)), shape=(K, K))
        R = ((T @ to_root) > 0).astype(np.float32).tocsr()
        F = _most_specific(T, t.topic_parent)
        Xp = _norm_rows(t.vectors["partner"].astype(np.float32))
        centred = Xp - Xp.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        t.memo["pair_static"] = {
            "T": T, "U": U, "R": R, "Tn": _norm_sparse(T), "Un": _norm_sparse(U), "Rn": _norm_sparse(R),
            "F": F, "Fn": _norm_sparse(F),
            "Xp": Xp, "Xb": _norm_rows(t.vectors["brand"].astype(np.float32)),
            "Xlow": _norm_rows(centred @ vt[:TEXT_LOW].T).astype(np.float32),
            "country_codes": _codes(t.partner_country, t.brand_country),
            "language_codes": _codes(t.partner_language, np.array([], dtype=object)),
        }
        st = t.memo["pair_static"]
        codes, pc, _ = st["country_codes"]
        lcodes, pl, _ = st["language_codes"]
        st["C"], st["L"] = _onehot(pc, codes), _onehot(pl, lcodes)  # partner countries, languages
        st["moments"] = {k: _moments(st[k]) for k in {key for _, _, key in _Z.values()}}
    return dict(t.memo["pair_static"])


def _most_specific(T: sp.csr_matrix, parent: sp.csr_matrix) -> sp.csr_matrix:
    """``T`` without the topics that are ancestors of another of the row's topics (a partner's
    most specific tags: inherited Tier-1/Tier-2 tags say little about a fine topic)."""
    step = (parent > 0).astype(np.float32).tocsr()
    anc = step.copy()
    for _ in range(8):  # the IAB trees are 4 tiers deep; the closure is reached long before
        nxt = ((anc + anc @ step) > 0).astype(np.float32).tocsr()
        if (nxt != anc).nnz == 0:
            break
        anc = nxt
    covered = ((T @ anc) > 0).astype(np.float32)
    return (T - T.multiply(covered)).tocsr().astype(np.float32)


def _moments(M: Any) -> tuple[np.ndarray, np.ndarray]:
    """Column means and second-moment matrix ``M.T M / n`` of a ``[n, K]`` matrix."""
    n = max(M.shape[0], 1)
    mu = np.asarray(M.mean(axis=0)).ravel().astype(np.float64)
    S = _dense(M.T @ M).astype(np.float64) / n
    return mu, S


def chunks_by_brand(b: np.ndarray, size: int = BRAND_CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (sorted unique brands of a chunk, row positions of ``b`` in that chunk)."""
    uniq = np.unique(b)
    for i in range(0, len(uniq), size):
        chunk = uniq[i:i + size]
        rows = np.flatnonzero(np.isin(b, chunk))
        yield chunk, rows


def _codes(values: np.ndarray, extra: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    vals = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
    ex = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in extra]
    codes = sorted(set(vals) | set(ex))
    pos = {c: i for i, c in enumerate(codes)}
    return codes, np.array([pos[v] for v in vals], np.int64), np.array([pos[v] for v in ex], np.int64)


def _onehot(codes: np.ndarray, names: list[str]) -> sp.csr_matrix:
    """``[len(codes), len(names)]`` one-hot rows of integer codes."""
    return sp.csr_matrix((np.ones(len(codes), np.float32), (np.arange(len(codes)), codes)),
                         shape=(len(codes), max(len(names), 1)))


def _share(A: sp.csr_matrix, onehot: sp.csr_matrix) -> np.ndarray:
    """Per brand, the share of its known partners in each category of ``onehot``."""
    counts = _dense(A @ onehot)
    return counts / np.maximum(counts.sum(1, keepdims=True), 1.0)
