"""Residual: ``X + layer(X)``, on tensors or on the rows of a Ragged."""

from __future__ import annotations

from typing import Any

import torch

from treadle.config import registry
from treadle.ml.ragged import Ragged


class Residual(torch.nn.Module):
    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, X: Any) -> Any:
        Y = self.layer(X)
        if isinstance(X, Ragged):
            return X.with_data(X.data + Y.data)
        if isinstance(X, list):
            return [x + y for x, y in zip(X, Y, strict=True)]
        return X + Y


@registry.layers("residual.v1")
def residual(layer: torch.nn.Module) -> Residual:
    return Residual(layer)
