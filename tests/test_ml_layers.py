"""treadle.ml layers: gradients against finite differences, and behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.func import functional_call

from treadle.ml.layers import (
    ExpandWindow,
    HashEmbed,
    Linear,
    Maxout,
    Mish,
    OnRows,
    ReduceFirst,
    ReduceLast,
    ReduceMax,
    ReduceMean,
    ReduceSum,
    Residual,
    Softmax,
    hash_ids,
)
from treadle.ml.ragged import Ragged


def gradcheck_all(module: torch.nn.Module, make_input, *float_inputs: torch.Tensor) -> None:
    """Finite-difference check of the gradients w.r.t. every parameter and float input."""
    module = module.double()
    names = [n for n, _ in module.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for _, p in module.named_parameters())
    xs = tuple(x.detach().clone().double().requires_grad_(True) for x in float_inputs)

    def f(*args):
        ps, ins = args[: len(params)], args[len(params) :]
        out = functional_call(module, dict(zip(names, ps, strict=True)), (make_input(*ins),))
        return out.data if isinstance(out, Ragged) else out

    assert torch.autograd.gradcheck(f, params + xs, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_linear_maxout_mish_gradients():
    torch.manual_seed(0)
    X = torch.randn(5, 4)
    gradcheck_all(Linear(3, 4), lambda x: x, X)
    gradcheck_all(Maxout(3, 4, 2), lambda x: x, X)
    gradcheck_all(Maxout(3, 4, 3, normalize=True), lambda x: x, X)
    gradcheck_all(Mish(3, 4, normalize=True), lambda x: x, X)


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


def test_window_residual_gradients_on_ragged():
    torch.manual_seed(0)
    X = torch.randn(6, 3)
    lengths = [2, 1, 3]
    block = Residual(torch.nn.Sequential(ExpandWindow(1), OnRows(Maxout(3, 9, 2, normalize=True))))
    gradcheck_all(block, lambda x: Ragged(x, lengths), X)
    gradcheck_all(ExpandWindow(2), lambda x: Ragged(x, lengths), X)


def test_expand_window_zero_pads_at_doc_edges():
    X = torch.arange(1, 6, dtype=torch.float32).view(5, 1)
    out = ExpandWindow(1)(Ragged(X, [2, 3])).data
    expected = [[0, 1, 2], [1, 2, 0], [0, 3, 4], [3, 4, 5], [4, 5, 0]]
    assert out.tolist() == expected


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


def test_hash_embed_gradients_and_hashing():
    torch.manual_seed(0)
    ids = torch.tensor([5, -7, 2**62, 5], dtype=torch.long)
    emb = HashEmbed(3, 11, seed=1)
    gradcheck_all(emb, lambda: ids)
    out = emb(ids)
    assert out.shape == (4, 3)
    assert torch.equal(out[0], out[3])  # same id, same vector
    rows = emb.rows(ids)
    assert rows.shape == (4, 4) and int(rows.min()) >= 0 and int(rows.max()) < 11
    # different seeds hash differently; hashing is stable across calls
    seeds_a = torch.tensor([1, 2], dtype=torch.long)
    assert torch.equal(hash_ids(ids, seeds_a), hash_ids(ids.clone(), seeds_a))
    assert not torch.equal(HashEmbed(3, 1000, seed=1).rows(ids), HashEmbed(3, 1000, seed=2).rows(ids))
    # rows spread over the table
    many = torch.arange(5000, dtype=torch.long)
    counts = np.bincount(HashEmbed(2, 100, seed=3).rows(many).reshape(-1).numpy(), minlength=100)
    assert counts.min() > 100 and counts.max() < 300


def test_hash_embed_columns():
    ids = torch.tensor([[1, 2], [3, 4]], dtype=torch.long)
    emb = HashEmbed(2, 50, column=1)
    torch.testing.assert_close(emb(ids), emb(ids[:, 1]))


def test_linear_lazy_sizes():
    lin = Linear(None, None)
    with pytest.raises(Exception, match="nO"):
        lin(torch.ones(2, 3))
    lin.resize_output(4)
    assert lin(torch.ones(2, 3)).shape == (2, 4)
    assert lin.nI == 3


def test_hash_embed_is_registered_as_architecture_and_layer():
    from treadle.config import registry

    arch = registry.architectures.get("treadle.HashEmbed.v1")
    assert arch is registry.layers.get("HashEmbed.v1")
    emb = arch(nO=8, nV=50, seed=3)
    ids = torch.tensor([1, 2, 2**62 + 5], dtype=torch.int64)
    out = emb(ids)
    assert out.shape == (3, 8)
    assert torch.equal(out[0], emb(ids[:1])[0])
