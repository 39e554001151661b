"""treadle.ml.losses: crossentropy, distances, the fused-softmax objective, registration."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from treadle.config import registry
from treadle.ml import (
    CategoricalCrossentropy,
    CosineDistance,
    L2Distance,
    SequenceCategoricalCrossentropy,
)


def test_categorical_crossentropy_inputs_and_missing():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], dtype="f")
    loss = CategoricalCrossentropy(normalize=False)
    g_idx, l_idx = loss(probs, np.array([0, 1, 2]))
    g_hot, l_hot = loss(probs, np.eye(3, dtype="f"))
    np.testing.assert_allclose(g_idx, probs - np.eye(3), atol=1e-6)
    np.testing.assert_allclose(g_idx, g_hot)
    assert l_idx == pytest.approx(-(np.log(0.7) + np.log(0.8) + np.log(0.4)), rel=1e-5)
    assert l_hot == pytest.approx(l_idx)
    named = CategoricalCrossentropy(normalize=False, names=["A", "B", "C"])
    g_named, _ = named(probs, ["A", None, "C"])
    assert np.all(g_named[1] == 0)  # missing row: no gradient
    np.testing.assert_allclose(g_named[0], probs[0] - [1, 0, 0], atol=1e-6)
    g_neg, _ = loss(probs, np.array([0, -1, 2]))
    np.testing.assert_allclose(g_neg, g_named)
    norm = CategoricalCrossentropy(normalize=True)
    np.testing.assert_allclose(norm.get_grad(probs, [0, 1, 2]), g_idx / 3, atol=1e-6)
    assert isinstance(norm.get_grad(torch.from_numpy(probs), [0, 1, 2]), torch.Tensor)


def test_sequence_crossentropy():
    a = np.array([[0.9, 0.1], [0.2, 0.8]], dtype="f")
    b = np.array([[0.5, 0.5]], dtype="f")
    grads, loss = SequenceCategoricalCrossentropy(normalize=False)([a, b], [[0, 1], [1]])
    np.testing.assert_allclose(grads[0], a - np.eye(2), atol=1e-6)
    np.testing.assert_allclose(grads[1], [[0.5, -0.5]], atol=1e-6)
    assert loss == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.5)), rel=1e-5)


def test_l2_and_cosine_distance_gradients_match_autograd():
    guess = torch.randn(4, 3, dtype=torch.float64)
    truth = torch.randn(4, 3, dtype=torch.float64)
    for loss in (L2Distance(), CosineDistance(), CosineDistance(normalize=False)):
        grad, value = loss(guess, truth)
        eps = 1e-6
        bumped = guess.clone()
        bumped[1, 2] += eps
        numeric = (loss.get_loss(bumped, truth) - value) / eps
        assert float(grad[1, 2]) == pytest.approx(numeric, rel=1e-3, abs=1e-6)
    assert CosineDistance().get_loss(truth, truth) == pytest.approx(0.0, abs=1e-9)


def test_losses_registered():
    for name in ["CategoricalCrossentropy.v1", "SequenceCategoricalCrossentropy.v1",
                 "L2Distance.v1", "CosineDistance.v1"]:
        assert callable(registry.losses.get(name)())


def test_backward_objective_with_fused_softmax_gives_crossentropy_gradient():
    from treadle.ml.layers import Softmax
    from treadle.ml.losses import CategoricalCrossentropy, backward_objective

    torch.manual_seed(0)
    layer = Softmax(3, 4, init="glorot")
    X = torch.randn(5, 4)
    truth = torch.tensor([0, 2, 1, 1, 0])
    probs = layer(X)
    d_probs, _ = CategoricalCrossentropy()(probs.detach(), truth)
    backward_objective(probs, d_probs).backward()
    fused_grad = layer.weight.grad.clone()
    layer.zero_grad()
    torch.nn.functional.cross_entropy(torch.nn.functional.linear(X, layer.weight, layer.bias), truth).backward()
    torch.testing.assert_close(fused_grad, layer.weight.grad)
