"""treadle.TransitionBasedParser.v1: precompute/step, padding, masking, resizing, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.architectures.parser import BlockTable, TransitionModel


class FixedEncoder(torch.nn.Module):
    """A stand-in tok2vec: one learned vector per token position."""

    width = 8

    def __init__(self) -> None:
        super().__init__()
        self.table = torch.nn.Parameter(torch.randn(50, self.width))

    def forward(self, docs):
        return [self.table[: len(d)] for d in docs]


def make(use_upper=True, nO=5, **kw) -> TransitionModel:
    torch.manual_seed(0)
    return TransitionModel(FixedEncoder(), hidden_width=6, maxout_pieces=3, use_upper=use_upper, nO=nO, **kw)


def test_precompute_without_a_graph_equals_the_differentiable_table():
    model = make()
    X = torch.randn(7, 8, requires_grad=True)
    with_graph = model.precompute(X)
    assert with_graph.requires_grad
    with torch.no_grad():
        written = model.precompute(X)  # filled in place, no concatenated copy
    assert not written.requires_grad
    torch.testing.assert_close(written, with_graph.detach())


@pytest.mark.parametrize("use_upper", [True, False])
def test_step_equals_direct_computation(use_upper):
    model = make(use_upper)
    X = torch.randn(4, 8)
    table = model.precompute(X)
    assert table.shape == (5, 13, 3 * (6 if use_upper else 5))
    feats = torch.tensor([[0, 1, -1, 2, 3, -1, -1, -1, -1, -1, -1, -1, 0]])
    scores = model.step(table, feats)
    assert scores.shape == (1, 5)
    # Direct: sum of the per-slot affine pieces (padding row for -1), bias, maxout.
    W = model.lower_weight  # (nI, nF, nP, nH)
    total = model.lower_bias.clone()
    for f, t in enumerate(feats[0].tolist()):
        total = total + (model.lower_pad[f] if t < 0 else torch.einsum("i,iph->ph", X[t], W[:, f]))
    hidden = total.max(dim=0).values
    expected = model.upper(hidden[None]) if use_upper else hidden[None]
    assert torch.allclose(scores, expected, atol=1e-5)


def test_registered_and_state_types():
    fn = registry.architectures.get("treadle.TransitionBasedParser.v1")
    model = fn(FixedEncoder(), state_type="ner", extra_state_tokens=True, hidden_width=4, maxout_pieces=2)
    assert model.nF == 6
    assert fn(FixedEncoder(), state_type="parser", extra_state_tokens=True).nF == 17
    with pytest.raises(ConfigError):
        fn(FixedEncoder(), state_type="tagger")


@pytest.mark.parametrize("use_upper", [True, False])
def test_resize_output_keeps_learned_rows(use_upper):
    model = make(use_upper)
    X = torch.randn(3, 8)
    feats = torch.tensor([[0, 1, 2] + [-1] * 10])
    with torch.no_grad():
        if model.upper is not None:
            model.upper.weight.normal_()
        before = model.step(model.precompute(X), feats)
    model.resize_output(7)
    assert model.nO == 7
    with torch.no_grad():
        after = model.step(model.precompute(X), feats)
    assert after.shape == (1, 7)
    assert torch.allclose(before, after[:, :5], atol=1e-6)


def test_gradients_reach_encoder_through_precomputed_table():
    model = make()
    with torch.no_grad():
        model.upper.weight.normal_()
    docs = [list(range(4)), list(range(3))]
    table = model(docs)
    assert table.shape[0] == 8  # 7 tokens + padding row
    scores = model.step(table, torch.tensor([[0, 4] + [-1] * 11, [6, 1] + [-1] * 11]))
    scores.sum().backward()
    enc_grad = model.tok2vec.table.grad
    assert enc_grad is not None and enc_grad[:4].abs().sum() > 0
    assert model.lower_pad.grad.abs().sum() > 0


def test_needs_actions_before_step():
    model = TransitionModel(FixedEncoder(), nO=None)
    table = model.precompute(torch.randn(2, 8))
    with pytest.raises(ConfigError):
        model.step(table, torch.full((1, 13), -1))


def walk_feats(n_tokens: int, n_steps: int, seed: int = 0) -> list[np.ndarray]:
    """Feature rows like a parse's: the buffer moves left to right, most tokens are near
    it, one stack token reaches back anywhere before it, -1 for empty slots."""
    rng = np.random.default_rng(seed)
    steps = []
    for t in range(n_steps):
        b = min(n_tokens - 1, t * n_tokens // n_steps)
        feats = np.maximum(b - rng.integers(0, 4, size=(1, 13)), 0)
        feats[0, 2] = rng.integers(0, b + 1)
        feats[rng.random(feats.shape) < 0.3] = -1
        steps.append(feats)
    return steps


@pytest.mark.parametrize("use_upper", [True, False])
def test_block_table_scores_equal_the_full_table(use_upper):
    model = make(use_upper)
    model.block_rows = 4
    X = torch.randn(50, 8)
    with torch.no_grad():
        full = model.stepper(model.precompute(X))
    blocks = BlockTable(model, X, max_blocks=3)
    lazy = model.stepper(blocks)
    for feats in walk_feats(50, 120):
        assert np.array_equal(lazy(feats), full(feats))
    # Reaching back evicted blocks that were computed again, within the budget.
    assert blocks.computed > 13
    assert blocks.capacity == 3 and blocks.weight.shape[0] == 3 * 4 + 1


def test_block_table_grows_for_a_step_that_needs_more_blocks():
    model = make()
    model.block_rows = 4
    X = torch.randn(40, 8)
    with torch.no_grad():
        full = model.stepper(model.precompute(X))
    blocks = BlockTable(model, X, max_blocks=2)
    lazy = model.stepper(blocks)
    feats = np.array([[0, 5, 9, 13, 17, 21, 25, 29, 33, 37, -1, -1, 2]])  # 10 blocks
    assert np.array_equal(lazy(feats), full(feats))
    assert blocks.capacity == 10
    assert np.array_equal(lazy(feats[:, ::-1].copy()), full(feats[:, ::-1].copy()))


def test_prediction_table_is_lazy_only_above_the_threshold():
    model = make()
    model.full_table_rows = 10
    with torch.no_grad():
        small = model.prediction_table(torch.randn(10, 8))
        large = model.prediction_table(torch.randn(11, 8))
    assert isinstance(small, torch.Tensor) and small.shape[0] == 11
    assert isinstance(large, BlockTable) and large.computed == 0
