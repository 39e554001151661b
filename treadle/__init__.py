"""treadle: train and run NLP pipelines from a single config file."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Heavy submodules are imported on first use so ``import treadle`` stays fast.
_LAZY = {
    "Config": ("treadle.config", "Config"),
    "registry": ("treadle.config", "registry"),
    "Language": ("treadle.language", "Language"),
    "blank": ("treadle.language", "blank"),
    "load": ("treadle.language", "load"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'treadle' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
