"""Registering components with ``@Language.factory`` and ``@Language.component``: defaults,
config validation naming component and key, signatures, nested registered functions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.toy_pipeline import make_nlp, mark_a
from treadle.config import registry
from treadle.errors import ConfigValidationError, PipelineError
from treadle.language import Language
from treadle.pipeline import factories


def test_factory_defaults_and_config() -> None:
    nlp = make_nlp()
    counter = nlp.add_pipe("test_counter", config={"times": 2})
    assert (counter.label, counter.times) == ("count", 2)
    block = nlp.config["components"]["test_counter"]
    assert block == {"factory": "test_counter", "label": "count", "times": 2}
    meta = Language.get_factory_meta("test_counter")
    assert meta.default_config == {"label": "count", "times": 1}
    assert nlp.config["nlp"]["pipeline"] == ["test_counter"]


def test_factory_config_errors_name_component_and_key() -> None:
    nlp = make_nlp()
    with pytest.raises(ConfigValidationError) as excinfo:
        nlp.add_pipe("test_counter", name="my_counter", config={"tims": 2})
    msg = str(excinfo.value)
    assert "my_counter" in msg and "tims" in msg and "times" in msg  # suggests the fix
    with pytest.raises(ConfigValidationError, match="threshold.*required"):
        nlp.add_pipe("test_needs_setting")
    with pytest.raises(ConfigValidationError, match="components.c.times"):
        nlp.add_pipe("test_counter", name="c", config={"times": "many"})
    # Lax coercion as in config files: "3" is a fine int.
    assert nlp.add_pipe("test_counter", config={"times": "3"}).times == 3
    assert nlp.pipe_names == ["test_counter"]


def test_factory_must_take_nlp_and_name() -> None:
    with pytest.raises(PipelineError, match="'nlp' and 'name'"):

        @Language.factory("test_bad_signature")
        def bad(settings: int) -> Any:  # pragma: no cover - never called
            return None


def test_component_registered_function_is_returned_as_is() -> None:
    nlp = make_nlp()
    comp = nlp.add_pipe("test_mark_a")
    assert comp is mark_a
    assert nlp.config["components"]["test_mark_a"] == {"factory": "test_mark_a"}
    with pytest.raises(ConfigValidationError, match="unknown setting 'x'"):
        nlp.add_pipe("test_mark_b", config={"x": 1})


def test_factory_with_nested_registered_function() -> None:
    @registry.misc("test.make_label.v1")
    def make_label(prefix: str, n: int) -> str:
        return f"{prefix}{n}"

    nlp = make_nlp()
    counter = nlp.add_pipe(
        "test_counter", config={"label": {"@misc": "test.make_label.v1", "prefix": "n", "n": 3}}
    )
    assert counter.label == "n3"
    # The config keeps the block, not its result, so it can rebuild the component.
    assert nlp.config["components"]["test_counter"]["label"]["@misc"] == "test.make_label.v1"
    with pytest.raises(ConfigValidationError, match="components.bad.label.n"):
        nlp.add_pipe(
            "test_counter",
            name="bad",
            config={"label": {"@misc": "test.make_label.v1", "prefix": "n", "n": "x"}},
        )


def test_registration_lives_beside_the_config_engine() -> None:
    assert Language.factory is factories.factory and Language.component is factories.component

    @factories.factory("test_declared", default_config={"size": 2})
    def make_declared(nlp: Language, name: str, size: int) -> Any:
        return mark_a

    # The engine gets the default_config with the function: resolve and fill use it.
    assert registry.factories.get("test_declared") is make_declared
    assert registry.factories.get_defaults("test_declared") == {"size": 2}
    nlp = make_nlp()
    nlp.add_pipe("test_declared")
    assert nlp.config["components"]["test_declared"] == {"factory": "test_declared", "size": 2}
    with pytest.raises(ConfigValidationError, match="components.d.size: Input should be"):
        nlp.add_pipe("test_declared", name="d", config={"size": "two"})
