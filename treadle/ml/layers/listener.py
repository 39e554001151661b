"""Tok2VecListener: the receiving end of a shared tok2vec (DESIGN.md, "Shared embeddings").

Protocol for the upstream component (tok2vec / transformer)::

    outputs = tok2vec_module(docs)                 # list[Tensor], graph attached
    for listener in listeners: listener.receive(Tok2VecListener.batch_id(docs), outputs)
    for doc, t in zip(docs, outputs): doc.tensor = t.detach().cpu().numpy()

A downstream model then calls ``listener(docs)``: when the batch identity matches,
it returns the received tensors (scaled in the backward pass by ``grad_factor``) so
a single backward pass over the summed losses reaches the shared weights. With no
matching batch (prediction, or a frozen upstream), it reads ``doc.tensor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from treadle.config import registry
from treadle.errors import TreadleError

if TYPE_CHECKING:
    from treadle.tokens import Doc


class _ScaleGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, factor: float) -> torch.Tensor:  # type: ignore[override]
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, dy: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return dy * ctx.factor, None


class Tok2VecListener(torch.nn.Module):
    # Which upstream components find it (treadle.pipeline._internal.listeners).
    listens_to = "tok2vec"

    def __init__(self, width: int, upstream: str = "*", grad_factor: float = 1.0) -> None:
        super().__init__()
        self.width = width
        self.upstream_name = upstream
        self.grad_factor = grad_factor
        self._batch_id: tuple[int, ...] | None = None
        self._outputs: list[torch.Tensor] | None = None
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    @staticmethod
    def batch_id(docs: Sequence[Doc]) -> tuple[int, ...]:
        """Identity of a batch: the ids of its Doc objects, in order."""
        return tuple(id(doc) for doc in docs)

    def receive(self, batch_id: tuple[int, ...], outputs: list[torch.Tensor]) -> None:
        self._batch_id = batch_id
        self._outputs = outputs

    def clear(self) -> None:
        self._batch_id = None
        self._outputs = None

    def has_batch(self, docs: Sequence[Doc]) -> bool:
        return self._outputs is not None and self._batch_id == self.batch_id(docs)

    def forward(self, docs: Sequence[Doc]) -> list[torch.Tensor]:
        if self.has_batch(docs):
            assert self._outputs is not None
            outs = self._outputs
            if self.grad_factor != 1.0 and torch.is_grad_enabled():
                return [_ScaleGrad.apply(t, self.grad_factor) for t in outs]
            return list(outs)
        return self._from_doc_tensors(docs)

    def _from_doc_tensors(self, docs: Sequence[Doc]) -> list[torch.Tensor]:
        device = self._device_probe.device
        out = []
        for i, doc in enumerate(docs):
            t = getattr(doc, "tensor", None)
            n = len(doc)
            if t is None or (n and (getattr(t, "ndim", 0) != 2 or t.shape[0] != n)):
                raise TreadleError(
                    f"Tok2VecListener (upstream {self.upstream_name!r}): no output of the "
                    f"upstream tok2vec for doc {i} of the batch, and doc.tensor is not set. "
                    "Is the tok2vec component before this one in the pipeline, and not disabled?"
                )
            if n == 0:
                out.append(torch.zeros(0, self.width, device=device))
                continue
            out.append(torch.as_tensor(np.asarray(t, dtype=np.float32) if not isinstance(t, torch.Tensor) else t).to(device, torch.float32))
        return out

    def extra_repr(self) -> str:
        return f"width={self.width}, upstream={self.upstream_name!r}, grad_factor={self.grad_factor}"


@registry.architectures("treadle.Tok2VecListener.v1")
def make_Tok2VecListener(width: int, upstream: str = "*", grad_factor: float = 1.0) -> Tok2VecListener:
    return Tok2VecListener(width, upstream, grad_factor)
