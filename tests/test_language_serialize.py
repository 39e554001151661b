"""Saving and loading pipelines: to_disk/load, from_config, sourcing, atomic saves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# Registers test.Whitespace.v1 and the test components.
from test_language import WS_CONFIG, make_nlp  # noqa: F401

import treadle
from treadle.config import Config, registry
from treadle.errors import ConfigError, SerializationError
from treadle.language import Language
from treadle.pipeline._internal.pipe import Pipe
from treadle.tokens import Doc


class Suffixer(Pipe):
    """A custom component with settings that change after creation (saved in cfg.json)."""

    def __init__(self, name: str, suffix: str) -> None:
        super().__init__(name, suffix=suffix, seen=0)

    def __call__(self, doc: Doc) -> Doc:
        self.cfg["seen"] += 1
        doc.user_data["suffixed"] = [t.text + self.cfg["suffix"] for t in doc]
        return doc


@Language.factory("test_suffixer", default_config={"suffix": "!"})
def make_suffixer(nlp: Language, name: str, suffix: str) -> Suffixer:
    return Suffixer(name, suffix)


class FailingSave(Pipe):
    def __call__(self, doc: Doc) -> Doc:
        return doc

    def to_disk(self, path: Any, *, exclude: Any = ()) -> None:
        raise OSError("disk full (simulated)")


@Language.factory("test_failing_save")
def make_failing(nlp: Language, name: str) -> FailingSave:
    return FailingSave(name)


def sentencized_nlp() -> Language:
    nlp = make_nlp()
    nlp.add_pipe("sentencizer", config={"punct_chars": ["|"]})
    nlp.add_pipe("test_suffixer", config={"suffix": "?"})
    return nlp


def test_to_disk_load_round_trip(tmp_path: Path) -> None:
    nlp = sentencized_nlp()
    nlp.get_pipe("sentencizer").overwrite = True  # changed after creation: saved in cfg.json
    nlp("a b")  # suffixer counts calls
    nlp.meta["name"] = "tiny"
    nlp.meta["performance"] = {"sents_f": 0.5}
    nlp.to_disk(tmp_path / "model")
    names = {p.name for p in (tmp_path / "model").iterdir()}
    assert {"config.cfg", "meta.json", "vocab", "sentencizer", "test_suffixer"} <= names
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["pipeline"] == ["sentencizer", "test_suffixer"]
    assert meta["name"] == "tiny" and meta["performance"] == {"sents_f": 0.5}
    assert meta["treadle_version"] == treadle.__version__

    loaded = treadle.load(tmp_path / "model")
    assert loaded.pipe_names == ["sentencizer", "test_suffixer"]
    sentencizer = loaded.get_pipe("sentencizer")
    assert sentencizer.punct_chars == ("|",)
    assert sentencizer.overwrite is True
    assert loaded.get_pipe("test_suffixer").cfg == {"suffix": "?", "seen": 1}
    assert loaded.meta["name"] == "tiny"
    doc = loaded("one | two three")
    assert [s.text for s in doc.sents] == ["one |", "two three"]
    assert doc.user_data["suffixed"] == ["one?", "|?", "two?", "three?"]
    assert loaded.config["components"]["test_suffixer"] == {
        "factory": "test_suffixer",
        "suffix": "?",
    }


def test_load_disable_exclude_and_overrides(tmp_path: Path) -> None:
    sentencized_nlp().to_disk(tmp_path / "m")
    nlp = treadle.load(tmp_path / "m", disable=["test_suffixer"])
    assert nlp.pipe_names == ["sentencizer"] and nlp.disabled == ["test_suffixer"]
    nlp = treadle.load(tmp_path / "m", exclude=["sentencizer"])
    assert nlp.component_names == ["test_suffixer"]
    nlp = treadle.load(tmp_path / "m", config={"components.test_suffixer.suffix": "#"})
    # The override builds the component; its saved cfg.json then restores "?".
    assert nlp.get_pipe("test_suffixer").cfg["suffix"] == "?"
    assert nlp.config["components"]["test_suffixer"]["suffix"] == "#"


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(SerializationError, match="no such file"):
        treadle.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SerializationError, match="not a saved treadle pipeline"):
        treadle.load(tmp_path / "empty")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SerializationError, match="expected a folder"):
        treadle.load(tmp_path / "file.txt")


def test_atomic_save_keeps_previous(tmp_path: Path) -> None:
    target = tmp_path / "model"
    sentencized_nlp().to_disk(target)
    before = sorted(p.name for p in target.rglob("*"))
    nlp = sentencized_nlp()
    nlp.add_pipe("test_failing_save")
    with pytest.raises(OSError, match="disk full"):
        nlp.to_disk(target)
    assert sorted(p.name for p in target.rglob("*")) == before
    # No temp folders left beside the target.
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert treadle.load(target).pipe_names == ["sentencizer", "test_suffixer"]
    # A successful save replaces the old folder wholesale.
    nlp.remove_pipe("test_failing_save")
    nlp.remove_pipe("test_suffixer")
    nlp.to_disk(target)
    assert not (target / "test_suffixer").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_bytes_round_trip() -> None:
    nlp = sentencized_nlp()
    nlp.get_pipe("test_suffixer").cfg["suffix"] = "~"
    data = nlp.to_bytes()
    other = Language.from_config(nlp.config)
    assert other.get_pipe("test_suffixer").cfg["suffix"] == "?"
    other.from_bytes(data)
    assert other.get_pipe("test_suffixer").cfg["suffix"] == "~"
    with pytest.raises(SerializationError):
        other.from_bytes(b"\x93garbage")


def test_from_config_callbacks() -> None:
    calls: list[str] = []

    @registry.callbacks("test.before_creation.v1")
    def make_before(extra_stop: str) -> Any:
        def before(lang_cls: type[Language]) -> type[Language]:
            calls.append("before")
            lang_cls.Defaults.stop_words = lang_cls.Defaults.stop_words | {extra_stop}
            return lang_cls

        return before

    @registry.callbacks("test.after_creation.v1")
    def make_after() -> Any:
        def after(nlp: Language) -> Language:
            calls.append(f"after:{nlp.pipe_names}")
            nlp.max_length = 123
            return nlp

        return after

    @registry.callbacks("test.after_pipeline.v1")
    def make_after_pipeline() -> Any:
        def after_pipeline(nlp: Language) -> Language:
            calls.append(f"after_pipeline:{nlp.pipe_names}")
            nlp.get_pipe("test_counter").times = 7
            return nlp

        return after_pipeline

    config = Config().from_str(
        """
[nlp]
lang = "xx"
pipeline = ["test_counter"]

[nlp.tokenizer]
@tokenizers = "test.Whitespace.v1"

[nlp.before_creation]
@callbacks = "test.before_creation.v1"
extra_stop = "zorp"

[nlp.after_creation]
@callbacks = "test.after_creation.v1"

[nlp.after_pipeline_creation]
@callbacks = "test.after_pipeline.v1"

[components.test_counter]
factory = "test_counter"
times = 2
"""
    )
    nlp = Language.from_config(config)
    assert calls == ["before", "after:[]", "after_pipeline:['test_counter']"]
    assert nlp.max_length == 123
    assert nlp.get_pipe("test_counter").times == 7
    assert "zorp" in nlp.lang_data.stop_words
    assert nlp.vocab["zorp"].is_stop
    # The callback edited a copy: a fresh nlp for the same language is unaffected.
    assert "zorp" not in treadle.blank("xx").lang_data.stop_words
    # The callbacks stay in the config, so a saved pipeline runs them again.
    assert nlp.config["nlp"]["after_creation"] == {"@callbacks": "test.after_creation.v1"}


def test_from_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"no \[components.missing\]"):
        Language.from_config({**WS_CONFIG, "nlp": {**WS_CONFIG["nlp"], "pipeline": ["missing"]}})
    bad = {
        "nlp": {**WS_CONFIG["nlp"], "pipeline": ["x"]},
        "components": {"x": {"times": 2}},
    }
    with pytest.raises(ConfigError, match=r"\[components.x\] needs either factory"):
        Language.from_config(bad)
    with pytest.raises(ConfigError, match="nlp.lang"):
        Language.from_config({"nlp": {"pipeline": []}})
    with pytest.raises(ConfigError, match=r"nlp.pipline: unknown setting \(did you mean 'pipeline'"):
        Language.from_config({**WS_CONFIG, "nlp": {**WS_CONFIG["nlp"], "pipline": ["x"]}})


def test_from_config_keeps_other_sections() -> None:
    config = {
        **WS_CONFIG,
        "nlp": {**WS_CONFIG["nlp"], "pipeline": ["sentencizer"], "disabled": ["sentencizer"]},
        "components": {"sentencizer": {"factory": "sentencizer"}},
        "training": {"max_steps": 5},
    }
    nlp = Language.from_config(config)
    assert nlp.disabled == ["sentencizer"]
    assert nlp.config["training"] == {"max_steps": 5}
    assert nlp.config["components"]["sentencizer"] == {
        "factory": "sentencizer",
        "punct_chars": None,
        "overwrite": False,
    }
    assert Language.from_config(nlp.config).config == nlp.config


def test_source_component_from_saved_pipeline(tmp_path: Path) -> None:
    src = sentencized_nlp()
    src.get_pipe("test_suffixer").cfg["suffix"] = "%"  # state only the saved folder has
    src.to_disk(tmp_path / "src")
    config = {
        **WS_CONFIG,
        "nlp": {**WS_CONFIG["nlp"], "pipeline": ["test_mark_a", "suffix2"]},
        "components": {
            "test_mark_a": {"factory": "test_mark_a"},
            "suffix2": {"source": str(tmp_path / "src"), "component": "test_suffixer"},
        },
    }
    nlp = Language.from_config(config)
    assert nlp.pipe_names == ["test_mark_a", "suffix2"]
    comp = nlp.get_pipe("suffix2")
    assert comp.cfg["suffix"] == "%"
    assert nlp("x").user_data["suffixed"] == ["x%"]
    # The saved config describes the sourced component by its factory, so the saved
    # pipeline does not depend on the source folder any more.
    assert nlp.config["components"]["suffix2"]["factory"] == "test_suffixer"
    nlp.to_disk(tmp_path / "out")
    again = treadle.load(tmp_path / "out")
    assert again.get_pipe("suffix2").cfg["suffix"] == "%"


def test_add_pipe_source_object() -> None:
    src = sentencized_nlp()
    src.get_pipe("sentencizer").punct_chars = ["#"]
    nlp = make_nlp()
    comp = nlp.add_pipe("sentencizer", name="sents", source=src)
    assert comp is not src.get_pipe("sentencizer")  # a copy on this nlp's vocab
    assert comp.punct_chars == ("#",)
    assert nlp.get_pipe_config("sents")["factory"] == "sentencizer"
    with pytest.raises(treadle.errors.PipelineError, match="has only"):
        nlp.add_pipe("nope", source=src)


def test_blank_with_default_tokenizer() -> None:
    nlp = treadle.blank("en")
    assert nlp.lang == "en" and nlp.pipe_names == []
    doc = nlp("Hello, world!")
    assert [t.text for t in doc] == ["Hello", ",", "world", "!"]
    assert nlp.config["nlp"]["tokenizer"] == {"@tokenizers": "treadle.Tokenizer.v1"}
