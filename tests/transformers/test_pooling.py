"""Poolings from wordpiece vectors to token vectors through the alignment."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from treadle.config import registry
from treadle.ml.ragged import Ragged
from treadle.transformers import PieceAlignment, PiecePooling

NAMES = ["treadle.reduce_mean.v1", "treadle.reduce_first.v1", "treadle.reduce_last.v1", "treadle.reduce_max.v1"]

# 5 tokens over 6 pieces: multi-piece, no pieces, a piece shared by two tokens.
ALIGNMENT = PieceAlignment(np.array([0, 1, 2, 2, 3, 5, 4]), np.array([2, 2, 0, 1, 2]))


def expected(name: str, wp: torch.Tensor) -> torch.Tensor:
    rows = []
    for i in range(ALIGNMENT.n_tokens):
        idx = ALIGNMENT.token_pieces(i)
        if not idx:
            rows.append(torch.zeros(wp.shape[1], dtype=wp.dtype))
            continue
        sel = wp[idx]
        op = name.split("_")[1].split(".")[0]
        rows.append({"mean": sel.mean(0), "first": sel[0], "last": sel[-1], "max": sel.max(0).values}[op])
    return torch.stack(rows)


@pytest.mark.parametrize("name", NAMES)
def test_pooling_matches_reference(name):
    pool = registry.layers.get(name)()
    assert isinstance(pool, PiecePooling)
    wp = torch.randn(6, 4)
    out = pool(wp, ALIGNMENT.to_ragged())
    assert out.shape == (5, 4)
    torch.testing.assert_close(out, expected(name, wp))
    assert torch.all(out[2] == 0)


@pytest.mark.parametrize("name", NAMES)
def test_pooling_gradcheck(name):
    pool = registry.layers.get(name)()
    # distinct values so max has no ties (its gradient is not defined at ties)
    wp = (torch.randperm(24, dtype=torch.float64) / 7).reshape(6, 4).requires_grad_()
    ragged = ALIGNMENT.to_ragged()
    assert torch.autograd.gradcheck(lambda x: pool(x, ragged), (wp,))


@pytest.mark.parametrize("name", NAMES)
def test_pooling_with_no_tokens_or_no_pieces(name):
    pool = registry.layers.get(name)()
    empty = Ragged(torch.zeros(0, dtype=torch.long), [])
    assert pool(torch.randn(3, 4), empty).shape == (0, 4)
    none_aligned = Ragged(torch.zeros(0, dtype=torch.long), [0, 0])
    out = pool(torch.zeros(0, 4), none_aligned)
    assert out.shape == (2, 4)
    assert torch.all(out == 0)


def test_pooling_from_config():
    resolved = registry.resolve({"pooling": {"@layers": "treadle.reduce_mean.v1"}})
    assert isinstance(resolved["pooling"], PiecePooling)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("block", [1, 2, 3])
def test_pooling_in_token_blocks_gives_the_same_rows(name, block):
    """Without a gradient a long input is pooled a block of tokens at a time (bounded
    temporaries); the rows must be those of pooling it whole, empty tokens included."""
    pool = registry.layers.get(name)()
    wp = torch.randn(6, 4)
    whole = pool(wp, ALIGNMENT.to_ragged())
    pool.block_tokens = block
    with torch.no_grad():
        blocked = pool(wp, ALIGNMENT.to_ragged())
    torch.testing.assert_close(blocked, whole, rtol=0, atol=0)
    # with a gradient the whole input is pooled at once, and the graph reaches wp
    wp.requires_grad_()
    pool(wp, ALIGNMENT.to_ragged()).sum().backward()
    assert wp.grad is not None
