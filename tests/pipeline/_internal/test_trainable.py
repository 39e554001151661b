"""TrainablePipe: the stub names what a subclass must provide."""

from __future__ import annotations

import pytest

import treadle
from treadle.pipeline import TrainablePipe


def test_trainable_stub_says_what_is_missing() -> None:
    nlp = treadle.blank("xx")
    comp = TrainablePipe(nlp.vocab, model=None, name="tagger_stub")
    assert comp.is_trainable and comp.labels == ()
    doc = nlp.make_doc("a")
    for call in (lambda: comp(doc), lambda: comp.update([]), lambda: comp.add_label("X")):
        with pytest.raises(NotImplementedError, match="tagger_stub"):
            call()
