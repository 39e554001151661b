"""Hyperparameter schedules: infinite iterators of values.

Each built-in schedule is a :class:`Schedule`, an iterator whose value at step ``t``
is a closed-form function of ``t``. That makes them cheap to peek at (batchers
compute ``len()`` from them without consuming values) and to restore (the
optimizer saves the step and sets it back). Any other iterator or generator —
e.g. a user-registered generator function — is accepted wherever a schedule is.

First values (``t = 0, 1, 2, ...``):

- ``constant(rate)``: ``rate, rate, ...``
- ``compounding(start, stop, compound)``: ``start, start*compound, start*compound**2``,
  clipped at ``stop`` (from below when ``stop < start``).
- ``decaying(base_rate, decay, t=0)``: ``base_rate / (1 + decay * (t + step))``.
- ``warmup_linear(initial_rate, warmup_steps, total_steps)``: ``0``, then rises linearly
  to ``initial_rate`` at step ``warmup_steps`` and falls linearly to ``0`` at
  ``total_steps``: value ``initial_rate * min(t / warmup_steps,
  max(0, (total_steps - t) / (total_steps - warmup_steps)))``.
- ``cyclic_triangular(min_lr, max_lr, period)``: starts at ``min_lr``, rises linearly to
  ``max_lr`` over ``period`` steps, falls back to ``min_lr`` over the next ``period``,
  repeats.
- ``slanted_triangular(max_rate, num_steps, cut_frac=0.1, ratio=32, decay=1.0)``
  (Howard & Ruder 2018): with ``cut = max(1, int(num_steps * cut_frac))``, ``p = t / cut``
  while ``t < cut`` else ``1 - (t - cut) / (num_steps - cut)`` (floored at 0); value
  ``max_rate * (1 + p * (ratio - 1)) / ratio * decay ** t``. Starts at ``max_rate / ratio``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import InstanceOf

from treadle.config import registry


class Schedule:
    """An infinite iterator ``f(0), f(1), ...`` with a position that can be read and set."""

    def __init__(self, name: str, func: Callable[[int], float], step: int = 0) -> None:
        self.name = name
        self.func = func
        self.step = step

    def __iter__(self) -> Schedule:
        return self

    def __next__(self) -> float:
        value = self.func(self.step)
        self.step += 1
        return value

    def __call__(self, step: int) -> float:
        """The value at ``step``, without moving."""
        return self.func(step)

    def peek(self, offset: int = 0) -> float:
        return self.func(self.step + offset)

    def __repr__(self) -> str:
        return f"<Schedule {self.name} at step {self.step}>"


def constant(rate: float) -> Schedule:
    return Schedule("constant", lambda t: rate)


def compounding(start: float, stop: float, compound: float, t: float = 0.0) -> Schedule:
    clip = min if stop >= start else max

    def value(step: int) -> float:
        return clip(start * compound ** (step + t), stop)

    return Schedule("compounding", value)


def decaying(base_rate: float, decay: float, t: float = 0.0) -> Schedule:
    return Schedule("decaying", lambda step: base_rate / (1.0 + decay * (step + t)))


def warmup_linear(initial_rate: float, warmup_steps: int, total_steps: int) -> Schedule:
    def value(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            factor = step / warmup_steps
        else:
            span = max(1, total_steps - warmup_steps)
            factor = max(0.0, (total_steps - step) / span)
        return initial_rate * factor

    return Schedule("warmup_linear", value)


def cyclic_triangular(min_lr: float, max_lr: float, period: int) -> Schedule:
    period = max(1, int(period))

    def value(step: int) -> float:
        pos = step % (2 * period)
        rel = pos / period if pos <= period else (2 * period - pos) / period
        return min_lr + (max_lr - min_lr) * rel

    return Schedule("cyclic_triangular", value)


def slanted_triangular(
    max_rate: float,
    num_steps: int,
    cut_frac: float = 0.1,
    ratio: int = 32,
    decay: float = 1.0,
    t: float = 0.0,
) -> Schedule:
    cut = max(1, int(num_steps * cut_frac))

    def value(step: int) -> float:
        s = step + t
        if s < cut:
            p = s / cut
        else:
            p = max(0.0, 1.0 - (s - cut) / max(1, num_steps - cut))
        return max_rate * (1.0 + p * (ratio - 1)) / ratio * (decay**s)

    return Schedule("slanted_triangular", value)


# What a hyperparameter takes from a config: a number, a list (one value per step, the
# last one repeating) or a schedule (any iterator of numbers, such as a Schedule).
Hyperparameter = float | InstanceOf[Iterator] | InstanceOf[list]


def as_schedule(value: Any) -> Any:
    """Floats stay floats; lists become cycling-free iterators (the last value repeats);
    iterators/generators/Schedules are returned as they are."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        items = list(value)

        def listed(step: int) -> float:
            return items[min(step, len(items) - 1)]

        return Schedule("list", listed)
    if isinstance(value, Iterator):
        return value
    if hasattr(value, "__iter__"):
        return iter(value)
    raise TypeError(f"Expected a number, list or iterator for a schedule, got {value!r}")


def is_schedule(value: Any) -> bool:
    return isinstance(value, Iterator)


for _name, _func in [
    ("constant.v1", constant),
    ("compounding.v1", compounding),
    ("decaying.v1", decaying),
    ("warmup_linear.v1", warmup_linear),
    ("cyclic_triangular.v1", cyclic_triangular),
    ("slanted_triangular.v1", slanted_triangular),
]:
    registry.schedules.register(_name, func=_func)
