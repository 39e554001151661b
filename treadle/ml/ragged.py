"""``Ragged``: the tokens of a batch of Docs packed into one (n_tokens, width) tensor.

Token-level layers work on the packed rows (no padding, no per-Doc loop); the
lengths say where each Doc starts, so window layers can stop at Doc edges.
Derived index tensors (row offsets, positions within a Doc, window masks) are
computed once per batch and shared by every layer via :meth:`with_data`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


class _Layout:
    """Index tensors derived from the lengths, cached per batch and device."""

    def __init__(self, lengths: list[int], device: torch.device) -> None:
        self.lengths = lengths
        self.device = device
        self._cache: dict[Any, torch.Tensor] = {}

    def lengths_tensor(self) -> torch.Tensor:
        t = self._cache.get("lengths")
        if t is None:
            t = self._cache["lengths"] = torch.tensor(self.lengths, dtype=torch.long, device=self.device)
        return t

    def starts(self) -> torch.Tensor:
        t = self._cache.get("starts")
        if t is None:
            lens = np.asarray(self.lengths, dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else lens
            t = self._cache["starts"] = torch.from_numpy(starts).to(self.device)
        return t

    def seq_ids(self) -> torch.Tensor:
        """For every row, the index of its sequence."""
        t = self._cache.get("seq_ids")
        if t is None:
            lens = np.asarray(self.lengths, dtype=np.int64)
            ids = np.repeat(np.arange(len(lens)), lens)
            t = self._cache["seq_ids"] = torch.from_numpy(ids).to(self.device)
        return t

    def window_invalid_rows(self, window: int) -> list[torch.Tensor]:
        """Per window slot (offset -window..window), the rows whose neighbour at that
        offset lies outside their own sequence (or outside the batch)."""
        key = ("invalid", window)
        cached = self._cache.get(key)
        if cached is None:
            lens = np.asarray(self.lengths, dtype=np.int64)
            n = int(lens.sum())
            starts = np.repeat(np.cumsum(lens) - lens, lens)
            pos = np.arange(n) - starts
            seq_len = np.repeat(lens, lens)
            cached = []
            for offset in range(-window, window + 1):
                target = pos + offset
                bad = np.nonzero((target < 0) | (target >= seq_len))[0]
                cached.append(torch.from_numpy(bad).to(self.device))
            self._cache[key] = cached  # type: ignore[assignment]
        return cached  # type: ignore[return-value]

    def window_mask(self, window: int, dtype: torch.dtype) -> torch.Tensor:
        """(n_rows, 2*window+1, 1) mask: 1 where row i+offset lies in row i's sequence."""
        key = ("window", window, dtype)
        t = self._cache.get(key)
        if t is None:
            lens = np.asarray(self.lengths, dtype=np.int64)
            n = int(lens.sum())
            starts = np.repeat(np.cumsum(lens) - lens, lens)
            pos = np.arange(n) - starts
            seq_len = np.repeat(lens, lens)
            offsets = np.arange(-window, window + 1)
            target = pos[:, None] + offsets[None, :]
            valid = (target >= 0) & (target < seq_len[:, None])
            t = torch.from_numpy(valid[:, :, None].astype(np.float32)).to(self.device, dtype)
            self._cache[key] = t
        return t


class Ragged:
    """Rows of several sequences, concatenated: ``data`` (n_rows, ...) and ``lengths``."""

    def __init__(self, data: torch.Tensor, lengths: Sequence[int], *, _layout: _Layout | None = None):
        self.data = data
        self.lengths = [int(x) for x in lengths] if _layout is None else _layout.lengths
        if _layout is None:
            if sum(self.lengths) != data.shape[0]:
                raise ValueError(f"lengths sum to {sum(self.lengths)} but data has {data.shape[0]} rows")
            _layout = _Layout(self.lengths, data.device)
        self._layout = _layout

    @classmethod
    def from_list(cls, seqs: Sequence[torch.Tensor]) -> Ragged:
        return cls(torch.cat(list(seqs), dim=0) if seqs else torch.zeros(0, 0), [len(s) for s in seqs])

    def with_data(self, data: torch.Tensor) -> Ragged:
        """Same sequences, new rows (the cached index tensors are shared)."""
        return Ragged(data, self.lengths, _layout=self._layout)

    def split(self) -> list[torch.Tensor]:
        return list(torch.split(self.data, self.lengths, dim=0))

    def detach(self) -> Ragged:
        return self.with_data(self.data.detach())

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def layout(self) -> _Layout:
        return self._layout

    def __repr__(self) -> str:
        return f"Ragged(data={tuple(self.data.shape)}, n_seqs={len(self.lengths)})"


def as_ragged(X: Any) -> Ragged:
    """Accept a Ragged or a list of (n_i, width) tensors."""
    if isinstance(X, Ragged):
        return X
    if isinstance(X, list | tuple):
        return Ragged.from_list(X)
    if isinstance(X, torch.Tensor):
        return Ragged(X, [X.shape[0]])
    raise TypeError(f"expected Ragged or list of tensors, got {type(X).__name__}")
