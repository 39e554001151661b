"""ExpandWindow: padding at Doc edges."""

from __future__ import annotations

import torch

from treadle.ml.layers import ExpandWindow
from treadle.ml.ragged import Ragged


def test_expand_window_zero_pads_at_doc_edges():
    X = torch.arange(1, 6, dtype=torch.float32).view(5, 1)
    out = ExpandWindow(1)(Ragged(X, [2, 3])).data
    expected = [[0, 1, 2], [1, 2, 0], [0, 3, 4], [3, 4, 5], [4, 5, 0]]
    assert out.tolist() == expected
