"""textcat and textcat_multilabel: learning, missing labels, scores, n-gram features,
add_label, saving and loading."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import treadle
from treadle.errors import ConfigError
from treadle.ml import Adam, fix_random_seed
from treadle.ml.architectures.textcat import ngram_features
from treadle.tokens import Doc
from treadle.training import Example

T2V = {
    "@architectures": "treadle.HashEmbedCNN.v1", "width": 32, "depth": 1, "embed_size": 500,
    "window_size": 1, "maxout_pieces": 2, "subword_features": False,
}


def ensemble(exclusive: bool) -> dict:
    return {"model": {"@architectures": "treadle.TextCatEnsemble.v1", "nO": None, "tok2vec": T2V,
                      "linear_model": {"@architectures": "treadle.TextCatBOW.v1", "exclusive_classes": exclusive,
                                       "ngram_size": 2, "no_output_layer": False, "length": 4096}}}


TEXTS = [("good great fun", "POS"), ("bad awful boring", "NEG"), ("great fun film", "POS"),
         ("boring bad film", "NEG"), ("fun and good", "POS"), ("awful and bad", "NEG")]


def make(factory: str, exclusive: bool) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe(factory, config=ensemble(exclusive))
    return nlp


def exclusive_examples(nlp: treadle.Language) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"cats": {"POS": float(c == "POS"), "NEG": float(c == "NEG")}})
            for t, c in TEXTS]


def fit(nlp: treadle.Language, exs: list[Example], n: int = 30) -> None:
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(n):
        nlp.update(exs, sgd=opt)


def test_textcat_exclusive_learns_and_scores() -> None:
    nlp = make("textcat", True)
    exs = exclusive_examples(nlp)
    fit(nlp, exs)
    tc = nlp.get_pipe("textcat")
    assert tc.labels == ("NEG", "POS")
    doc = nlp("great fun")
    assert doc.cats["POS"] > 0.5 and abs(sum(doc.cats.values()) - 1.0) < 1e-5
    list(tc.pipe([eg.predicted for eg in exs]))
    scores = tc.score(exs)
    assert scores["cats_score"] == 1.0 and scores["cats_score_desc"] == "macro F"
    assert set(scores["cats_f_per_type"]) == {"NEG", "POS"}
    meta = nlp.get_pipe_meta("textcat")
    assert meta.default_score_weights["cats_score"] == 1.0
    assert meta.default_score_weights["cats_macro_auc"] is None


def test_textcat_multilabel_learns_with_missing_labels() -> None:
    nlp = make("textcat_multilabel", False)
    data = [("good fun", {"POS": 1.0, "FUN": 1.0}), ("bad boring", {"POS": 0.0, "FUN": 0.0}),
            ("good film", {"POS": 1.0}), ("fun party", {"FUN": 1.0}), ("bad party", {"POS": 0.0, "FUN": 1.0})]
    exs = [Example.from_dict(nlp.make_doc(t), {"cats": c}) for t, c in data]
    fit(nlp, exs, 40)
    tc = nlp.get_pipe("textcat_multilabel")
    assert tc.labels == ("FUN", "POS")
    doc = nlp("good fun")
    assert doc.cats["POS"] > 0.5 and doc.cats["FUN"] > 0.5
    doc = nlp("bad boring")
    assert doc.cats["POS"] < 0.5 and doc.cats["FUN"] < 0.5
    # a label missing from every reference gives no loss for it
    bare = [Example.from_dict(nlp.make_doc("good"), {"cats": {}})]
    assert tc.forward_loss(bare) is None
    list(tc.pipe([eg.predicted for eg in exs]))
    assert tc.score(exs)["cats_score_desc"] == "macro AUC"


def test_model_kind_must_match_component() -> None:
    nlp = treadle.blank("en")
    with pytest.raises(ConfigError, match="exclusive_classes"):
        nlp.add_pipe("textcat", config=ensemble(False))


def test_ngram_features_stay_inside_docs() -> None:
    nlp = treadle.blank("en")
    a, b = Doc(nlp.vocab, words=["x", "y"]), Doc(nlp.vocab, words=["z"])
    buckets, owners = ngram_features([a, b], 2, 1 << 20)
    # unigrams x y z, one bigram (x y): none across the Doc boundary
    assert owners.tolist() == [0, 0, 1, 0]
    same, _ = ngram_features([Doc(nlp.vocab, words=["X", "y"])], 2, 1 << 20)
    assert same.tolist() == buckets[[0, 1, 3]].tolist()  # lowercased words


def test_ngram_features_with_edge_markers() -> None:
    nlp = treadle.blank("en")
    a, b = Doc(nlp.vocab, words=["how", "far"]), Doc(nlp.vocab, words=[])
    plain, _ = ngram_features([a, b], 2, 1 << 20)
    marked, owners = ngram_features([a, b], 2, 1 << 20, mark_edges=True)
    # doc a: <s> how far </s> -> 4 unigrams + 3 bigrams; the empty doc b: <s> </s> -> 2 + 1
    assert owners.tolist().count(0) == 7
    assert owners.tolist().count(1) == 3
    assert set(plain.tolist()) < set(marked[owners == 0].tolist())
    # the start-of-text bigram depends on the first word only
    c = Doc(nlp.vocab, words=["how", "many"])
    marked_c, owners_c = ngram_features([c], 2, 1 << 20, mark_edges=True)
    shared = set(marked[owners == 0].tolist()) & set(marked_c.tolist())
    assert len(shared) == 4  # <s>, </s>, how, <s>+how


def test_add_label_keeps_old_scores_and_round_trip(tmp_path: Path) -> None:
    nlp = make("textcat", True)
    fit(nlp, exclusive_examples(nlp))
    tc = nlp.get_pipe("textcat")
    docs = [nlp.make_doc(t) for t, _ in TEXTS]
    logits = tc.predict(docs).numpy()
    nlp.to_disk(tmp_path / "m")
    loaded = treadle.load(tmp_path / "m")
    assert np.array_equal(loaded.get_pipe("textcat").predict([loaded.make_doc(t) for t, _ in TEXTS]).numpy(), logits)
    assert tc.add_label("MIXED") == 1
    grown = tc.predict(docs).numpy()
    assert grown.shape == (len(TEXTS), 3)
    assert np.allclose(grown[:, :2], logits)
    assert nlp("great fun").cats["POS"] > nlp("great fun").cats["NEG"]


def _read(path: Path, coarse: bool = False) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf8").splitlines():
        label, text = line.split(" ", 1)
        out.append((text, label.split(":")[0] if coarse else label))
    return out


def _accuracy_after_training(train: list[tuple[str, str]], dev: list[tuple[str, str]], epochs: int) -> float:
    fix_random_seed(0)
    random.seed(0)
    labels = sorted({c for _, c in train})
    nlp = treadle.blank("en")
    nlp.add_pipe("textcat", config=ensemble(True))

    def mk(data: list[tuple[str, str]]) -> list[Example]:
        return [Example.from_dict(Doc(nlp.vocab, words=t.split()), {"cats": {lbl: float(lbl == c) for lbl in labels}})
                for t, c in data]

    tr, dv = mk(train), mk(dev)
    nlp.initialize(lambda: tr)
    opt = Adam(0.002)
    for _ in range(epochs):
        random.shuffle(tr)
        for i in range(0, len(tr), 32):
            nlp.update(tr[i : i + 32], sgd=opt, drop=0.2)
    docs = list(nlp.get_pipe("textcat").pipe([eg.predicted for eg in dv]))
    gold = [max(eg.reference.cats, key=eg.reference.cats.get) for eg in dv]
    return float(np.mean([max(d.cats, key=d.cats.get) == g for d, g in zip(docs, gold, strict=True)]))


DATA = Path("/work/shared/data/textcat")


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="shared textcat data not available")
def test_textcat_learns_sst2_and_trec_slices() -> None:
    sst_train, sst_dev = _read(DATA / "sst2-train.txt")[:600], _read(DATA / "sst2-dev.txt")[:300]
    assert _accuracy_after_training(sst_train, sst_dev, 4) > 0.6  # chance: ~0.5
    trec = _read(DATA / "trec-train.txt", coarse=True)
    assert _accuracy_after_training(trec[:600], trec[-300:], 4) > 0.5  # majority: ~0.23
