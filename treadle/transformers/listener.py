"""``treadle.TransformerListener.v1``: one vector per token from an upstream transformer.

The receiving end of the listener protocol (``treadle.pipeline._internal.listeners``)
for the ``transformer`` component: in training the component hands each batch's
per-Doc :class:`~treadle.transformers.model.DocTransformerOutput` to its listeners
(graph attached), and the listener pools each token's wordpiece rows with ``pooling``
(``treadle.reduce_mean.v1`` by default; a token without pieces gets zeros), scaling
the gradient that flows back by ``grad_factor``. With no matching batch (prediction,
or a batch the transformer did not see), it reads ``doc._.trf_data``.

Width: components size their layers from their ``tok2vec``'s ``width`` when they are
built, but only the Hugging Face config knows it. The listener takes it from the
upstream transformer component already in the pipeline being built (``Language``
exposes it while a component's config resolves); one built outside a pipeline gets
it when the transformer finds it (``find_listeners``), or from ``width=`` explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.config import registry
from treadle.errors import TreadleError
from treadle.ml.layers.listener import _ScaleGrad
from treadle.ml.ragged import Ragged
from treadle.pipeline._internal.listeners import batch_id
from treadle.pipeline.factories import pipeline_being_built
from treadle.transformers.alignment import PieceAlignment
from treadle.transformers.pooling import make_reduce_mean

if TYPE_CHECKING:
    from treadle.tokens import Doc


def upstream_width(upstream: str) -> int | None:
    """The width of the transformer this listener will listen to, if a pipeline is
    being built and already has it."""
    nlp = pipeline_being_built()
    if nlp is None:
        return None
    for comp_name, comp in reversed(nlp.components):
        if getattr(comp, "listener_kind", None) != "transformer":
            continue
        if upstream in ("*", comp_name):
            width = getattr(getattr(comp, "model", None), "width", None)
            return width if isinstance(width, int) else None
    return None


class TransformerListener(torch.nn.Module):
    """Pools an upstream transformer's wordpiece vectors to one row per token."""

    # Which upstream components find it (treadle.pipeline._internal.listeners).
    listens_to = "transformer"

    def __init__(
        self,
        pooling: torch.nn.Module,
        upstream: str = "*",
        grad_factor: float = 1.0,
        width: int | None = None,
    ) -> None:
        super().__init__()
        self.pooling = pooling
        self.upstream_name = upstream
        self.grad_factor = float(grad_factor)
        self.width: int | None = width if width is not None else upstream_width(upstream)
        self._batch_id: tuple[int, ...] | None = None
        self._outputs: list[Any] | None = None
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    def set_width(self, width: int) -> None:
        """Called by the upstream when it finds this listener."""
        if self.width is not None and self.width != width:
            raise TreadleError(
                f"TransformerListener (upstream {self.upstream_name!r}) was built for width "
                f"{self.width}, but the transformer outputs width {width}."
            )
        self.width = width

    def receive(self, batch: tuple[int, ...], outputs: list[Any]) -> None:
        self._batch_id = batch
        self._outputs = outputs

    def clear(self) -> None:
        self._batch_id = None
        self._outputs = None

    def has_batch(self, docs: Sequence[Doc]) -> bool:
        return self._outputs is not None and self._batch_id == batch_id(docs)

    def _inputs(self, docs: Sequence[Doc]) -> tuple[list[torch.Tensor], list[PieceAlignment]]:
        if self.has_batch(docs):
            assert self._outputs is not None
            return [o.hidden for o in self._outputs], [o.alignment for o in self._outputs]
        device = self._device_probe.device
        hidden, aligns = [], []
        for i, doc in enumerate(docs):
            data = doc._.trf_data
            if data is None:
                raise TreadleError(
                    f"TransformerListener (upstream {self.upstream_name!r}): no output of the "
                    f"transformer for doc {i} of the batch, and doc._.trf_data is not set. Is "
                    "the transformer component before this one in the pipeline, and not disabled?"
                )
            hidden.append(torch.from_numpy(np.asarray(data.hidden, dtype=np.float32)).to(device))
            aligns.append(data.alignment)
        return hidden, aligns

    def forward_ragged(self, docs: Sequence[Doc]) -> Ragged:
        """The pooled token vectors of the whole batch, packed (one pooling call)."""
        hidden, aligns = self._inputs(docs)
        lengths = [len(doc) for doc in docs]
        width = self.width if self.width is not None else (hidden[0].shape[1] if hidden else 0)
        if not hidden:
            return Ragged(torch.zeros(0, width, device=self._device_probe.device), lengths)
        packed = torch.cat(hidden, dim=0) if len(hidden) > 1 else hidden[0]
        if self.width is None:
            self.width = int(packed.shape[1])
        if torch.is_grad_enabled() and packed.requires_grad:
            if self.grad_factor == 0.0:
                packed = packed.detach()  # no gradient at all reaches the transformer
            elif self.grad_factor != 1.0:
                packed = _ScaleGrad.apply(packed, self.grad_factor)
        alignment = PieceAlignment.concat(aligns, [len(h) for h in hidden])
        rows = self.pooling(packed, alignment.to_ragged(packed.device))
        return Ragged(rows, lengths)

    def forward(self, docs: Sequence[Doc]) -> list[torch.Tensor]:
        return list(self.forward_ragged(docs).split())

    def extra_repr(self) -> str:
        return f"width={self.width}, upstream={self.upstream_name!r}, grad_factor={self.grad_factor}"


def make_TransformerListener(
    grad_factor: float = 1.0,
    pooling: torch.nn.Module | None = None,
    upstream: str = "*",
    width: int | None = None,
) -> TransformerListener:
    """Listen to the transformer ``upstream`` ("*": the nearest one before), pooling
    each token's wordpiece vectors (mean by default); ``width`` only for a model
    built outside a pipeline."""
    return TransformerListener(pooling if pooling is not None else make_reduce_mean(), upstream, grad_factor, width)


# The default pooling as a config block, so a filled config names it.
registry.architectures.register(
    "treadle.TransformerListener.v1",
    func=make_TransformerListener,
    defaults={"pooling": {"@layers": "treadle.reduce_mean.v1"}},
)
