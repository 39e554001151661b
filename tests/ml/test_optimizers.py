"""treadle.ml.optimizers: Adam/RAdam/SGD against hand computation, L2 and clipping,
schedules as hyperparameters, averages, state round trips, fused and foreach Adam."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.ml.helpers import keyed, sgd_step
from treadle.config import Config, registry
from treadle.errors import ConfigValidationError, SerializationError
from treadle.ml import (
    SGD,
    Adam,
    Optimizer,
    RAdam,
    warmup_linear,
)
from treadle.ml.optimizers import swap_params


def test_optimizer_list_hyperparameter():
    opt = SGD(learn_rate=[0.1, 0.2])
    assert opt.learn_rate == 0.1
    opt.step_schedules()
    assert opt.learn_rate == 0.2
    opt.step_schedules()
    assert opt.learn_rate == 0.2


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


def test_averages_and_use_params():
    lin = torch.nn.Linear(2, 1)
    opt = Adam(0.1, use_averages=True)
    for _ in range(5):
        sgd_step(lin, "lin", opt, np.ones((3, 2), dtype="f"), np.ones((3, 1), dtype="f"))
    before = lin.weight.detach().clone()
    avg = opt.averages["lin/weight"]
    assert not torch.equal(avg, before)
    with swap_params(keyed(lin, "lin"), opt.averages):
        assert torch.equal(lin.weight.detach(), avg)
    assert torch.equal(lin.weight.detach(), before)
    with opt.use_params(keyed(lin, "lin")):
        assert torch.equal(lin.weight.detach(), avg)


def test_optimizer_state_round_trip_resumes_identically():
    def run(opt, module, steps):
        for i in range(steps):
            sgd_step(module, "a", opt, np.full((2, 3), i + 1, dtype="f"), np.ones((2, 2), dtype="f"))
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


def test_same_key_for_two_params_is_an_error():
    opt = Adam()
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    for m in (a, b):
        torch.autograd.backward(m(torch.ones(1, 2)), torch.ones(1, 2))
    opt.step(keyed(a, "lin"))
    with pytest.raises(Exception, match="distinct names"):
        opt.step(keyed(b, "lin"))


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


def _two_modules(lr_a, lr_b, grad=1.0):
    a, b = _param([1.0, 2.0], [grad, -grad]), _param([3.0], [grad])
    return a, b, [("a.w", a), ("b.w", b)]


def test_param_groups_give_a_component_its_own_learn_rate():
    a, b, params = _two_modules(0.1, 0.01)
    opt = SGD(0.1, L2=0.0, grad_clip=0.0, use_averages=False,
              param_groups={"b": {"learn_rate": 0.01}})
    opt.step(params)
    np.testing.assert_allclose(a.detach().numpy(), [1.0 - 0.1, 2.0 + 0.1])
    np.testing.assert_allclose(b.detach().numpy(), [3.0 - 0.01])
    assert opt.hyperparameter("learn_rate", "b") == 0.01 and opt.learn_rate == 0.1
    # Adam: each group's own lr and L2 (decoupled), against the hand computation
    w0, g0 = np.array([1.0, 2.0]), np.array([0.3, -0.4])
    a, b = _param(w0, g0), _param(w0, g0)
    opt = Adam(0.1, L2=0.0, grad_clip=0.0, use_averages=False,
               param_groups={"b": {"learn_rate": 0.01, "L2": 0.5, "eps": 1e-3}})
    opt.step([("a.w", a), ("b.w", b)])
    exp_a, _, _ = _adam_by_hand(w0, g0, 0.1, 0.9, 0.999, 1e-8)
    exp_b, _, _ = _adam_by_hand(w0 * (1 - 0.01 * 0.5), g0, 0.01, 0.9, 0.999, 1e-3)
    np.testing.assert_allclose(a.detach().numpy(), exp_a, rtol=1e-10)
    np.testing.assert_allclose(b.detach().numpy(), exp_b, rtol=1e-10)
    # only keys "<group>." match: "bb.w" is not in group "b"
    c = _param([1.0], [1.0])
    opt = SGD(0.1, L2=0.0, grad_clip=0.0, use_averages=False,
              param_groups={"b": {"learn_rate": 0.01}})
    opt.step([("bb.w", c)])
    np.testing.assert_allclose(c.detach().numpy(), [0.9])


def test_param_group_coupled_l2_and_global_clip():
    a, b = _param([1.0], [3.0]), _param([2.0], [4.0])
    opt = SGD(1.0, L2=0.0, L2_is_weight_decay=False, grad_clip=1.0, use_averages=False,
              param_groups={"b": {"L2": 0.5}})
    opt.step([("a.w", a), ("b.w", b)])
    # b's gradient gets 0.5 * w = 1 first -> (3, 5); then one global norm sqrt(34)
    n = np.sqrt(34.0)
    np.testing.assert_allclose(a.detach().numpy(), [1.0 - 3.0 / n], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [2.0 - 5.0 / n], rtol=1e-6)


def test_param_group_schedule_advances():
    opt = SGD(0.1, param_groups={"a": {"learn_rate": [0.5, 0.25, 0.125]}})
    seen = []
    for _ in range(4):
        seen.append((opt.learn_rate, opt.hyperparameter("learn_rate", "a")))
        opt.step_schedules()
    assert seen == [(0.1, 0.5), (0.1, 0.25), (0.1, 0.125), (0.1, 0.125)]
    opt = Adam(param_groups={"a": {"learn_rate": warmup_linear(0.1, 2, 10)}})
    for _ in range(3):
        opt.step_schedules()
    assert opt.hyperparameter("learn_rate", "a") == pytest.approx(warmup_linear(0.1, 2, 10)(3))
    assert opt.hyperparameter("beta1", "a") == 0.9  # not set: the default


def test_param_groups_unknown_name_is_an_error():
    with pytest.raises(Exception, match=r"param_groups\.b\.lr: unknown hyperparameter 'lr'"):
        Adam(param_groups={"b": {"lr": 0.1}})
    with pytest.raises(Exception, match=r"param_groups\.b\.beta1"):
        SGD(param_groups={"b": {"beta1": 0.5}})
    with pytest.raises(Exception, match=r"param_groups\.b\.grad_clip"):
        Adam(param_groups={"b": {"grad_clip": 0.5}})


def test_param_groups_state_round_trip_resumes_identically():
    def make():
        return Adam(
            learn_rate=warmup_linear(0.1, 2, 10), L2=0.01,
            param_groups={"b": {"learn_rate": warmup_linear(0.01, 3, 10), "L2": 0.0}},
        )

    def run(opt, a, b, steps, start):
        for i in range(start, start + steps):
            x = torch.full((2, 3), float(i + 1))
            loss = (a(x) ** 2).sum() + (b(x) ** 2).sum()
            loss.backward()
            params = keyed_dot(a, "a") + keyed_dot(b, "b")
            opt.step(params)
            for _, p in params:
                p.grad = None
            opt.step_schedules()

    def keyed_dot(m, name):
        return [(f"{name}.{n}", p) for n, p in m.named_parameters()]

    def weights(*mods):
        return [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in mods]

    torch.manual_seed(0)
    a1, b1 = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    a2, b2 = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    for src, dst in ((a1, a2), (b1, b2)):
        dst.load_state_dict(src.state_dict())
    ref_a, ref_b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ref_a.load_state_dict(a1.state_dict())
    ref_b.load_state_dict(b1.state_dict())
    uninterrupted = make()
    run(uninterrupted, ref_a, ref_b, 6, 0)

    opt1 = make()
    run(opt1, a1, b1, 3, 0)
    saved_weights, saved_opt = weights(a1, b1), opt1.to_bytes()
    opt2 = make().from_bytes(saved_opt)
    assert opt2.hyperparameter("learn_rate", "b") == pytest.approx(warmup_linear(0.01, 3, 10)(3))
    assert opt2.learn_rate == pytest.approx(warmup_linear(0.1, 2, 10)(3))
    a2.load_state_dict(saved_weights[0])
    b2.load_state_dict(saved_weights[1])
    run(opt2, a2, b2, 3, 3)
    for ref, got in ((ref_a, a2), (ref_b, b2)):
        for pr, pg in zip(ref.parameters(), got.parameters(), strict=True):
            assert torch.equal(pr, pg)
    # the groups really differ: b moved less than it would with a's settings
    assert not torch.equal(ref_b.weight, a2.weight)


def test_param_groups_resolve_from_config():
    text = """
[training]
[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.001
[training.optimizer.param_groups]
[training.optimizer.param_groups.transformer]
L2 = 0.01
[training.optimizer.param_groups.transformer.learn_rate]
@schedules = "warmup_linear.v1"
initial_rate = 0.00005
warmup_steps = 10
total_steps = 100
[training.optimizer.param_groups.tagger]
learn_rate = 0.01
"""
    opt = registry.resolve(Config().from_str(text))["training"]["optimizer"]
    assert opt.param_groups == ["transformer", "tagger"]
    assert opt.hyperparameter("learn_rate", "transformer") == 0.0  # warmup starts at 0
    assert opt.hyperparameter("L2", "transformer") == 0.01
    assert opt.hyperparameter("learn_rate", "tagger") == 0.01
    assert opt.hyperparameter("L2", "tagger") == 1e-6
    for name in ("RAdam.v1", "AdamW.v1", "SGD.v1"):
        cfg = text.replace('"Adam.v1"', f'"{name}"').replace("L2 = 0.01\n", "")
        got = registry.resolve(Config().from_str(cfg))["training"]["optimizer"]
        assert got.param_groups == ["transformer", "tagger"]
    bad = text.replace("L2 = 0.01", "lr = 0.01")
    with pytest.raises(ConfigValidationError, match=r"training\.optimizer\.param_groups\.transformer\.lr: "):
        registry.resolve(Config().from_str(bad))
