"""Author / date / title accuracy of ``crawlers.extract`` on the full trafilatura_eval set.

    .venv/bin/python bench/extract_accuracy.py [--limit N] [--json out.json]

Reads ``../shared/datasets/trafilatura_eval`` (990 annotated pages). A field counts as correct
when the annotation is non-empty and the extracted value matches it after normalisation
(case, whitespace, surrounding punctuation; authors as a set of names; dates as YYYY-MM-DD).
Accuracy is over the pages that annotate the field; coverage is how often we returned a value.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "datasets" / "trafilatura_eval"


def norm(s: str | None) -> str:
    s = unicodedata.normalize("NFKC", s or "").casefold()
    s = s.replace("\u201e", '"').replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    return " ".join(s.split()).strip(" .,:;!?\"'«»|-–—")


def names(s: str | None) -> set[str]:
    parts = re.split(r"\s*(?:;|,|&|\band\b|\bund\b|\bet\b|\bi\b|/)\s*", norm(s))
    return {p for p in (x.strip() for x in parts) if p}


def correct(field: str, got: str | None, want: str) -> bool:
    if not got:
        return False
    if field == "date":
        return got[:10] == want[:10]
    if field == "author":
        return names(got) == names(want)
    return norm(got) == norm(want)


def load_page(name: str) -> bytes:
    for sub in ("eval", "cache"):
        p = DATA / sub / f"{name}.gz"
        if p.exists():
            return gzip.decompress(p.read_bytes())
    raise FileNotFoundError(name)


def evaluate(entries: list[tuple[str, dict[str, object]]]) -> dict[str, dict[str, float]]:
    from crawlers.extract.page import extract_page

    fields = ("author", "date", "title")
    hit = dict.fromkeys(fields, 0)
    tot = dict.fromkeys(fields, 0)
    got_any = dict.fromkeys(fields, 0)
    for url, e in entries:
        page = extract_page(load_page(str(e["file"])), url, text=False)
        vals = {"author": page.article.author, "date": page.article.date, "title": page.article.title}
        for f in fields:
            want = e.get(f)
            if not want:
                continue
            tot[f] += 1
            got_any[f] += bool(vals[f])
            hit[f] += correct(f, vals[f], str(want))
    return {f: {"accuracy": hit[f] / tot[f] if tot[f] else 0.0, "correct": hit[f], "annotated": tot[f],
                "coverage": got_any[f] / tot[f] if tot[f] else 0.0} for f in fields}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    doc = json.loads((DATA / "evaldata.json").read_text(encoding="utf-8"))
    entries = sorted(doc.items())[: args.limit]
    t0 = time.perf_counter()
    res = evaluate(entries)
    dt = time.perf_counter() - t0
    print(f"trafilatura_eval: {len(entries)} pages in {dt:.1f}s ({len(entries) / dt:.1f} pages/s)")
    for f, r in res.items():
        print(f"  {f:<7} accuracy {r['accuracy']:.3f} ({r['correct']}/{r['annotated']}), coverage {r['coverage']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"pages": len(entries), "seconds": dt, "fields": res}, indent=1))


if __name__ == "__main__":
    main()
