"""``Model``: the training API (begin_update / backprop / finish_update) over a torch module.

Architectures return plain ``nn.Module``s; components (and users) wrap them::

    model = Model(module, name="tagger")
    Y, backprop = model.begin_update(X)   # Y: detached tensors (np.asarray(Y) works on CPU)
    dX = backprop(dY)                     # autograd; dY numpy or tensor; grads accumulate
    model.finish_update(optimizer)        # apply the accumulated grads, then zero them
    Yp = model.predict(X)                 # eval mode, no graph

``begin_update`` returns the module's output with every tensor *detached* (so numpy
can read it and losses can be computed freely); the graph is kept inside
``backprop``. Inputs: numpy arrays become tensors on the model's device (float
arrays as float32); float inputs are marked as requiring grad so ``backprop``
returns ``dX`` in the input's kind (numpy in, numpy out); for integer inputs,
Docs and lists of Docs it returns None.

Named sub-networks are reachable by reference (``get_ref("tok2vec")``); modules mark
them with :func:`set_module_ref`. Parameters are saved with safetensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from treadle.errors import SerializationError, TreadleError
from treadle.ml.device import get_current_device
from treadle.ml.optimizers import Optimizer, swap_params
from treadle.ml.util import flatten_any, flatten_tensors, module_device, to_numpy
from treadle.util import atomic_write_bytes

REFS_ATTR = "treadle_refs"


def set_module_ref(module: torch.nn.Module, name: str, sub: torch.nn.Module) -> None:
    """Mark ``sub`` (a sub-module of ``module``) as ``module``'s reference ``name``."""
    refs = module.__dict__.setdefault(REFS_ATTR, {})
    refs[name] = sub


def get_module_ref(module: torch.nn.Module, name: str) -> torch.nn.Module | None:
    """The reference ``name`` of ``module`` or of any module inside it (outermost first)."""
    for sub in module.modules():
        refs = sub.__dict__.get(REFS_ATTR)
        if refs and name in refs:
            return refs[name]
    return None


class Model:
    """A torch module with the begin_update / finish_update training API."""

    def __init__(self, module: torch.nn.Module, name: str | None = None, *, device: Any = None) -> None:
        if isinstance(module, Model):
            module = module.module
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"Model wraps a torch.nn.Module, got {type(module).__name__}")
        self.module = module
        self.name = name or type(module).__name__
        self.module.to(device if device is not None else get_current_device())

    def __repr__(self) -> str:
        return f"<Model {self.name!r} {type(self.module).__name__}>"

    # --- running ------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return module_device(self.module)

    def _prepare(self, X: Any, *, want_grad: bool) -> tuple[Any, list[tuple[Any, torch.Tensor]]]:
        """Convert numpy inputs to tensors; float leaves get requires_grad for dX."""
        device = self.device
        leaves: list[tuple[Any, torch.Tensor]] = []

        def conv(x: Any) -> Any:
            if isinstance(x, np.ndarray):
                t = torch.from_numpy(np.ascontiguousarray(x))
                t = t.to(device=device, dtype=torch.float32 if x.dtype.kind == "f" else None)
                if want_grad and t.is_floating_point():
                    t.requires_grad_(True)
                    leaves.append((x, t))
                return t
            if isinstance(x, torch.Tensor):
                t = x.to(device)
                if want_grad and t.is_floating_point() and not t.requires_grad:
                    t = t.detach().requires_grad_(True)
                    leaves.append((x, t))
                return t
            if isinstance(x, list) and x and isinstance(x[0], np.ndarray | torch.Tensor):
                return [conv(v) for v in x]
            if isinstance(x, tuple):
                return tuple(conv(v) for v in x)
            return x

        return conv(X), leaves

    def __call__(self, X: Any) -> Any:
        """Run the module on ``X`` as is (graph recorded when in training mode)."""
        return self.module(X)

    def begin_update(self, X: Any) -> tuple[Any, Callable[[Any], Any]]:
        """Forward in training mode; returns ``(detached outputs, backprop)``."""
        self.module.train()
        Xt, leaves = self._prepare(X, want_grad=True)
        Y = self.module(Xt)
        outputs = flatten_tensors(Y)

        def backprop(dY: Any) -> Any:
            grads = flatten_any(dY)
            if len(grads) != len(outputs):
                raise TreadleError(
                    f"{self.name}: backprop got {len(grads)} gradient(s) for {len(outputs)} output(s)"
                )
            ys, gs = [], []
            for y, g in zip(outputs, grads, strict=True):
                if not y.requires_grad or g is None:
                    continue
                g = torch.as_tensor(g) if not isinstance(g, torch.Tensor) else g
                ys.append(y)
                gs.append(g.to(device=y.device, dtype=y.dtype).reshape(y.shape))
            if ys:
                torch.autograd.backward(ys, gs)
            if not leaves:
                return None
            dXs = [
                (t.grad if t.grad is not None else torch.zeros_like(t)) for _, t in leaves
            ]
            dXs = [to_numpy(d) if isinstance(orig, np.ndarray) else d for (orig, _), d in zip(leaves, dXs, strict=True)]
            if isinstance(X, list):
                return dXs
            return dXs[0] if len(dXs) == 1 else dXs

        return _detach(Y), backprop

    def predict(self, X: Any) -> Any:
        """Forward in eval mode without recording a graph (dropout off)."""
        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                Xt, _ = self._prepare(X, want_grad=False)
                return self.module(Xt)
        finally:
            self.module.train(was_training)

    def finish_update(self, optimizer: Optimizer) -> None:
        """Apply the accumulated gradients with ``optimizer``, then clear them."""
        optimizer.step(self.keyed_params())
        self.module.zero_grad(set_to_none=True)

    # --- parameters -----------------------------------------------------------

    def params(self) -> list[torch.nn.Parameter]:
        return [p for p in self.module.parameters()]

    def keyed_params(self) -> list[tuple[str, torch.Tensor]]:
        """``("<name>/<param name>", param)`` for every trainable parameter: optimizer keys."""
        return [(f"{self.name}/{n}", p) for n, p in self.module.named_parameters() if p.requires_grad]

    @contextmanager
    def use_params(self, params: dict[str, torch.Tensor]) -> Iterator[None]:
        """Temporarily use ``params`` (e.g. ``optimizer.averages``) keyed like keyed_params()."""
        with swap_params(self.keyed_params(), params):
            yield

    def train(self, mode: bool = True) -> Model:
        self.module.train(mode)
        return self

    def eval(self) -> Model:
        self.module.eval()
        return self

    def to(self, device: Any) -> Model:
        self.module.to(device)
        return self

    # --- references and dimensions ----------------------------------------------

    def has_ref(self, name: str) -> bool:
        return get_module_ref(self.module, name) is not None

    def get_ref(self, name: str) -> Model:
        sub = get_module_ref(self.module, name)
        if sub is None:
            raise TreadleError(f"Model {self.name!r} has no reference {name!r}")
        return Model(sub, name=f"{self.name}.{name}", device=self.device)

    def set_ref(self, name: str, sub: Any) -> None:
        set_module_ref(self.module, name, sub.module if isinstance(sub, Model) else sub)

    def _output_layer(self) -> torch.nn.Module:
        sub = get_module_ref(self.module, "output_layer")
        if sub is not None:
            return sub
        if hasattr(self.module, "resize_output"):
            return self.module
        last = None
        for m in self.module.modules():
            if hasattr(m, "resize_output"):
                last = m
        if last is None:
            raise TreadleError(f"Model {self.name!r} has no resizable output layer")
        return last

    def get_dim(self, name: str) -> int | None:
        if name == "nO":
            return getattr(self._output_layer(), "nO", None)
        return getattr(self.module, name, None)

    def set_dim(self, name: str, value: int) -> None:
        if name != "nO":
            raise TreadleError(f"Model {self.name!r}: only 'nO' can be set (got {name!r})")
        self.resize_output(value)

    def resize_output(self, n: int) -> None:
        """Give the output layer ``n`` classes, keeping the learned rows of existing ones."""
        self._output_layer().resize_output(n)

    def initialize(self, X: Any = None, Y: Any = None) -> Model:
        """Infer missing sizes: the output width from ``Y``, lazy input widths by running ``X``."""
        if Y is not None:
            width = _output_width(Y)
            if width is not None:
                try:
                    layer = self._output_layer()
                except TreadleError:
                    layer = None
                if layer is not None and getattr(layer, "nO", None) is None:
                    layer.resize_output(width)
        if X is not None:
            self.predict(X)
        return self

    # --- serialization ------------------------------------------------------------

    def to_bytes(self) -> bytes:
        state = {
            k: v.detach().cpu().contiguous().clone() for k, v in self.module.state_dict().items()
        }
        return st_save(state, metadata={"treadle_model": self.name})

    def from_bytes(self, data: bytes) -> Model:
        try:
            loaded = st_load(data)
        except Exception as err:
            raise SerializationError(f"Model {self.name!r}: could not read weights: {err}") from err
        load_state(self.module, loaded, where=f"model {self.name!r}")
        return self

    def to_disk(self, path: str | Path) -> None:
        atomic_write_bytes(path, self.to_bytes())

    def from_disk(self, path: str | Path) -> Model:
        path = Path(path)
        if not path.exists():
            raise SerializationError(f"Model {self.name!r}: no weights file at {path}")
        return self.from_bytes(path.read_bytes())


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


def _detach(Y: Any) -> Any:
    if isinstance(Y, torch.Tensor):
        return Y.detach()
    if isinstance(Y, list | tuple):
        return type(Y)(_detach(y) for y in Y)
    if isinstance(Y, dict):
        return {k: _detach(v) for k, v in Y.items()}
    if hasattr(Y, "detach") and callable(Y.detach):
        return Y.detach()
    return Y


def _output_width(Y: Any) -> int | None:
    if isinstance(Y, torch.Tensor | np.ndarray):
        if Y.ndim == 2:
            return int(Y.shape[1])
        if Y.ndim == 1 and Y.dtype not in (np.float32, np.float64, torch.float32, torch.float64):
            return int(Y.max()) + 1 if len(Y) else None
    if isinstance(Y, list) and Y and isinstance(Y[0], torch.Tensor | np.ndarray):
        return _output_width(Y[0])
    return None
