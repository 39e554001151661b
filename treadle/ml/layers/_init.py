"""Weight initializers shared by the layers."""

from __future__ import annotations

import math

import torch


def glorot_uniform_(w: torch.Tensor, fan_in: int, fan_out: int) -> torch.Tensor:
    bound = math.sqrt(6.0 / max(1, fan_in + fan_out))
    with torch.no_grad():
        return w.uniform_(-bound, bound)


def he_normal_(w: torch.Tensor, fan_in: int) -> torch.Tensor:
    with torch.no_grad():
        return w.normal_(0.0, math.sqrt(2.0 / max(1, fan_in)))
