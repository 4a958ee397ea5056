"""The evaluation report of a training run: Markdown tables plus SVG bar charts.

matplotlib is not a dependency (and plotly's static export needs kaleido), so the charts are
small hand-written SVG files next to ``report.md``: one per split with Recall@20 of every model,
and the GNN's validation curve.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gnn.ranker import ModelMeta

RANK_COLS = ("auc", "mrr", "recall@10", "recall@20", "recall@50", "ndcg@20", "queries")
PERF_COLS = ("mae", "rmse", "cvr_mae", "cvr_rmse", "n")
ORDER = ("hybrid", "gbm", "gnn", "popularity", "common_neighbours", "adamic_adar", "text_cosine",
         "profile_cosine")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if v >= 100 or v.is_integer() else f"{v:.4f}"
    return str(v)


def ranking_table(metrics: dict[str, dict[str, float]], shipped: str | None = None,
                  cols: tuple[str, ...] = RANK_COLS) -> str:
    names = [n for n in ORDER if n in metrics] + sorted(n for n in metrics if n not in ORDER)
    lines = ["| model | " + " | ".join(cols) + " |", "| --- |" + " ---: |" * len(cols)]
    for n in names:
        label = f"**{n}** (shipped)" if n == shipped else n
        lines.append(f"| {label} | " + " | ".join(_fmt(metrics[n].get(c, float("nan"))) for c in cols) + " |")
    return "\n".join(lines)


def perf_table(metrics: dict[str, dict[str, float]]) -> str:
    lines = ["| model | MAE log ROI | RMSE log ROI | MAE conv. rate | RMSE conv. rate | pairs |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for n, m in metrics.items():
        lines.append(f"| {n} | " + " | ".join(_fmt(m.get(c, float("nan"))) for c in PERF_COLS) + " |")
    return "\n".join(lines)


def bar_svg(values: dict[str, float], title: str, highlight: str | None = None) -> str:
    """A horizontal bar chart as a standalone SVG document."""
    names = list(values)
    top = max([v for v in values.values() if v == v] + [1e-9])
    w, bar, gap, left = 520, 18, 6, 150
    h = 30 + len(names) * (bar + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
             f'font-size="12"><text x="4" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, n in enumerate(names):
        v = values[n]
        y = 26 + i * (bar + gap)
        length = 0 if v != v else (w - left - 60) * v / top
        colour = "#d9480f" if n == highlight else "#1c7ed6"
        parts.append(f'<text x="4" y="{y + 13}">{html.escape(n)}</text>'
                     f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>'
                     f'<text x="{left + length + 4:.1f}" y="{y + 13}">{v:.3f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_svg(xs: list[float], ys: list[float], title: str) -> str:
    w, h, pad = 520, 200, 30
    if not xs:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="40"><text x="4" y="20">{html.escape(title)}: no data</text></svg>'
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1e-9
    pts = " ".join(f"{pad + (x - x0) / (x1 - x0) * (w - 2 * pad):.1f},{h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad):.1f}"
                   for x, y in zip(xs, ys, strict=True))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
            f'font-size="12"><text x="4" y="16" font-weight="bold">{html.escape(title)}</text>'
            f'<polyline fill="none" stroke="#1c7ed6" stroke-width="2" points="{pts}"/>'
            f'<text x="{pad}" y="{h - 8}">epoch {x0:.0f}</text><text x="{w - pad - 60}" y="{h - 8}">epoch {x1:.0f}</text>'
            f'<text x="{w - 160}" y="34">{y0:.3f} .. {y1:.3f}</text></svg>')


def write_report(path: Path, meta: ModelMeta) -> Path:
    """Write ``report.md`` (and its SVG charts) for one run."""
    m = meta.metrics
    folder = path.parent
    lines = [f"# Link prediction report — {meta.version}", "",
             f"- trained at {meta.trained_at}; graph snapshot `{meta.snapshot_hash}`; schema v{meta.schema_version}",
             f"- split (from the data): {m.get('split')}",
             f"- counts: {m.get('counts')}",
             f"- shipped ranker: **{meta.shipped}** (chosen by {m.get('shipped_by')}); "
             f"performance model: **{m.get('performance', {}).get('shipped')}**",
             f"- seconds per phase: {meta.params.get('seconds')}", "",
             "Ranking metrics rank every eligible partner per brand (no sampled negatives), for brands with "
             "at least one new partnership in the window, excluding partners already known at the "
             "window start.", ""]
    for split in ("validation", "test"):
        met = m.get(split) or {}
        if not met:
            continue
        lines += [f"## {split.capitalize()}", "", ranking_table(met, meta.shipped), ""]
        svg = bar_svg({n: met[n].get("recall@20", float("nan")) for n in met}, f"Recall@20 ({split})",
                      meta.shipped)
        (folder / f"recall20_{split}.svg").write_text(svg)
        lines += [f"![Recall@20 {split}](recall20_{split}.svg)", ""]
    perf = m.get("performance", {})
    for split in ("validation", "test"):
        if perf.get(split):
            lines += [f"## Performance prediction ({split}, new pairs of the window)", "",
                      perf_table(perf[split]), ""]
    hist = [h for h in m.get("gnn_history", []) if "select" in h]
    if hist:
        (folder / "gnn_validation.svg").write_text(
            line_svg([h["epoch"] for h in hist], [h["select"] for h in hist],
                     "GNN validation (mean of Recall@20, NDCG@20, MRR)"))
        lines += ["## GNN training", "", "![GNN validation curve](gnn_validation.svg)", ""]
    lines += ["## Hyper-parameters", "", "```", str({k: v for k, v in meta.params.items()
                                                       if k not in ("pair_features",)}), "```", ""]
    path.write_text("\n".join(lines))
    return path
