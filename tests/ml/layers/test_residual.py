"""Residual around a window + maxout block on ragged input: gradients."""

from __future__ import annotations

import torch

from tests.ml.helpers import gradcheck_all
from treadle.ml.layers import ExpandWindow, Maxout, OnRows, Residual
from treadle.ml.ragged import Ragged


def test_window_residual_gradients_on_ragged():
    torch.manual_seed(0)
    X = torch.randn(6, 3)
    lengths = [2, 1, 3]
    block = Residual(torch.nn.Sequential(ExpandWindow(1), OnRows(Maxout(3, 9, 2, normalize=True))))
    gradcheck_all(block, lambda x: Ragged(x, lengths), X)
    gradcheck_all(ExpandWindow(2), lambda x: Ragged(x, lengths), X)
