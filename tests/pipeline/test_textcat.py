"""textcat: learning, scores, the model kind, add_label, saving and loading; slow: SST-2
and TREC slices."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import treadle
from tests.pipeline.helpers import fit_textcat, make_textcat, textcat_ensemble
from treadle.errors import ConfigError
from treadle.ml import Adam, fix_random_seed
from treadle.tokens import Doc
from treadle.training import Example

TEXTS = [("good great fun", "POS"), ("bad awful boring", "NEG"), ("great fun film", "POS"),
         ("boring bad film", "NEG"), ("fun and good", "POS"), ("awful and bad", "NEG")]


def exclusive_examples(nlp: treadle.Language) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"cats": {"POS": float(c == "POS"), "NEG": float(c == "NEG")}})
            for t, c in TEXTS]


def test_textcat_exclusive_learns_and_scores() -> None:
    nlp = make_textcat("textcat", True)
    exs = exclusive_examples(nlp)
    fit_textcat(nlp, exs)
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


def test_model_kind_must_match_component() -> None:
    nlp = treadle.blank("en")
    with pytest.raises(ConfigError, match="exclusive_classes"):
        nlp.add_pipe("textcat", config=textcat_ensemble(False))


def test_add_label_keeps_old_scores_and_round_trip(tmp_path: Path) -> None:
    nlp = make_textcat("textcat", True)
    fit_textcat(nlp, exclusive_examples(nlp))
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
    nlp.add_pipe("textcat", config=textcat_ensemble(True))

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
