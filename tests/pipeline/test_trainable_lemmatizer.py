"""trainable_lemmatizer: trees from data, learning, top_k/backoff, frozen/sourced/annotating,
shared tok2vec, saving and loading; slow: learns lemmas on the EWT sample."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

import treadle
from tests.helpers import make_tok2vec_config
from treadle.errors import DataError, PipelineError
from treadle.ml import Adam, fix_random_seed
from treadle.tokens import Doc
from treadle.training import Example

SMALL_T2V = make_tok2vec_config(subword_features=True)
MODEL = {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": SMALL_T2V}
DATA = [
    ("the dogs walked home", ["the", "dog", "walk", "home"]),
    ("cats jumped and played", ["cat", "jump", "and", "play"]),
    ("she went to the parks", ["she", "go", "to", "the", "park"]),
    ("birds talked and went", ["bird", "talk", "and", "go"]),
]
NAME = "trainable_lemmatizer"


def make_nlp(**cfg: object) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe(NAME, config={"model": MODEL, "min_tree_freq": 1, **cfg})
    return nlp


def examples(nlp: treadle.Language, data: list = DATA) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"lemmas": lemmas}) for t, lemmas in data]


def train(nlp: treadle.Language, exs: list[Example], n: int = 40, **kwargs: object) -> Adam:
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(n):
        nlp.update(exs, sgd=opt, **kwargs)
    return opt


def lemmas(doc: Doc) -> list[str]:
    return [t.lemma_ for t in doc]


def test_trees_from_data_and_learning() -> None:
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs)
    lem = nlp.get_pipe(NAME)
    # identity, -s, -ed, went->go: four distinct edits, most frequent first
    shown = {lem.trees.tree_to_str(t) for t in lem.labels}
    assert shown == {"(m 0 0 () ())", "(m 0 1 () (r 's' ''))", "(m 0 2 () (r 'ed' ''))", "(r 'went' 'go')"}
    assert lem.trees.tree_to_str(lem.labels[0]) == "(m 0 0 () ())"
    for text, gold in DATA:
        assert lemmas(nlp(text)) == gold
    assert lem.score(exs)["lemma_acc"] == 0.0  # update doesn't annotate
    list(lem.pipe([eg.predicted for eg in exs]))
    assert lem.score(exs)["lemma_acc"] == 1.0


def test_min_tree_freq_drops_rare_trees_and_their_tokens() -> None:
    nlp = make_nlp(min_tree_freq=2)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    lem = nlp.get_pipe(NAME)
    shown = {lem.trees.tree_to_str(t) for t in lem.labels}
    # went->go twice, -ed four times, -s three times, identity many: all kept
    assert "(r 'went' 'go')" in shown and len(shown) == 4
    nlp = make_nlp(min_tree_freq=3)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    lem = nlp.get_pipe(NAME)
    assert "(r 'went' 'go')" not in {lem.trees.tree_to_str(t) for t in lem.labels}
    # a sentence whose only lemma needs the dropped tree carries no loss
    rare = Example.from_dict(nlp.make_doc("went"), {"lemmas": ["go"]})
    assert lem.forward_loss([rare]) is None
    # zero-initialized output: each counted token costs log(n_trees)
    one = Example.from_dict(nlp.make_doc("went dogs"), {"lemmas": ["go", "dog"]})
    loss = float(lem.forward_loss([one]).detach())
    assert loss == pytest.approx(np.log(len(lem.labels)), rel=1e-4)
    # missing gold lemmas don't count either
    partial = Example.from_dict(nlp.make_doc("the dogs"), {"lemmas": [None, "dog"]})
    assert float(lem.forward_loss([partial]).detach()) == pytest.approx(np.log(len(lem.labels)), rel=1e-4)


def test_no_lemmas_in_data_is_an_error() -> None:
    nlp = make_nlp()
    bare = [Example(nlp.make_doc("the dogs"), nlp.make_doc("the dogs"))]
    with pytest.raises(DataError, match="trainable_lemmatizer"):
        nlp.initialize(lambda: bare)


def test_bad_settings_name_the_component() -> None:
    nlp = treadle.blank("en")
    with pytest.raises(PipelineError, match="backoff"):
        nlp.add_pipe(NAME, name="lem", config={"model": MODEL, "backoff": "upper"})
    with pytest.raises(PipelineError, match="top_k"):
        nlp.add_pipe(NAME, name="lem", config={"model": MODEL, "top_k": 0})


def _two_tree_lemmatizer(**cfg: object) -> tuple[treadle.Language, object, list[int]]:
    """A lemmatizer whose labels are [went->go, -ed]: on "walked" the first never applies."""
    nlp = make_nlp(**cfg)
    lem = nlp.get_pipe(NAME)
    from treadle.pipeline._internal.edit_tree import EditTrees

    trees = EditTrees()
    ids = [trees.add("went", "go"), trees.add("walked", "walk")]
    lem.initialize(labels={"trees": trees.to_json(), "labels": ids}, nlp=nlp)
    return nlp, lem, ids


def test_top_k_falls_back_to_the_next_tree_that_applies() -> None:
    for top_k, backoff, expect in [(1, "orth", "Walked"), (2, "orth", "Walk"), (1, "lower", "walked"), (1, None, "")]:
        nlp, lem, _ = _two_tree_lemmatizer(top_k=top_k, backoff=backoff)
        doc = nlp.make_doc("Walked went")
        scores = torch.tensor([[5.0, 1.0], [5.0, 1.0]])  # the "went" tree is best everywhere
        lem.set_annotations([doc], scores)
        assert lemmas(doc) == [expect, "go"], (top_k, backoff)


def test_overwrite_false_keeps_existing_lemmas() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 30)
    lem = nlp.get_pipe(NAME)
    doc = Doc(nlp.vocab, words=["the", "dogs", "walked"], lemmas=["THE", None, None])
    lem(doc)
    assert lemmas(doc) == ["THE", "dog", "walk"]
    lem.cfg["overwrite"] = True
    lem(doc)
    assert lemmas(doc) == ["the", "dog", "walk"]


def test_round_trips_give_identical_predictions(tmp_path: Path) -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 20)
    lem = nlp.get_pipe(NAME)
    texts = ["the cats walked", "she went to the dogs"]
    scores = lem.predict([nlp.make_doc(t) for t in texts]).data.numpy()
    nlp.to_disk(tmp_path / "m")
    assert (tmp_path / "m" / NAME / "trees.msgpack").exists()
    loaded = treadle.load(tmp_path / "m")
    lem2 = loaded.get_pipe(NAME)
    assert lem2.labels == lem.labels and lem2.trees.nodes == lem.trees.nodes
    assert np.array_equal(lem2.predict([loaded.make_doc(t) for t in texts]).data.numpy(), scores)
    assert [lemmas(loaded(t)) for t in texts] == [lemmas(nlp(t)) for t in texts]
    # bytes
    blank = make_nlp().get_pipe(NAME)
    blank.from_bytes(lem.to_bytes())
    assert np.array_equal(blank.predict([nlp.make_doc(t) for t in texts]).data.numpy(), scores)
    # label_data gives the same labels and trees to a fresh component
    fresh = make_nlp()
    fresh.get_pipe(NAME).initialize(labels=lem.label_data)
    assert fresh.get_pipe(NAME).labels == lem.labels
    assert fresh.get_pipe(NAME).trees.nodes == lem.trees.nodes


def test_sourced_frozen_and_annotating() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 30)
    other = treadle.blank("en")
    other.add_pipe(NAME, source=nlp)
    assert lemmas(other("cats walked home")) == lemmas(nlp("cats walked home")) == ["cat", "walk", "home"]
    # frozen: runs, writes lemmas, weights unchanged
    lem = nlp.get_pipe(NAME)
    before = {k: v.detach().clone() for k, v in lem.parameters_for_optimizer()}
    exs = examples(nlp)
    nlp.update(exs, sgd=Adam(0.01), exclude=[NAME])
    assert all(torch.equal(before[k], v) for k, v in lem.parameters_for_optimizer())
    assert lemmas(exs[0].predicted) == DATA[0][1]
    # annotating: the training pass writes lemmas on the predicted docs
    exs = examples(nlp)
    losses = nlp.update(exs, annotates=[NAME])
    assert losses[NAME] >= 0 and lemmas(exs[2].predicted) == DATA[2][1]


def test_shared_tok2vec_listener(listener_config) -> None:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", config={"model": SMALL_T2V})
    listener = listener_config()
    nlp.add_pipe(NAME, config={"model": {**MODEL, "tok2vec": listener}, "min_tree_freq": 1})
    assert list(nlp.get_pipe("tok2vec").find_listeners(nlp)) == [NAME]
    exs = examples(nlp)
    train(nlp, exs, 40)
    for text, gold in DATA:
        assert lemmas(nlp(text)) == gold


@pytest.mark.slow
def test_learns_lemmas_on_ewt_sample(tok2vec_config, sample_examples) -> None:
    fix_random_seed(0)
    random.seed(0)
    nlp = treadle.blank("en")
    t2v = tok2vec_config(64, 2, embed_size=2000, subword_features=True)
    nlp.add_pipe(NAME, config={"model": {**MODEL, "tok2vec": t2v}})
    train_exs = sample_examples(nlp, "ewt-sample-train.conllu", 400)
    dev = sample_examples(nlp, "ewt-sample-dev.conllu", 200)
    nlp.initialize(lambda: train_exs)
    opt = Adam(0.002)
    for _ in range(4):
        random.shuffle(train_exs)
        for i in range(0, len(train_exs), 16):
            nlp.update(train_exs[i : i + 16], sgd=opt, drop=0.1)
    lem = nlp.get_pipe(NAME)
    list(lem.pipe([eg.predicted for eg in dev]))
    acc = lem.score(dev)["lemma_acc"]
    gold = [(t.text, t.lemma_) for eg in dev for t in eg.reference]
    baseline = sum(f == lemma for f, lemma in gold) / len(gold)  # lemma = form
    print(f"lemma_acc {acc:.4f} baseline {baseline:.4f}")
    assert acc > baseline + 0.08, (acc, baseline)
