"""``partnergraph discover``: the weekly partner-discovery job.

One run (see docs/discovery.md):
1. **lock** (``gnn.lock``): a second run is refused, naming the running one; a run left
   ``running`` by a dead process is marked ``failed``;
2. **export**: brands, candidate partners and their records, history, topics, audiences,
   feedback (``gnn.discover_data``), text vectors (``gnn.coldstart``);
3. **model**: reuse the shipped link-prediction artefact (``gnn.train.load_linkpred``), or
   retrain (``gnn.train.refresh_linkpred``: a refit with the last evaluated configuration) when it is missing, built for another schema version,
   older than ``max_age_days``, or when drift is detected (``gnn.drift``: PSI/KS of features and
   embeddings against the model's reference snapshot, realised performance of the last run's
   recommendations). Without ``gnn.train``, without any partnership, or for a brand without
   history, the content-similarity ranker (``gnn.coldstart``) ranks, and the reasons say so;
4. **score** every eligible partner of every brand: current partners, brand-safety-flagged
   partners, rejected ones (accepted ones stay: they are on the shortlist) and those outside the
   brand's preferences are left out; the top ``k`` are kept;
5. **explain** each (``gnn.explain``) and **write** (``gnn.discover_runs``): ``RECOMMENDED``
   edges under the run id, the run marked ``complete`` with metrics, drift and changes, then the
   superseded edges deleted.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn import discover_runs as R
from gnn.coldstart import ContentRanker, build_content_ranker
from gnn.discover_data import World, drift_features, latest_verdicts, load_world
from gnn.drift import Snapshot, compare, realised, take_snapshot
from gnn.explain import build_context, explain
from gnn.lock import DiscoveryLock, DiscoveryLocked
from gnn.preferences import PartnerArrays, PartnerFacts, Preferences, parse, rejection_masks
from gnn.ranker import Ranker
from graph.errors import InputError, PartnerGraphError
from graph.settings import Settings
from graph.store.base import GraphStore
from graph.writers import new_run_id, now_iso

log = logging.getLogger(__name__)

DEFAULT_K = 50
STALE_AFTER_HOURS = 24.0
CHUNK = 128
MODES = ("model", "content", "cold_start")


@dataclass(frozen=True)
class DiscoverOptions:
    k: int = DEFAULT_K
    max_age_days: float | None = None  # None: the setting PARTNERGRAPH_DISCOVER_MAX_AGE_DAYS
    force_retrain: bool = False
    brands: tuple[str, ...] = ()  # limit the run to these brands (others keep last week's list)
    seed: int = 7
    allow_training: bool = True
    attribution_k: int = 10  # pairs per brand that get the ranker's feature attributions ...
    attribution_budget_s: float = 60.0  # ... within this many seconds (best pairs first)
    force_unlock: bool = False  # mark runs recorded as running (elsewhere) failed, and go on


@dataclass
class ModelChoice:
    ranker: Ranker | None  # None: content ranker for every brand
    version: str
    name: str
    trained: bool = False
    why: list[str] = field(default_factory=list)  # why it (re)trained, or why there is no model
    outcome: Any = None
    age_days: float | None = None
    drift: dict[str, Any] = field(default_factory=dict)
    reference: Snapshot | None = None  # the model's reference snapshot (None: this run makes it)


@dataclass
class DiscoveryReport:
    run_id: str
    status: str
    ranker: str
    model_version: str
    trained: bool
    why: list[str]
    brands_scored: int
    modes: dict[str, int]
    candidates: dict[str, float]
    excluded: dict[str, int]
    edges_written: int
    edges_carried: int
    superseded_deleted: int
    seconds: dict[str, float]
    drift: dict[str, Any]
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """One line with numbers (the demo's stage line)."""
        how = ("trained now" if self.trained else "reused") if self.ranker != "content" else "content similarity"
        return (f"ranker {self.ranker} ({how}; {self.model_version}); {self.brands_scored:,} brands scored "
                f"({self.modes.get('cold_start', 0):,} cold start) over {self.candidates.get('partners', 0):,.0f} "
                f"partners; {self.edges_written:,} RECOMMENDED edges; run {self.run_id} {self.status}")

    def lines(self) -> list[str]:
        total = sum(self.seconds.values())
        out = [f"discover run {self.run_id}: {self.status} in {total:.1f} s"]
        how = "trained now" if self.trained else "reused"
        if self.ranker == "content":
            out.append(f"ranker content similarity ({self.model_version})"
                       + (f": {'; '.join(self.why)}" if self.why else ""))
        else:
            out.append(f"ranker {self.ranker} {self.model_version}, {how}"
                       + (f" because {'; '.join(self.why)}" if self.why else ""))
        out.append(f"brands scored {self.brands_scored:,} (model {self.modes.get('model', 0):,}, content "
                   f"{self.modes.get('content', 0):,}, cold start {self.modes.get('cold_start', 0):,}); "
                   f"candidates per brand min {self.candidates.get('min', 0):,.0f} / median "
                   f"{self.candidates.get('median', 0):,.0f} / max {self.candidates.get('max', 0):,.0f} "
                   f"of {self.candidates.get('partners', 0):,.0f} partners")
        out.append("excluded (brand x partner pairs): " + ", ".join(f"{k} {v:,}" for k, v in self.excluded.items()))
        out.append(f"RECOMMENDED edges written {self.edges_written:,} (carried over {self.edges_carried:,}); "
                   f"superseded edges deleted {self.superseded_deleted:,}")
        out.append("drift: " + drift_line(self.drift))
        out.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()))
        if self.cpu_seconds:
            out.append("CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.cpu_seconds.items()))
        return out


def drift_line(drift: Mapping[str, Any]) -> str:
    if not drift:
        return "not measured"
    parts = []
    feats = drift.get("features") or {}
    if feats:
        name, fig = max(feats.items(), key=lambda kv: kv[1].get("psi") or 0.0)
        parts.append(f"max feature PSI {fig.get('psi')} ({name}), max KS "
                     f"{max((f.get('ks') or 0.0) for f in feats.values()):.3f}")
    for label, fig in (drift.get("embeddings") or {}).items():
        parts.append(f"{label} PSI {fig.get('psi_max')} KS {fig.get('ks_max')}")
    if drift.get("reference") is None:
        parts.append("no reference snapshot yet (this run records it)")
    real = drift.get("realised") or {}
    if real.get("run"):
        parts.append(f"since {real['run']}: {real.get('new_pairs', 0)} new partnerships, "
                     f"{real.get('recommended_and_taken', 0)} had been recommended; verdicts "
                     f"{real.get('accepted', 0)} accepted / {real.get('rejected', 0)} rejected")
    parts.append("drift detected" if drift.get("drifted") else "no drift")
    return "; ".join(parts)


class Timer:
    """Wall seconds per phase, and this process's CPU seconds (on a shared machine the wall time
    depends on the other jobs; the CPU time is what the phase itself needed)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        t0 = time.perf_counter()
        c0 = time.process_time()
        try:
            yield
        finally:
            self.seconds[phase] = round(time.perf_counter() - t0, 3)
            self.cpu[phase] = round(time.process_time() - c0, 3)
            log.info("phase %s: %.1f s (%.1f s CPU)", phase, self.seconds[phase], self.cpu[phase])


def _progress(it: Any, progress: bool, **kw: Any) -> Any:
    if not progress:
        return it
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm ships with the dependencies
        return it
    return tqdm(it, **kw)


# ---- feedback, for training ---------------------------------------------------------------------

def feedback_pairs(store: GraphStore) -> pd.DataFrame:
    """Managers' verdicts for training: one row per (brand, partner), the latest verdict.

    Columns ``brand_id, partner_id, verdict, label, at, by, run_id, note``; ``label`` is 1 for
    ``accept`` (use as a positive pair, dated ``at``) and 0 for ``reject`` (a known negative:
    use as a hard negative and never as a positive). Ids are the graph's node ids as the app
    wrote them (the recommended partner's id)."""
    from gnn import discover_queries as Q

    rows = Q.read_all(store, Q.FEEDBACK)
    cols = ["brand_id", "partner_id", "verdict", "label", "at", "by", "run_id", "note"]
    out = [{"brand_id": str(r["brand"]), "partner_id": str(r["partner"]),
            "verdict": str(r.get("verdict") or "").lower(), "at": r.get("at"), "by": r.get("by"),
            "run_id": r.get("run_id"), "note": r.get("note")} for r in rows]
    out = [r for r in out if r["verdict"] in ("accept", "reject")]
    if not out:
        return pd.DataFrame(columns=cols)
    df = latest_verdicts(pd.DataFrame(out), keys=("brand_id", "partner_id"))
    df["label"] = (df["verdict"] == "accept").astype(int)
    return df[cols]


# ---- model choice ---------------------------------------------------------------------------------

def _train_module() -> Any:
    """``gnn.train`` when it exists and exposes the training API, else ``None``."""
    try:
        import gnn.train as train

        train.train_linkpred  # noqa: B018
        train.load_linkpred  # noqa: B018
    except (ImportError, AttributeError) as exc:
        log.warning("GNN training is not available (%s); ranking by content similarity", exc)
        return None
    return train


def _age_days(trained_at: str) -> float | None:
    try:
        t = datetime.fromisoformat(str(trained_at).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return (datetime.now(UTC) - t).total_seconds() / 86400


def _safe_name(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", version)[:150]


def reference_path(home: Path, model_version: str) -> Path:
    return Path(home) / "discovery" / "reference" / f"{_safe_name(model_version)}.npz"


def _expected_recall(meta: Any, k: int) -> float | None:
    """The shipped model's validation Recall@k from its metadata, when recorded."""
    try:
        val = meta.metrics.get("validation", {})
        figs = val.get(meta.shipped, {}) if isinstance(val, Mapping) else {}
        for key in (f"recall@{k}", f"Recall@{k}", "recall@50", "recall@20"):
            if key in figs and isinstance(figs[key], int | float):
                return float(figs[key])
    except AttributeError:
        return None
    return None


def _vectors_for_drift(content: ContentRanker, ranker: Ranker | None) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if content._pids:
        out["partner_text"] = content._pmat
    if content.brand_vecs:
        out["brand_text"] = np.stack(list(content.brand_vecs.values()))
    if ranker is not None:
        try:
            emb = ranker.partner_embeddings()
        except Exception as exc:  # noqa: BLE001 - drift must not stop the run
            log.warning("ranker %s gave no partner embeddings: %s", getattr(ranker, "name", "?"), exc)
            emb = {}
        vals = [np.asarray(v, np.float64).ravel() for v in emb.values()]
        if vals and len({len(v) for v in vals}) == 1:
            out["partner_performance"] = np.stack(vals)
    return out


def _measure_drift(settings: Settings, version: str, features: Mapping[str, np.ndarray],
                   vectors: Mapping[str, np.ndarray]) -> tuple[dict[str, Any], Snapshot | None]:
    path = reference_path(settings.home, version)
    reference = None
    if path.exists():
        try:
            reference = Snapshot.load(path)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("reference snapshot %s is unreadable (%s); this run records a new one", path, exc)
    if reference is None:
        return {"reference": None, "drifted": False, "why": []}, None
    cur = take_snapshot(features, vectors, reference)
    out = compare(reference, cur)
    out["reference"] = path.name
    return out, reference


def choose_model(store: GraphStore, settings: Settings, options: DiscoverOptions, world: World,
                 content: ContentRanker, features: Mapping[str, np.ndarray],
                 previous: Mapping[str, Any] | None, previous_pairs: pd.DataFrame,
                 progress: bool) -> ModelChoice:
    """Reuse, retrain, or fall back to content similarity, and say why (see the module doc)."""
    content_choice = ModelChoice(None, content.model_version, content.name)
    if world.history.empty:
        content_choice.why.append("no partnerships in the graph at all: cold start, every brand is "
                                  "ranked by content similarity")
        log.warning("%s", content_choice.why[-1])
        content_choice.drift = _measure_drift(settings, content.model_version, features,
                                              _vectors_for_drift(content, None))[0]
        return content_choice
    train = _train_module()
    if train is None:
        return _unavailable(content_choice, None, settings, content, features, previous, previous_pairs,
                            world, options)

    why: list[str] = []
    outcome = None
    refused = False
    try:
        outcome = train.load_linkpred(settings)
    except PartnerGraphError as exc:
        refused = True
        why.append(f"model artefact refused ({exc})")
        log.warning("model artefact refused: %s; retraining", exc)
    except (ImportError, AttributeError) as exc:  # gnn.train present but incomplete
        return _unavailable(content_choice, exc, settings, content, features, previous, previous_pairs,
                            world, options)
    if outcome is None and not refused:
        why.append("no trained model yet")
    choice = ModelChoice(None, content.model_version, content.name)
    if outcome is not None:
        meta = outcome.meta
        choice = ModelChoice(outcome.ranker, str(meta.version), str(outcome.ranker.name), outcome=outcome)
        choice.age_days = _age_days(meta.trained_at)
        max_age = settings.discover_max_age_days if options.max_age_days is None else options.max_age_days
        if choice.age_days is not None and choice.age_days > max_age:
            why.append(f"model is {choice.age_days:.1f} days old (max {max_age:g})")
        choice.drift, choice.reference = _measure_drift(
            settings, choice.version, features, _vectors_for_drift(content, outcome.ranker))
        why.extend(choice.drift.get("why", []))
        _add_realised(choice, previous, previous_pairs, world, _expected_recall(meta, options.k), options.k)
        why.extend(choice.drift.get("realised", {}).get("why", []))
    if options.force_retrain:
        why.append("retraining was forced (--force-retrain)")
    if not why:
        log.info("reusing model %s (%s days old, no drift)", choice.version,
                 "?" if choice.age_days is None else f"{choice.age_days:.1f}")
        return choice
    if not options.allow_training:
        log.warning("would retrain (%s) but training is off for this run", "; ".join(why))
        if outcome is not None:
            choice.why = why
            return choice
        content_choice.why = [*why, "training is off: ranking by content similarity"]
        content_choice.drift, content_choice.reference = _measure_drift(
            settings, content.model_version, features, _vectors_for_drift(content, None))
        _add_realised(content_choice, previous, previous_pairs, world, None, options.k)
        return content_choice
    log.info("retraining: %s", "; ".join(why))
    try:
        refresh = getattr(train, "refresh_linkpred", None)
        if refresh is not None:  # refit with the last evaluated configuration (no test stage)
            new = refresh(store, settings, outcome, seed=options.seed, progress=progress)
        else:
            new = train.train_linkpred(store, settings, seed=options.seed, progress=progress)
    except (ImportError, AttributeError) as exc:
        return _unavailable(content_choice, exc, settings, content, features, previous, previous_pairs,
                            world, options)
    except PartnerGraphError as exc:
        log.warning("training refused: %s", exc)
        if outcome is not None:
            choice.why = [*why, f"training refused ({exc}): kept model {choice.version}"]
            return choice
        content_choice.why = [*why, f"training refused ({exc}): ranking by content similarity"]
        content_choice.drift, content_choice.reference = _measure_drift(
            settings, content.model_version, features, _vectors_for_drift(content, None))
        return content_choice
    fresh = ModelChoice(new.ranker, str(new.meta.version), str(new.ranker.name), trained=True, why=why,
                        outcome=new, age_days=0.0)
    fresh.drift = {**choice.drift, "reference": None, "retrained": True}
    return fresh


def _unavailable(choice: ModelChoice, exc: BaseException | None, settings: Settings, content: ContentRanker,
                 features: Mapping[str, np.ndarray], previous: Mapping[str, Any] | None,
                 previous_pairs: pd.DataFrame, world: World, options: DiscoverOptions) -> ModelChoice:
    """The content ranker, because GNN training cannot be imported (absent or incomplete)."""
    if exc is not None:
        log.warning("GNN training is not available (%s: %s); ranking by content similarity",
                    type(exc).__name__, exc)
    choice.why.append("no trained model: GNN training (gnn.train) is not available yet")
    choice.drift, choice.reference = _measure_drift(settings, content.model_version, features,
                                                    _vectors_for_drift(content, None))
    _add_realised(choice, previous, previous_pairs, world, None, options.k)
    return choice


def _add_realised(choice: ModelChoice, previous: Mapping[str, Any] | None, previous_pairs: pd.DataFrame,
                  world: World, expected: float | None, k: int) -> None:
    if previous is None:
        return
    real = realised(previous, previous_pairs, world.history, world.feedback, expected)
    choice.drift["realised"] = real
    if real.get("drifted"):
        choice.drift["drifted"] = True


# ---- scoring ----------------------------------------------------------------------------------------

@dataclass
class Scored:
    top: dict[str, list[tuple[str, float]]]  # brand -> [(partner, score)] best first
    modes: dict[str, str]
    candidates: dict[str, int]
    excluded: dict[str, int]
    prefs: dict[str, Preferences]
    invalid_prefs: dict[str, str]


def _facts(world: World) -> list[PartnerFacts]:
    return [PartnerFacts(p.id, p.partner_type, p.country, p.language, p.typical_cost, p.records)
            for p in world.partners.values()]


def score_brands(world: World, brands: Sequence[str], choice: ModelChoice, content: ContentRanker,
                 k: int, progress: bool = True) -> Scored:
    pids = world.partner_ids()
    arrays = PartnerArrays.build(_facts(world))
    flagged = np.array([world.partners[p].flagged for p in pids], dtype=bool)
    existing = world.existing_partners()
    rejected = world.verdicts("reject")  # accepted partners stay eligible: they are on the shortlist
    history_brands = world.brands_with_history()
    modes: dict[str, str] = {}
    for b in brands:
        if b not in history_brands:
            modes[b] = "cold_start"
        elif choice.ranker is None:
            modes[b] = "content"
        else:
            modes[b] = "model"
    prefs: dict[str, Preferences] = {}
    invalid: dict[str, str] = {}
    for b in brands:
        try:
            prefs[b] = parse(world.brands[b].preferences, brand=b)
        except InputError as exc:
            invalid[b] = str(exc)
            prefs[b] = Preferences()
            log.warning("%s; ignored for this run", exc)
    excluded = {"current_partners": 0, "brand_safety": 0, "rejected": 0, "preferences": 0, "unscored": 0}
    top: dict[str, list[tuple[str, float]]] = {}
    candidates: dict[str, int] = {}
    idx = arrays.index_of_record
    chunks = [list(brands[i:i + CHUNK]) for i in range(0, len(brands), CHUNK)]
    for chunk in _progress(chunks, progress, desc="score", unit="blocks", total=len(chunks)):
        rows: dict[str, np.ndarray] = {}
        model_b = [b for b in chunk if modes[b] == "model"]
        if model_b:
            assert choice.ranker is not None
            sm = np.asarray(choice.ranker.score(model_b, pids), dtype=np.float64)
            if sm.shape != (len(model_b), len(pids)):
                raise RuntimeError(f"ranker {choice.name} returned scores of shape {sm.shape}, "
                                   f"expected {(len(model_b), len(pids))}")
            for b, row in zip(model_b, sm, strict=True):
                if np.isfinite(row).any():
                    rows[b] = row
                else:  # the model does not know this brand: content similarity instead
                    modes[b] = "content"
        rest = [b for b in chunk if b not in rows]
        if rest:
            sc = np.asarray(content.score(rest, pids), dtype=np.float64)
            rows.update(zip(rest, sc, strict=True))
        for b in chunk:
            s = rows[b]
            ok = np.isfinite(s)
            excluded["unscored"] += int((~ok).sum())
            mask = ok & ~flagged
            excluded["brand_safety"] += int((ok & flagged).sum())
            for key, group in (("current_partners", existing.get(b, ())), ("rejected", rejected.get(b, ()))):
                ids = [idx[p] for p in group if p in idx]
                if ids:
                    excluded[key] += int(mask[ids].sum())
                    mask[ids] = False
            for name, m in rejection_masks(prefs[b], arrays).items():
                hit = mask & m
                excluded["preferences"] += int(hit.sum())
                excluded[f"preferences.{name}"] = excluded.get(f"preferences.{name}", 0) + int(hit.sum())
                mask &= ~m
            cand = np.flatnonzero(mask)
            candidates[b] = len(cand)
            if not len(cand):
                top[b] = []
                continue
            kk = min(k, len(cand))
            part = cand[np.argpartition(-s[cand], kk - 1)[:kk]] if kk < len(cand) else cand
            order = part[np.lexsort((np.array(pids, dtype=object)[part].astype(str), -s[part]))]
            top[b] = [(pids[i], float(s[i])) for i in order]
    return Scored(top, modes, candidates, excluded, prefs, invalid)


# ---- the job -----------------------------------------------------------------------------------------

def _clear_stale(store: GraphStore, lock: DiscoveryLock, options: DiscoverOptions) -> list[str]:
    """Mark runs left ``running`` by dead processes ``failed``; refuse when one may be alive."""
    cleared = []
    stale_id = lock.stale.run_id if lock.stale else None
    if lock.stale:
        log.warning("stale lock left by %s: that process is gone; its run is marked failed",
                    lock.stale.describe())
    for run in R.runs(store, R.RUNNING):
        rid = str(run["id"])
        if rid == lock.info.run_id:
            continue
        age_h = (_age_days(str(run.get("started_at") or "")) or 0.0) * 24
        if rid == stale_id or age_h > STALE_AFTER_HOURS or options.force_unlock:
            R.fail_run(store, rid, f"interrupted: found running at the start of {lock.info.run_id} "
                                   "with no live process holding the discovery lock")
            cleared.append(rid)
        else:
            raise DiscoveryLocked(
                f"discovery is already running: run {rid} (started {run.get('started_at')}), recorded "
                "in the graph, not by this machine's lock",
                hint="wait for it; if that job died, run `partnergraph discover --force-unlock`")
    if cleared:
        log.warning("%d interrupted run(s) marked failed: %s", len(cleared), ", ".join(cleared))
    return cleared


def select_brands(world: World, limit: Sequence[str]) -> list[str]:
    if not world.brands:
        raise InputError("no brands in the graph: nothing to recommend partners for",
                         hint="import your CRM accounts first, e.g. `partnergraph import brands.csv --preset …`")
    if not world.partners:
        raise InputError("no partners (publishers or influencers) in the graph: nothing to recommend",
                         hint="import your partner list or crawl partner sites first")
    if not limit:
        return list(world.brands)
    out = []
    for b in limit:
        c = world.brand_of.get(b)
        if c is None or c not in world.brands:
            raise InputError(f"no brand with id {b!r} in the graph", hint="use a Brand node id, e.g. brand:…")
        out.append(c)
    return list(dict.fromkeys(out))


def run_discovery(store: GraphStore, settings: Settings, options: DiscoverOptions | None = None, *,
                  progress: bool = True) -> DiscoveryReport:
    """Run the job once (see the module doc). Raises :class:`gnn.lock.DiscoveryLocked` when
    another run holds the lock, :class:`InputError` for an unusable graph."""
    options = options or DiscoverOptions()
    if options.k < 1:
        raise InputError(f"k must be at least 1, got {options.k}")
    run_id = new_run_id("discovery")
    started = now_iso()
    with DiscoveryLock(settings.home, run_id, started) as lock, _sigterm_as_exit():
        _clear_stale(store, lock, options)
        R.start_run(store, run_id, started)
        log.info("discovery run %s started", run_id)
        state: dict[str, bool] = {"complete": False}
        try:
            return _run(store, settings, options, run_id, progress, state)
        except BaseException as exc:
            if state["complete"]:  # published already: clean-up left undone is redone next run
                log.warning("run %s is complete, but its clean-up was interrupted: %s", run_id, exc)
            else:
                R.fail_run(store, run_id, f"{type(exc).__name__}: {exc}")
            raise


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """``docker stop`` / ``systemctl stop`` send SIGTERM: turn it into ``SystemExit`` so the run
    is marked failed and the lock released on the way out (main thread only)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(store: GraphStore, settings: Settings, options: DiscoverOptions, run_id: str,
         progress: bool, state: dict[str, bool]) -> DiscoveryReport:
    timer = Timer()
    with timer("export"):
        world = load_world(store)
        brands = select_brands(world, options.brands)
        positives = {b: set(ps) | world.verdicts("accept").get(b, set())
                     for b, ps in world.existing_partners().items()}
        content = build_content_ranker(settings.home, {p: i.records for p, i in world.partners.items()},
                                       {b: i.records for b, i in world.brands.items()}, positives)
        features = drift_features(world)
        previous = R.latest_complete_run(store)
        prev_pairs = R.run_pairs(store, str(previous["id"])) if previous else R.run_pairs(store, "")
        if len(world.brands) == 1:
            log.warning("only one brand in the graph: 'brands like yours' reasons need other brands")
    with timer("model"):
        choice = choose_model(store, settings, options, world, content, features, previous, prev_pairs,
                              progress)
    with timer("score"):
        scored = score_brands(world, brands, choice, content, options.k, progress)
        counts = sorted(scored.candidates.values())
        log.info("scored %s brands x %s partners; candidates per brand min %s / median %s / max %s",
                 f"{len(brands):,}", f"{len(world.partners):,}", counts[0] if counts else 0,
                 int(np.median(counts)) if counts else 0, counts[-1] if counts else 0)
    with timer("explain"):
        rows = _explain_all(world, scored, choice, content, options, progress)
    with timer("write"):
        written = R.write_recommendations(store, run_id, rows, {p: i.label for p, i in world.partners.items()},
                                          batch_size=min(settings.batch_size, 2000))
        carried = 0
        if options.brands and previous is not None:
            keep = [r for r in R.carried_rows(store, str(previous["id"]), set(brands))
                    if str(r["partner"]) in world.partners]
            carried = R.write_recommendations(store, run_id, keep, {p: i.label for p, i in world.partners.items()})
        log.info("RECOMMENDED edges written: %s (+%s carried over from %s)", f"{written:,}", f"{carried:,}",
                 previous["id"] if previous else "-")
        current_lists = {b: [p for p, _ in scored.top.get(b, [])] for b in brands}
        chg = R.changes(R.lists_of(prev_pairs) if previous else None, current_lists,
                        str(previous["id"]) if previous else None)
        metrics = _metrics(world, brands, scored, choice, options, written, carried, timer.seconds)
        if choice.trained and choice.outcome is not None:
            R.record_model(store, run_id, choice.outcome.meta, getattr(choice.outcome, "path", None))
        R.complete_run(store, run_id, model_version=choice.version, metrics=metrics, drift=choice.drift,
                       changes=chg)
        state["complete"] = True
        # From here on the run is published: a failure below leaves superseded edges (no reader
        # asks for them; the next complete run deletes them), never a half run.
        deleted = R.delete_superseded(store, run_id)
        log.info("run %s complete; %s superseded RECOMMENDED edges deleted", run_id, f"{deleted:,}")
        _save_snapshots(settings, run_id, choice, features, content)
    metrics["seconds"] = dict(timer.seconds)
    metrics["cpu_seconds"] = dict(timer.cpu)
    metrics["superseded_deleted"] = deleted
    R.set_run(store, run_id, metrics=metrics)  # the write phase's time, once it is over
    counts = sorted(scored.candidates.values())
    modes = {m: sum(1 for b in brands if scored.modes[b] == m) for m in MODES}
    report = DiscoveryReport(
        run_id=run_id, status=R.COMPLETE, ranker=choice.name, model_version=choice.version,
        trained=choice.trained, why=choice.why, brands_scored=len(brands), modes=modes,
        candidates={"partners": len(world.partners), "min": counts[0] if counts else 0,
                    "median": float(np.median(counts)) if counts else 0.0, "max": counts[-1] if counts else 0},
        excluded={k: v for k, v in scored.excluded.items() if "." not in k},
        edges_written=written, edges_carried=carried, superseded_deleted=deleted,
        seconds=dict(timer.seconds), drift=choice.drift, cpu_seconds=dict(timer.cpu))
    for line in report.lines():
        log.info("%s", line)
    return report


def _predicted_roi(choice: ModelChoice, scored: Scored, progress: bool) -> dict[tuple[str, str], float]:
    """``exp(log_roi)`` of the performance head for every kept (brand, partner) pair, asked in
    blocks of brands (a ranker computes a brand's row at once, whatever partners are asked)."""
    if choice.ranker is None:
        return {}
    brands = [b for b, top in scored.top.items() if top and scored.modes[b] == "model"]
    out: dict[tuple[str, str], float] = {}
    pairs_fn = getattr(choice.ranker, "predict_pairs", None)
    if pairs_fn is not None:  # only the kept pairs, not every brand x partner block
        chunks_p = [brands[i:i + CHUNK] for i in range(0, len(brands), CHUNK)]
        for chunk in _progress(chunks_p, progress, desc="performance", unit="blocks"):
            bb = [b for b in chunk for _ in scored.top[b]]
            pp = [p for b in chunk for p, _ in scored.top[b]]
            perf = pairs_fn(bb, pp)
            if "log_roi" not in perf:
                return {}
            with np.errstate(over="ignore", invalid="ignore"):
                roi = np.exp(np.asarray(perf["log_roi"], dtype=np.float64))
            out.update({(b, p): float(v) for b, p, v in zip(bb, pp, roi, strict=True) if math.isfinite(v)})
        return out
    chunks = [brands[i:i + CHUNK] for i in range(0, len(brands), CHUNK)]
    for chunk in _progress(chunks, progress, desc="performance", unit="blocks"):
        ids = sorted({p for b in chunk for p, _ in scored.top[b]})
        perf = choice.ranker.predict_performance(chunk, ids)
        if "log_roi" not in perf:
            return {}
        col = {p: j for j, p in enumerate(ids)}
        with np.errstate(over="ignore", invalid="ignore"):
            roi = np.exp(np.asarray(perf["log_roi"], dtype=np.float64).reshape(len(chunk), len(ids)))
        for i, b in enumerate(chunk):
            for p, _ in scored.top[b]:
                v = float(roi[i, col[p]])
                if math.isfinite(v):
                    out[(b, p)] = v
    return out


def _attributions(choice: ModelChoice, scored: Scored, k: int, budget_s: float) -> dict[tuple[str, str], Mapping[str, float]]:
    """The ranker's feature attributions for the first ``k`` pairs of each model-ranked brand,
    rank by rank across brands (every brand's best pair first), within ``budget_s`` seconds."""
    if choice.ranker is None or k <= 0:
        return {}
    pairs = [(b, top[r][0]) for r in range(k) for b, top in scored.top.items()
             if scored.modes[b] == "model" and len(top) > r]
    out: dict[tuple[str, str], Mapping[str, float]] = {}
    t0 = time.perf_counter()
    for b, p in pairs:
        if time.perf_counter() - t0 > budget_s:
            break
        try:
            out[(b, p)] = choice.ranker.attributions(b, p)
        except Exception as exc:  # noqa: BLE001 - reasons go on without attributions
            log.warning("ranker %s attributions failed (%s); reasons go on without them", choice.name, exc)
            break
    if pairs:
        log.info("feature attributions for %s of %s pairs (first %d per brand, %.0f s budget) in %.1f s",
                 f"{len(out):,}", f"{len(pairs):,}", k, budget_s, time.perf_counter() - t0)
    return out


def _explain_all(world: World, scored: Scored, choice: ModelChoice, content: ContentRanker,
                 options: DiscoverOptions, progress: bool) -> list[dict[str, Any]]:
    ctx = build_context(world, content.brand_vecs)
    roi = _predicted_roi(choice, scored, progress)
    attrs = _attributions(choice, scored, options.attribution_k, options.attribution_budget_s)
    rows: list[dict[str, Any]] = []
    for b in _progress(list(scored.top), progress, desc="explain", unit="brands"):
        mode = scored.modes[b]
        budget = scored.prefs[b].budget
        for rank, (p, s) in enumerate(scored.top[b], 1):
            sim = content.attributions(b, p).get("brand_text_similarity") if mode != "model" else None
            r = roi.get((b, p))
            ex = explain(ctx, b, p, mode=mode, attributions=attrs.get((b, p)), predicted_roi=r,
                         typical_cost=world.partners[p].typical_cost, budget=budget, content_similarity=sim)
            rows.append({"brand": b, "partner": p, "score": s, "rank": rank, "predicted_roi": r,
                         "reasons": ex.reasons_json(), "evidence": ex.evidence_json()})
    return rows


def _metrics(world: World, brands: Sequence[str], scored: Scored, choice: ModelChoice, options: DiscoverOptions,
             written: int, carried: int, seconds: Mapping[str, float]) -> dict[str, Any]:
    counts = sorted(scored.candidates.values())
    recommended = {p for top in scored.top.values() for p, _ in top}
    meta = getattr(choice.outcome, "meta", None)
    return {
        "v": 1, "ranker": choice.name, "model_version": choice.version, "trained": choice.trained,
        "why": choice.why, "model_age_days": choice.age_days, "k": options.k,
        "partial": bool(options.brands),
        "brands": {"scored": len(brands), "in_graph": len(world.brands),
                   **{m: sum(1 for b in brands if scored.modes[b] == m) for m in MODES},
                   "without_recommendations": sum(1 for b in brands if not scored.top.get(b))},
        "candidates": {"partners": len(world.partners), "min": counts[0] if counts else 0,
                       "median": float(np.median(counts)) if counts else 0.0,
                       "max": counts[-1] if counts else 0},
        "excluded": scored.excluded,
        "preferences": {"brands_with": sum(1 for b in brands if not scored.prefs[b].is_empty()),
                        "invalid": scored.invalid_prefs},
        "edges_written": written, "edges_carried": carried,
        "distinct_partners_recommended": len(recommended),
        "seconds": dict(seconds),
        "model_metrics": getattr(meta, "metrics", None),
        # which run measured model_metrics: this model's own training, or (weekly refit) the last
        # evaluated run whose frozen configuration it reused
        "model_metrics_from": _metrics_origin(meta),
        "graph": world.stats,
    }


def _metrics_origin(meta: Any) -> dict[str, Any] | None:
    if meta is None:
        return None
    ev = dict((getattr(meta, "metrics", None) or {}).get("evaluation") or {})
    run = ev.get("run")
    return {"run": meta.version if run in (None, "this") else run, "model_version": meta.version,
            "stages": ev.get("stages"), "note": ev.get("note", "")}


def _save_snapshots(settings: Settings, run_id: str, choice: ModelChoice, features: Mapping[str, np.ndarray],
                    content: ContentRanker) -> None:
    """This run's snapshot; and the model's reference when it has none yet (first use)."""
    try:
        vectors = _vectors_for_drift(content, choice.ranker)
        ref = choice.reference if choice.reference is not None and not choice.trained else None
        snap = take_snapshot(features, vectors, ref)
        snap.save(Path(settings.home) / "discovery" / "snapshots" / f"{_safe_name(run_id)}.npz")
        path = reference_path(settings.home, choice.version)
        if not path.exists():
            snap_ref = snap if ref is None else take_snapshot(features, vectors, None)
            snap_ref.save(path)
            log.info("reference snapshot for %s recorded (%s)", choice.version, path)
    except OSError as exc:
        log.warning("could not save the drift snapshot: %s", exc)
