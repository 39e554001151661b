"""Linear: ``X @ W.T + b``, with an output width that can grow (new labels) and lazy sizes."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.errors import TreadleError
from treadle.ml.layers._init import glorot_uniform_


class Linear(torch.nn.Module):
    """Affine layer. ``nO``/``nI`` may be None until known: ``nO`` from ``resize_output``
    (or ``Model.initialize(Y=...)``), ``nI`` from the first input. New output rows
    start at the layer's initial values (zeros with ``init="zeros"``)."""

    def __init__(self, nO: int | None = None, nI: int | None = None, *, init: str = "glorot") -> None:
        super().__init__()
        self.nO = nO
        self.nI = nI
        self.init = init
        self.weight = torch.nn.Parameter(torch.empty(nO or 0, nI or 0))
        self.bias = torch.nn.Parameter(torch.zeros(nO or 0))
        if nO and nI:
            self._init_rows(self.weight, 0)

    def _init_rows(self, w: torch.Tensor, start: int) -> None:
        with torch.no_grad():
            if self.init == "zeros":
                w[start:].zero_()
            else:
                glorot_uniform_(w[start:], w.shape[1], w.shape[0])

    def _ensure_input(self, nI: int) -> None:
        if self.nI is None or self.weight.shape[1] == 0:
            if self.nO is None:
                raise TreadleError(
                    f"{type(self).__name__}: the output width nO is not set; "
                    "initialize the model with labels (resize_output / initialize(Y=...))."
                )
            self.nI = nI
            w = torch.empty(self.nO, nI, device=self.weight.device, dtype=self.weight.dtype)
            self._init_rows(w, 0)
            self.weight = torch.nn.Parameter(w)

    def resize_output(self, nO: int) -> None:
        """Set the output width to ``nO``, keeping existing rows (learned label weights)."""
        old = self.weight.shape[0]
        nI = self.weight.shape[1]
        w = torch.empty(nO, nI, device=self.weight.device, dtype=self.weight.dtype)
        b = torch.zeros(nO, device=self.bias.device, dtype=self.bias.dtype)
        keep = min(old, nO)
        with torch.no_grad():
            if nI:
                self._init_rows(w, keep)
            w[:keep] = self.weight[:keep]
            b[:keep] = self.bias[:keep]
        self.weight = torch.nn.Parameter(w)
        self.bias = torch.nn.Parameter(b)
        self.nO = nO

    def adopt_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Before loading saved weights: take their sizes (the loaded values then fill them)."""
        shape = shapes.get("weight")
        if shape is None or tuple(self.weight.shape) == shape:
            return
        nO, nI = shape
        self.weight = torch.nn.Parameter(torch.zeros(nO, nI, device=self.weight.device, dtype=self.weight.dtype))
        self.bias = torch.nn.Parameter(torch.zeros(nO, device=self.bias.device, dtype=self.bias.dtype))
        self.nO, self.nI = nO, nI

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self._ensure_input(X.shape[-1])
        return F.linear(X, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"nO={self.nO}, nI={self.nI}"


@registry.layers("Linear.v1")
def make_Linear(nO: int | None = None, nI: int | None = None, init: str = "glorot") -> Linear:
    return Linear(nO, nI, init=init)
