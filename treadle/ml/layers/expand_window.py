"""expand_window: each row concatenated with its ``window_size`` neighbours on each side.

Works on a Ragged of packed Docs: neighbours outside the row's own Doc are zeros,
so no token ever sees another Doc. A custom autograd function fills the output
with shifted copies of the input and zeroes the few Doc-edge slots (indices
cached per batch); the backward pass sums the shifted gradient slices. No
padding copy, no full-size mask multiply, no gather.
"""

from __future__ import annotations

import torch

from treadle.config import registry
from treadle.ml.ragged import Ragged


class _ExpandWindow(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X: torch.Tensor, window: int, invalid: list[torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        n, width = X.shape
        slots = 2 * window + 1
        out = X.new_empty(n, slots, width)
        for s in range(slots):
            o = s - window
            if o == 0:
                out[:, s] = X
            elif o < 0:
                k = min(-o, n)
                out[k:, s] = X[: n - k]
                out[:k, s] = 0
            else:
                k = min(o, n)
                out[: n - k, s] = X[k:]
                out[n - k :, s] = 0
            if o != 0 and invalid[s].numel():
                out[:, s].index_fill_(0, invalid[s], 0.0)
        ctx.window = window
        ctx.invalid = invalid
        return out.view(n, slots * width)

    @staticmethod
    def backward(ctx, dout: torch.Tensor):  # type: ignore[override]
        window, invalid = ctx.window, ctx.invalid
        slots = 2 * window + 1
        n = dout.shape[0]
        d = dout.reshape(n, slots, dout.shape[1] // slots)
        dX = d[:, window].clone()
        for s in range(slots):
            o = s - window
            if o == 0:
                continue
            g = d[:, s]
            if invalid[s].numel():
                g = g.index_fill(0, invalid[s], 0.0)
            k = min(abs(o), n)
            if o < 0:
                dX[: n - k] += g[k:]
            else:
                dX[k:] += g[: n - k]
        return dX, None, None


class ExpandWindow(torch.nn.Module):
    def __init__(self, window_size: int = 1) -> None:
        super().__init__()
        self.window_size = window_size

    def forward(self, X: Ragged) -> Ragged:
        w = self.window_size
        if w == 0:
            return X
        invalid = X.layout.window_invalid_rows(w)
        return X.with_data(_ExpandWindow.apply(X.data, w, invalid))

    def extra_repr(self) -> str:
        return f"window_size={self.window_size}"


@registry.layers("expand_window.v1")
def expand_window(window_size: int = 1) -> ExpandWindow:
    return ExpandWindow(window_size)
