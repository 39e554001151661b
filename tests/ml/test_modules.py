"""treadle.ml.modules: module refs, loading saved state, the output layer; a low-level training loop on plain modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from tests.ml.helpers import keyed, predict
from treadle.errors import SerializationError
from treadle.ml import (
    Adam,
    CategoricalCrossentropy,
    fix_random_seed,
    multibatch,
)
from treadle.ml.layers import Maxout, Softmax
from treadle.ml.modules import get_module_ref, load_state, output_layer, set_module_ref


def test_load_state_adopts_stored_widths_and_names_mismatches():
    torch.manual_seed(0)
    m1 = torch.nn.Sequential(Maxout(4, 3, 2, normalize=True), Softmax(5, 4, init="glorot"))
    X = np.random.rand(6, 3).astype("f")
    saved = st_load(st_save({k: v.contiguous() for k, v in m1.state_dict().items()}))
    m2 = torch.nn.Sequential(Maxout(4, 3, 2, normalize=True), Softmax(None, 4))
    load_state(m2, saved, where="m2")  # the output layer adopts the stored width
    assert torch.equal(predict(m1, X), predict(m2, X))
    m3 = torch.nn.Sequential(Maxout(4, 3, 3, normalize=True), Softmax(5, 4))
    with pytest.raises(SerializationError, match=r"m3: parameter '0\.(weight|bias)'"):
        load_state(m3, saved, where="m3")
    with pytest.raises(SerializationError, match=r"missing weight, bias; unexpected 0\.weight"):
        load_state(torch.nn.Linear(2, 2), {"0.weight": torch.zeros(2, 2)}, where="lin")


def test_resize_output_keeps_rows():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), Softmax(None, 4))
    layer = output_layer(module)
    assert layer is module[1]
    layer.resize_output(3)
    assert layer.nO == 3
    with torch.no_grad():
        module[1].weight.copy_(torch.randn(3, 4))
    old = module[1].weight.detach().clone()
    layer.resize_output(5)
    assert layer.nO == 5
    assert torch.equal(module[1].weight[:3].detach(), old)
    assert predict(module, np.ones((2, 3), dtype="f")).shape == (2, 5)
    layer.resize_output(2)
    assert torch.equal(module[1].weight.detach(), old[:2])


def test_output_layer_order_and_refs():
    inner = torch.nn.Linear(2, 2)
    outer = torch.nn.Sequential(inner, torch.nn.ReLU())
    set_module_ref(outer, "tok2vec", inner)
    assert get_module_ref(outer, "tok2vec") is inner and get_module_ref(outer, "nope") is None
    assert get_module_ref(torch.nn.Sequential(outer), "tok2vec") is inner  # found inside
    set_module_ref(outer, "act", outer[1])
    assert get_module_ref(outer, "act") is outer[1]
    assert [k for k in outer.state_dict()] == ["0.weight", "0.bias"]  # refs add no entries
    assert output_layer(outer) is None
    first, last = Softmax(3, 2), Softmax(2, 3)
    chain = torch.nn.Sequential(first, last)
    assert output_layer(chain) is last  # the last resizable module...
    set_module_ref(chain, "output_layer", first)
    assert output_layer(chain) is first  # ...unless a reference names it
    assert output_layer(last) is last


def test_low_level_training_loop_learns_classifier():
    """The reference's loop, with treadle names, on a synthetic 4-class problem."""
    fix_random_seed(0)
    n_train, n_dev = 2000, 500
    centers = np.random.randn(4, 8) * 2
    labels = np.random.randint(0, 4, n_train + n_dev)
    X_all = (centers[labels] + np.random.randn(n_train + n_dev, 8)).astype("f")
    Y_all = np.eye(4, dtype="f")[labels]
    train_X, train_Y = X_all[:n_train], Y_all[:n_train]
    dev_X, dev_Y = X_all[n_train:], Y_all[n_train:]

    model = torch.nn.Sequential(Maxout(32, 8, 3, normalize=True), Softmax(4, 32))
    optimizer = Adam(0.005)
    loss_calc = CategoricalCrossentropy()
    train_data = multibatch(64, train_X, train_Y, shuffle=True)
    dev_data = multibatch(128, dev_X, dev_Y)

    def evaluate():
        correct = total = 0.0
        for X, Y in dev_data:
            correct += (predict(model, X).argmax(axis=1).numpy() == Y.argmax(axis=1)).sum()
            total += X.shape[0]
        return correct / total

    for _ in range(4):
        for X, Y in train_data:
            model.train()
            Yh = model(torch.from_numpy(X))
            dYh, loss = loss_calc(Yh.detach(), Y)
            torch.autograd.backward(Yh, torch.as_tensor(dYh))
            optimizer.step(keyed(model, "clf"))
            model.zero_grad(set_to_none=True)
    assert evaluate() > 0.9
    with optimizer.use_params(keyed(model, "clf")):
        assert evaluate() > 0.9
