"""Aligning wordpieces to tokens through character offsets.

A fast Hugging Face tokenizer reports, for every wordpiece, the characters it covers
(``offset_mapping``). :func:`align_offsets` turns those into a ragged alignment,
token -> the wordpieces that overlap it:

- special tokens ([CLS], [SEP], padding) have (0, 0) offsets: they cover no
  character and align to no token;
- a token no wordpiece covers (a whitespace token) gets no pieces;
- a wordpiece that straddles two tokens aligns to both.

Everything is numpy over the whole span at once: a token's pieces form a contiguous
run found with ``searchsorted``, then the (token, piece) pairs are expanded with
``np.repeat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from treadle.ml.ragged import Ragged
from treadle.tokens import Doc, Span
from treadle.tokens import attrs as A


@dataclass(frozen=True)
class PieceAlignment:
    """Ragged token -> wordpiece indices: token ``i`` owns
    ``pieces[starts[i]:starts[i] + lengths[i]]``, in increasing piece order."""

    pieces: np.ndarray  # (n_pairs,) int64 wordpiece indices
    lengths: np.ndarray  # (n_tokens,) int64 number of pieces per token

    @property
    def n_tokens(self) -> int:
        return len(self.lengths)

    @property
    def starts(self) -> np.ndarray:
        return np.cumsum(self.lengths) - self.lengths

    def token_pieces(self, i: int) -> list[int]:
        start = int(self.starts[i])
        return self.pieces[start : start + int(self.lengths[i])].tolist()

    def shifted(self, offset: int) -> PieceAlignment:
        """The same alignment with every piece index moved by ``offset``."""
        return PieceAlignment(self.pieces + offset, self.lengths)

    def to_ragged(self, device: torch.device | str | None = None) -> Ragged:
        """As a :class:`Ragged` of long indices, the input the poolings take."""
        data = torch.from_numpy(np.ascontiguousarray(self.pieces, dtype=np.int64))
        return Ragged(data.to(device) if device is not None else data, self.lengths.tolist())

    @classmethod
    def concat(cls, alignments: Sequence[PieceAlignment], n_pieces: Sequence[int]) -> PieceAlignment:
        """Stack the alignments of several Docs whose wordpiece rows are concatenated:
        ``n_pieces[k]`` rows belong to Doc ``k``."""
        if len(alignments) != len(n_pieces):
            raise ValueError(f"{len(alignments)} alignments but {len(n_pieces)} piece counts")
        offsets = np.concatenate([[0], np.cumsum(np.asarray(n_pieces, dtype=np.int64))[:-1]])
        if not alignments:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))
        pieces = np.concatenate([a.pieces + off for a, off in zip(alignments, offsets, strict=True)])
        lengths = np.concatenate([a.lengths for a in alignments])
        return cls(pieces.astype(np.int64), lengths.astype(np.int64))


def token_char_ranges(span: Doc | Span) -> tuple[np.ndarray, np.ndarray]:
    """Start and end characters of each token, relative to the start of ``span.text``."""
    arr = span.to_array([A.IDX, A.LENGTH]).astype(np.int64).reshape(-1, 2)
    base = span.start_char if isinstance(span, Span) else 0
    starts = arr[:, 0] - base
    return starts, starts + arr[:, 1]


def align_offsets(span: Doc | Span, offsets: np.ndarray | Sequence[Sequence[int]]) -> PieceAlignment:
    """Token -> wordpiece alignment of ``span`` from the wordpieces' character offsets.

    ``offsets``: (n_pieces, 2) ``offset_mapping`` from a fast tokenizer run on
    ``span.text``, so relative to the span's first character. Pieces with an empty
    range (special tokens) align to nothing.
    """
    off = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    tok_starts, tok_ends = token_char_ranges(span)
    n_tokens = len(tok_starts)
    if n_tokens == 0 or len(off) == 0:
        return PieceAlignment(np.zeros(0, np.int64), np.zeros(n_tokens, np.int64))
    p_start, p_end = off[:, 0], off[:, 1]
    # Tokens are sorted and disjoint, so the tokens a piece overlaps (t_start < p_end and
    # t_end > p_start) are a contiguous run [lo, hi).
    lo = np.searchsorted(tok_ends, p_start, side="right")
    hi = np.searchsorted(tok_starts, p_end, side="left")
    counts = np.where(p_end > p_start, np.maximum(hi - lo, 0), 0)
    piece_ids = np.repeat(np.arange(len(off), dtype=np.int64), counts)
    # Position of each pair inside its piece's run: 0, 1, ... per piece.
    run_starts = np.repeat(np.cumsum(counts) - counts, counts)
    token_ids = np.repeat(lo, counts) + (np.arange(len(piece_ids)) - run_starts)
    order = np.lexsort((piece_ids, token_ids))
    lengths = np.bincount(token_ids, minlength=n_tokens).astype(np.int64)
    return PieceAlignment(piece_ids[order], lengths)
