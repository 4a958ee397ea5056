"""Progress bars for the long parts of a fraud run and its evaluation.

tqdm bars on stderr, shown only when ``progress`` is on (the commands' ``--no-progress`` turns
it off) and stderr is a terminal (``disable=None``), so logs and piped output stay clean.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def bar(iterable: Iterable[Any] | None = None, *, progress: bool, **kw: Any) -> Any:
    """A tqdm bar over ``iterable`` (or a manual one with ``total=``); a silent one when off."""
    from tqdm import tqdm

    kw.setdefault("leave", False)
    kw.setdefault("dynamic_ncols", True)
    return tqdm(iterable, disable=None if progress else True, **kw)
