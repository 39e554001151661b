"""treadle.ml.device: device selection on the CPU and repeatable seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.ml.helpers import predict, sgd_step
from treadle.ml import (
    Adam,
    fix_random_seed,
    get_current_device,
    prefer_gpu,
    require_cpu,
    require_gpu,
)
from treadle.ml.layers import Linear


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
    cpu_out = predict(model, X)
    model.to("cuda")
    gpu_out = predict(model, X.cuda())
    assert gpu_out.device.type == "cuda"
    torch.testing.assert_close(gpu_out.cpu(), cpu_out, rtol=1e-4, atol=1e-5)
    sgd_step(model, "m", Adam(0.1), X.cuda(), torch.ones(4, 2, device="cuda"))
    model.to("cpu")
    assert predict(model, X).device.type == "cpu"
    assert math.isfinite(float(predict(model, X).sum()))
