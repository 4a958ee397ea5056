"""The heterogeneous GNN: GraphSAGE encoder, a factorised link decoder and a performance head.

- **Encoder**: an input projection per node type, then ``layers`` rounds of message passing
  (reverse edges included) with residual connections, ReLU, layer norm and dropout. The round is
  chosen by :attr:`GNNConfig.conv`: ``"sage"`` (``HeteroConv`` with a ``SAGEConv`` per edge
  type, summed over edge types; the default), ``"gat"`` (the same with ``GATv2Conv``, attention
  over neighbours) or ``"hgt"`` (``HGTConv``: type-specific attention across edge types).
- **Link decoder**: ``score(b, p) = <W_b h_b, W_p h_p> + w · h_p + f(s_bp)``. The first terms are
  factorised, so a brand is scored against every partner with one matrix product (full
  rankings, no sampling). ``f`` is a small MLP over the pair's structure ``s_bp``
  (:data:`gnn.features.STRUCTURE_FEATURES`: Adamic-Adar and common-neighbour counts through
  shared brands and through topics), as in structure-aware link predictors (NCN, BUDDY): node
  embeddings compared by a dot product cannot count the paths between two nodes, which is what
  the heuristics measure (:attr:`GNNConfig.structure`).
- **Performance head**: an MLP on ``[h_b, h_p, h_b * h_p, s_bp]`` predicting standardised log ROI
  and conversion rate of a (brand, partner) pair; trained jointly with the link loss. The partner
  embeddings ``h_p`` it shapes are the product's *performance embeddings*. It reads the pair's
  structure too (:attr:`GNNConfig.perf_structure`): in the generator's world as in a real one, a
  pair that fits well both forms and performs well, and once the decoder takes the fit from the
  path counts, the embeddings alone carry less of it.

Pure shapes; training lives in :mod:`gnn.train`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import GATv2Conv, HeteroConv, HGTConv, SAGEConv

EdgeType = tuple[str, str, str]


@dataclass
class GNNConfig:
    hidden: int = 64
    layers: int = 2
    dropout: float = 0.5
    lr: float = 5e-3
    weight_decay: float = 1e-4
    max_epochs: int = 30
    eval_every: int = 2
    patience: int = 3
    hard_weight: float = 0.5  # weight of the BCE term on hard negatives
    perf_weight: float = 0.5  # weight of the performance head's MSE
    #: training windows per epoch (a random subset, one full-batch step each; 0 = all): bounds
    #: the cost of an epoch on long histories (medium: 18 windows)
    windows_per_epoch: int = 6
    #: learnable per-node (id) embeddings for brands and partners, added to the projected
    #: features (collaborative signal the features alone cannot carry); 0 = off
    node_ids: int = 0
    #: message passing: "sage" (default), "gat" (GATv2 per edge type) or "hgt" (HGTConv)
    conv: str = "sage"
    #: attention heads of "gat" and "hgt"
    heads: int = 2
    #: the decoder adds an MLP over the pair's path counts (see the module docstring)
    structure: bool = True
    #: the performance head reads the pair's structure as well
    perf_structure: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> GNNConfig:
        """The configuration an artefact records. A field it lacks takes the value the version
        that wrote it had: artefacts before the structural decoder had none, and artefacts
        before the structural performance head had none there."""
        return cls(**{"structure": False, "perf_structure": False, **params})


#: Width of the structural input (:data:`gnn.features.STRUCTURE_FEATURES`).
STRUCTURE_INPUTS = 4


CONVS = ("sage", "gat", "hgt")


def _conv(kind: str, node_types: list[str], edge_types: list[EdgeType], hidden: int, heads: int) -> nn.Module:
    """One round of heterogeneous message passing, ``hidden`` wide in and out."""
    if kind == "sage":
        return HeteroConv({et: SAGEConv((hidden, hidden), hidden) for et in edge_types}, aggr="sum")
    if kind == "gat":
        return HeteroConv({et: GATv2Conv((hidden, hidden), hidden // heads, heads=heads, add_self_loops=False)
                           for et in edge_types}, aggr="sum")
    if kind == "hgt":
        return HGTConv(hidden, hidden, (node_types, edge_types), heads=heads)
    raise ValueError(f"unknown GNN convolution {kind!r}: choose one of {', '.join(CONVS)}")


class Encoder(nn.Module):
    def __init__(self, in_dims: dict[str, int], edge_types: list[EdgeType], hidden: int = 64,
                 layers: int = 2, dropout: float = 0.2, num_nodes: dict[str, int] | None = None,
                 conv: str = "sage", heads: int = 2) -> None:
        super().__init__()
        self.inp = nn.ModuleDict({nt: nn.Linear(d, hidden) for nt, d in in_dims.items()})
        self.ids = nn.ModuleDict({nt: nn.Embedding(n, hidden) for nt, n in (num_nodes or {}).items()})
        for emb in self.ids.values():
            nn.init.normal_(emb.weight, std=0.1)  # type: ignore[arg-type]
        self.convs = nn.ModuleList([_conv(conv, list(in_dims), edge_types, hidden, heads) for _ in range(layers)])
        self.norms = nn.ModuleList([
            nn.ModuleDict({nt: nn.LayerNorm(hidden) for nt in in_dims}) for _ in range(layers)
        ])
        self.dropout = dropout

    def forward(self, x_dict: dict[str, Tensor], edge_index_dict: dict[EdgeType, Tensor]) -> dict[str, Tensor]:
        h = {nt: torch.relu(self.inp[nt](x) + (self.ids[nt].weight if nt in self.ids else 0.0))
             for nt, x in x_dict.items()}
        for conv, norm in zip(self.convs, self.norms, strict=True):
            out = conv(h, edge_index_dict)
            nxt = {}
            for nt, prev in h.items():
                upd = out.get(nt)
                z = prev if upd is None else prev + torch.relu(upd)
                z = norm[nt](z)  # type: ignore[index]
                nxt[nt] = nn.functional.dropout(z, p=self.dropout, training=self.training)
            h = nxt
        return h


class LinkPredGNN(nn.Module):
    """Encoder + factorised link decoder + performance head."""

    def __init__(self, in_dims: dict[str, int], edge_types: list[EdgeType], cfg: GNNConfig,
                 num_nodes: dict[str, int] | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        ids = {nt: n for nt, n in (num_nodes or {}).items() if nt in ("brand", "partner")} if cfg.node_ids else {}
        self.encoder = Encoder(in_dims, edge_types, cfg.hidden, cfg.layers, cfg.dropout, ids, cfg.conv, cfg.heads)
        self.brand_proj = nn.Linear(cfg.hidden, cfg.hidden)
        self.partner_proj = nn.Linear(cfg.hidden, cfg.hidden)
        self.partner_bias = nn.Linear(cfg.hidden, 1)
        self.struct = (nn.Sequential(nn.Linear(STRUCTURE_INPUTS, 16), nn.ReLU(), nn.Linear(16, 1))
                       if cfg.structure else None)
        self.perf = nn.Sequential(nn.Linear(3 * cfg.hidden + (STRUCTURE_INPUTS if cfg.perf_structure else 0),
                                            cfg.hidden), nn.ReLU(),
                                  nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, 2))

    def embed(self, x_dict: dict[str, Tensor], edge_index_dict: dict[EdgeType, Tensor]) -> dict[str, Tensor]:
        return self.encoder(x_dict, edge_index_dict)

    @property
    def needs_structure(self) -> bool:
        """Whether the decoder or the performance head reads the pairs' structural inputs."""
        return self.cfg.structure or self.cfg.perf_structure

    def _required(self, s: Tensor | None) -> Tensor:
        if s is None:
            raise ValueError("this GNN reads the pairs' structure: pass their structural inputs")
        return s

    def _structure(self, s: Tensor | None) -> Tensor | float:
        if self.struct is None:
            return 0.0
        return self.struct(self._required(s)).squeeze(-1)

    def score_all(self, h_brand: Tensor, h_partner: Tensor, s: Tensor | None = None) -> Tensor:
        """``[len(h_brand), len(h_partner)]`` link logits; ``s``: the pairs' structural inputs,
        ``[len(h_brand), len(h_partner), STRUCTURE_INPUTS]`` (when :attr:`needs_structure`)."""
        return (self.brand_proj(h_brand) @ self.partner_proj(h_partner).T + self.partner_bias(h_partner).T
                + self._structure(s))

    def score_pairs(self, h_brand: Tensor, h_partner: Tensor, s: Tensor | None = None) -> Tensor:
        """Logits of aligned pairs (row ``i`` of each; ``s``: ``[n, STRUCTURE_INPUTS]``)."""
        return ((self.brand_proj(h_brand) * self.partner_proj(h_partner)).sum(-1)
                + self.partner_bias(h_partner).squeeze(-1) + self._structure(s))

    def performance(self, h_brand: Tensor, h_partner: Tensor, s: Tensor | None = None) -> Tensor:
        """``[n, 2]`` standardised (log ROI, conversion rate) of aligned pairs (``s`` as in
        :meth:`score_pairs`)."""
        parts = [h_brand, h_partner, h_brand * h_partner]
        if self.cfg.perf_structure:
            parts.append(self._required(s))
        return self.perf(torch.cat(parts, dim=-1))

    def performance_block(self, h_brand: Tensor, h_partner: Tensor, s: Tensor | None = None,
                          chunk: int = 8) -> Tensor:
        """``[len(h_brand), len(h_partner), 2]`` performance of every brand x partner pair (``s``
        as in :meth:`score_all`).

        Uses the first layer's split ``W [h_b, h_p, h_b * h_p, s] = W_b h_b + W_p h_p + W_bp (h_b * h_p)
        + W_s s`` so the pair tensor is never materialised with 3x the width."""
        first: nn.Linear = self.perf[0]  # type: ignore[assignment]
        rest = self.perf[1:]
        d = h_brand.shape[1]
        wb, wp, wbp, ws = (first.weight[:, :d], first.weight[:, d:2 * d], first.weight[:, 2 * d:3 * d],
                           first.weight[:, 3 * d:])
        sr = self._required(s) if self.cfg.perf_structure else None
        pb = h_brand @ wb.T + first.bias
        pp = h_partner @ wp.T
        outs = []
        for i in range(0, len(h_brand), chunk):
            hb = h_brand[i:i + chunk]
            z = pb[i:i + chunk, None, :] + pp[None, :, :] + (hb[:, None, :] * h_partner[None, :, :]) @ wbp.T
            if sr is not None:
                z = z + sr[i:i + chunk] @ ws.T
            outs.append(rest(z))
        return torch.cat(outs, dim=0) if outs else h_brand.new_zeros((0, len(h_partner), 2))
