"""tagger: labels, learning, alignment of gold tags, add_label, saving and loading."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import treadle
from tests.helpers import make_tok2vec_config
from treadle.errors import PipelineError
from treadle.ml import Adam, fix_random_seed
from treadle.tokens import Doc
from treadle.training import Example

SMALL_T2V = make_tok2vec_config()
SMALL_TAGGER = {"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": SMALL_T2V}}
DATA = [
    ("I like green eggs", ["PRP", "VBP", "JJ", "NNS"]),
    ("Eat blue ham", ["VB", "JJ", "NN"]),
    ("They eat ham", ["PRP", "VBP", "NN"]),
]


def make_nlp() -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tagger", config=SMALL_TAGGER)
    return nlp


def examples(nlp: treadle.Language) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"tags": tags}) for t, tags in DATA]


def train(nlp: treadle.Language, exs: list[Example], n: int = 60) -> Adam:
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(n):
        nlp.update(exs, sgd=opt)
    return opt


def test_labels_from_examples_and_learning() -> None:
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs)
    assert nlp.get_pipe("tagger").labels == ("JJ", "NN", "NNS", "PRP", "VB", "VBP")
    for text, tags in DATA:
        assert [t.tag_ for t in nlp(text)] == tags
    assert nlp.get_pipe("tagger").score(exs)["tag_acc"] == 0.0  # update doesn't annotate
    list(nlp.get_pipe("tagger").pipe([eg.predicted for eg in exs]))
    assert nlp.get_pipe("tagger").score(exs)["tag_acc"] == 1.0


def test_predict_before_initialize_is_an_error() -> None:
    nlp = make_nlp()
    with pytest.raises(PipelineError, match="tagger"):
        nlp("I like ham")


def test_missing_tags_ignored_and_no_annotation_gives_no_loss() -> None:
    nlp = make_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    tagger = nlp.get_pipe("tagger")
    bare = [Example(nlp.make_doc("I like ham"), nlp.make_doc("I like ham"))]
    assert tagger.forward_loss(bare) is None
    partial = Example.from_dict(nlp.make_doc("I like ham"), {"tags": ["PRP", None, None]})
    full = Example.from_dict(nlp.make_doc("I like ham"), {"tags": ["PRP", "VBP", "NN"]})
    loss_partial = float(tagger.forward_loss([partial]).detach())
    loss_full = float(tagger.forward_loss([full]).detach())
    # zero-initialized output: every token costs log(n_labels)
    assert loss_partial == pytest.approx(np.log(6), rel=1e-4)
    assert loss_full == pytest.approx(3 * np.log(6), rel=1e-4)


def test_gold_tags_projected_through_alignment() -> None:
    nlp = make_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    tagger = nlp.get_pipe("tagger")
    # predicted "ham." is one token; gold has "ham" "." -> no one-to-one partner: missing
    pred = Doc(nlp.vocab, words=["Eat", "ham."])
    eg = Example.from_dict(pred, {"words": ["Eat", "ham", "."], "spaces": [True, False, False], "tags": ["VB", "NN", "."]})
    from treadle.pipeline._internal.labels import aligned_token_values
    from treadle.tokens.attrs import TAG

    vals = aligned_token_values([eg], TAG)
    assert vals[1] == 0 and vals[0] != 0
    assert float(tagger.forward_loss([eg]).detach()) == pytest.approx(np.log(6), rel=1e-4)


def test_overwrite_false_keeps_existing_tags() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 40)
    doc = Doc(nlp.vocab, words=["I", "like", "ham"], tags=["XX", None, None])
    nlp.get_pipe("tagger")(doc)
    assert [t.tag_ for t in doc] == ["XX", "VBP", "NN"]
    nlp.get_pipe("tagger").cfg["overwrite"] = True
    nlp.get_pipe("tagger")(doc)
    assert doc[0].tag_ == "PRP"


def test_add_label_after_training_keeps_old_predictions() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp))
    tagger = nlp.get_pipe("tagger")
    before = [[t.tag_ for t in nlp(text)] for text, _ in DATA]
    probs_before = tagger.predict([nlp.make_doc(DATA[0][0])]).data
    assert tagger.add_label("UH") == 1 and tagger.add_label("UH") == 0
    assert tagger.model.nO == 7
    after = [[t.tag_ for t in nlp(text)] for text, _ in DATA]
    assert after == before
    probs_after = tagger.predict([nlp.make_doc(DATA[0][0])]).data
    assert np.allclose(probs_after[:, :6].numpy(), probs_before.numpy())
    # the new label can be learned
    opt = Adam(0.01)
    eg = Example.from_dict(nlp.make_doc("wow"), {"tags": ["UH"]})
    for _ in range(30):
        nlp.update([eg, *examples(nlp)], sgd=opt)
    assert nlp("wow")[0].tag_ == "UH"


def test_round_trip_identical_predictions(tmp_path: Path) -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 20)
    texts = ["I like ham", "They eat green eggs"]
    scores = nlp.get_pipe("tagger").predict([nlp.make_doc(t) for t in texts]).data.numpy()
    nlp.to_disk(tmp_path / "m")
    assert (tmp_path / "m" / "tagger" / "model.safetensors").exists()
    loaded = treadle.load(tmp_path / "m")
    tagger2 = loaded.get_pipe("tagger")
    assert tagger2.labels == nlp.get_pipe("tagger").labels
    scores2 = tagger2.predict([loaded.make_doc(t) for t in texts]).data.numpy()
    assert np.array_equal(scores, scores2)
    assert [t.tag_ for t in loaded(texts[1])] == [t.tag_ for t in nlp(texts[1])]
    # bytes round trip too
    blank = make_nlp().get_pipe("tagger")
    blank.from_bytes(nlp.get_pipe("tagger").to_bytes())
    assert np.array_equal(blank.predict([nlp.make_doc(t) for t in texts]).data.numpy(), scores)


def test_keyed_params_are_prefixed_by_component_name() -> None:
    nlp = make_nlp()
    nlp.initialize(lambda: examples(nlp))
    keys = [k for k, _ in nlp.get_pipe("tagger").parameters_for_optimizer()]
    assert keys and all(k.startswith("tagger.") for k in keys)
    assert "tagger.output.weight" in keys


@pytest.mark.slow
def test_tagger_learns_ewt_sample(tok2vec_config, sample_examples) -> None:
    fix_random_seed(0)
    random.seed(0)
    nlp = treadle.blank("en")
    t2v = tok2vec_config(64, 2, embed_size=2000, subword_features=True)
    nlp.add_pipe("tagger", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": t2v}})

    train_exs = sample_examples(nlp, "ewt-sample-train.conllu", 400)
    dev = sample_examples(nlp, "ewt-sample-dev.conllu", 200)
    nlp.initialize(lambda: train_exs)
    opt = Adam(0.002)
    for _ in range(6):
        random.shuffle(train_exs)
        for i in range(0, len(train_exs), 16):
            nlp.update(train_exs[i : i + 16], sgd=opt, drop=0.1)
    list(nlp.get_pipe("tagger").pipe([eg.predicted for eg in dev]))
    acc = nlp.get_pipe("tagger").score(dev)["tag_acc"]
    counts = Counter(t.tag_ for eg in dev for t in eg.reference)
    baseline = counts.most_common(1)[0][1] / sum(counts.values())
    assert acc > baseline + 0.4, (acc, baseline)
