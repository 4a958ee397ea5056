"""What the last tagging run read, so an unchanged corpus is not tagged again.

Tagging (COVERS, REACHES, IN_CATEGORY and the brand-safety flags) is a pure function of the
corpus (texts, names, titles, groups, links), the taxonomy nodes present, the model and the
tagging thresholds. :func:`fingerprint` hashes all of them; the embed stage keeps it, with the
tag counts it left in the graph, in ``tags.json`` beside the vector cache. A later run with the
same fingerprint and the same tag counts in the graph skips tagging: the tags are already
there. Anything else (a changed text, a new partner or link, another model, tags deleted in the
graph, ``TAGS_VERSION`` bumped with the code) tags again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Bump when tagging or brand-safety logic changes, so the next run tags again.
TAGS_VERSION = 1
#: The relationships tagging writes; their counts in the graph are part of the check.
TAG_RELS = ("COVERS", "REACHES", "IN_CATEGORY")
FILE = "tags.json"


def fingerprint(model_id: str, corpus: Any, spaces: Mapping[str, Sequence[str]], settings: Any) -> str:
    """SHA-256 of everything tagging reads: ``corpus`` (a dataclass), the taxonomy ids of each
    label space, the model id and ``settings`` (thresholds, anything with a stable ``repr``)."""
    h = hashlib.sha256()
    head = [TAGS_VERSION, model_id, {k: list(v) for k, v in sorted(spaces.items())}, repr(settings)]
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    for f in dataclasses.fields(corpus):
        h.update(f.name.encode())
        h.update(json.dumps(getattr(corpus, f.name), sort_keys=True, default=str).encode())
    return h.hexdigest()


def tag_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """The tag relationships' counts out of ``store.counts()``."""
    return {rel: int(counts.get(f"[:{rel}]", 0)) for rel in TAG_RELS}


def unchanged(directory: Path, fp: str, counts: Mapping[str, int]) -> dict[str, Any] | None:
    """The last run's record when it had fingerprint ``fp`` and left the tag counts the graph
    still has; else None."""
    path = Path(directory) / FILE
    try:
        last = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(last, dict) or last.get("fingerprint") != fp:
        return None
    return last if last.get("graph_counts") == tag_counts(counts) else None


def remember(directory: Path, fp: str, counts: Mapping[str, int], written: Mapping[str, int],
             flagged: int) -> None:
    """Record a finished tagging run (written last, so an interrupted run is never skipped)."""
    record = {"fingerprint": fp, "graph_counts": tag_counts(counts), "written": dict(written),
              "flagged": int(flagged), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    path = Path(directory) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)
