"""Poolings: wordpiece vectors -> one vector per token, through the alignment.

``treadle.reduce_mean.v1`` (and ``_first``, ``_last``, ``_max``) in
``registry.layers`` take ``(wordpieces, alignment)``: a (n_pieces, width) tensor and
a :class:`~treadle.ml.ragged.Ragged` of long piece indices per token (from
:meth:`PieceAlignment.to_ragged`). The aligned rows are gathered once
(``index_select``) and reduced per token by treadle's own ragged reductions, so a
token with no pieces gets a zero row and everything stays differentiable and batched.
"""

from __future__ import annotations

import torch

from treadle.config import registry
from treadle.ml.layers.reduce import ReduceFirst, ReduceLast, ReduceMax, ReduceMean
from treadle.ml.ragged import Ragged


class PiecePooling(torch.nn.Module):
    """Reduce the wordpiece rows aligned to each token with ``reduce``."""

    def __init__(self, reduce: torch.nn.Module) -> None:
        super().__init__()
        self.reduce = reduce

    def forward(self, wordpieces: torch.Tensor, alignment: Ragged) -> torch.Tensor:
        index = alignment.data.to(device=wordpieces.device, dtype=torch.long)
        gathered = alignment.with_data(wordpieces.index_select(0, index))
        return self.reduce(gathered)

    def extra_repr(self) -> str:
        return type(self.reduce).__name__


@registry.layers("treadle.reduce_mean.v1")
def make_reduce_mean() -> PiecePooling:
    """Mean of each token's wordpiece vectors."""
    return PiecePooling(ReduceMean())


@registry.layers("treadle.reduce_first.v1")
def make_reduce_first() -> PiecePooling:
    """Each token's first wordpiece vector."""
    return PiecePooling(ReduceFirst())


@registry.layers("treadle.reduce_last.v1")
def make_reduce_last() -> PiecePooling:
    """Each token's last wordpiece vector."""
    return PiecePooling(ReduceLast())


@registry.layers("treadle.reduce_max.v1")
def make_reduce_max() -> PiecePooling:
    """Elementwise max of each token's wordpiece vectors."""
    return PiecePooling(ReduceMax())
