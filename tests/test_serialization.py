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
from treadle.errors import SerializationError, TreadleWarning
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


# -- damaged saved pipelines (issue 14) ------------------------------------------------


def _tagger_dir(tmp_path: Path) -> Path:
    from tests.helpers import make_tok2vec_config
    from treadle.ml import fix_random_seed
    from treadle.training import Example

    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tagger", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None,
                                             "tok2vec": make_tok2vec_config()}})
    exs = [Example.from_dict(nlp.make_doc("I eat ham"), {"tags": ["PRP", "VBP", "NN"]})]
    nlp.initialize(lambda: exs)
    nlp.to_disk(tmp_path / "m")
    return tmp_path / "m"


def _load_error(path: Path) -> str:
    with pytest.raises(SerializationError) as info:
        treadle.load(path)
    return str(info.value)


def test_meta_records_every_file(tmp_path: Path) -> None:
    path = _tagger_dir(tmp_path)
    files = json.loads((path / "meta.json").read_text())["files"]
    assert {"tagger/model.safetensors", "tagger/cfg.json", "vocab/vocab.json"} <= set(files)
    assert files["tagger/model.safetensors"]["size"] == (path / "tagger/model.safetensors").stat().st_size
    assert "files" not in treadle.load(path).meta  # recomputed at every save, never carried
    # config.cfg is the user's to edit: not hashed, and an edited one still loads
    assert "config.cfg" not in files and "meta.json" not in files
    cfg = (path / "config.cfg").read_text()
    (path / "config.cfg").write_text(cfg.replace("batch_size = 1000", "batch_size = 64"))
    assert treadle.load(path).batch_size == 64


@pytest.mark.parametrize("damage", ["delete", "truncate", "alter"])
def test_damaged_weights_fail_naming_component_and_file(tmp_path: Path, damage: str) -> None:
    path = _tagger_dir(tmp_path)
    weights = path / "tagger" / "model.safetensors"
    data = weights.read_bytes()
    if damage == "delete":
        weights.unlink()
    elif damage == "truncate":
        weights.write_bytes(data[:-100])
    else:  # same size, one byte changed: only the hash can tell
        weights.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    msg = _load_error(path)
    assert "component 'tagger'" in msg and "tagger/model.safetensors" in msg
    assert ("missing" if damage == "delete" else "damaged") in msg


@pytest.mark.parametrize("content", [b"5", b"null", b"{}", b"", b"\xff\xfe"])
def test_altered_cfg_json_fails(tmp_path: Path, content: bytes) -> None:
    path = _tagger_dir(tmp_path)
    (path / "tagger" / "cfg.json").write_bytes(content)
    msg = _load_error(path)
    assert "component 'tagger'" in msg and "tagger/cfg.json" in msg


def test_unrecorded_file_in_a_component_folder_fails(tmp_path: Path) -> None:
    path = _tagger_dir(tmp_path)
    (path / "tagger" / "extra.bin").write_bytes(b"x")
    assert "tagger/extra.bin was not written by to_disk" in _load_error(path)


def _tagger_weights(nlp: Language) -> dict:
    return {k: v.clone() for k, v in nlp.get_pipe("tagger").model.state_dict().items()}


def test_damaged_bytes_never_load(tmp_path: Path) -> None:
    """Every truncation and a byte flip at many offsets of ``to_bytes()`` fail with
    SerializationError, and a failed read leaves the pipeline's weights as they were."""
    nlp = treadle.load(_tagger_dir(tmp_path))
    data = nlp.to_bytes()
    fresh = treadle.load(tmp_path / "m")
    before = _tagger_weights(fresh)
    step = max(1, len(data) // 200)
    for pos in range(0, len(data), step):
        flipped = data[:pos] + bytes([data[pos] ^ 0x10]) + data[pos + 1 :]
        for damaged in (flipped, data[:pos]):
            with pytest.raises(SerializationError):
                fresh.from_bytes(damaged)
    for key, value in _tagger_weights(fresh).items():
        assert value.equal(before[key])
    fresh.from_bytes(data)  # the undamaged copy still reads


def test_bytes_without_the_checked_envelope_are_refused() -> None:
    import msgpack

    nlp = sentencized_nlp()
    bare = msgpack.packb({"config": nlp.config.to_str(), "meta": {}}, use_bin_type=True)
    with pytest.raises(SerializationError, match="checked envelope"):
        nlp.from_bytes(bare)
    with pytest.raises(SerializationError, match="expected bytes"):
        nlp.from_bytes("text")  # type: ignore[arg-type]


def test_excluded_component_is_not_checked(tmp_path: Path) -> None:
    path = _tagger_dir(tmp_path)
    (path / "tagger" / "model.safetensors").unlink()
    assert treadle.load(path, exclude=["tagger"]).component_names == []


def test_bad_utf8_meta_json_fails(tmp_path: Path) -> None:
    path = _tagger_dir(tmp_path)
    (path / "meta.json").write_bytes(b'{"name": "\xff"}')
    assert "meta.json: not UTF-8" in _load_error(path)


def _as_old_save(path: Path) -> None:
    """Drop the recorded hashes, as a save made before they existed."""
    meta = json.loads((path / "meta.json").read_text())
    del meta["files"]
    (path / "meta.json").write_text(json.dumps(meta))


def test_save_without_hashes_loads_with_a_warning(tmp_path: Path) -> None:

    path = _tagger_dir(tmp_path)
    want = [t.tag_ for t in treadle.load(path)("I eat ham")]
    _as_old_save(path)
    with pytest.warns(TreadleWarning, match="no file hashes"):
        nlp = treadle.load(path)
    assert [t.tag_ for t in nlp("I eat ham")] == want


def test_old_save_without_its_weights_file_fails(tmp_path: Path) -> None:
    """Without hashes nothing records the file, but a trainable component's folder
    without its weights is damaged all the same: never an untrained model."""
    path = _tagger_dir(tmp_path)
    _as_old_save(path)
    (path / "tagger" / "model.safetensors").unlink()
    with pytest.warns(TreadleWarning, match="no file hashes"):
        msg = _load_error(path)
    assert "tagger" in msg and "model.safetensors" in msg and "missing" in msg


@pytest.mark.parametrize(
    ("file", "content", "words"),
    [
        ("vocab/vocab.json", b"[1]", "expected a JSON object"),
        ("vocab/vocab.json", b'{"lexeme_overrides": {"a": {"orth": "b"}}}', "not a settable"),
        ("vocab/vocab.json", b'{"lexeme_overrides": {"a": {"norm": 5}}}', "wrong type"),
        ("vocab/vocab.json", b"\xff", "not UTF-8"),
        ("vocab/strings.json", b"[1, 2]", "list of strings"),
        ("tagger/cfg.json", b"5", "expected a JSON object"),
        ("tagger/cfg.json", b"null", "expected a JSON object"),
    ],
)
def test_corrupt_parts_of_an_old_save_fail_naming_the_file(
    tmp_path: Path, file: str, content: bytes, words: str
) -> None:
    path = _tagger_dir(tmp_path)
    _as_old_save(path)
    (path / file).write_bytes(content)
    with pytest.warns(Warning):
        msg = _load_error(path)
    assert file in msg and words in msg


@pytest.mark.parametrize("labels", [None, ["PRP", "VBP"]], ids=["no-labels", "one-missing"])
def test_labels_that_do_not_fit_the_weights_fail_in_an_old_save(tmp_path: Path, labels) -> None:
    """Without hashes nothing else notices: the weights' output width must match the
    labels in cfg.json, or tags would come from the wrong rows (or index past them)."""
    path = _tagger_dir(tmp_path)
    cfg_path = path / "tagger" / "cfg.json"
    cfg = json.loads(cfg_path.read_text())
    if labels is None:
        cfg = {}
    else:
        cfg["labels"] = labels
    cfg_path.write_text(json.dumps(cfg))
    _as_old_save(path)
    with pytest.warns(TreadleWarning):
        msg = _load_error(path)
    assert "output width of 3" in msg and "component 'tagger'" in msg


@pytest.mark.parametrize("labels", [5, None, [1, 2, 3], "abc"], ids=["int", "null", "ints", "str"])
def test_labels_of_the_wrong_type_fail_naming_the_file(tmp_path: Path, labels) -> None:
    """An old save (no hashes) whose cfg.json holds labels of another type: a clean
    error, never a TypeError, and never a string read as its characters."""
    path = _tagger_dir(tmp_path)
    cfg_path = path / "tagger" / "cfg.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["labels"] = labels
    cfg_path.write_text(json.dumps(cfg))
    _as_old_save(path)
    with pytest.warns(TreadleWarning):
        msg = _load_error(path)
    assert "tagger/cfg.json" in msg and "'labels' must be a list of str" in msg
