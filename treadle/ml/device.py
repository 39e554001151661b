"""The current device every treadle model runs on, and random seeding.

One process-wide device: ``require_gpu``/``prefer_gpu``/``require_cpu`` set it and
:func:`get_current_device` reads it; layers that build index tensors from Docs put
them on the device of their own parameters.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from treadle.errors import TreadleError

_current_device = torch.device("cpu")


class DeviceError(TreadleError):
    """A GPU was required but none is usable."""


def get_current_device() -> torch.device:
    """The device new models are placed on (CPU unless a GPU was required)."""
    return _current_device


def require_gpu(gpu_id: int = 0) -> bool:
    """Use CUDA device ``gpu_id`` for all models created from now on; raise if there is none."""
    global _current_device
    if not torch.cuda.is_available():
        raise DeviceError(
            f"require_gpu({gpu_id}): no CUDA device is available "
            "(torch.cuda.is_available() is False). Use prefer_gpu() to fall back to CPU."
        )
    count = torch.cuda.device_count()
    if not 0 <= gpu_id < count:
        raise DeviceError(f"require_gpu({gpu_id}): there are only {count} CUDA device(s).")
    torch.cuda.set_device(gpu_id)
    _current_device = torch.device("cuda", gpu_id)
    return True


def prefer_gpu(gpu_id: int = 0) -> bool:
    """Use the GPU if one is available; return whether it is used."""
    if torch.cuda.is_available() and gpu_id < torch.cuda.device_count():
        return require_gpu(gpu_id)
    return False


def require_cpu() -> bool:
    """Use the CPU for all models created from now on."""
    global _current_device
    _current_device = torch.device("cpu")
    return True


def fix_random_seed(seed: int = 0) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and CUDA)."""
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
