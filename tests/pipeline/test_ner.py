"""The ner component: learning, partial annotation, shared/frozen/sourced tok2vec,
serialization round trips, a resumed ner that gains a label."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import treadle
from tests.pipeline.helpers import NER_TRAIN, T2V, ner_examples, ner_model, trained_ner
from treadle.language import Language
from treadle.ml import Adam, fix_random_seed
from treadle.tokens import Span
from treadle.training import Example

ORG_TRAIN = [
    ("Alice works at Google .", [(0, 5, "PER"), (15, 21, "ORG")]),
    ("Bob joined Acme Corp in Paris .", [(0, 3, "PER"), (11, 20, "ORG"), (24, 29, "LOC")]),
]


def ents_of(doc) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in doc.ents]


def gold_of(text: str, ents: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    return [(text[a:b], lab) for a, b, lab in ents]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return trained_ner()


def test_ner_learns_the_training_entities(nlp: Language) -> None:
    ner = nlp.get_pipe("ner")
    assert ner.labels == ("LOC", "PER")
    assert ner.move_names[:5] == ["O", "B-LOC", "I-LOC", "L-LOC", "U-LOC"]
    for text, ents in NER_TRAIN:
        assert ents_of(nlp(text)) == gold_of(text, ents)
    scores = nlp.evaluate(ner_examples(nlp))
    assert scores["ents_f"] == 1.0 and set(scores["ents_per_type"]) == {"LOC", "PER"}


def test_pipe_batches_and_empty_docs(nlp: Language) -> None:
    texts = [t for t, _ in NER_TRAIN] + ["", "Paris"]
    docs = list(nlp.pipe(texts, batch_size=3))
    assert len(docs) == len(texts) and docs[-2].ents == ()
    for doc, (text, ents) in zip(docs, NER_TRAIN, strict=False):
        assert ents_of(doc) == gold_of(text, ents)


def test_factory_defaults_and_score_weights() -> None:
    meta = Language.get_factory_meta("ner")
    assert meta.default_score_weights == {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None}
    nlp = treadle.blank("en")
    ner = nlp.add_pipe("ner")
    cfg = nlp.config["components"]["ner"]
    assert cfg["update_with_oracle_cut_size"] == 100 and cfg["incorrect_spans_key"] is None
    model = cfg["model"]
    assert model["state_type"] == "ner" and model["hidden_width"] == 64 and model["maxout_pieces"] == 2
    assert model["use_upper"] is True and model["extra_state_tokens"] is False
    assert ner.model.nF == 3


def test_existing_entities_are_kept(nlp: Language) -> None:
    doc = nlp.make_doc("Alice lives in Paris .")
    doc.set_ents([Span(doc, 0, 1, label="ORG")])
    doc = nlp.get_pipe("ner")(doc)
    assert ents_of(doc) == [("Alice", "ORG"), ("Paris", "LOC")]


def test_missing_annotation_is_not_penalized() -> None:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("ner", config={"model": ner_model(T2V)})
    egs = ner_examples(nlp)
    opt = nlp.initialize(lambda: egs)
    ner = nlp.get_pipe("ner")
    # All tokens missing: nothing to learn, no loss.
    doc = nlp.make_doc("Alice lives in Paris .")
    unknown = Example.from_dict(doc, {"entities": ["-"] * len(doc)})
    assert ner.forward_loss([unknown]) is None or float(ner.forward_loss([unknown])) == 0.0
    # Only "Paris" is annotated (a LOC): training on it alone must never teach that
    # "Alice" is not an entity, so the learned PER on "Alice" survives.
    for _ in range(40):
        nlp.update(egs, sgd=opt)
    partial = Example.from_dict(
        nlp.make_doc("Alice lives in Paris ."), {"entities": ["-", "-", "-", "U-LOC", "-"]}
    )
    losses = {}
    for _ in range(20):
        losses = nlp.update([partial], sgd=opt)
    assert losses["ner"] < 0.1
    assert ents_of(nlp("Alice lives in Paris .")) == [("Alice", "PER"), ("Paris", "LOC")]


def test_shared_and_frozen_tok2vec() -> None:
    nlp = trained_ner(shared=True, steps=50)
    for text, ents in NER_TRAIN:
        assert ents_of(nlp(text)) == gold_of(text, ents)
    t2v = nlp.get_pipe("tok2vec").model
    before = {k: v.clone() for k, v in t2v.state_dict().items()}
    ner_before = {k: v.clone() for k, v in nlp.get_pipe("ner").model.state_dict().items() if "tok2vec" not in k}
    opt = Adam(0.001)
    egs = ner_examples(nlp, NER_TRAIN + ORG_TRAIN[:0])
    losses = nlp.update(egs, sgd=opt, exclude=["tok2vec"])
    assert "ner" in losses
    assert all(torch.equal(before[k], v) for k, v in t2v.state_dict().items())
    after = nlp.get_pipe("ner").model.state_dict()
    assert any(not torch.equal(v, after[k]) for k, v in ner_before.items())


def test_sourced_ner_predicts_the_same(nlp: Language) -> None:
    other = treadle.blank("en")
    other.add_pipe("ner", source=nlp)
    for text, _ in NER_TRAIN:
        assert ents_of(other(text)) == ents_of(nlp(text))


def test_round_trips_give_identical_entities(nlp: Language, tmp_path) -> None:
    texts = [t for t, _ in NER_TRAIN] + ["Carol visited Paris and New York ."]
    expected = [ents_of(d) for d in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "model")
    loaded = treadle.load(tmp_path / "model")
    assert loaded.get_pipe("ner").labels == ("LOC", "PER")
    assert [ents_of(d) for d in loaded.pipe(texts)] == expected
    fresh = treadle.blank("en")
    ner2 = fresh.add_pipe("ner", config={"model": ner_model(T2V)})
    ner2.from_bytes(nlp.get_pipe("ner").to_bytes())
    assert [ents_of(ner2(fresh.make_doc(t))) for t in texts] == expected


def test_resumed_ner_gains_a_label_and_keeps_the_old_ones(nlp: Language, tmp_path) -> None:
    nlp.to_disk(tmp_path / "base")
    resumed = treadle.load(tmp_path / "base")
    ner = resumed.get_pipe("ner")
    model = ner.model
    probe = resumed.make_doc("Bob visited New York and Paris .")
    # Scores of the old actions are unchanged by growing the output layer.
    with torch.no_grad():
        model.eval()
        table = model(docs := [probe])
        feats = torch.tensor([[0, -1, -1], [1, 0, -1]])
        old_scores = model.step(table, feats).clone()
    assert ner.add_label("ORG") == 1
    assert ner.moves.n_actions == 13 and ner.move_names[-4:] == ["B-ORG", "I-ORG", "L-ORG", "U-ORG"]
    with torch.no_grad():
        new_scores = model.step(model(docs), feats)
    assert new_scores.shape == (2, 13)
    assert torch.allclose(new_scores[:, :9], old_scores)
    opt = resumed.resume_training() if hasattr(resumed, "resume_training") else Adam(0.001)
    opt = opt or Adam(0.001)
    fix_random_seed(1)
    egs = ner_examples(resumed, NER_TRAIN + ORG_TRAIN)
    for _ in range(40):
        resumed.update(egs, sgd=opt)
    for text, ents in NER_TRAIN + ORG_TRAIN:
        assert ents_of(resumed(text)) == gold_of(text, ents)


def test_initialize_with_given_labels_and_no_labels_is_an_error() -> None:
    from treadle.errors import DataError

    nlp = treadle.blank("en")
    ner = nlp.add_pipe("ner", config={"model": ner_model(T2V)})
    ner.initialize(labels=["PER", "GPE"])
    assert ner.labels == ("PER", "GPE") and ner.model.nO == 9
    nlp2 = treadle.blank("en")
    nlp2.add_pipe("ner", config={"model": ner_model(T2V)})
    empty = [Example.from_dict(nlp2.make_doc("no entities"), {"entities": []})]
    with pytest.raises(DataError):
        nlp2.initialize(lambda: empty)


def test_long_docs_are_cut_for_training() -> None:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    ner = nlp.add_pipe(
        "ner", config={"model": ner_model(T2V), "update_with_oracle_cut_size": 4}
    )
    text = " ".join(t for t, _ in NER_TRAIN[:3])
    ents, off = [], 0
    for t, e in NER_TRAIN[:3]:
        ents += [(a + off, b + off, lab) for a, b, lab in e]
        off += len(t) + 1
    egs = [Example.from_dict(nlp.make_doc(text), {"entities": ents})]
    opt = nlp.initialize(lambda: egs)
    for _ in range(40):
        nlp.update(egs, sgd=opt)
    assert ner.cfg["update_with_oracle_cut_size"] == 4
    assert ents_of(nlp(text)) == gold_of(text, ents)


@pytest.mark.slow
def test_ner_learns_the_uner_sample(tmp_path, tok2vec_config, sample_examples) -> None:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("ner", config={"model": ner_model(tok2vec_config(64, 2, embed_size=2000))})

    train = sample_examples(nlp, "uner-sample-train.iob2", tokenize=True)
    dev = sample_examples(nlp, "uner-sample-dev.iob2", tokenize=True)
    assert len(train) >= 300
    opt = nlp.initialize(lambda: train)
    rng = np.random.default_rng(0)
    for _ in range(6):
        order = rng.permutation(len(train))
        for i in range(0, len(order), 16):
            nlp.update([train[j] for j in order[i : i + 16]], sgd=opt, drop=0.1)
    scores = nlp.evaluate(dev)
    assert scores["ents_f"] > 0.3, scores
