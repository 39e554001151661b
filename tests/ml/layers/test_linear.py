"""Linear (with Maxout and Mish beside it in the gradient check): gradients, lazy sizes."""

from __future__ import annotations

import pytest
import torch

from tests.ml.helpers import gradcheck_all
from treadle.ml.layers import Linear, Maxout, Mish


def test_linear_maxout_mish_gradients():
    torch.manual_seed(0)
    X = torch.randn(5, 4)
    gradcheck_all(Linear(3, 4), lambda x: x, X)
    gradcheck_all(Maxout(3, 4, 2), lambda x: x, X)
    gradcheck_all(Maxout(3, 4, 3, normalize=True), lambda x: x, X)
    gradcheck_all(Mish(3, 4, normalize=True), lambda x: x, X)


def test_linear_lazy_sizes():
    lin = Linear(None, None)
    with pytest.raises(Exception, match="nO"):
        lin(torch.ones(2, 3))
    lin.resize_output(4)
    assert lin(torch.ones(2, 3)).shape == (2, 4)
    assert lin.nI == 3
