"""HashEmbed: a fixed-size embedding table for an unbounded set of 64-bit ids.

Each id is mixed with ``n_hashes`` (4) per-layer seeds by a 64-bit multiply/xor-shift
mixer (vectorized int64 torch ops; multiplication wraps around), each result picks
a row modulo ``nV``, and the rows are summed. Two ids collide on all four rows
only with negligible probability, so the table size bounds memory, not the
vocabulary. Ids arrive as int64 bit-casts of the uint64 string hashes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from treadle.config import registry

_MASK64 = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _signed(x: int) -> int:
    x &= _MASK64
    return x - (1 << 64) if x >= 1 << 63 else x


def _mix_py(x: int) -> int:
    """The same mixer in Python integers, for deriving seeds."""
    x &= _MASK64
    x = ((x ^ (x >> 30)) * _M1) & _MASK64
    x = ((x ^ (x >> 27)) * _M2) & _MASK64
    return x ^ (x >> 31)


def _lshr(x: torch.Tensor, s: int) -> torch.Tensor:
    """Logical right shift of int64 (torch's >> is arithmetic)."""
    return (x >> s) & ((1 << (64 - s)) - 1)


def hash_ids(ids: torch.Tensor, seeds: torch.Tensor) -> torch.Tensor:
    """(...,) int64 ids and (K,) int64 seeds -> (..., K) non-negative int64 hashes."""
    x = ids.unsqueeze(-1) ^ seeds
    x = (x ^ _lshr(x, 30)) * _signed(_M1)
    x = (x ^ _lshr(x, 27)) * _signed(_M2)
    x = x ^ _lshr(x, 31)
    return x & ((1 << 63) - 1)


class HashEmbed(torch.nn.Module):
    """(n,) int64 ids -> (n, nO) vectors; ``column`` picks one column of a 2-d id array."""

    def __init__(
        self,
        nO: int,
        nV: int,
        *,
        seed: int = 0,
        column: int | None = None,
        n_hashes: int = 4,
        dropout: float = 0.0,
        init_scale: float = 0.1,
    ) -> None:
        super().__init__()
        if nV < 1:
            raise ValueError(f"HashEmbed needs at least one row, got nV={nV}")
        self.nO, self.nV, self.seed, self.column = nO, nV, seed, column
        self.weight = torch.nn.Parameter(torch.empty(nV, nO).uniform_(-init_scale, init_scale))
        seeds = [_signed(_mix_py(seed * 0x9E3779B97F4A7C15 + k + 1)) for k in range(n_hashes)]
        self.register_buffer("seeds", torch.tensor(seeds, dtype=torch.long), persistent=False)
        self.dropout = torch.nn.Dropout(dropout) if dropout > 0 else None

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """(n,) ids -> (n, n_hashes) row indices."""
        return hash_ids(ids, self.seeds) % self.nV

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if self.column is not None and ids.dim() == 2:
            ids = ids[:, self.column]
        Y = F.embedding_bag(self.rows(ids), self.weight, mode="sum")
        if self.dropout is not None:
            Y = self.dropout(Y)
        return Y

    def extra_repr(self) -> str:
        return f"nO={self.nO}, nV={self.nV}, seed={self.seed}, column={self.column}"


@registry.layers("HashEmbed.v1")
@registry.architectures("treadle.HashEmbed.v1")
def make_HashEmbed(
    nO: int, nV: int, seed: int = 0, column: int | None = None, dropout: float = 0.0
) -> HashEmbed:
    return HashEmbed(nO, nV, seed=seed, column=column, dropout=dropout)
