"""Resolving and filling configs against the registries (treadle/config/resolve.py):
nested functions, defaults, validation with paths, section schemas, used functions."""

from __future__ import annotations

from typing import Protocol

import pytest
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt

from treadle.config import Config, ConfigValidationError, Registries
from treadle.config.resolve import used_functions
from treadle.errors import ConfigError


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
        '\n[system]\nseed = 1\n[other]\n[other.extra]\n@schedules = "constant.test.v1"\n'
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
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve({"training": {"optimizer": {"@optimizers": "Adam.test.v2"}}})
    assert exc.value.errors[0]["loc"] == ["training", "optimizer", "@optimizers"]
    assert "training.optimizer.@optimizers" in str(exc.value)
    assert "Adam.test.v1" in str(exc.value)


def test_unknown_category_and_two_functions(reg):
    with pytest.raises(ConfigValidationError, match="optimisers") as exc:
        reg.resolve({"a": {"b": {"@optimisers": "x"}}})
    assert "Did you mean: optimizers" in str(exc.value)
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


# --- the engine's features the components use -------------------------------------


def _with_declared_defaults(reg: Registries) -> Registries:
    @reg.misc("inner.test.v1")
    def inner(width: int = 4, depth: int = 1) -> tuple:
        return ("inner", width, depth)

    @reg.misc("other_inner.test.v1")
    def other_inner(size: int = 9) -> tuple:
        return ("other", size)

    def outer(model: tuple, threshold: float = 0.5) -> dict:
        return {"model": model, "threshold": threshold}

    # Declared defaults go beyond the signature: a nested block the config may leave out.
    reg.misc.register(
        "outer.test.v1",
        func=outer,
        defaults={"model": {"@misc": "inner.test.v1", "width": 8}, "threshold": 0.7},
    )
    return reg


def test_declared_defaults_fill_and_resolve_the_same(reg):
    reg = _with_declared_defaults(reg)
    block = {"x": {"@misc": "outer.test.v1"}}
    filled = reg.fill(block)
    assert filled["x"] == {
        "@misc": "outer.test.v1",
        "model": {"@misc": "inner.test.v1", "width": 8, "depth": 1},
        "threshold": 0.7,
    }
    assert reg.resolve(block)["x"] == {"model": ("inner", 8, 1), "threshold": 0.7}
    assert reg.resolve(filled)["x"] == reg.resolve(block)["x"]


def test_declared_defaults_merge_key_by_key_unless_the_function_changes(reg):
    reg = _with_declared_defaults(reg)
    same_fn = {"x": {"@misc": "outer.test.v1", "model": {"depth": 3}}}
    assert reg.resolve(same_fn)["x"]["model"] == ("inner", 8, 3)
    other_fn = {"x": {"@misc": "outer.test.v1", "model": {"@misc": "other_inner.test.v1"}}}
    # The default's width = 8 belongs to inner.test.v1: it must not leak into another call.
    assert reg.resolve(other_fn)["x"]["model"] == ("other", 9)
    assert reg.fill(other_fn)["x"]["model"] == {"@misc": "other_inner.test.v1", "size": 9}


def test_unknown_setting_suggests_the_accepted_names(reg):
    cfg = {"opt": {"@optimizers": "Adam.test.v1", "beta": 0.9}}
    with pytest.raises(ConfigValidationError) as err:
        reg.resolve(cfg)
    msg = str(err.value)
    assert "opt.beta: Extra inputs are not permitted (unknown setting 'beta'" in msg
    assert "did you mean 'beta1'? It takes: beta1, learn_rate, names, tag, use_averages)" in msg


class Group(BaseModel):
    """A settings block (module level, so the annotation below resolves)."""

    model_config = ConfigDict(extra="forbid")
    learn_rate: float = 0.1
    L2: float = 0.0


def test_unknown_key_inside_a_settings_block_suggests_its_names(reg):
    @reg.misc("groups.test.v1")
    def with_groups(groups: dict[str, Group], single: Group = {}) -> int:  # noqa: B006
        return len(groups)

    cfg = {"x": {"@misc": "groups.test.v1", "groups": {"encoder": {"learn_rte": 0.1}},
                 "single": {"l2": 0.0}}}  # fmt: skip
    with pytest.raises(ConfigValidationError) as err:
        reg.resolve(cfg)
    msg = str(err.value)
    assert "x.groups.encoder.learn_rte: Extra inputs are not permitted (unknown setting " in msg
    assert "'learn_rte', did you mean 'learn_rate'? It takes: L2, learn_rate)" in msg
    assert (
        "x.single.l2: Extra inputs are not permitted (unknown setting 'l2', did you mean 'L2'?"
        in msg
    )


def test_a_value_fitting_no_member_of_a_union_is_one_error(reg):
    @reg.misc("union.test.v1")
    def with_union(rate: float | list) -> float:
        return 0.0

    with pytest.raises(ConfigValidationError) as err:
        reg.resolve({"a": {"@misc": "union.test.v1", "rate": "fast"}})
    lines = [line for line in str(err.value).splitlines() if line.startswith("  ")]
    assert lines == ["  a.rate: Input should be a number or a list; got 'fast' (str)"]


def test_hints_that_do_not_resolve_at_run_time_leave_the_others_checked(reg):
    # A name imported only for type checkers can't be evaluated at run time; the
    # parameters whose hints do resolve must still be validated.
    namespace: dict = {}
    exec(
        "from __future__ import annotations\n"
        "def make(nlp: OnlyForTypeCheckers, width: int = 1):\n"
        "    return (nlp, width)\n",
        namespace,
    )
    reg.misc.register("forward_ref.test.v1", func=namespace["make"])
    assert reg.resolve({"a": {"@misc": "forward_ref.test.v1", "nlp": 1, "width": "2"}})["a"] == (
        1,
        2,
    )
    with pytest.raises(ConfigValidationError, match="a.width"):
        reg.resolve({"a": {"@misc": "forward_ref.test.v1", "nlp": 1, "width": "wide"}})


def test_fill_reads_component_blocks_as_factory_calls(reg):
    def make_thing(nlp: object, name: str, size: int = 3, label: str = "x") -> object:
        return object()

    reg.factories.register("thing.test", func=make_thing, defaults={"label": "T"})
    cfg = {"components": {"t": {"factory": "thing.test"}, "s": {"source": "/elsewhere"}}}
    filled = reg.fill(cfg)
    # nlp and name are Language's to pass, never written into the config.
    assert filled["components"]["t"] == {"factory": "thing.test", "label": "T", "size": 3}
    assert filled["components"]["s"] == {"source": "/elsewhere"}
    with pytest.raises(ConfigValidationError) as err:
        reg.fill({"components": {"t": {"factory": "thing.test", "size": "big", "colour": 1}}})
    msg = str(err.value)
    assert "components.t.size: Input should be a valid integer" in msg
    assert "components.t.colour: Extra inputs are not permitted" in msg
    with pytest.raises(
        ConfigValidationError, match=r"components\.t\.factory: Can't find 'thing\.tset'"
    ):
        reg.fill({"components": {"t": {"factory": "thing.tset"}}})


def test_resolve_at_names_the_path_in_errors(reg):
    block = {"@optimizers": "Adam.test.v1", "beta1": "high"}
    with pytest.raises(ConfigValidationError, match="training.optimizer.beta1"):
        reg.resolve_at("training.optimizer", block)
    assert isinstance(
        reg.resolve_at("training.optimizer", {"@optimizers": "Adam.test.v1"}), Optimizer
    )
