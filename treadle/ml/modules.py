"""Helpers on plain torch modules, shared by architectures and components: named
references to sub-networks, the layer that owns a model's output width, and loading
saved weights into a network whose sizes may still be open.
"""

from __future__ import annotations

import torch

from treadle.errors import SerializationError

REFS_ATTR = "treadle_refs"


def set_module_ref(module: torch.nn.Module, name: str, sub: torch.nn.Module) -> None:
    """Mark ``sub`` (a sub-module of ``module``) as ``module``'s reference ``name``."""
    # Kept in __dict__, not as a submodule attribute, so the reference adds no second
    # path to the same parameters in state_dict().
    refs = module.__dict__.setdefault(REFS_ATTR, {})
    refs[name] = sub


def get_module_ref(module: torch.nn.Module, name: str) -> torch.nn.Module | None:
    """The reference ``name`` of ``module`` or of any module inside it (outermost first)."""
    for sub in module.modules():
        refs = sub.__dict__.get(REFS_ATTR)
        if refs and name in refs:
            return refs[name]
    return None


def output_layer(module: torch.nn.Module) -> torch.nn.Module | None:
    """The module that owns the output width: ``module`` itself if it can resize, else
    its ``output_layer`` reference, else the last resizable module inside it."""
    if hasattr(module, "resize_output"):
        return module
    ref = get_module_ref(module, "output_layer")
    if ref is not None:
        return ref
    last = None
    for sub in module.modules():
        if hasattr(sub, "resize_output"):
            last = sub
    return last


def load_state(module: torch.nn.Module, loaded: dict[str, torch.Tensor], *, where: str) -> None:
    """Load ``loaded`` into ``module``; resizable/lazy layers take the stored shapes.

    Any other missing, unexpected or mis-shaped entry raises SerializationError naming it.
    """
    current = module.state_dict()
    missing = [k for k in current if k not in loaded]
    unexpected = [k for k in loaded if k not in current]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected)}")
        raise SerializationError(f"{where}: saved weights don't match the network: {'; '.join(parts)}")
    # Let layers whose sizes are decided at initialization adopt the stored shapes.
    for mod_name, mod in module.named_modules():
        adopt = getattr(mod, "adopt_shapes", None)
        if adopt is None:
            continue
        prefix = f"{mod_name}." if mod_name else ""
        shapes = {k[len(prefix):]: tuple(v.shape) for k, v in loaded.items() if k.startswith(prefix)}
        adopt(shapes)
    current = module.state_dict()
    for k, v in loaded.items():
        if tuple(current[k].shape) != tuple(v.shape):
            raise SerializationError(
                f"{where}: parameter {k!r} has shape {tuple(v.shape)} in the saved weights "
                f"but {tuple(current[k].shape)} in the network"
            )
    module.load_state_dict(loaded, strict=True)


__all__ = ["REFS_ATTR", "get_module_ref", "load_state", "output_layer", "set_module_ref"]
