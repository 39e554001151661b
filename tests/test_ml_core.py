"""treadle.ml core: module helpers, batching, schedules, optimizers, losses, devices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from treadle.config import registry
from treadle.errors import SerializationError
from treadle.ml import (
    SGD,
    Adam,
    CategoricalCrossentropy,
    CosineDistance,
    L2Distance,
    Optimizer,
    RAdam,
    SequenceCategoricalCrossentropy,
    compounding,
    constant,
    cyclic_triangular,
    decaying,
    fix_random_seed,
    get_current_device,
    minibatch,
    multibatch,
    prefer_gpu,
    require_cpu,
    require_gpu,
    slanted_triangular,
    warmup_linear,
)
from treadle.ml.layers import Linear, Maxout, Softmax
from treadle.ml.modules import get_module_ref, load_state, output_layer, set_module_ref
from treadle.ml.optimizers import swap_params

# --- schedules ------------------------------------------------------------------


def take(it, n):
    return [next(it) for _ in range(n)]


def test_schedule_first_values():
    assert take(constant(0.5), 3) == [0.5, 0.5, 0.5]
    assert take(compounding(1.0, 16.0, 2.0), 6) == [1, 2, 4, 8, 16, 16]
    assert take(compounding(10.0, 1.0, 0.5), 5) == [10, 5, 2.5, 1.25, 1.0]
    assert take(decaying(1.0, 0.5), 3) == [1.0, 1 / 1.5, 1 / 2.0]
    assert take(warmup_linear(1.0, 2, 4), 6) == [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    assert take(cyclic_triangular(0.0, 1.0, 2), 6) == [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    st = take(slanted_triangular(1.0, 20, cut_frac=0.1, ratio=32), 4)
    assert st[0] == pytest.approx(1 / 32)
    assert st[2] == pytest.approx(1.0)
    assert st[3] < st[2]


def test_schedules_registered_and_user_generators():
    for name in ["constant.v1", "compounding.v1", "decaying.v1", "warmup_linear.v1",
                 "cyclic_triangular.v1", "slanted_triangular.v1"]:
        assert name in registry.schedules
    sched = registry.schedules.get("compounding.v1")(start=1.0, stop=4.0, compound=2.0)
    assert take(sched, 3) == [1.0, 2.0, 4.0]

    def my_schedule():
        values = [0.001, 0.01, 0.1]
        while True:
            yield from values
            yield from reversed(values)

    opt = Adam(learn_rate=my_schedule())
    assert opt.learn_rate == 0.001
    opt.step_schedules()
    assert opt.learn_rate == 0.01
    opt.step_schedules()
    assert opt.learn_rate == 0.1


def test_optimizer_list_hyperparameter():
    opt = SGD(learn_rate=[0.1, 0.2])
    assert opt.learn_rate == 0.1
    opt.step_schedules()
    assert opt.learn_rate == 0.2
    opt.step_schedules()
    assert opt.learn_rate == 0.2


# --- batching ----------------------------------------------------------------------


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


# --- optimizers ---------------------------------------------------------------------


def _param(values, grad):
    p = torch.nn.Parameter(torch.tensor(values, dtype=torch.float64))
    p.grad = torch.tensor(grad, dtype=torch.float64)
    return p


def _adam_by_hand(w, g, lr, b1, b2, eps, t=1, m=0.0, v=0.0):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    mhat = m / (1 - b1**t)
    vhat = v / (1 - b2**t)
    return w - lr * mhat / (np.sqrt(vhat) + eps), m, v


def test_adam_step_matches_hand_computation():
    w0, g0 = np.array([1.0, -2.0, 3.0]), np.array([0.1, 0.2, -0.3])
    p = _param(w0, g0)
    opt = Adam(0.01, L2=0.0, grad_clip=0.0, use_averages=False)
    opt.step([("w", p)])
    expected, m, v = _adam_by_hand(w0, g0, 0.01, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    # second step uses bias correction for t=2
    g1 = np.array([0.05, -0.1, 0.2])
    p.grad = torch.tensor(g1, dtype=torch.float64)
    opt.step([("w", p)])
    expected2, _, _ = _adam_by_hand(expected, g1, 0.01, 0.9, 0.999, 1e-8, t=2, m=m, v=v)
    np.testing.assert_allclose(p.detach().numpy(), expected2, rtol=1e-12)


def test_adam_l2_coupled_and_decoupled_and_clipping():
    w0, g0 = np.array([1.0, -2.0]), np.array([3.0, 4.0])  # global norm 5
    # coupled L2: gradient += L2 * w before the Adam moments
    p = _param(w0, g0)
    Adam(0.1, L2=0.5, L2_is_weight_decay=False, grad_clip=0.0, use_averages=False).step([("w", p)])
    expected, _, _ = _adam_by_hand(w0, g0 + 0.5 * w0, 0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-10)
    # decoupled: w *= 1 - lr * L2, then the Adam step on the raw gradient
    p = _param(w0, g0)
    Adam(0.1, L2=0.5, L2_is_weight_decay=True, grad_clip=0.0, use_averages=False).step([("w", p)])
    expected, _, _ = _adam_by_hand(w0 * (1 - 0.1 * 0.5), g0, 0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-10)
    # clipping by global norm: grad scaled to norm 1 (Adam's first step is nearly
    # scale-invariant, so check SGD where the clip shows directly)
    p = _param(w0, g0)
    q = _param([0.0], [0.0])
    SGD(1.0, L2=0.0, grad_clip=1.0, use_averages=False).step([("w", p), ("q", q)])
    np.testing.assert_allclose(p.detach().numpy(), w0 - g0 / 5.0, rtol=1e-6)
    # Adam with clipping: hand computation on the clipped gradient
    p = _param(w0, g0)
    Adam(0.1, L2=0.0, grad_clip=1.0, use_averages=False, eps=1e-2).step([("w", p)])
    expected, _, _ = _adam_by_hand(w0, g0 / 5.0, 0.1, 0.9, 0.999, 1e-2)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-6)


def test_radam_runs_and_moves_against_gradient():
    p = _param([1.0, 1.0], [1.0, -1.0])
    opt = RAdam(0.1, L2=0.0, grad_clip=0.0, use_averages=False)
    for _ in range(8):
        p.grad = torch.tensor([1.0, -1.0], dtype=torch.float64)
        opt.step([("w", p)])
    w = p.detach().numpy()
    assert w[0] < 1.0 < w[1]


def _keyed(module, name):
    return [(f"{name}/{n}", p) for n, p in module.named_parameters()]


def _step(module, name, opt, X, dY):
    """One training step by hand: forward, backward with ``dY``, optimizer, clear grads."""
    module.train()
    torch.autograd.backward(module(torch.as_tensor(X)), torch.as_tensor(dY))
    opt.step(_keyed(module, name))
    module.zero_grad(set_to_none=True)


def test_averages_and_use_params():
    lin = torch.nn.Linear(2, 1)
    opt = Adam(0.1, use_averages=True)
    for _ in range(5):
        _step(lin, "lin", opt, np.ones((3, 2), dtype="f"), np.ones((3, 1), dtype="f"))
    before = lin.weight.detach().clone()
    avg = opt.averages["lin/weight"]
    assert not torch.equal(avg, before)
    with swap_params(_keyed(lin, "lin"), opt.averages):
        assert torch.equal(lin.weight.detach(), avg)
    assert torch.equal(lin.weight.detach(), before)
    with opt.use_params(_keyed(lin, "lin")):
        assert torch.equal(lin.weight.detach(), avg)


def test_optimizer_state_round_trip_resumes_identically():
    def run(opt, module, steps):
        for i in range(steps):
            _step(module, "a", opt, np.full((2, 3), i + 1, dtype="f"), np.ones((2, 2), dtype="f"))
            opt.step_schedules()

    def weights(module):
        return {k: v.detach().clone() for k, v in module.state_dict().items()}

    torch.manual_seed(0)
    a = torch.nn.Linear(3, 2)
    b = torch.nn.Linear(3, 2)
    b.load_state_dict(weights(a))
    opt_a = Adam(learn_rate=warmup_linear(0.1, 2, 10))
    run(opt_a, a, 3)
    saved_model, saved_opt = weights(a), opt_a.to_bytes()
    run(opt_a, a, 3)
    opt_b = Adam(learn_rate=warmup_linear(0.1, 2, 10))
    b.load_state_dict(saved_model)
    opt_b.from_bytes(saved_opt)
    assert opt_b.learn_rate == pytest.approx(warmup_linear(0.1, 2, 10)(3))
    run(opt_b, b, 3)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)
    with pytest.raises(SerializationError):
        Adam().from_bytes(b"garbage")


def test_optimizers_registered():
    for name in ["Adam.v1", "RAdam.v1", "AdamW.v1", "SGD.v1"]:
        opt = registry.optimizers.get(name)(learn_rate=0.01)
        assert isinstance(opt, Optimizer)
    opt = registry.optimizers.get("Adam.v1")()
    assert (opt.learn_rate, opt.beta1, opt.beta2, opt.eps, opt.L2, opt.grad_clip) == (
        0.001, 0.9, 0.999, 1e-08, 1e-6, 1.0,
    )
    assert opt.use_averages and opt.L2_is_weight_decay


# --- losses -----------------------------------------------------------------------------


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


# --- module helpers ---------------------------------------------------------------------


def _predict(module, X):
    module.eval()
    with torch.no_grad():
        return module(torch.as_tensor(X))


def test_load_state_adopts_stored_widths_and_names_mismatches():
    torch.manual_seed(0)
    m1 = torch.nn.Sequential(Maxout(4, 3, 2, normalize=True), Softmax(5, 4, init="glorot"))
    X = np.random.rand(6, 3).astype("f")
    saved = st_load(st_save({k: v.contiguous() for k, v in m1.state_dict().items()}))
    m2 = torch.nn.Sequential(Maxout(4, 3, 2, normalize=True), Softmax(None, 4))
    load_state(m2, saved, where="m2")  # the output layer adopts the stored width
    assert torch.equal(_predict(m1, X), _predict(m2, X))
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
    assert _predict(module, np.ones((2, 3), dtype="f")).shape == (2, 5)
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


def test_same_key_for_two_params_is_an_error():
    opt = Adam()
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    for m in (a, b):
        torch.autograd.backward(m(torch.ones(1, 2)), torch.ones(1, 2))
    opt.step(_keyed(a, "lin"))
    with pytest.raises(Exception, match="distinct names"):
        opt.step(_keyed(b, "lin"))


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
            correct += (_predict(model, X).argmax(axis=1).numpy() == Y.argmax(axis=1)).sum()
            total += X.shape[0]
        return correct / total

    for _ in range(4):
        for X, Y in train_data:
            model.train()
            Yh = model(torch.from_numpy(X))
            dYh, loss = loss_calc(Yh.detach(), Y)
            torch.autograd.backward(Yh, torch.as_tensor(dYh))
            optimizer.step(_keyed(model, "clf"))
            model.zero_grad(set_to_none=True)
    assert evaluate() > 0.9
    with optimizer.use_params(_keyed(model, "clf")):
        assert evaluate() > 0.9


# --- devices ------------------------------------------------------------------------------


def test_device_functions_on_cpu():
    require_cpu()
    assert get_current_device().type == "cpu"
    if not torch.cuda.is_available():
        assert prefer_gpu() is False
        with pytest.raises(Exception, match="CUDA"):
            require_gpu()
    require_cpu()


def test_fix_random_seed_repeats():
    fix_random_seed(3)
    a = (np.random.rand(), torch.rand(1).item())
    fix_random_seed(3)
    assert (np.random.rand(), torch.rand(1).item()) == a


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_module_moves_to_gpu_and_back():
    torch.manual_seed(0)
    model = torch.nn.Sequential(Linear(3, 2), torch.nn.Tanh())
    X = torch.from_numpy(np.random.rand(4, 3).astype("f"))
    cpu_out = _predict(model, X)
    model.to("cuda")
    gpu_out = _predict(model, X.cuda())
    assert gpu_out.device.type == "cuda"
    torch.testing.assert_close(gpu_out.cpu(), cpu_out, rtol=1e-4, atol=1e-5)
    _step(model, "m", Adam(0.1), X.cuda(), torch.ones(4, 2, device="cuda"))
    model.to("cpu")
    assert _predict(model, X).device.type == "cpu"
    assert math.isfinite(float(_predict(model, X).sum()))


@pytest.mark.parametrize("decay", [True, False])
def test_fused_and_foreach_adam_agree(monkeypatch, decay):
    import treadle.ml.optimizers as optim

    torch.manual_seed(0)
    w0 = [torch.randn(5, 3), torch.randn(7)]
    grads = [[torch.randn(5, 3), torch.randn(7)] for _ in range(3)]
    results = []
    for fused in (True, False):
        monkeypatch.setattr(optim, "_HAS_FUSED", fused and optim._HAS_FUSED)
        ps = [torch.nn.Parameter(w.clone()) for w in w0]
        opt = Adam(0.01, L2=0.1, L2_is_weight_decay=decay, grad_clip=0.5)
        for gs in grads:
            for p, g in zip(ps, gs, strict=True):
                p.grad = g.clone()
            opt.step([(str(i), p) for i, p in enumerate(ps)])
        results.append([p.detach().clone() for p in ps])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
