"""Helpers shared by the treadle.ml tests."""

from __future__ import annotations

import torch
from torch.func import functional_call

from treadle.config import registry
from treadle.ml.ragged import Ragged
from treadle.tokens import Doc


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


def make_docs(vocab, texts):
    return [Doc(vocab, words=t.split()) for t in texts]


def hash_embed_cnn(**overrides):
    cfg = dict(width=16, depth=2, embed_size=100, window_size=1, maxout_pieces=3,
               subword_features=True, pretrained_vectors=None)
    cfg.update(overrides)
    return registry.architectures.get("treadle.HashEmbedCNN.v1")(**cfg)


def keyed(module, name):
    return [(f"{name}/{n}", p) for n, p in module.named_parameters()]


def sgd_step(module, name, opt, X, dY):
    """One training step by hand: forward, backward with ``dY``, optimizer, clear grads."""
    module.train()
    torch.autograd.backward(module(torch.as_tensor(X)), torch.as_tensor(dY))
    opt.step(keyed(module, name))
    module.zero_grad(set_to_none=True)


def predict(module, X):
    module.eval()
    with torch.no_grad():
        return module(torch.as_tensor(X))


def predict_docs(module, docs):
    module.eval()
    with torch.no_grad():
        return module(docs)


def train_on_docs(module, docs, opt, grads=torch.ones_like):
    """Forward in training mode, backward with ``grads(output)`` per output tensor, and
    (with ``opt``) an optimizer step; returns the outputs."""
    module.train()
    Y = module(docs)
    outputs = [y if isinstance(y, torch.Tensor) else y.data for y in (Y if isinstance(Y, list) else [Y])]
    outputs = [y for y in outputs if y.requires_grad]  # an empty Doc's rows have no graph
    torch.autograd.backward(outputs, [grads(y) for y in outputs])
    if opt is not None:
        opt.step(module)
        module.zero_grad(set_to_none=True)
    return Y
