"""Saving and loading pipelines: to_disk/load, to_bytes/from_bytes, atomic saves, sourcing
a component from a saved pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import treadle
from tests.toy_pipeline import (  # importing registers the toy components
    WS_CONFIG,
    sentencized_nlp,
)
from treadle.errors import SerializationError
from treadle.language import Language


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
