"""treadle.ml.batching: minibatch and multibatch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from treadle.ml import (
    compounding,
    fix_random_seed,
    minibatch,
    multibatch,
)


def test_minibatch_sizes_len_and_reshuffle():
    fix_random_seed(0)
    data = list(range(10))
    batches = minibatch(3, data)
    assert len(batches) == 4
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    shuffled = minibatch(3, data, shuffle=True)
    first = [x for b in shuffled for x in b]
    second = [x for b in shuffled for x in b]
    assert sorted(first) == data and sorted(second) == data
    assert first != second  # re-iterating re-shuffles


def test_minibatch_with_schedule_len_matches():
    data = np.arange(20)
    batches = minibatch(compounding(2.0, 8.0, 2.0), data)
    n = len(batches)
    got = list(batches)
    assert n == len(got)
    assert [len(b) for b in got] == [2, 4, 8, 6]
    assert isinstance(got[0], np.ndarray)
    # the schedule continues across passes: the next pass uses batches of 8
    assert len(batches) == 3
    assert [len(b) for b in batches] == [8, 8, 4]


def test_multibatch_aligned():
    X = np.arange(10)
    Y = [str(i) for i in range(10)]
    T = torch.arange(10)
    for xb, yb, tb in multibatch(4, X, Y, T, shuffle=True):
        assert [str(x) for x in xb.tolist()] == yb
        assert tb.tolist() == xb.tolist()
    with pytest.raises(ValueError):
        multibatch(4, X, Y[:3])
