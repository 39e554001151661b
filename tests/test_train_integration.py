"""Integration (slow): train a tagger and a textcat on a few hundred real sentences
and check that they learn well above chance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.config import Config

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "data"
SST2 = REPO.parent / "shared" / "data" / "textcat" / "sst2-train.txt"


def cli(*args: object) -> int:
    return run_app(app, [str(a) for a in args])


@pytest.mark.slow
def test_tagger_on_sample_corpus_beats_chance(tmp_path):
    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        assert cli("convert", SAMPLE / f"ewt-sample-{split}.conllu", corpus) == 0
    out = tmp_path / "out"
    code = cli(
        "train", REPO / "examples" / "configs" / "tagger.cfg", "--output", out,
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin",
        "--training.max_steps", "120", "--training.eval_frequency", "40",
    )  # fmt: skip
    assert code == 0
    perf = json.loads((out / "model-best" / "meta.json").read_text())["performance"]
    # ~45 XPOS tags; always guessing the most frequent (NN) scores about 15%
    assert perf["tag_acc"] > 0.80


def _write_sst2_slice(path: Path, lines: list[str]) -> None:
    import treadle
    from treadle.tokens import DocBin

    nlp = treadle.blank("en")
    db = DocBin()
    for line in lines:
        label, text = line.split(" ", 1)
        doc = nlp.make_doc(text.strip())
        doc.cats = {"POS": float(label == "1"), "NEG": float(label == "0")}
        db.add(doc)
    db.to_disk(path)


TEXTCAT_CONFIG = """
[paths]
train = null
dev = null

[nlp]
lang = "en"
pipeline = ["textcat"]

[components]

[components.textcat]
factory = "textcat"

[components.textcat.model]
@architectures = "treadle.TextCatBOW.v1"
exclusive_classes = true
ngram_size = 2
no_output_layer = false
nO = null

[corpora]

[corpora.train]
@readers = "treadle.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "treadle.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 300
eval_frequency = 100
patience = 0
dropout = 0.0

[training.batcher]
@batchers = "treadle.batch_by_sequence.v1"
size = 32

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
"""


@pytest.mark.slow
@pytest.mark.skipif(not SST2.exists(), reason="needs ../shared/data/textcat")
def test_textcat_on_sst2_slice_beats_chance(tmp_path):
    lines = SST2.read_text(encoding="utf8").splitlines()
    _write_sst2_slice(tmp_path / "train.docbin", lines[:800])
    _write_sst2_slice(tmp_path / "dev.docbin", lines[800:1000])
    cfg = tmp_path / "config.cfg"
    cfg.write_text(TEXTCAT_CONFIG)
    out = tmp_path / "out"
    code = cli("train", cfg, "--output", out, "--paths.train", tmp_path / "train.docbin",
               "--paths.dev", tmp_path / "dev.docbin")  # fmt: skip
    assert code == 0
    perf = json.loads((out / "model-best" / "meta.json").read_text())["performance"]
    # balanced binary task: chance is 50% macro F
    assert perf["cats_score"] > 0.62
    saved = Config().from_disk(out / "model-best" / "config.cfg")
    assert saved["training"]["score_weights"] == {} or "cats_score" in saved["training"]["score_weights"]
