"""Conversions between numpy arrays, Python lists and torch tensors."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from treadle.ml.device import get_current_device


def to_tensor(x: Any, device: torch.device | None = None, dtype: torch.dtype | None = None) -> Any:
    """numpy arrays become tensors (float arrays as float32 unless ``dtype``) on ``device``.

    Tensors are moved; lists/tuples/dicts are converted element-wise; anything else
    (Docs, strings, None) is returned unchanged.
    """
    device = device or get_current_device()
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=dtype) if (dtype or x.device != device) else x
    if isinstance(x, np.ndarray):
        if dtype is None and x.dtype.kind == "f":
            dtype = torch.float32  # model parameters are float32; numpy defaults to float64
        t = torch.from_numpy(np.ascontiguousarray(x))
        return t.to(device=device, dtype=dtype or t.dtype)
    if isinstance(x, list | tuple):
        return type(x)(to_tensor(v, device, dtype) for v in x)
    if isinstance(x, dict):
        return {k: to_tensor(v, device, dtype) for k, v in x.items()}
    return x


def to_numpy(x: Any) -> Any:
    """Tensors become numpy arrays (detached, on CPU); containers are converted element-wise."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, list | tuple):
        return type(x)(to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    return x


def module_device(module: torch.nn.Module) -> torch.device:
    """The device of a module's first parameter or buffer; the current device if it has none."""
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return get_current_device()


def flatten_tensors(x: Any) -> list[torch.Tensor]:
    """Every tensor in a nested list/tuple/dict structure, in a stable order."""
    if isinstance(x, torch.Tensor):
        return [x]
    out: list[torch.Tensor] = []
    if isinstance(x, list | tuple):
        for v in x:
            out.extend(flatten_tensors(v))
    elif isinstance(x, dict):
        for k in x:
            out.extend(flatten_tensors(x[k]))
    elif hasattr(x, "data") and isinstance(getattr(x, "data", None), torch.Tensor):
        out.append(x.data)  # Ragged
    return out


def flatten_any(x: Any) -> list[Any]:
    """Leaves (tensors, arrays, numbers) of a nested structure, in the order of flatten_tensors."""
    if isinstance(x, torch.Tensor | np.ndarray):
        return [x]
    if isinstance(x, list | tuple):
        if x and all(isinstance(v, int | float) for v in x):
            return [np.asarray(x)]
        out: list[Any] = []
        for v in x:
            out.extend(flatten_any(v))
        return out
    if isinstance(x, dict):
        out = []
        for k in x:
            out.extend(flatten_any(x[k]))
        return out
    if hasattr(x, "data") and isinstance(getattr(x, "data", None), torch.Tensor | np.ndarray):
        return [x.data]
    return [x]
