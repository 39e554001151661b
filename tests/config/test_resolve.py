"""Resolving and filling configs against the registries (treadle/config/resolve.py):
nested functions, defaults, validation with paths, section schemas, used functions."""

from __future__ import annotations

from typing import Protocol

import pytest
from pydantic import StrictBool, StrictInt

from treadle.config import Config, ConfigValidationError, Registries
from treadle.config.resolve import used_functions
from treadle.errors import ConfigError, RegistryError


class Optimizer:
    def __init__(self, learn_rate, beta1: float = 0.9, eps: float = 1e-8) -> None:
        self.learn_rate, self.beta1, self.eps = learn_rate, beta1, eps


class Scheduleish(Protocol):
    def __call__(self, step: int) -> float: ...


@pytest.fixture
def reg() -> Registries:
    # Also the fixture of test_registry.py. It stays in this module: test_used_functions
    # checks that find() names the module the functions below are defined in.
    reg = Registries()

    @reg.schedules("compounding.test.v1")
    def compounding(start: float, stop: float, compound: float = 1.001, t: float = 0.0):
        return ("compounding", start, stop, compound, t)

    @reg.schedules("constant.test.v1")
    def constant(rate: float) -> float:
        return rate

    @reg.optimizers("Adam.test.v1")
    def adam(
        learn_rate: float | tuple = 0.001,
        beta1: float = 0.9,
        use_averages: bool = False,
        tag: object = object(),  # not JSON: fill must skip it
        names: tuple = ("a", "b"),
    ) -> Optimizer:
        return Optimizer(learn_rate, beta1)

    @reg.optimizers("Strict.test.v1")
    def strict(n: StrictInt, flag: StrictBool = False) -> dict:
        return {"n": n, "flag": flag}

    @reg.misc("kwargs.test.v1")
    def with_kwargs(a: int, **rest: int) -> dict:
        return {"a": a, **rest}

    @reg.misc("args.test.v1")
    def with_args(*items: float) -> list:
        return list(items)

    @reg.misc("needs_optimizer.test.v1")
    def needs_optimizer(optimizer: Optimizer, schedule: Scheduleish) -> tuple:
        return (optimizer, schedule)

    reg.misc.register("calls.test.v1", func=lambda: [])
    return reg


NESTED = """
[training]
dropout = 0.1

[training.optimizer]
@optimizers = "Adam.test.v1"
beta1 = "0.95"

[training.optimizer.learn_rate]
@schedules = "compounding.test.v1"
start = 100
stop = 1000
"""


def test_resolve_nested_schedule_in_optimizer(reg):
    resolved = reg.resolve(Config().from_str(NESTED))
    opt = resolved["training"]["optimizer"]
    assert isinstance(opt, Optimizer)
    assert opt.learn_rate == ("compounding", 100.0, 1000.0, 1.001, 0.0)
    assert opt.beta1 == 0.95  # coerced from "0.95"
    assert type(resolved) is dict
    assert resolved["training"]["dropout"] == 0.1


def test_resolve_uninterpolated_config(reg):
    text = '[vals]\nrate = 0.5\n[x]\n[x.s]\n@schedules = "constant.test.v1"\nrate = ${vals.rate}\n'
    raw = Config().from_str(text, interpolate=False)
    assert reg.resolve(raw)["x"]["s"] == 0.5


def test_fill_writes_defaults_and_keeps_references(reg):
    text = NESTED + (
        '\n[system]\nseed = 1\n[other.extra]\n@schedules = "constant.test.v1"\n'
        "rate = ${training.dropout}\n"
    )
    raw = Config().from_str(text, interpolate=False)
    filled = reg.fill(raw)
    assert isinstance(filled, Config)
    opt = filled["training"]["optimizer"]
    assert opt["use_averages"] is False and opt["names"] == ["a", "b"]
    assert "tag" not in opt  # non-JSON default skipped
    assert opt["learn_rate"]["compound"] == 1.001 and opt["learn_rate"]["t"] == 0.0
    assert filled["other"]["extra"]["rate"] == "${training.dropout}"
    assert "use_averages" not in raw["training"]["optimizer"]  # input untouched
    # the filled config round-trips and resolves to the same thing
    again = Config().from_str(filled.to_str())
    assert reg.resolve(again)["training"]["optimizer"].learn_rate[0] == "compounding"


def test_validation_collects_all_errors_with_paths(reg):
    text = """
[training]
dropout = "lots"
unknown_key = 1

[training.optimizer]
@optimizers = "Adam.test.v1"
beta1 = "high"
surprise = 3

[training.optimizer.learn_rate]
@schedules = "compounding.test.v1"
start = 1
"""
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve(Config().from_str(text))
    locs = {".".join(map(str, e["loc"])) for e in exc.value.errors}
    assert {
        "training.dropout",
        "training.unknown_key",
        "training.optimizer.beta1",
        "training.optimizer.surprise",
        "training.optimizer.learn_rate.stop",
    } <= locs
    msg = str(exc.value)
    assert "training.optimizer.beta1: Input should be a valid number" in msg
    assert "training.optimizer.learn_rate.stop: Field required" in msg
    assert "training.unknown_key" in msg
    # fill reports the same problems without calling anything
    with pytest.raises(ConfigValidationError) as exc2:
        reg.fill(Config().from_str(text))
    assert {".".join(map(str, e["loc"])) for e in exc2.value.errors} == locs


def test_no_function_is_called_when_literals_are_invalid(reg):
    calls = []

    @reg.misc("spy.test.v1")
    def spy(x: int = 0):
        calls.append(x)
        return x

    cfg = {"a": {"b": {"@misc": "spy.test.v1"}}, "c": {"d": {"@misc": "spy.test.v1", "x": "z"}}}
    with pytest.raises(ConfigValidationError):
        reg.resolve(cfg)
    assert calls == []


def test_strict_types_honoured(reg):
    ok = reg.resolve({"a": {"o": {"@optimizers": "Strict.test.v1", "n": 3, "flag": True}}})
    assert ok["a"]["o"] == {"n": 3, "flag": True}
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve({"a": {"o": {"@optimizers": "Strict.test.v1", "n": "3", "flag": 1}}})
    locs = [e["loc"] for e in exc.value.errors]
    assert ["a", "o", "n"] in locs and ["a", "o", "flag"] in locs


def test_validate_false_skips_checks(reg):
    out = reg.resolve({"a": {"o": {"@optimizers": "Strict.test.v1", "n": "3"}}}, validate=False)
    assert out["a"]["o"]["n"] == "3"


def test_kwargs_accept_extra_and_validate_them(reg):
    out = reg.resolve({"a": {"k": {"@misc": "kwargs.test.v1", "a": 1, "b": "2"}}})
    assert out["a"]["k"] == {"a": 1, "b": 2}
    with pytest.raises(ConfigValidationError, match="a.k.b"):
        reg.resolve({"a": {"k": {"@misc": "kwargs.test.v1", "a": 1, "b": "x"}}})


def test_positional_args_block(reg):
    cfg = Config().from_str(
        '[a]\n[a.f]\n@misc = "args.test.v1"\n[a.f.*.one]\n@schedules = "constant.test.v1"\n'
        'rate = 1\n[a.f.*.two]\n@schedules = "constant.test.v1"\nrate = 2\n'
    )
    assert reg.resolve(cfg)["a"]["f"] == [1.0, 2.0]


def test_resolved_objects_validated_against_hints(reg):
    good = {
        "a": {
            "n": {
                "@misc": "needs_optimizer.test.v1",
                "optimizer": {"@optimizers": "Adam.test.v1"},
                "schedule": {"@schedules": "constant.test.v1", "rate": 1},  # Protocol: skipped
            }
        }
    }
    out = reg.resolve(good)
    assert isinstance(out["a"]["n"][0], Optimizer)
    bad = {
        "a": {
            "n": {
                "@misc": "needs_optimizer.test.v1",
                "optimizer": {"@schedules": "constant.test.v1", "rate": 1},
                "schedule": 1,
            }
        }
    }
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve(bad)
    assert ["a", "n", "optimizer"] in [e["loc"] for e in exc.value.errors]


def test_unknown_function_names_its_place(reg):
    with pytest.raises(RegistryError) as exc:
        reg.resolve({"training": {"optimizer": {"@optimizers": "Adam.test.v2"}}})
    assert "training.optimizer.@optimizers" in str(exc.value)
    assert "Adam.test.v1" in str(exc.value)


def test_unknown_category_and_two_functions(reg):
    with pytest.raises(RegistryError, match="optimisers"):
        reg.resolve({"a": {"b": {"@optimisers": "x"}}})
    with pytest.raises(ConfigError, match="only one"):
        reg.resolve({"a": {"b": {"@misc": "calls.test.v1", "@schedules": "x"}}})


def test_section_schema_types(reg):
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve({"training": {"max_steps": "many"}, "nlp": {"batch_size": 0}})
    locs = [e["loc"] for e in exc.value.errors]
    assert ["training", "max_steps"] in locs and ["nlp", "batch_size"] in locs
    # open sections accept anything
    assert reg.resolve({"paths": {"anything": None}, "corpora": {"x": 1}})["paths"] == {
        "anything": None
    }


def test_explicit_schema(reg):
    from pydantic import BaseModel, ConfigDict

    class Only(BaseModel):
        model_config = ConfigDict(extra="forbid")
        a: dict

    assert reg.resolve({"a": {}}, schema=Only) == {"a": {}}
    with pytest.raises(ConfigValidationError, match="b"):
        reg.resolve({"a": {}, "b": {}}, schema=Only)


def test_used_functions(reg):
    uses = used_functions(Config().from_str(NESTED), registry=reg)
    assert [(u.path, u.name) for u in uses] == [
        (("training", "optimizer"), "Adam.test.v1"),
        (("training", "optimizer", "learn_rate"), "compounding.test.v1"),
    ]
    assert reg.schedules.find("constant.test.v1")["module"] == __name__
