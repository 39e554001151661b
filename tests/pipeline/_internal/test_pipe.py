"""Pipe, the component base class: pipe() over __call__, cfg saving, what a subclass must
implement, a subclass registered as a factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
import pytest

import treadle
from treadle.errors import DataError, SerializationError
from treadle.language import Language
from treadle.pipeline import Pipe
from treadle.pipeline._internal.serialize import MSGPACK, Part
from treadle.tokens import Doc


class Upper(Pipe):
    def __call__(self, doc: Doc) -> Doc:
        doc.user_data["upper"] = [t.text.upper() for t in doc]
        return doc


def test_default_pipe_loops_over_call() -> None:
    nlp = treadle.blank("xx")
    comp = Upper("upper", mode="x")
    docs = list(comp.pipe(nlp.make_doc(t) for t in ["a b", "c"]))
    assert [d.user_data["upper"] for d in docs] == [["A", "B"], ["C"]]
    assert comp.initialize(lambda: [], nlp=nlp) is None


def test_cfg_round_trip(tmp_path: Path) -> None:
    comp = Upper("upper", mode="x", n=[1, 2])
    comp.to_disk(tmp_path / "upper")
    assert (tmp_path / "upper" / "cfg.json").exists()
    assert Upper("upper").from_disk(tmp_path / "upper").cfg == {"mode": "x", "n": [1, 2]}
    assert Upper("upper").from_bytes(comp.to_bytes()).cfg == {"mode": "x", "n": [1, 2]}
    assert Upper("upper").from_bytes(comp.to_bytes(exclude=["cfg"])).cfg == {}


def test_score_and_call_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="score"):
        Upper("u").score([])
    with pytest.raises(NotImplementedError, match="__call__"):
        Pipe("p")(Doc(treadle.blank("xx").vocab, words=["a"]))


def test_pipe_subclass_as_factory_saves_settings(tmp_path: Path) -> None:
    @Language.factory("test_base_upper", default_config={"mode": "plain"})
    def make_upper(nlp: Language, name: str, mode: str) -> Upper:
        return Upper(name, mode=mode)

    nlp = treadle.blank("xx")
    nlp.add_pipe("test_base_upper", config={"mode": "loud"})
    nlp.get_pipe("test_base_upper").cfg["extra"] = 3
    nlp.to_disk(tmp_path / "m")
    loaded = treadle.load(tmp_path / "m")
    assert loaded.get_pipe("test_base_upper").cfg == {"mode": "loud", "extra": 3}
    assert loaded("x y").user_data["upper"] == ["X", "Y"]


# --- serialization by declared parts ---------------------------------------------------


class Notes(Pipe):
    """A toy component with a settings part and a msgpack part that must be present."""

    def __init__(self, name: str = "notes", **cfg: Any) -> None:
        super().__init__(name, **cfg)
        self.notes: dict[str, Any] = {}
        self.calls: list[str] = []

    def __call__(self, doc: Doc) -> Doc:
        return doc

    def serialization_parts(self) -> dict[str, Part]:
        notes = Part(
            "notes.msgpack", lambda: self.notes, self._load_notes, codec=MSGPACK,
            required=True, after=lambda where: self.calls.append("after notes"),
        )
        return {**super().serialization_parts(), "notes": notes}

    def _load_notes(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise DataError("notes must be a dict")
        self.calls.append("notes")
        self.notes = value

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        self.calls.append("cfg")
        super().set_cfg(cfg)


def test_declared_parts_round_trip_disk_and_bytes(tmp_path: Path) -> None:
    comp = Notes(mode="x")
    comp.notes = {"a": [1, 2], "b": "é"}
    comp.to_disk(tmp_path / "n")
    assert sorted(p.name for p in (tmp_path / "n").iterdir()) == ["cfg.json", "notes.msgpack"]
    back = Notes().from_disk(tmp_path / "n")
    assert (back.cfg, back.notes) == ({"mode": "x"}, {"a": [1, 2], "b": "é"})
    assert back.calls == ["cfg", "notes", "after notes"]  # the declared order
    data = comp.to_bytes()
    assert set(msgpack.unpackb(data, raw=False)) == {"cfg", "notes"}
    again = Notes().from_bytes(data)
    assert (again.cfg, again.notes) == ({"mode": "x"}, {"a": [1, 2], "b": "é"})


def test_declared_parts_exclude(tmp_path: Path) -> None:
    comp = Notes(mode="x")
    comp.notes = {"a": 1}
    comp.to_disk(tmp_path / "n", exclude=["cfg"])
    assert [p.name for p in (tmp_path / "n").iterdir()] == ["notes.msgpack"]
    back = Notes(mode="kept")
    back.notes = {"kept": True}
    back.from_disk(tmp_path / "n", exclude=["notes"])  # cfg.json is absent: allowed
    assert (back.cfg, back.notes) == ({"mode": "kept"}, {"kept": True})
    assert back.calls == ["after notes"]  # runs for an excluded part too
    assert set(msgpack.unpackb(comp.to_bytes(exclude=["notes"]), raw=False)) == {"cfg"}
    assert Notes().from_bytes(comp.to_bytes(), exclude=["notes", "cfg"]).notes == {}


def test_declared_parts_missing_required_file_names_it(tmp_path: Path) -> None:
    Notes().to_disk(tmp_path / "n")
    (tmp_path / "n" / "notes.msgpack").unlink()
    with pytest.raises(SerializationError, match=r"component 'notes'.*notes\.msgpack.*missing"):
        Notes().from_disk(tmp_path / "n")
    with pytest.raises(SerializationError, match="'notes'"):
        Notes().from_bytes(Notes().to_bytes(exclude=["notes"]))


def test_declared_parts_bad_data_is_a_serialization_error(tmp_path: Path) -> None:
    Notes().to_disk(tmp_path / "n")
    (tmp_path / "n" / "notes.msgpack").write_bytes(msgpack.packb([1]))
    with pytest.raises(SerializationError, match=r"notes\.msgpack: notes must be a dict"):
        Notes().from_disk(tmp_path / "n")
    (tmp_path / "n" / "notes.msgpack").write_bytes(b"\xc1")
    with pytest.raises(SerializationError, match=r"notes\.msgpack: not valid msgpack"):
        Notes().from_disk(tmp_path / "n")
    (tmp_path / "n" / "cfg.json").write_text("[1]")
    comp = Notes()
    with pytest.raises(SerializationError, match=r"cfg\.json"):
        comp.from_disk(tmp_path / "n", exclude=["notes"])
    with pytest.raises(SerializationError, match="component 'notes': cannot read its bytes"):
        comp.from_bytes(b"\x93garbage")


def test_declared_parts_failed_save_keeps_the_previous_files(tmp_path: Path) -> None:
    comp = Notes(mode="old")
    comp.notes = {"v": 1}
    comp.to_disk(tmp_path / "n")
    before = {p.name: p.read_bytes() for p in (tmp_path / "n").iterdir()}
    comp.cfg["mode"] = "new"
    comp.notes = {"v": object()}  # can't be packed: the save fails after cfg was encoded
    with pytest.raises(TypeError):
        comp.to_disk(tmp_path / "n")
    assert {p.name: p.read_bytes() for p in (tmp_path / "n").iterdir()} == before
    assert Notes().from_disk(tmp_path / "n").cfg == {"mode": "old"}
