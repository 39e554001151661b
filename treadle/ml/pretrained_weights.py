"""The weight files ``treadle pretrain`` writes and ``[initialize] init_tok2vec`` reads.

One safetensors file per save: the pretrained layer's ``state_dict()`` (the objective's
head is not in it) and, in the safetensors metadata under ``treadle_pretrain``, JSON
that describes it: the component and layer it came from, the module class, every
parameter's shape, and the epoch. Loading compares the shapes parameter by parameter
before touching the network, so a file from another architecture is refused with the
first key that differs instead of being half loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from treadle.errors import ConfigError, SerializationError
from treadle.ml.modules import get_module_ref, load_state
from treadle.util import atomic_write_bytes

FORMAT = "treadle.pretrained_weights.v1"
META_KEY = "treadle_pretrain"


def find_layer(model: torch.nn.Module, layer: str, *, where: str) -> torch.nn.Module:
    """``model`` itself (``layer`` ""), else its reference named ``layer``."""
    if not layer:
        return model
    found = get_module_ref(model, layer)
    if found is None:
        raise ConfigError(
            f"{where}: the model has no layer named {layer!r}; use \"\" for the whole model "
            f"or the name of one of its references (e.g. \"tok2vec\")."
        )
    return found


def weights_meta(module: torch.nn.Module, **info: Any) -> dict[str, Any]:
    shapes = {k: list(v.shape) for k, v in module.state_dict().items()}
    return {"format": FORMAT, "module": type(module).__name__, "shapes": shapes, **info}


def save_weights(path: str | Path, module: torch.nn.Module, **info: Any) -> None:
    """Write ``module``'s weights (and ``info`` in the metadata) to ``path`` atomically."""
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}
    meta = weights_meta(module, **info)
    atomic_write_bytes(path, st_save(tensors, metadata={META_KEY: json.dumps(meta)}))


def read_weights(path: str | Path, *, key: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors and the metadata of a weight file; ``key`` is the config key or
    option that named it, for the errors."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{key}: the pretrained weights file {str(path)!r} does not exist.")
    data = path.read_bytes()
    try:
        tensors = st_load(data)
        meta = _metadata(data)
    except (SafetensorError, ValueError) as err:
        raise SerializationError(
            f"{key}: {str(path)!r} is not a weights file written by treadle pretrain ({err})."
        ) from None
    return tensors, meta


def _metadata(data: bytes) -> dict[str, Any]:
    # safetensors: 8-byte little-endian header length, then the JSON header.
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    raw = (header.get("__metadata__") or {}).get(META_KEY)
    return json.loads(raw) if raw else {}


def check_shapes(module: torch.nn.Module, loaded: dict[str, torch.Tensor], *, where: str) -> None:
    """Raise naming the first parameter (in the network's order) that the file lacks,
    or whose shape differs, or the first extra one in the file."""
    current = module.state_dict()
    for name, tensor in current.items():
        if name not in loaded:
            raise SerializationError(
                f"{where}: the weights come from a different architecture: parameter "
                f"{name!r} (shape {tuple(tensor.shape)} in the network) is not in the file."
            )
        if tuple(loaded[name].shape) != tuple(tensor.shape):
            raise SerializationError(
                f"{where}: the weights come from a different architecture: parameter "
                f"{name!r} has shape {tuple(loaded[name].shape)} in the file but "
                f"{tuple(tensor.shape)} in the network."
            )
    for name, tensor in loaded.items():
        if name not in current:
            raise SerializationError(
                f"{where}: the weights come from a different architecture: the file has "
                f"parameter {name!r} (shape {tuple(tensor.shape)}), which the network lacks."
            )


def load_weights(module: torch.nn.Module, path: str | Path, *, key: str) -> dict[str, Any]:
    """Load a weight file into ``module`` after checking it fits; returns its metadata."""
    tensors, meta = read_weights(path, key=key)
    where = f"{key} = {str(path)!r}"
    check_shapes(module, tensors, where=where)
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    load_state(module, {k: v.to(device) for k, v in tensors.items()}, where=where)
    return meta


__all__ = [
    "FORMAT",
    "check_shapes",
    "find_layer",
    "load_weights",
    "read_weights",
    "save_weights",
    "weights_meta",
]
