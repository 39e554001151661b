"""senter: gold boundaries (from sent starts, from a parse, through the alignment),
learning, overwrite, fixed labels, saving and loading, annotating/frozen/sourced use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import treadle
from tests.helpers import make_tok2vec_config
from treadle.errors import PipelineError
from treadle.ml import Adam, fix_random_seed
from treadle.pipeline.senter import aligned_sent_starts, reference_sent_starts
from treadle.tokens import Doc
from treadle.tokens.attrs import SENT_START
from treadle.training import Example

SMALL_T2V = make_tok2vec_config(subword_features=True)
SMALL = {"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": SMALL_T2V}}
TEXTS = [
    "I like ham . They eat eggs ! We run",
    "Dogs bark . Cats sleep . Birds sing !",
    "Eat ham ! Go home . Sit",
]


def starts_of(text: str) -> list[int]:
    words = text.split()
    return [1] + [1 if words[i - 1] in (".", "!") else 0 for i in range(1, len(words))]


def make_nlp(**cfg: object) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("senter", config={**SMALL, **cfg})
    return nlp


def examples(nlp: treadle.Language) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"sent_starts": starts_of(t)}) for t in TEXTS]


def train(nlp: treadle.Language, exs: list[Example], n: int = 40) -> None:
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(n):
        nlp.update(exs, sgd=opt)


def test_gold_from_sent_starts_and_from_parse() -> None:
    nlp = make_nlp()
    doc = Doc(nlp.vocab, words=["a", "b", "c"], sent_starts=[True, False, True])
    assert reference_sent_starts(doc).tolist() == [1, -1, 1]
    parsed = Doc(nlp.vocab, words=["I", "ran", ".", "We", "sat"], heads=[1, 1, 1, 4, 4],
                 deps=["nsubj", "ROOT", "punct", "nsubj", "ROOT"])  # fmt: skip
    parsed.from_array(SENT_START, np.zeros(5, dtype=np.int64))  # boundaries only in the tree
    assert reference_sent_starts(parsed).tolist() == [1, -1, -1, 1, -1]
    # tokens without heads: unknown, as is the token after them
    partial = Doc(nlp.vocab, words=["I", "ran", ".", "We", "sat"], heads=[1, 1, 1, None, 4],
                  deps=["nsubj", "ROOT", "punct", None, "ROOT"])  # fmt: skip
    assert reference_sent_starts(partial).tolist() == [1, -1, -1, 0, 0]
    bare = Doc(nlp.vocab, words=["a", "b"])
    assert reference_sent_starts(bare).tolist() == [0, 0]


def test_gold_projected_through_alignment() -> None:
    nlp = make_nlp()
    # predicted "ham." is one token (gold "ham" "."); gold "Go" splits into "G" "o"
    pred = Doc(nlp.vocab, words=["Eat", "ham.", "G", "o", "home"], spaces=[True, True, False, True, False])
    eg = Example.from_dict(pred, {"words": ["Eat", "ham", ".", "Go", "home"],
                                  "spaces": [True, False, True, True, False],
                                  "sent_starts": [1, 0, 0, 1, 0]})  # fmt: skip
    assert aligned_sent_starts([eg]).tolist() == [1, -1, 1, -1, -1]


def test_learns_every_token_annotated_and_scores() -> None:
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs)
    senter = nlp.get_pipe("senter")
    assert senter.labels == ("I", "S")
    for text in TEXTS:
        doc = nlp(text)
        assert all(t.sent_start != 0 for t in doc)
        assert [int(t.is_sent_start) for t in doc] == starts_of(text)
    list(senter.pipe([eg.predicted for eg in exs]))
    assert senter.score(exs) == {"sents_p": 1.0, "sents_r": 1.0, "sents_f": 1.0}
    meta = treadle.Language.get_factory_meta("senter")
    assert meta.default_score_weights == {"sents_f": 1.0, "sents_p": 0.0, "sents_r": 0.0}


def test_no_annotation_gives_no_loss() -> None:
    nlp = make_nlp()
    nlp.initialize(lambda: examples(nlp))
    bare = Example(nlp.make_doc("a b c"), nlp.make_doc("a b c"))
    assert nlp.get_pipe("senter").forward_loss([bare]) is None


def test_overwrite() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp))
    senter = nlp.get_pipe("senter")
    words = TEXTS[1].split()
    doc = Doc(nlp.vocab, words=words)
    doc[1].is_sent_start = True  # set by hand: kept without overwrite
    senter(doc)
    assert [int(t.is_sent_start) for t in doc] == [1, 1, 0, 1, 0, 0, 1, 0, 0]
    senter.cfg["overwrite"] = True
    senter(doc)
    assert [int(t.is_sent_start) for t in doc] == starts_of(TEXTS[1])


def test_fixed_labels_and_uninitialized_use() -> None:
    nlp = make_nlp()
    senter = nlp.get_pipe("senter")
    assert senter.add_label("S") == 0
    with pytest.raises(PipelineError, match="fixed"):
        senter.add_label("X")
    with pytest.raises(PipelineError, match="not initialized"):
        nlp("a b c")


def test_round_trip_identical_predictions(tmp_path: Path) -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 20)
    texts = ["I like eggs . We run", "Cats eat ! Dogs bark"]
    senter = nlp.get_pipe("senter")
    scores = senter.predict([nlp.make_doc(t) for t in texts]).data.numpy()
    nlp.to_disk(tmp_path / "m")
    loaded = treadle.load(tmp_path / "m")
    senter2 = loaded.get_pipe("senter")
    assert senter2.labels == ("I", "S")
    assert np.array_equal(senter2.predict([loaded.make_doc(t) for t in texts]).data.numpy(), scores)
    assert [t.is_sent_start for t in loaded(texts[0])] == [t.is_sent_start for t in nlp(texts[0])]
    blank = make_nlp().get_pipe("senter")
    blank.from_bytes(senter.to_bytes())
    assert np.array_equal(blank.predict([nlp.make_doc(t) for t in texts]).data.numpy(), scores)


def test_annotating_frozen_and_sourced() -> None:
    nlp = make_nlp()
    train(nlp, examples(nlp), 30)
    senter = nlp.get_pipe("senter")
    exs = examples(nlp)
    assert senter.forward_loss(exs, set_annotations=True) is not None
    assert [int(t.is_sent_start) for t in exs[0].predicted] == starts_of(TEXTS[0])
    weights = {k: v.detach().clone() for k, v in senter.model.state_dict().items()}
    exs = examples(nlp)
    nlp.update(exs, sgd=Adam(0.01), exclude=["senter"])
    assert all(torch.equal(weights[k], v) for k, v in senter.model.state_dict().items())
    assert [int(t.is_sent_start) for t in exs[1].predicted] == starts_of(TEXTS[1])
    other = treadle.blank("en")
    other.add_pipe("senter", source=nlp)
    assert [s.text for s in other(TEXTS[2]).sents] == [s.text for s in nlp(TEXTS[2]).sents]


@pytest.mark.slow
def test_senter_learns_ewt_sample(tok2vec_config, sample_examples) -> None:
    import random

    fix_random_seed(0)
    random.seed(0)
    nlp = treadle.blank("en")
    t2v = tok2vec_config(48, 2, embed_size=2000, subword_features=True)
    nlp.add_pipe("senter", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": t2v}})

    # several sentences per Doc, so boundaries are inside Docs, not only at their start
    train_exs = sample_examples(nlp, "ewt-sample-train.conllu", 60, n_sents=8)
    dev = sample_examples(nlp, "ewt-sample-dev.conllu", 25, n_sents=8)
    nlp.initialize(lambda: train_exs)
    opt = Adam(0.003)
    for _ in range(8):
        random.shuffle(train_exs)
        for i in range(0, len(train_exs), 4):
            nlp.update(train_exs[i : i + 4], sgd=opt, drop=0.1)
    senter = nlp.get_pipe("senter")
    list(senter.pipe([eg.predicted for eg in dev]))
    scores = senter.score(dev)
    # one sentence per Doc (only the first token starts one): recall 1/8, F about 0.22
    assert scores["sents_f"] > 0.7, scores
