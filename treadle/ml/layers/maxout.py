"""Maxout: ``nP`` affine pieces per output unit, keep the largest; optional LayerNorm and dropout.

The weight rows are laid out piece-major (row = piece * nO + unit), so the max is an
element-wise ``maximum`` of ``nP`` contiguous (n, nO) slices, and the backward pass
routes the gradient with a comparison mask. Both are several times faster on CPU
than a reduction over a trailing axis of size 3. (On exact ties between pieces,
which practically never happen with float weights, each tied piece gets the gradient.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.ml.layers._init import glorot_uniform_


class _MaxPieces(torch.autograd.Function):
    @staticmethod
    def forward(ctx, Z: torch.Tensor, nP: int) -> torch.Tensor:  # type: ignore[override]
        lead, nO = Z.shape[:-1], Z.shape[-1] // nP
        Zp = Z.reshape(-1, nP, nO)
        best = Zp[:, 0]
        for p in range(1, nP):
            best = torch.maximum(best, Zp[:, p])
        ctx.save_for_backward(Zp, best)
        return best.reshape(*lead, nO)

    @staticmethod
    def backward(ctx, dY: torch.Tensor):  # type: ignore[override]
        Zp, best = ctx.saved_tensors
        mask = Zp == best.unsqueeze(1)
        dZ = mask * dY.reshape(best.shape).unsqueeze(1)  # (faster than torch.where on CPU)
        return dZ.reshape(*dY.shape[:-1], Zp.shape[1] * Zp.shape[2]), None


class Maxout(torch.nn.Module):
    def __init__(self, nO: int, nI: int, nP: int = 3, *, normalize: bool = False, dropout: float | None = 0.0):
        super().__init__()
        self.nO, self.nI, self.nP = nO, nI, nP
        self.weight = torch.nn.Parameter(glorot_uniform_(torch.empty(nP * nO, nI), nI, nO))
        self.bias = torch.nn.Parameter(torch.zeros(nP * nO))
        self.norm = torch.nn.LayerNorm(nO) if normalize else None
        # A dropout module even at rate 0: the training's dropout setting reaches every
        # layer that has one (set_dropout_rate). None leaves the layer without.
        self.dropout = torch.nn.Dropout(dropout) if dropout is not None else None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = _MaxPieces.apply(F.linear(X, self.weight, self.bias), self.nP)
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
