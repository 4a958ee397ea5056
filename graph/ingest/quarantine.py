"""The quarantine file: every row that was not imported, with its reason (JSON Lines).

Each line is ``{"source": "file:///…#row=N", "row": N, "reason": "…", "values": {…}}``. Values
are the row's mapped columns as text, cut to 200 characters; identifier columns appear only as
pseudonyms, personal columns (``pii: true``) and unmapped columns not at all, so the file holds no
raw end-user identifier.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import IO, Any

MAX_VALUE = 200


def reason_kind(reason: str) -> str:
    """A reason without its quoted values, to count reasons by kind."""
    first = reason.split("; ")[0]
    return re.sub(r"'[^']*'", "…", re.sub(r"\d[\d,.]*", "N", first))


class Quarantine:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self.count = 0
        self.kinds: Counter[str] = Counter()
        self._fh: IO[str] | None = None

    def add(self, row: int, reason: str, values: dict[str, Any]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across chunks
        safe = {k: (None if v is None else str(v)[:MAX_VALUE]) for k, v in values.items()}
        self._fh.write(json.dumps({"source": f"{self.source}#row={row}", "row": row, "reason": reason,
                                   "values": safe}, ensure_ascii=False) + "\n")
        self.count += 1
        self.kinds[reason_kind(reason)] += 1

    def reset(self) -> None:
        """Forget what was written (an import that starts over)."""
        self.close()
        self.path.unlink(missing_ok=True)
        self.count = 0
        self.kinds.clear()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_quarantine(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
