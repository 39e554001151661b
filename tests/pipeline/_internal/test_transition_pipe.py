"""The transition-based components' decoding settings: beam_width 1 is greedy, a beam keeps
Docs apart and builds complete trees, bad settings name the component, settings are saved."""

from __future__ import annotations

import pytest
import torch

import treadle
from tests.pipeline.helpers import NER_TRAIN, trained_ner
from treadle.errors import ConfigError


def test_width_one_is_greedy_and_a_beam_keeps_docs_apart() -> None:
    nlp = trained_ner(steps=30)
    ner = nlp.get_pipe("ner")
    texts = [t for t, _ in NER_TRAIN] + ["", "Carol met Bob in London ."]
    greedy = [[(e.text, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    ner.cfg["beam_width"] = 1
    with torch.no_grad():
        docs = [nlp.make_doc(t) for t in texts]
        batch = ner.beam_parse(docs, 1)
    ner.set_annotations(docs, batch)
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == greedy
    ner.cfg["beam_width"] = 8
    beamed = [[(e.text, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    # A trained model is sure of these: the beam agrees with the greedy decoder, and
    # each Doc gets its own analysis (states of different Docs never mix).
    assert beamed[: len(NER_TRAIN)] == greedy[: len(NER_TRAIN)]
    assert beamed[len(NER_TRAIN)] == []


def test_parser_with_a_beam_builds_complete_trees() -> None:
    nlp = treadle.blank("en")
    nlp.add_pipe("parser", config={"beam_width": 4, "beam_density": 0.001})
    words = [["She", "eats", "fish", "."], ["Dogs", "bark", "."]]
    heads = [[1, 1, 1, 1], [1, 1, 1]]
    deps = [["nsubj", "ROOT", "dobj", "punct"], ["nsubj", "ROOT", "punct"]]
    from treadle.tokens import Doc
    from treadle.training import Example

    egs = [
        Example(Doc(nlp.vocab, words=w), Doc(nlp.vocab, words=w, heads=h, deps=d))
        for w, h, d in zip(words, heads, deps, strict=True)
    ]
    nlp.initialize(lambda: egs)
    for doc in nlp.pipe(["She eats fish .", "Dogs bark .", "Fish eats her ."]):
        assert sum(t.head.i == t.i for t in doc) >= 1  # every token attached; a root each
        assert all(t.dep_ for t in doc)


@pytest.mark.parametrize("settings", [{"beam_width": 0}, {"beam_density": 1.5}])
def test_bad_beam_settings_name_the_component(settings) -> None:
    nlp = treadle.blank("en")
    with pytest.raises(ConfigError, match="'ner'.*beam"):
        nlp.add_pipe("ner", config=settings)


def test_beam_settings_survive_a_round_trip(tmp_path) -> None:
    nlp = trained_ner(steps=20)
    nlp.get_pipe("ner").cfg["beam_width"] = 4
    before = [[(e.text, e.label_) for e in d.ents] for d in nlp.pipe([t for t, _ in NER_TRAIN])]
    nlp.to_disk(tmp_path / "p")
    loaded = treadle.load(tmp_path / "p")
    assert loaded.get_pipe("ner").cfg["beam_width"] == 4
    after = [[(e.text, e.label_) for e in d.ents] for d in loaded.pipe([t for t, _ in NER_TRAIN])]
    assert after == before
