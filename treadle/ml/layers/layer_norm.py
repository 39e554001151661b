"""LayerNorm over the last axis (torch's), registered for configs."""

from __future__ import annotations

import torch

from treadle.config import registry


@registry.layers("LayerNorm.v1")
def LayerNorm(nI: int) -> torch.nn.LayerNorm:
    return torch.nn.LayerNorm(nI)
