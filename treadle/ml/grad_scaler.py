"""Dynamic loss scaling for float16 training (``mixed_precision = true`` on a GPU).

Under float16 autocast, small gradients underflow to zero in the backward pass. The
loss is therefore multiplied by a large factor before ``backward()`` and the
gradients divided by it again before the optimizer step. When a gradient comes out
inf or NaN, the factor was too large: that step is skipped and the factor halved;
after ``growth_interval`` clean steps in a row it is doubled again.

A pipeline runs ONE backward pass over the summed losses of all its components
(``treadle.train_step``), so one scaler serves the whole step: the first trainable
component that offers one (``component.grad_scaler``, a transformer running under
float16 autocast) provides it, and every gradient of the step is unscaled with it.
Its state (the factor and the clean-step count) is saved with the training state,
so ``treadle train --resume`` continues with the same factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field


class GradScalerSettings(BaseModel):
    """The ``grad_scaler_config`` block of a transformer model."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    init_scale: float = Field(default=2.0**16, gt=0)
    growth_factor: float = Field(default=2.0, gt=1)
    backoff_factor: float = Field(default=0.5, gt=0, lt=1)
    growth_interval: int = Field(default=2000, gt=0)


class GradScaler:
    """Scales a loss up for ``backward()`` and its gradients back down for the step."""

    def __init__(self, settings: GradScalerSettings | dict[str, Any] | None = None) -> None:
        if not isinstance(settings, GradScalerSettings):
            settings = GradScalerSettings(**(settings or {}))
        self.settings = settings
        self.scale = float(settings.init_scale)
        self.growth_tracker = 0  # clean steps since the factor last changed

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        return loss * self.scale

    def unscale_(self, params: Iterable[torch.Tensor]) -> bool:
        """Divide every parameter's gradient by the factor, in place; whether any of
        them holds an inf or NaN (then the step must be skipped)."""
        by_device: dict[torch.device, list[torch.Tensor]] = {}
        for param in params:
            if param.grad is not None:
                by_device.setdefault(param.grad.device, []).append(param.grad)
        found = False
        for device, grads in by_device.items():
            found_inf = torch.zeros(1, device=device)
            inv_scale = torch.full((1,), 1.0 / self.scale, device=device)
            # One fused pass per device: unscale and check for non-finite values.
            torch._amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale)
            found = found or bool(found_inf.item())
        return found

    def update(self, found_inf: bool) -> None:
        """Back off after an overflow; grow after ``growth_interval`` clean steps."""
        if found_inf:
            self.scale *= self.settings.backoff_factor
            self.growth_tracker = 0
            return
        self.growth_tracker += 1
        if self.growth_tracker >= self.settings.growth_interval:
            self.scale *= self.settings.growth_factor
            self.growth_tracker = 0

    def state_dict(self) -> dict[str, float | int]:
        return {"scale": self.scale, "growth_tracker": self.growth_tracker}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scale = float(state["scale"])
        self.growth_tracker = int(state["growth_tracker"])
