"""nlp.update: one backward over all losses, shared tok2vec, frozen and annotating
components, gradient accumulation, dropout."""

from __future__ import annotations

import torch

import treadle
from treadle.language import Language
from treadle.ml import Adam, fix_random_seed
from treadle.training import Example

T2V = {
    "@architectures": "treadle.HashEmbedCNN.v1", "width": 32, "depth": 1, "embed_size": 500,
    "window_size": 1, "maxout_pieces": 2, "subword_features": False,
}
LISTENER = {"@architectures": "treadle.Tok2VecListener.v1", "width": 32, "upstream": "*"}
TAGGER_CFG = {"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": LISTENER}}
TEXTCAT_CFG = {"model": {"@architectures": "treadle.TextCatCNN.v1", "exclusive_classes": True, "nO": None,
                         "tok2vec": LISTENER}}
DATA = [
    ("I like green eggs", ["PRP", "VBP", "JJ", "NNS"], "POS"),
    ("I hate blue ham", ["PRP", "VBP", "JJ", "NN"], "NEG"),
    ("They like ham", ["PRP", "VBP", "NN"], "POS"),
    ("They hate eggs", ["PRP", "VBP", "NNS"], "NEG"),
]
SEEN: list[list[str]] = []


@Language.component("test_update_record_tags")
def record_tags(doc):  # type: ignore[no-untyped-def]
    SEEN.append([t.tag_ for t in doc])
    return doc


def shared_nlp(with_textcat: bool = True) -> Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", config={"model": T2V})
    nlp.add_pipe("tagger", config=TAGGER_CFG)
    if with_textcat:
        nlp.add_pipe("textcat", config=TEXTCAT_CFG)
    return nlp


def examples(nlp: Language) -> list[Example]:
    return [
        Example.from_dict(nlp.make_doc(t), {"tags": tags, "cats": {"POS": float(c == "POS"), "NEG": float(c == "NEG")}})
        for t, tags, c in DATA
    ]


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before: dict[str, torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(before[k], v) for k, v in module.state_dict().items())


def test_shared_tok2vec_one_backward_and_all_weights_move(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    nlp = shared_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    t2v = nlp.get_pipe("tok2vec")
    assert t2v.listening_components == ["tagger", "textcat"]
    opt = Adam(0.01)
    # the output layers start at zero, so the first step sends no gradient to tok2vec
    nlp.update(exs, sgd=opt)
    calls = []
    original = torch.Tensor.backward

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "backward", counting)
    before = {name: snapshot(nlp.get_pipe(name).model) for name in ("tok2vec", "tagger", "textcat")}
    losses = nlp.update(exs, sgd=opt)
    assert len(calls) == 1
    assert set(losses) == {"tok2vec", "tagger", "textcat"} and losses["tagger"] > 0 and losses["textcat"] > 0
    for name in ("tok2vec", "tagger", "textcat"):
        assert changed(before[name], nlp.get_pipe(name).model), name
    monkeypatch.setattr(torch.Tensor, "backward", original)
    for _ in range(40):
        nlp.update(exs, sgd=opt)
    doc = nlp("They like green eggs")
    assert [t.tag_ for t in doc] == ["PRP", "VBP", "JJ", "NNS"]
    assert doc.cats["POS"] > 0.5
    # keys of one optimizer: tok2vec weights under the tok2vec's name only
    keys = [k for name in ("tok2vec", "tagger", "textcat") for k, _ in nlp.get_pipe(name).parameters_for_optimizer()]
    assert len(keys) == len(set(keys))
    assert not any(k.startswith("tagger.") and "embed" in k for k in keys)


def test_frozen_tok2vec_unchanged_listener_still_trains() -> None:
    nlp = shared_nlp(with_textcat=False)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    t2v_before = snapshot(nlp.get_pipe("tok2vec").model)
    tagger_before = snapshot(nlp.get_pipe("tagger").model)
    opt = Adam(0.01)
    for _ in range(60):
        losses = nlp.update(exs, sgd=opt, exclude=["tok2vec"])
    assert "tok2vec" not in losses and losses["tagger"] > 0
    assert not changed(t2v_before, nlp.get_pipe("tok2vec").model)
    assert changed(tagger_before, nlp.get_pipe("tagger").model)
    for text, tags, _ in DATA:
        assert [t.tag_ for t in nlp(text)] == tags


def test_annotating_component_visible_to_later_ones() -> None:
    nlp = shared_nlp(with_textcat=False)
    nlp.add_pipe("test_update_record_tags")
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(30):
        nlp.update(exs, sgd=opt)
    SEEN.clear()
    nlp.update(exs, sgd=opt)
    assert SEEN == []  # not annotating: a rule-based component doesn't run
    nlp.update(exs, sgd=opt, annotates=["tagger", "test_update_record_tags"])
    assert [tags for _, tags, _ in DATA] == SEEN
    assert [t.tag_ for t in exs[0].predicted] == DATA[0][1]


def test_gradients_accumulate_without_sgd() -> None:
    nlp = shared_nlp(with_textcat=False)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    weight = nlp.get_pipe("tagger").model.output.weight
    nlp.update(exs[:2])
    g1 = weight.grad.clone()
    nlp.update(exs[:2])
    assert torch.allclose(weight.grad, 2 * g1, atol=1e-6)
    before = weight.detach().clone()
    nlp.finish_update(Adam(0.01))
    assert weight.grad is None and not torch.equal(before, nlp.get_pipe("tagger").model.output.weight)


def test_dropout_acts_in_update_not_in_predict() -> None:
    nlp = shared_nlp(with_textcat=False)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(5):
        nlp.update(exs, sgd=opt)
    tagger = nlp.get_pipe("tagger")

    def loss(drop: float) -> float:
        nlp.get_pipe("tok2vec").forward_loss(exs, drop=drop)
        return float(tagger.forward_loss(exs, drop=drop).detach())

    assert loss(0.0) == loss(0.0)
    assert loss(0.5) != loss(0.5)
    nlp.update(exs, drop=0.5)  # leaves dropout modules at p=0.5
    docs = [nlp.make_doc(t) for t, _, _ in DATA]
    nlp.get_pipe("tok2vec").set_annotations(docs, nlp.get_pipe("tok2vec").predict(docs))
    a = tagger.predict(docs).data
    b = tagger.predict(docs).data
    assert torch.equal(a, b)


def test_update_rejects_non_examples() -> None:
    import pytest

    from treadle.errors import DataError

    nlp = shared_nlp(with_textcat=False)
    with pytest.raises(DataError, match="Example"):
        nlp.update(["some text"])
