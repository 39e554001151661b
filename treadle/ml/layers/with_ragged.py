"""Apply a row-wise layer (Maxout, Mish, Linear...) to the data of a Ragged."""

from __future__ import annotations

from typing import Any

import torch

from treadle.ml.ragged import Ragged


class OnRows(torch.nn.Module):
    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, X: Any) -> Any:
        if isinstance(X, Ragged):
            return X.with_data(self.layer(X.data))
        if isinstance(X, list):
            return [self.layer(x) for x in X]
        return self.layer(X)
