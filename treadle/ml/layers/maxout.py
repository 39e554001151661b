"""Maxout: ``nP`` affine pieces per output unit, keep the largest; optional LayerNorm and dropout."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.ml.layers._init import glorot_uniform_


class Maxout(torch.nn.Module):
    def __init__(self, nO: int, nI: int, nP: int = 3, *, normalize: bool = False, dropout: float = 0.0):
        super().__init__()
        self.nO, self.nI, self.nP = nO, nI, nP
        # Pieces are laid out unit-major (row = unit * nP + piece) so the max is over the last axis.
        self.weight = torch.nn.Parameter(glorot_uniform_(torch.empty(nO * nP, nI), nI, nO))
        self.bias = torch.nn.Parameter(torch.zeros(nO * nP))
        self.norm = torch.nn.LayerNorm(nO) if normalize else None
        self.dropout = torch.nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.linear(X, self.weight, self.bias)
        Y = Y.view(*Y.shape[:-1], self.nO, self.nP).amax(dim=-1)
        if self.norm is not None:
            Y = self.norm(Y)
        if self.dropout is not None:
            Y = self.dropout(Y)
        return Y

    def extra_repr(self) -> str:
        return f"nO={self.nO}, nI={self.nI}, nP={self.nP}"


@registry.layers("Maxout.v1")
def make_Maxout(nO: int, nI: int, nP: int = 3, normalize: bool = False, dropout: float = 0.0) -> Maxout:
    return Maxout(nO, nI, nP, normalize=normalize, dropout=dropout)
