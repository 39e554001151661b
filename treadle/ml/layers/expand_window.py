"""expand_window: each row concatenated with its ``window_size`` neighbours on each side.

Works on a Ragged of packed Docs: neighbours outside the row's own Doc are zeros,
so no token ever sees another Doc. Implemented as shifted slices of a padded copy
times a cached 0/1 mask, which is cheap forwards and backwards (no gathers).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.ml.ragged import Ragged


class ExpandWindow(torch.nn.Module):
    def __init__(self, window_size: int = 1) -> None:
        super().__init__()
        self.window_size = window_size

    def forward(self, X: Ragged) -> Ragged:
        w = self.window_size
        if w == 0:
            return X
        data = X.data
        n = data.shape[0]
        padded = F.pad(data, (0, 0, w, w))
        shifted = torch.stack([padded[i : i + n] for i in range(2 * w + 1)], dim=1)
        shifted = shifted * X.layout.window_mask(w, data.dtype)
        return X.with_data(shifted.reshape(n, -1))

    def extra_repr(self) -> str:
        return f"window_size={self.window_size}"


@registry.layers("expand_window.v1")
def expand_window(window_size: int = 1) -> ExpandWindow:
    return ExpandWindow(window_size)
