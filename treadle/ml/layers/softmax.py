"""Softmax output layer: class probabilities, resizable when new labels arrive.

With ``fused_grad=True`` (default) the backward pass treats the incoming gradient as
the gradient of the *scores* and passes it straight through the softmax. That is
what ``CategoricalCrossentropy`` returns (``probs - truth``): softmax and
cross-entropy differentiated together, which is exact and numerically stable.
Use ``fused_grad=False`` to get the true softmax Jacobian (e.g. when the loss is
something else).
"""

from __future__ import annotations

import torch

from treadle.config import registry
from treadle.ml.layers.linear import Linear


class _SoftmaxScoresGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, scores: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return torch.softmax(scores, dim=-1)

    @staticmethod
    def backward(ctx, d_probs: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return d_probs


class Softmax(Linear):
    def __init__(
        self,
        nO: int | None = None,
        nI: int | None = None,
        *,
        normalize_outputs: bool = True,
        fused_grad: bool = True,
        init: str = "zeros",
    ) -> None:
        super().__init__(nO, nI, init=init)
        self.normalize_outputs = normalize_outputs
        self.fused_grad = fused_grad

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        scores = super().forward(X)
        if not self.normalize_outputs:
            return scores
        if self.fused_grad and torch.is_grad_enabled():
            return _SoftmaxScoresGrad.apply(scores)
        return torch.softmax(scores, dim=-1)


@registry.layers("Softmax.v1")
def make_Softmax(
    nO: int | None = None, nI: int | None = None, normalize_outputs: bool = True,
    fused_grad: bool = True,
) -> Softmax:
    return Softmax(nO, nI, normalize_outputs=normalize_outputs, fused_grad=fused_grad)
