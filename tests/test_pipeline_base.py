"""The component base classes."""

from __future__ import annotations

from pathlib import Path

import pytest

import treadle
from treadle.language import Language
from treadle.pipeline import Pipe, TrainablePipe
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


def test_trainable_stub_says_what_is_missing() -> None:
    nlp = treadle.blank("xx")
    comp = TrainablePipe(nlp.vocab, model=None, name="tagger_stub")
    assert comp.is_trainable and comp.labels == ()
    doc = nlp.make_doc("a")
    for call in (lambda: comp(doc), lambda: comp.update([]), lambda: comp.add_label("X")):
        with pytest.raises(NotImplementedError, match="tagger_stub"):
            call()


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
