"""Optimizers: Adam, RAdam, AdamW, SGD over torch parameters, with schedules,
L2 / decoupled weight decay, global-norm gradient clipping and parameter averaging.

Adam/AdamW updates run in torch's fused kernel (one pass over each parameter);
the rest (RAdam, SGD, clipping, averaging, and Adam where no fused kernel exists)
use ``torch._foreach_*`` kernels over all parameters at once.

One step, for each parameter ``w`` with gradient ``g`` (``t`` = that parameter's
update count, starting at 1):

1. if ``L2 > 0`` and not ``L2_is_weight_decay``: ``g += L2 * w``;
2. if ``grad_clip > 0``: all gradients are scaled together so that their global
   L2 norm is at most ``grad_clip``;
3. if ``L2 > 0`` and ``L2_is_weight_decay``: ``w *= 1 - learn_rate * L2`` (decoupled decay);
4. Adam: ``m = beta1 m + (1 - beta1) g``; ``v = beta2 v + (1 - beta2) g²``;
   ``w -= learn_rate * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)``.
   RAdam rectifies the variance term (Liu et al. 2019) and falls back to
   momentum-only steps while it is undefined; SGD does ``w -= learn_rate * g``;
5. with ``use_averages``, an exponential moving average of each parameter is kept:
   ``avg += (1 - d) (w - avg)`` with ``d = min(0.9999, (1 + t) / (10 + t))``.

Parameters are identified by keys (``"<component>.<parameter name>"`` when a
component calls ``finish_update``), so optimizer state can be saved and restored for
resuming.

``param_groups`` gives one component's parameters their own hyperparameters:
``{"transformer": {"learn_rate": ..., "L2": ...}}`` applies to every key starting with
``"transformer."`` (the longest matching group wins); the hyperparameters a group does
not set, and every key no group matches, use the optimizer's own values. A group may
set ``learn_rate``, ``L2``, ``beta1``, ``beta2`` and ``eps`` (``learn_rate`` and ``L2``
for SGD); each may be a float, list or schedule and advances with ``step_schedules``.
``grad_clip`` stays global: the norm is taken over all parameters together. Parameters
whose hyperparameters come out equal are updated in one fused/foreach call.
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

import torch
from pydantic import BaseModel, ConfigDict
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from treadle.config import registry
from treadle.errors import SerializationError, TreadleError
from treadle.ml.schedules import Hyperparameter, Schedule, as_schedule

# torch >= 2.4 has fused Adam/AdamW kernels for CPU and CUDA; they are several times
# faster than a chain of _foreach ops. Fall back to the foreach path without them.
_HAS_FUSED = hasattr(torch, "_fused_adam_") and hasattr(torch, "_fused_adamw_")


def _same_device(ps: list[torch.Tensor]) -> bool:
    dev, dtype = ps[0].device, ps[0].dtype
    return dev.type in ("cpu", "cuda") and all(p.device == dev and p.dtype == dtype for p in ps)


HYPERPARAMS = ("learn_rate", "L2", "beta1", "beta2", "eps", "grad_clip")
# What a param group may override (grad_clip is a global norm, so it can't be per group).
GROUP_HYPERPARAMS = ("learn_rate", "L2", "beta1", "beta2", "eps")
_SGD_GROUP_HYPERPARAMS = ("learn_rate", "L2")
_FORMAT_VERSION = 1


class ParamGroup(BaseModel):
    """The settings a ``[training.optimizer.param_groups.<component>]`` block may hold.

    Only the names are checked here (a value may be a nested schedule block, which
    resolves after this check); the optimizer checks the values."""

    model_config = ConfigDict(extra="forbid")
    learn_rate: Any = None
    L2: Any = None
    beta1: Any = None
    beta2: Any = None
    eps: Any = None


# Type of the optimizer functions' ``param_groups`` argument; not a ``| None`` union so
# that the config engine reports a wrong name under its own key.
ParamGroups = dict[str, ParamGroup]
_NO_GROUPS: Any = MappingProxyType({})


class _Hypers(NamedTuple):
    """The values one update uses; parameters with equal ones share a kernel call."""

    lr: float
    L2: float
    beta1: float
    beta2: float
    eps: float


class _HyperTable:
    """Named hyperparameters, each a float or a schedule with its position."""

    def __init__(self) -> None:
        self.schedules: dict[str, Iterator[Any]] = {}
        self.schedule_steps: dict[str, int] = {}
        self.values: dict[str, float] = {}

    def set(self, name: str, value: Any) -> None:
        value = as_schedule(value)
        if isinstance(value, int | float):
            self.schedules.pop(name, None)
            self.values[name] = float(value)
        else:
            self.schedules[name] = value
            self.schedule_steps[name] = 1
            self.values[name] = float(next(value))

    def advance(self) -> None:
        for name, sched in self.schedules.items():
            self.values[name] = float(next(sched))
            self.schedule_steps[name] += 1

    def state(self) -> dict[str, Any]:
        return {
            "values": dict(self.values),
            "scheduled": sorted(self.schedules),
            "schedule_steps": dict(self.schedule_steps),
        }

    def load(self, meta: dict[str, Any]) -> None:
        for name, value in meta["values"].items():
            if name not in self.schedules:
                self.values[name] = float(value)
        for name, target in meta["schedule_steps"].items():
            sched = self.schedules.get(name)
            if sched is None:
                continue
            current = self.schedule_steps.get(name, 1)
            if isinstance(sched, Schedule):
                sched.step = target
                self.schedule_steps[name] = target
                self.values[name] = float(sched(target - 1))
            else:
                while current < target:  # plain generators can only move forward
                    self.values[name] = float(next(sched))
                    current += 1
                self.schedule_steps[name] = current


class OptimizerError(TreadleError):
    """An optimizer was used inconsistently (e.g. two parameters under one key)."""


class HasKeyedParams(Protocol):
    """Anything with a ``keyed_params()`` method, e.g. a trainable component."""

    def keyed_params(self) -> Iterable[tuple[str, torch.Tensor]]: ...


# What the optimizer steps and averages: a component, an nn.Module, or keyed params.
ParamSource = HasKeyedParams | torch.nn.Module | Iterable[tuple[str, torch.Tensor] | torch.Tensor]


def keyed_params(target: ParamSource) -> list[tuple[str, torch.Tensor]]:
    """``(key, parameter)`` pairs for a component (``keyed_params()``), an nn.Module, a
    list of pairs or a list of tensors."""
    if hasattr(target, "keyed_params"):
        return list(target.keyed_params())
    if isinstance(target, torch.nn.Module):
        return [(n, p) for n, p in target.named_parameters() if p.requires_grad]
    out: list[tuple[str, torch.Tensor]] = []
    for item in target:
        if isinstance(item, tuple):
            out.append((str(item[0]), item[1]))
        else:
            out.append((f"param@{id(item)}", item))
    return out


class Optimizer:
    """Adam-family or SGD optimizer; hyperparameters may be floats, lists or schedules.

    ``learn_rate`` etc. always read as the current float (the defaults; see
    ``hyperparameter`` for a group's); ``step_schedules()`` draws the next value of
    every scheduled hyperparameter, those of the ``param_groups`` included.
    """

    def __init__(
        self,
        learn_rate: Hyperparameter = 0.001,
        *,
        L2: Hyperparameter = 1e-6,
        beta1: Hyperparameter = 0.9,
        beta2: Hyperparameter = 0.999,
        eps: Hyperparameter = 1e-08,
        grad_clip: Hyperparameter = 1.0,
        use_averages: bool = True,
        L2_is_weight_decay: bool = True,
        algorithm: str = "adam",
        param_groups: Mapping[str, Mapping[str, Hyperparameter] | ParamGroup] | None = None,
    ) -> None:
        if algorithm not in ("adam", "radam", "sgd"):
            raise ValueError(f"unknown optimizer algorithm {algorithm!r}")
        self.algorithm = algorithm
        self.use_averages = use_averages
        self.L2_is_weight_decay = L2_is_weight_decay
        self._defaults = _HyperTable()
        for name, value in zip(
            HYPERPARAMS, (learn_rate, L2, beta1, beta2, eps, grad_clip), strict=True
        ):
            self._defaults.set(name, value)
        self._groups: dict[str, _HyperTable] = {}
        for group, overrides in (param_groups or {}).items():
            self._add_group(str(group), overrides)
        self.steps: dict[str, int] = {}
        self.mom1: dict[str, torch.Tensor] = {}
        self.mom2: dict[str, torch.Tensor] = {}
        self.averages: dict[str, torch.Tensor] = {}
        self._owners: dict[str, weakref.ref[torch.Tensor]] = {}
        self.last_grad_norm: float | None = None

    # --- hyperparameters -------------------------------------------------

    def _add_group(self, group: str, overrides: Mapping[str, Any] | ParamGroup) -> None:
        if isinstance(overrides, ParamGroup):
            overrides = overrides.model_dump(exclude_unset=True)
        if not isinstance(overrides, Mapping):
            raise OptimizerError(
                f"param_groups.{group}: expected a block of hyperparameters, got {overrides!r}"
            )
        allowed = _SGD_GROUP_HYPERPARAMS if self.algorithm == "sgd" else GROUP_HYPERPARAMS
        table = _HyperTable()
        for name, value in overrides.items():
            if name not in allowed:
                raise OptimizerError(
                    f"param_groups.{group}.{name}: unknown hyperparameter {name!r} for a "
                    f"param group of {self.algorithm}; a group may set: {', '.join(allowed)}"
                )
            if value is None:
                continue
            try:
                table.set(name, value)
            except (TypeError, ValueError) as err:
                raise OptimizerError(
                    f"param_groups.{group}.{name}: expected a float, list or schedule, "
                    f"got {value!r}"
                ) from err
        self._groups[group] = table

    @property
    def param_groups(self) -> list[str]:
        """The component names that have their own hyperparameters."""
        return list(self._groups)

    def hyperparameter(self, name: str, group: str | None = None) -> float:
        """The current value of ``name`` for ``group`` (its own, else the default)."""
        table = self._groups.get(group) if group is not None else None
        if group is not None and table is None:
            raise KeyError(f"no param group {group!r}; groups: {self.param_groups}")
        if table is not None and name in table.values:
            return table.values[name]
        return self._defaults.values[name]

    def __getattr__(self, name: str) -> Any:
        if name in HYPERPARAMS:
            return self.__dict__["_defaults"].values[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in HYPERPARAMS:
            self._defaults.set(name, value)
        else:
            super().__setattr__(name, value)

    def step_schedules(self) -> None:
        """Advance every scheduled hyperparameter to its next value."""
        self._defaults.advance()
        for table in self._groups.values():
            table.advance()

    def _group_of(self, key: str) -> str | None:
        """The longest group name ``g`` with ``key`` starting with ``g + "."``."""
        best: str | None = None
        for group in self._groups:
            if key.startswith(group + ".") and (best is None or len(group) > len(best)):
                best = group
        return best

    def _hypers(self, group: str | None) -> _Hypers:
        d = self._defaults.values
        own = self._groups[group].values if group is not None else {}
        return _Hypers(
            own.get("learn_rate", d["learn_rate"]), own.get("L2", d["L2"]),
            own.get("beta1", d["beta1"]), own.get("beta2", d["beta2"]), own.get("eps", d["eps"]),
        )

    # --- updates ---------------------------------------------------------

    def __call__(self, params: ParamSource) -> None:
        self.step(params)

    def _check_owner(self, key: str, param: torch.Tensor) -> None:
        ref = self._owners.get(key)
        owner = ref() if ref is not None else None
        if owner is not None and owner is not param:
            raise OptimizerError(
                f"Two different parameters were given to the optimizer under the key "
                f"{key!r}; give them distinct names (e.g. prefix each model's parameter names)."
            )
        if owner is None:
            self._owners[key] = weakref.ref(param)

    def _state(self, key: str, p: torch.Tensor, table: dict[str, torch.Tensor]) -> torch.Tensor:
        t = table.get(key)
        if t is None or t.shape != p.shape:
            # new parameter, or a layer resized for new labels: its moments restart at zero
            t = torch.zeros_like(p, memory_format=torch.preserve_format)
            table[key] = t
        elif t.device != p.device or t.dtype != p.dtype:
            t = t.to(device=p.device, dtype=p.dtype)
            table[key] = t
        return t

    @torch.no_grad()
    def step(self, params: ParamSource) -> None:
        """Update every parameter of ``params`` that has a gradient (see module docstring)."""
        keyed = [(k, p) for k, p in keyed_params(params) if p.grad is not None]
        if not keyed:
            return
        for key, p in keyed:
            self._check_owner(key, p)
        keys = [k for k, _ in keyed]
        ps = [p for _, p in keyed]
        # One bucket per distinct set of hyperparameter values, so that groups that
        # happen to agree (and everything without groups) share one kernel call.
        buckets: dict[_Hypers, tuple[list[str], list[torch.Tensor], list[torch.Tensor]]] = {}
        group_hypers = {g: self._hypers(g) for g in (None, *self._groups)}
        for key, p in keyed:
            bk, bp, bg = buckets.setdefault(group_hypers[self._group_of(key)], ([], [], []))
            bk.append(key)
            bp.append(p)
            bg.append(p.grad)
        if not self.L2_is_weight_decay:
            for h, (_, bp, bg) in buckets.items():
                if h.L2 > 0:
                    torch._foreach_add_(bg, bp, alpha=h.L2)
        if self.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(ps, self.grad_clip, foreach=True)
            self.last_grad_norm = float(norm)
        for k in keys:
            self.steps[k] = self.steps.get(k, 0) + 1
        for h, (bk, bp, bg) in buckets.items():
            if self.algorithm == "adam" and _HAS_FUSED and _same_device(bp):
                self._fused_adam(bk, bp, bg, h)
            else:
                if h.L2 > 0 and self.L2_is_weight_decay:
                    torch._foreach_mul_(bp, 1.0 - h.lr * h.L2)
                self._unfused_update(bk, bp, bg, h)
        if self.use_averages:
            self._update_averages(keys, ps)

    def _fused_adam(self, keys: list[str], ps: list[torch.Tensor], gs: list[torch.Tensor], h: _Hypers) -> None:
        """torch's fused Adam/AdamW kernel: the same arithmetic as the foreach path, one pass."""
        ms = [self._state(k, p, self.mom1) for k, p in zip(keys, ps, strict=True)]
        vs = [self._state(k, p, self.mom2) for k, p in zip(keys, ps, strict=True)]
        steps = [
            torch.tensor(float(self.steps[k]), dtype=torch.float32, device=p.device)
            for k, p in zip(keys, ps, strict=True)
        ]
        decoupled = h.L2 > 0 and self.L2_is_weight_decay
        kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
        kernel(
            ps, gs, ms, vs, [], steps,
            lr=h.lr, beta1=h.beta1, beta2=h.beta2,
            weight_decay=h.L2 if decoupled else 0.0,
            eps=h.eps, amsgrad=False, maximize=False,
        )

    def _unfused_update(self, keys: list[str], ps: list[torch.Tensor], gs: list[torch.Tensor], h: _Hypers) -> None:
        if self.algorithm == "sgd":
            torch._foreach_add_(ps, gs, alpha=-h.lr)
        else:
            self._adam(keys, ps, gs, h)

    def _adam(self, keys: list[str], ps: list[torch.Tensor], gs: list[torch.Tensor], h: _Hypers) -> None:
        lr, b1, b2, eps = h.lr, h.beta1, h.beta2, h.eps
        ms = [self._state(k, p, self.mom1) for k, p in zip(keys, ps, strict=True)]
        vs = [self._state(k, p, self.mom2) for k, p in zip(keys, ps, strict=True)]
        torch._foreach_lerp_(ms, gs, 1.0 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, gs, gs, value=1.0 - b2)
        ts = [self.steps[k] for k in keys]
        if self.algorithm == "radam":
            self._radam_apply(ps, ms, vs, ts, h)
            return
        denom = torch._foreach_sqrt(vs)
        torch._foreach_div_(denom, [math.sqrt(1.0 - b2**t) for t in ts])
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(ps, ms, denom, [-lr / (1.0 - b1**t) for t in ts])

    def _radam_apply(self, ps, ms, vs, ts, h: _Hypers) -> None:  # type: ignore[no-untyped-def]
        lr, b1, b2, eps = h.lr, h.beta1, h.beta2, h.eps
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rect_p, rect_m, rect_v, rect_s, plain_p, plain_m, plain_s = [], [], [], [], [], [], []
        for p, m, v, t in zip(ps, ms, vs, ts, strict=True):
            bc1 = 1.0 - b1**t
            rho_t = rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)
            if rho_t > 5.0:
                r = math.sqrt(
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                )
                rect_p.append(p)
                rect_m.append(m)
                rect_v.append(v / (1.0 - b2**t))
                rect_s.append(-lr * r / bc1)
            else:
                plain_p.append(p)
                plain_m.append(m)
                plain_s.append(-lr / bc1)
        if rect_p:
            denom = torch._foreach_sqrt(rect_v)
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(rect_p, rect_m, denom, rect_s)
        if plain_p:
            scaled = torch._foreach_mul(plain_m, plain_s)
            torch._foreach_add_(plain_p, scaled)

    def _update_averages(self, keys: list[str], ps: list[torch.Tensor]) -> None:
        groups: dict[float, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}
        for k, p in zip(keys, ps, strict=True):
            avg = self.averages.get(k)
            if avg is None or avg.shape != p.shape:
                self.averages[k] = p.detach().clone()
                continue
            if avg.device != p.device:
                avg = self.averages[k] = avg.to(p.device)
            t = self.steps[k]
            decay = min(0.9999, (1.0 + t) / (10.0 + t))
            a_list, p_list = groups.setdefault(decay, ([], []))
            a_list.append(avg)
            p_list.append(p)
        for decay, (a_list, p_list) in groups.items():
            torch._foreach_lerp_(a_list, p_list, 1.0 - decay)

    @contextmanager
    def use_params(self, target: ParamSource) -> Iterator[None]:
        """Swap the averaged weights into ``target`` (a component, module or keyed params)
        for a while."""
        with swap_params(keyed_params(target), self.averages):
            yield

    # --- state -----------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """``{"meta": JSON-able dict, "tensors": {name: tensor}}``: everything needed to resume."""
        meta = {
            "version": _FORMAT_VERSION,
            "algorithm": self.algorithm,
            **self._defaults.state(),
            "param_groups": {g: table.state() for g, table in self._groups.items()},
            "steps": dict(self.steps),
            "use_averages": self.use_averages,
            "L2_is_weight_decay": self.L2_is_weight_decay,
        }
        tensors: dict[str, torch.Tensor] = {}
        for prefix, table in (("m", self.mom1), ("v", self.mom2), ("avg", self.averages)):
            for k, t in table.items():
                tensors[f"{prefix}:{k}"] = t.detach().cpu().contiguous()
        return {"meta": meta, "tensors": tensors}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        meta, tensors = state["meta"], state["tensors"]
        if meta.get("version") != _FORMAT_VERSION:
            raise SerializationError(f"Unsupported optimizer state version {meta.get('version')!r}")
        self.steps = {k: int(v) for k, v in meta["steps"].items()}
        self._defaults.load(meta)
        # A group saved but not configured now is dropped (its keys use the defaults);
        # a group configured now but not saved keeps its configured start.
        for group, group_meta in meta.get("param_groups", {}).items():
            table = self._groups.get(group)
            if table is not None:
                table.load(group_meta)
        self.mom1, self.mom2, self.averages = {}, {}, {}
        tables = {"m": self.mom1, "v": self.mom2, "avg": self.averages}
        for name, t in tensors.items():
            prefix, _, key = name.partition(":")
            if prefix not in tables:
                raise SerializationError(f"Unexpected optimizer state entry {name!r}")
            tables[prefix][key] = t.clone()
        self._owners = {}

    def to_bytes(self) -> bytes:
        state = self.state_dict()
        return st_save(state["tensors"], metadata={"treadle_optimizer": json.dumps(state["meta"])})

    def from_bytes(self, data: bytes) -> Optimizer:
        try:
            tensors = st_load(data)
            meta = _read_metadata(data)
        except Exception as err:  # safetensors raises its own error types
            raise SerializationError(f"Could not read optimizer state: {err}") from err
        self.load_state_dict({"meta": meta, "tensors": tensors})
        return self


def _read_metadata(data: bytes) -> dict[str, Any]:
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    raw = header.get("__metadata__", {}).get("treadle_optimizer")
    if raw is None:
        raise SerializationError("Not a treadle optimizer state (no metadata).")
    return json.loads(raw)


@contextmanager
def swap_params(keyed: Iterable[tuple[str, torch.Tensor]], values: dict[str, torch.Tensor]) -> Iterator[None]:
    """Temporarily copy ``values[key]`` into each parameter with a matching key."""
    backups: list[tuple[torch.Tensor, torch.Tensor]] = []
    with torch.no_grad():
        for key, p in keyed:
            v = values.get(key)
            if v is not None and v.shape == p.shape:
                backups.append((p, p.detach().clone()))
                p.copy_(v)
    try:
        yield
    finally:
        with torch.no_grad():
            for p, old in backups:
                p.copy_(old)


@registry.optimizers("Adam.v1")
def Adam(
    learn_rate: Hyperparameter = 0.001,
    *,
    L2: Hyperparameter = 1e-6,
    beta1: Hyperparameter = 0.9,
    beta2: Hyperparameter = 0.999,
    eps: Hyperparameter = 1e-08,
    grad_clip: Hyperparameter = 1.0,
    use_averages: bool = True,
    L2_is_weight_decay: bool = True,
    param_groups: ParamGroups = _NO_GROUPS,
) -> Optimizer:
    return Optimizer(
        learn_rate, L2=L2, beta1=beta1, beta2=beta2, eps=eps, grad_clip=grad_clip,
        use_averages=use_averages, L2_is_weight_decay=L2_is_weight_decay, algorithm="adam",
        param_groups=param_groups,
    )


@registry.optimizers("RAdam.v1")
def RAdam(
    learn_rate: Hyperparameter = 0.001,
    *,
    L2: Hyperparameter = 1e-6,
    beta1: Hyperparameter = 0.9,
    beta2: Hyperparameter = 0.999,
    eps: Hyperparameter = 1e-08,
    grad_clip: Hyperparameter = 1.0,
    use_averages: bool = True,
    L2_is_weight_decay: bool = True,
    param_groups: ParamGroups = _NO_GROUPS,
) -> Optimizer:
    return Optimizer(
        learn_rate, L2=L2, beta1=beta1, beta2=beta2, eps=eps, grad_clip=grad_clip,
        use_averages=use_averages, L2_is_weight_decay=L2_is_weight_decay, algorithm="radam",
        param_groups=param_groups,
    )


@registry.optimizers("AdamW.v1")
def AdamW(
    learn_rate: Hyperparameter = 0.001,
    *,
    L2: Hyperparameter = 0.01,
    beta1: Hyperparameter = 0.9,
    beta2: Hyperparameter = 0.999,
    eps: Hyperparameter = 1e-08,
    grad_clip: Hyperparameter = 1.0,
    use_averages: bool = True,
    param_groups: ParamGroups = _NO_GROUPS,
) -> Optimizer:
    """Adam with decoupled weight decay ``L2`` (default 0.01)."""
    return Optimizer(
        learn_rate, L2=L2, beta1=beta1, beta2=beta2, eps=eps, grad_clip=grad_clip,
        use_averages=use_averages, L2_is_weight_decay=True, algorithm="adam",
        param_groups=param_groups,
    )


@registry.optimizers("SGD.v1")
def SGD(
    learn_rate: Hyperparameter = 0.001,
    *,
    L2: Hyperparameter = 1e-6,
    grad_clip: Hyperparameter = 1.0,
    use_averages: bool = True,
    L2_is_weight_decay: bool = True,
    param_groups: ParamGroups = _NO_GROUPS,
) -> Optimizer:
    return Optimizer(
        learn_rate, L2=L2, grad_clip=grad_clip, use_averages=use_averages,
        L2_is_weight_decay=L2_is_weight_decay, algorithm="sgd", param_groups=param_groups,
    )
