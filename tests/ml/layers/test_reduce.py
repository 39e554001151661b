"""Ragged reductions: values and gradients."""

from __future__ import annotations

import torch

from tests.ml.helpers import gradcheck_all
from treadle.ml.layers import ReduceFirst, ReduceLast, ReduceMax, ReduceMean, ReduceSum
from treadle.ml.ragged import Ragged


def test_reductions_values_and_gradients():
    torch.manual_seed(0)
    X = torch.randn(6, 2)
    lengths = [2, 0, 4]
    R = Ragged(X, lengths)
    assert torch.allclose(ReduceSum()(R), torch.stack([X[:2].sum(0), torch.zeros(2), X[2:].sum(0)]))
    assert torch.allclose(ReduceMean()(R), torch.stack([X[:2].mean(0), torch.zeros(2), X[2:].mean(0)]))
    assert torch.allclose(ReduceMax()(R), torch.stack([X[:2].amax(0), torch.zeros(2), X[2:].amax(0)]))
    assert torch.allclose(ReduceFirst()(R), torch.stack([X[0], torch.zeros(2), X[2]]))
    assert torch.allclose(ReduceLast()(R), torch.stack([X[1], torch.zeros(2), X[5]]))
    assert torch.allclose(ReduceMean()([X[:2], X[2:]]), torch.stack([X[:2].mean(0), X[2:].mean(0)]))
    for layer in (ReduceSum(), ReduceMean(), ReduceMax(), ReduceFirst(), ReduceLast()):
        gradcheck_all(layer, lambda x: Ragged(x, lengths), X)
