"""A small PNG renderer for evidence subgraphs, with no plotting dependency.

matplotlib is used when it is installed; otherwise the graph is rasterised with numpy (lines,
filled circles and squares, a 5x7 bitmap font for short labels) and encoded as PNG with zlib.
Labels are short keys (``A1``, ``D3``); the evidence CSV maps each key to its full id.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_FONT_ROWS = {
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 01010 00100 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    " ": "00000 00000 00000 00000 00000 00000 00000", ".": "00000 00000 00000 00000 00000 01100 01100",
    ":": "00000 01100 01100 00000 01100 01100 00000", "-": "00000 00000 00000 11111 00000 00000 00000",
    "_": "00000 00000 00000 00000 00000 00000 11111", "/": "00001 00010 00010 00100 01000 01000 10000",
    "(": "00010 00100 01000 01000 01000 00100 00010", ")": "01000 00100 00010 00010 00010 00100 01000",
    "+": "00000 00100 00100 11111 00100 00100 00000", "=": "00000 00000 11111 00000 11111 00000 00000",
    "%": "11000 11001 00010 00100 01000 10011 00011", ">": "01000 00100 00010 00001 00010 00100 01000",
    "#": "01010 01010 11111 01010 11111 01010 01010", ",": "00000 00000 00000 00000 01100 00100 01000",
}
FONT = {ch: np.array([[c == "1" for c in row] for row in rows.split()], dtype=bool)
        for ch, rows in _FONT_ROWS.items()}

#: identifier kind -> (key letter, RGB)
KIND_STYLE: dict[str, tuple[str, tuple[int, int, int]]] = {
    "device": ("D", (230, 159, 0)), "ip": ("I", (86, 180, 233)), "ip_network": ("N", (0, 114, 178)),
    "payment": ("P", (213, 94, 0)), "seller": ("S", (204, 121, 167)), "seller_reseller": ("S", (204, 121, 167)),
    "referrer": ("R", (0, 158, 115)), "landing": ("L", (120, 120, 120)), "template": ("T", (160, 82, 45)),
}


@dataclass
class Node:
    key: str  # short label drawn on the picture
    kind: str  # "affiliate" or an identifier kind
    score: float = 0.0  # affiliates: risk in [0, 1] (colour)


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.px = np.full((height, width, 3), 255, dtype=np.uint8)

    def dot(self, x: float, y: float, r: float, rgb: tuple[int, int, int], square: bool = False) -> None:
        h, w, _ = self.px.shape
        x0, x1 = max(int(x - r), 0), min(int(x + r) + 1, w)
        y0, y1 = max(int(y - r), 0), min(int(y + r) + 1, h)
        if x0 >= x1 or y0 >= y1:
            return
        yy, xx = np.mgrid[y0:y1, x0:x1]
        mask = np.ones_like(xx, dtype=bool) if square else (xx - x) ** 2 + (yy - y) ** 2 <= r * r
        self.px[y0:y1, x0:x1][mask] = rgb

    def line(self, a: tuple[float, float], b: tuple[float, float], rgb: tuple[int, int, int],
             width: float = 1.0) -> None:
        n = int(max(abs(b[0] - a[0]), abs(b[1] - a[1])) * 2) + 1
        for t in np.linspace(0.0, 1.0, n):
            self.dot(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, width / 2, rgb)

    def text(self, x: int, y: int, s: str, rgb: tuple[int, int, int] = (0, 0, 0), scale: int = 2) -> None:
        h, w, _ = self.px.shape
        for i, ch in enumerate(s.upper()):
            g = FONT.get(ch, FONT["#"])
            big = np.kron(g, np.ones((scale, scale), dtype=bool))
            x0, y0 = x + i * 6 * scale, y
            if x0 + big.shape[1] > w or y0 + big.shape[0] > h or x0 < 0 or y0 < 0:
                continue
            self.px[y0:y0 + big.shape[0], x0:x0 + big.shape[1]][big] = rgb

    def png(self) -> bytes:
        h, w, _ = self.px.shape
        raw = b"".join(b"\x00" + self.px[r].tobytes() for r in range(h))

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def risk_colour(score: float) -> tuple[int, int, int]:
    s = float(min(max(score, 0.0), 1.0))
    return (int(90 + 150 * s), int(160 - 120 * s), int(90 - 50 * s))


def layout(nodes: list[Node], edges: list[tuple[int, int]], seed: int = 7) -> np.ndarray:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    g.add_edges_from(edges)
    pos = nx.spring_layout(g, seed=seed, k=1.5 / max(np.sqrt(len(nodes)), 1.0))
    return np.array([pos[i] for i in range(len(nodes))], dtype=float)


def render(nodes: list[Node], edges: list[tuple[int, int]], title: str, path: Path,
           width: int = 1100, height: int = 800) -> Path:
    """Draw the subgraph to ``path`` (PNG) and return it."""
    xy = layout(nodes, edges) if nodes else np.zeros((0, 2))
    try:  # pragma: no cover - used only where matplotlib is installed
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
        for i, j in edges:
            ax.plot(xy[[i, j], 0], xy[[i, j], 1], color="#bbbbbb", lw=0.8, zorder=1)
        for (x, y), n in zip(xy, nodes, strict=True):
            col = (np.array(risk_colour(n.score)) / 255 if n.kind == "affiliate"
                   else np.array(KIND_STYLE.get(n.kind, ("?", (0, 0, 0)))[1]) / 255)
            ax.scatter([x], [y], s=500 if n.kind == "affiliate" else 250, color=col,
                       marker="o" if n.kind == "affiliate" else "s", zorder=2)
            ax.annotate(n.key, (x, y), ha="center", va="center", fontsize=8, zorder=3)
        ax.set_title(title)
        ax.axis("off")
        fig.savefig(path)
        plt.close(fig)
        return path
    except ImportError:
        pass
    c = Canvas(width, height)
    margin_top, margin = 60, 60
    legend_h = 40
    if len(xy):
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        pts = (xy - lo) / span
        pts[:, 0] = margin + pts[:, 0] * (width - 2 * margin)
        pts[:, 1] = margin_top + pts[:, 1] * (height - margin_top - margin - legend_h)
    else:
        pts = xy
    for i, j in edges:
        c.line((pts[i, 0], pts[i, 1]), (pts[j, 0], pts[j, 1]), (190, 190, 190), 1.5)
    for (x, y), n in zip(pts, nodes, strict=True):
        if n.kind == "affiliate":
            c.dot(x, y, 16, (40, 40, 40))
            c.dot(x, y, 14, risk_colour(n.score))
        else:
            c.dot(x, y, 10, KIND_STYLE.get(n.kind, ("?", (0, 0, 0)))[1], square=True)
        c.text(int(x - len(n.key) * 6 + 1), int(y - 7), n.key, (0, 0, 0), 2)
    c.text(20, 16, title[:75], (0, 0, 0), 2)
    x = 20
    for kind, (letter, rgb) in KIND_STYLE.items():
        if kind == "seller_reseller":
            continue
        c.dot(x + 8, height - 22, 8, rgb, square=True)
        label = f"{letter} {kind.replace('_', ' ')}"
        c.text(x + 22, height - 29, label, (0, 0, 0), 2)
        x += 22 + len(label) * 12 + 18
    path.write_bytes(c.png())
    return path
