"""morphologizer: combined POS+features labels, missing values, learning, overwrite and
extend, saving and loading, labels growing at resume, frozen/sourced/annotating use."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

import treadle
from tests.helpers import make_tok2vec_config
from treadle.errors import PipelineError
from treadle.ml import Adam, fix_random_seed
from treadle.pipeline.morphologizer import morph_label, split_label
from treadle.tokens import Doc
from treadle.training import Example

SMALL_T2V = make_tok2vec_config()
SMALL = {"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": SMALL_T2V}}
DATA = [
    ("I like green eggs", ["PRON", "VERB", "ADJ", "NOUN"],
     ["Case=Nom|Number=Sing|Person=1", "Tense=Pres", "Degree=Pos", "Number=Plur"]),
    ("Eat the ham", ["VERB", "DET", "NOUN"], ["Mood=Imp", "", "Number=Sing"]),
    ("They eat ham .", ["PRON", "VERB", "NOUN", "PUNCT"],
     ["Case=Nom|Number=Plur|Person=3", "Tense=Pres", "Number=Sing", ""]),
]  # fmt: skip
LABELS = (
    "POS=ADJ|Degree=Pos", "POS=DET", "POS=NOUN|Number=Plur", "POS=NOUN|Number=Sing",
    "POS=PRON|Case=Nom|Number=Plur|Person=3", "POS=PRON|Case=Nom|Number=Sing|Person=1",
    "POS=PUNCT", "POS=VERB|Mood=Imp", "POS=VERB|Tense=Pres",
)  # fmt: skip


def make_nlp(**cfg: object) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("morphologizer", config={**SMALL, **cfg})
    return nlp


def examples(nlp: treadle.Language) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"pos": p, "morphs": m}) for t, p, m in DATA]


def train(nlp: treadle.Language, exs: list[Example], n: int = 60) -> Adam:
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(n):
        nlp.update(exs, sgd=opt)
    return opt


def test_label_strings() -> None:
    assert morph_label("NOUN", "Number=Sing") == "POS=NOUN|Number=Sing"
    assert morph_label("DET", "_") == "POS=DET"
    assert morph_label("", "Number=Sing") == "Number=Sing"
    assert morph_label("", "") == "_"
    assert split_label("POS=NOUN|Number=Sing|Case=Nom") == ("NOUN", "Case=Nom|Number=Sing")
    assert split_label("POS=DET") == ("DET", "_")


def test_labels_combine_pos_and_features() -> None:
    nlp = make_nlp()
    nlp.initialize(lambda: examples(nlp))
    assert nlp.get_pipe("morphologizer").labels == LABELS


def test_labels_with_missing_parts() -> None:
    nlp = make_nlp()
    # POS without FEATS is a label; FEATS without POS too; neither is no label at all
    doc = Doc(nlp.vocab, words=["a", "b", "c", "d"], pos=["DET", None, None, "NOUN"],
              morphs=[None, "Number=Sing", None, "_"])  # fmt: skip
    eg = Example(nlp.make_doc("a b c d"), doc)
    nlp.initialize(lambda: [eg])
    morph = nlp.get_pipe("morphologizer")
    assert morph.labels == ("Number=Sing", "POS=DET", "POS=NOUN")
    gold = morph._gold_indices([eg])
    assert gold.tolist() == [1, 0, -100, 2]


def test_missing_gold_is_ignored_and_no_annotation_gives_no_loss() -> None:
    nlp = make_nlp()
    nlp.initialize(lambda: examples(nlp))
    morph = nlp.get_pipe("morphologizer")
    bare = Example(nlp.make_doc("I like ham"), nlp.make_doc("I like ham"))
    assert morph.forward_loss([bare]) is None
    ref = Doc(nlp.vocab, words=["I", "like", "ham"], pos=["PRON", None, None],
              morphs=["Case=Nom|Number=Sing|Person=1", None, None])  # fmt: skip
    partial = Example(nlp.make_doc("I like ham"), ref)
    # zero-initialized output: each counted token costs log(n_labels)
    assert float(morph.forward_loss([partial]).detach()) == pytest.approx(np.log(len(LABELS)), rel=1e-4)
    full = examples(nlp)[0]
    assert float(morph.forward_loss([full]).detach()) == pytest.approx(4 * np.log(len(LABELS)), rel=1e-4)
    # a gold combination never seen in training is unknown, hence ignored
    odd = Example.from_dict(nlp.make_doc("ham"), {"pos": ["NOUN"], "morphs": ["Number=Dual"]})
    assert morph.forward_loss([odd]) is None


def test_learns_and_scores() -> None:
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs)
    doc = nlp("Eat the ham")
    assert [t.pos_ for t in doc] == ["VERB", "DET", "NOUN"]
    assert [str(t.morph) for t in doc] == ["Mood=Imp", "", "Number=Sing"]
    # a token without features is annotated (the empty analysis), not unset
    assert doc[1].morph.key != 0 and doc.has_annotation("MORPH", require_complete=True)
    morph = nlp.get_pipe("morphologizer")
    assert morph.score(exs)["pos_acc"] == 0.0  # update doesn't annotate
    list(morph.pipe([eg.predicted for eg in exs]))
    scores = morph.score(exs)
    assert scores["pos_acc"] == 1.0 and scores["morph_acc"] == 1.0
    assert scores["morph_per_feat"]["Number"] == {"p": 1.0, "r": 1.0, "f": 1.0}
    assert set(scores["morph_per_feat"]) == {"Case", "Degree", "Mood", "Number", "Person", "Tense"}
    # wrong features on one token lower morph_acc but not pos_acc
    exs[1].predicted[2].morph = "Number=Plur"
    scores = morph.score(exs)
    assert scores["pos_acc"] == 1.0 and scores["morph_acc"] == pytest.approx(10 / 11)
    assert scores["morph_per_feat"]["Number"]["p"] < 1.0


def test_default_score_weights_and_assigns() -> None:
    meta = treadle.Language.get_factory_meta("morphologizer")
    assert meta.default_score_weights == {"pos_acc": 0.5, "morph_acc": 0.5, "morph_per_feat": None}
    assert set(meta.assigns) == {"token.pos", "token.morph"}


def test_overwrite_and_extend() -> None:
    nlp = make_nlp(overwrite=False)
    train(nlp, examples(nlp), 40)
    morph = nlp.get_pipe("morphologizer")

    def run(**cfg: object) -> Doc:
        morph.cfg.update(cfg)
        doc = Doc(nlp.vocab, words=["Eat", "the", "ham"], pos=["NOUN", None, None],
                  morphs=["Foo=Bar", None, "Number=Plur|Gender=Neut"])  # fmt: skip
        return morph(doc)

    doc = run(overwrite=False, extend=False)
    assert [t.pos_ for t in doc] == ["NOUN", "DET", "NOUN"]
    assert [str(t.morph) for t in doc] == ["Foo=Bar", "", "Gender=Neut|Number=Plur"]
    doc = run(overwrite=True, extend=False)
    assert [t.pos_ for t in doc] == ["VERB", "DET", "NOUN"]
    assert [str(t.morph) for t in doc] == ["Mood=Imp", "", "Number=Sing"]
    # extend keeps fields the prediction doesn't set; overwrite decides shared fields
    doc = run(overwrite=True, extend=True)
    assert [str(t.morph) for t in doc] == ["Foo=Bar|Mood=Imp", "", "Gender=Neut|Number=Sing"]
    doc = run(overwrite=False, extend=True)
    assert [str(t.morph) for t in doc] == ["Foo=Bar|Mood=Imp", "", "Gender=Neut|Number=Plur"]
    assert doc[0].pos_ == "NOUN"


def test_add_label_checks_pos() -> None:
    nlp = make_nlp()
    with pytest.raises(PipelineError, match="unknown POS 'NOPE'"):
        nlp.get_pipe("morphologizer").add_label("POS=NOPE|Number=Sing")


def test_round_trip_identical_predictions(tmp_path: Path) -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 20)
    texts = ["I like ham", "They eat green eggs ."]
    morph = nlp.get_pipe("morphologizer")
    scores = morph.predict([nlp.make_doc(t) for t in texts]).data.numpy()
    nlp.to_disk(tmp_path / "m")
    loaded = treadle.load(tmp_path / "m")
    morph2 = loaded.get_pipe("morphologizer")
    assert morph2.labels == LABELS and morph2.cfg["extend"] is False
    assert np.array_equal(morph2.predict([loaded.make_doc(t) for t in texts]).data.numpy(), scores)
    for text in texts:
        a, b = nlp(text), loaded(text)
        assert [(t.pos_, str(t.morph)) for t in a] == [(t.pos_, str(t.morph)) for t in b]
    blank = make_nlp().get_pipe("morphologizer")
    blank.from_bytes(morph.to_bytes())
    assert blank.labels == LABELS
    assert np.array_equal(blank.predict([nlp.make_doc(t) for t in texts]).data.numpy(), scores)


def test_new_labels_at_resume_grow_the_output(tmp_path: Path) -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 40)
    nlp.to_disk(tmp_path / "m")
    loaded = treadle.load(tmp_path / "m")
    morph = loaded.get_pipe("morphologizer")
    before = morph.predict([loaded.make_doc(DATA[0][0])]).data.numpy()
    new = Example.from_dict(loaded.make_doc("wow"), {"pos": ["INTJ"], "morphs": [""]})
    morph.initialize(lambda: [new, *examples(loaded)])
    assert morph.labels == (*LABELS, "POS=INTJ") and morph.model.nO == len(LABELS) + 1
    after = morph.predict([loaded.make_doc(DATA[0][0])]).data.numpy()
    assert np.allclose(after[:, : len(LABELS)], before)
    opt = Adam(0.01)
    for _ in range(30):
        loaded.update([new, *examples(loaded)], sgd=opt)
    assert loaded("wow")[0].pos_ == "INTJ"


def test_annotating_frozen_and_sourced() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 30)
    morph = nlp.get_pipe("morphologizer")
    # annotating: forward_loss writes its predictions onto the predicted docs
    exs = examples(nlp)
    loss = morph.forward_loss(exs, set_annotations=True)
    assert loss is not None and [t.pos_ for t in exs[1].predicted] == ["VERB", "DET", "NOUN"]
    # frozen: weights unchanged, still annotates
    weights = {k: v.detach().clone() for k, v in morph.model.state_dict().items()}
    exs = examples(nlp)
    nlp.update(exs, sgd=Adam(0.01), exclude=["morphologizer"])
    assert all(torch.equal(weights[k], v) for k, v in morph.model.state_dict().items())
    assert [t.pos_ for t in exs[1].predicted] == ["VERB", "DET", "NOUN"]
    # sourced into another pipeline: same predictions
    other = treadle.blank("en")
    other.add_pipe("morphologizer", source=nlp)
    text = "They eat green eggs ."
    assert [(t.pos_, str(t.morph)) for t in other(text)] == [(t.pos_, str(t.morph)) for t in nlp(text)]


@pytest.mark.slow
def test_morphologizer_learns_ewt_sample(tok2vec_config, sample_examples) -> None:
    fix_random_seed(0)
    random.seed(0)
    nlp = treadle.blank("en")
    t2v = tok2vec_config(64, 2, embed_size=2000, subword_features=True)
    nlp.add_pipe("morphologizer", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": t2v}})

    train_exs = sample_examples(nlp, "ewt-sample-train.conllu", 400)
    dev = sample_examples(nlp, "ewt-sample-dev.conllu", 200)
    nlp.initialize(lambda: train_exs)
    opt = Adam(0.002)
    for _ in range(6):
        random.shuffle(train_exs)
        for i in range(0, len(train_exs), 16):
            nlp.update(train_exs[i : i + 16], sgd=opt, drop=0.1)
    morph = nlp.get_pipe("morphologizer")
    list(morph.pipe([eg.predicted for eg in dev]))
    scores = morph.score(dev)
    pos_counts = Counter(t.pos_ for eg in dev for t in eg.reference)
    morph_counts = Counter(str(t.morph) for eg in dev for t in eg.reference)
    pos_base = pos_counts.most_common(1)[0][1] / sum(pos_counts.values())
    morph_base = morph_counts.most_common(1)[0][1] / sum(morph_counts.values())
    assert scores["pos_acc"] > pos_base + 0.45, (scores["pos_acc"], pos_base)
    assert scores["morph_acc"] > morph_base + 0.4, (scores["morph_acc"], morph_base)
    assert scores["morph_per_feat"]["Number"]["f"] > 0.8
