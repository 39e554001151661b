"""Mish layer: affine then ``x * tanh(softplus(x))``; optional LayerNorm and dropout."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.ml.layers._init import he_normal_


class Mish(torch.nn.Module):
    def __init__(self, nO: int, nI: int, *, normalize: bool = False, dropout: float | None = 0.0):
        super().__init__()
        self.nO, self.nI = nO, nI
        self.weight = torch.nn.Parameter(he_normal_(torch.empty(nO, nI), nI))
        self.bias = torch.nn.Parameter(torch.zeros(nO))
        self.norm = torch.nn.LayerNorm(nO) if normalize else None
        # A dropout module even at rate 0: the training's dropout setting reaches every
        # layer that has one (set_dropout_rate). None leaves the layer without.
        self.dropout = torch.nn.Dropout(dropout) if dropout is not None else None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.mish(F.linear(X, self.weight, self.bias))
        if self.norm is not None:
            Y = self.norm(Y)
        if self.dropout is not None:
            Y = self.dropout(Y)
        return Y


@registry.layers("Mish.v1")
def make_Mish(nO: int, nI: int, normalize: bool = False, dropout: float = 0.0) -> Mish:
    return Mish(nO, nI, normalize=normalize, dropout=dropout)
