"""Reductions of ragged sequences to one row each: mean, max, sum, first, last.

Input: a Ragged or a list of (n_i, width) tensors; output (n_seqs, width). Empty
sequences give zero rows. Everything is batched: index_add / scatter over the
packed rows, no loop per sequence.
"""

from __future__ import annotations

from typing import Any

import torch

from treadle.config import registry
from treadle.ml.ragged import Ragged, as_ragged


def _sum(X: Ragged) -> torch.Tensor:
    out = X.data.new_zeros((len(X.lengths), *X.data.shape[1:]))
    return out.index_add(0, X.layout.seq_ids(), X.data)


class ReduceSum(torch.nn.Module):
    def forward(self, X: Any) -> torch.Tensor:
        return _sum(as_ragged(X))


class ReduceMean(torch.nn.Module):
    def forward(self, X: Any) -> torch.Tensor:
        X = as_ragged(X)
        lengths = X.layout.lengths_tensor().clamp_min(1).to(X.data.dtype)
        return _sum(X) / lengths.view(-1, *([1] * (X.data.dim() - 1)))


class ReduceMax(torch.nn.Module):
    def forward(self, X: Any) -> torch.Tensor:
        X = as_ragged(X)
        shape = (len(X.lengths), *X.data.shape[1:])
        index = X.layout.seq_ids().view(-1, *([1] * (X.data.dim() - 1))).expand_as(X.data)
        out = X.data.new_full(shape, float("-inf"))
        out = out.scatter_reduce(0, index, X.data, reduce="amax", include_self=True)
        # empty sequences stay at -inf: make them zero
        empty = (X.layout.lengths_tensor() == 0).view(-1, *([1] * (X.data.dim() - 1)))
        return torch.where(empty, torch.zeros_like(out), out)


class ReduceFirst(torch.nn.Module):
    def forward(self, X: Any) -> torch.Tensor:
        X = as_ragged(X)
        return _pick(X, X.layout.starts())


class ReduceLast(torch.nn.Module):
    def forward(self, X: Any) -> torch.Tensor:
        X = as_ragged(X)
        return _pick(X, X.layout.starts() + X.layout.lengths_tensor() - 1)


def _pick(X: Ragged, rows: torch.Tensor) -> torch.Tensor:
    lengths = X.layout.lengths_tensor()
    safe = rows.clamp(0, max(0, X.data.shape[0] - 1))
    if X.data.shape[0] == 0:
        return X.data.new_zeros((len(X.lengths), *X.data.shape[1:]))
    picked = X.data.index_select(0, safe)
    empty = (lengths == 0).view(-1, *([1] * (X.data.dim() - 1)))
    return torch.where(empty, torch.zeros_like(picked), picked)


registry.layers.register("reduce_sum.v1", func=ReduceSum)
registry.layers.register("reduce_mean.v1", func=ReduceMean)
registry.layers.register("reduce_max.v1", func=ReduceMax)
registry.layers.register("reduce_first.v1", func=ReduceFirst)
registry.layers.register("reduce_last.v1", func=ReduceLast)
