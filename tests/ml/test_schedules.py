"""treadle.ml.schedules: first values, registered schedules, user generators as hyperparameters."""

from __future__ import annotations

import pytest

from treadle.config import registry
from treadle.ml import (
    Adam,
    compounding,
    constant,
    cyclic_triangular,
    decaying,
    slanted_triangular,
    warmup_linear,
)


def take(it, n):
    return [next(it) for _ in range(n)]


def test_schedule_first_values():
    assert take(constant(0.5), 3) == [0.5, 0.5, 0.5]
    assert take(compounding(1.0, 16.0, 2.0), 6) == [1, 2, 4, 8, 16, 16]
    assert take(compounding(10.0, 1.0, 0.5), 5) == [10, 5, 2.5, 1.25, 1.0]
    assert take(decaying(1.0, 0.5), 3) == [1.0, 1 / 1.5, 1 / 2.0]
    assert take(warmup_linear(1.0, 2, 4), 6) == [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    assert take(cyclic_triangular(0.0, 1.0, 2), 6) == [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    st = take(slanted_triangular(1.0, 20, cut_frac=0.1, ratio=32), 4)
    assert st[0] == pytest.approx(1 / 32)
    assert st[2] == pytest.approx(1.0)
    assert st[3] < st[2]


def test_schedules_registered_and_user_generators():
    for name in ["constant.v1", "compounding.v1", "decaying.v1", "warmup_linear.v1",
                 "cyclic_triangular.v1", "slanted_triangular.v1"]:
        assert name in registry.schedules
    sched = registry.schedules.get("compounding.v1")(start=1.0, stop=4.0, compound=2.0)
    assert take(sched, 3) == [1.0, 2.0, 4.0]

    def my_schedule():
        values = [0.001, 0.01, 0.1]
        while True:
            yield from values
            yield from reversed(values)

    opt = Adam(learn_rate=my_schedule())
    assert opt.learn_rate == 0.001
    opt.step_schedules()
    assert opt.learn_rate == 0.01
    opt.step_schedules()
    assert opt.learn_rate == 0.1
