"""Softmax: gradients, plain and fused."""

from __future__ import annotations

import torch

from tests.ml.helpers import gradcheck_all
from treadle.ml.layers import Softmax


def test_softmax_gradients():
    torch.manual_seed(0)
    X = torch.randn(4, 3)
    gradcheck_all(Softmax(5, 3, fused_grad=False, init="glorot"), lambda x: x, X)
    # fused: the incoming gradient is treated as d(scores)
    layer = Softmax(2, 3, init="glorot").double()
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    d = torch.randn(4, 2, dtype=torch.float64)
    layer(x).backward(d)
    torch.testing.assert_close(x.grad, d @ layer.weight.detach())
    probs = layer(x)
    torch.testing.assert_close(probs.sum(1), torch.ones(4, dtype=torch.float64))
