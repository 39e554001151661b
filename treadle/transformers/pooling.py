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

# Tokens pooled at a time when no gradient is needed: the gathered rows and the
# reductions' temporaries exist for one block, not for the whole (long) Doc.
BLOCK_TOKENS = 4096


class PiecePooling(torch.nn.Module):
    """Reduce the wordpiece rows aligned to each token with ``reduce``."""

    def __init__(self, reduce: torch.nn.Module, block_tokens: int = BLOCK_TOKENS) -> None:
        super().__init__()
        self.reduce = reduce
        self.block_tokens = block_tokens

    def forward(self, wordpieces: torch.Tensor, alignment: Ragged) -> torch.Tensor:
        n_tokens = len(alignment)
        needs_grad = torch.is_grad_enabled() and wordpieces.requires_grad
        if needs_grad or n_tokens <= self.block_tokens:
            return self._pool(wordpieces, alignment)
        out = wordpieces.new_empty((n_tokens, *wordpieces.shape[1:]))
        piece = 0
        for start in range(0, n_tokens, self.block_tokens):
            lengths = alignment.lengths[start : start + self.block_tokens]
            n_pieces = sum(lengths)
            block = Ragged(alignment.data[piece : piece + n_pieces], lengths)
            out[start : start + len(lengths)] = self._pool(wordpieces, block)
            piece += n_pieces
        return out

    def _pool(self, wordpieces: torch.Tensor, alignment: Ragged) -> torch.Tensor:
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
