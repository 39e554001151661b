"""TrainablePipe: the stub names what a subclass must provide; models follow the device."""

from __future__ import annotations

import pytest
import torch

import treadle
import treadle.ml.device as device
from treadle.pipeline import TrainablePipe


def test_trainable_stub_says_what_is_missing() -> None:
    nlp = treadle.blank("xx")
    comp = TrainablePipe(nlp.vocab, model=None, name="tagger_stub")
    assert comp.is_trainable and comp.labels == ()
    doc = nlp.make_doc("a")
    for call in (lambda: comp(doc), lambda: comp.update([]), lambda: comp.add_label("X")):
        with pytest.raises(NotImplementedError, match="tagger_stub"):
            call()


def test_component_models_go_to_the_current_device(monkeypatch) -> None:
    # require_gpu sets the process-wide device; components built afterwards must run
    # there. The meta device stands in for a GPU on a machine without one.
    monkeypatch.setattr(device, "_current_device", torch.device("meta"))
    tagger = treadle.blank("en").add_pipe("tagger")
    assert {p.device.type for p in tagger.model.parameters()} == {"meta"}
    monkeypatch.undo()
    tagger = treadle.blank("en").add_pipe("tagger")
    assert {p.device.type for p in tagger.model.parameters()} == {"cpu"}
