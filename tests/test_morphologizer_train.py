"""A tok2vec + tagger + morphologizer + senter pipeline from ``treadle init config``,
trained with ``treadle train`` on the EWT sample (slow: real data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import treadle
from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.config import Config

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "data"


def cli(*args: object) -> int:
    return run_app(app, [str(a) for a in args])


@pytest.mark.slow
def test_tagger_morphologizer_senter_from_one_config(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        # several sentences per Doc: the senter has boundaries to find inside Docs
        assert cli("convert", SAMPLE / f"ewt-sample-{split}.conllu", corpus, "--n-sents", "4") == 0
    cfg = tmp_path / "config.cfg"
    assert cli("init", "config", cfg, "--lang", "en", "--pipeline", "tagger,morphologizer,senter") == 0
    config = Config().from_disk(cfg, interpolate=False)
    assert config["nlp"]["pipeline"] == ["tok2vec", "tagger", "morphologizer", "senter"]
    for name in ("tagger", "morphologizer", "senter"):
        listener = config["components"][name]["model"]["tok2vec"]
        assert listener["@architectures"] == "treadle.Tok2VecListener.v1"
    weights = config["training"]["score_weights"]
    assert weights["morph_per_feat"] is None and weights["sents_f"] > 0 and weights["pos_acc"] > 0

    out = tmp_path / "out"
    code = cli(
        "train", cfg, "--output", out,
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin",
        "--components.tok2vec.model.encode.width", "64",
        "--components.tok2vec.model.encode.depth", "2",
        "--training.max_steps", "100", "--training.eval_frequency", "50",
        "--training.batcher.size.start", "400", "--corpora.dev.limit", "30",
    )  # fmt: skip
    assert code == 0
    perf = json.loads((out / "model-best" / "meta.json").read_text())["performance"]
    # most frequent UPOS (NOUN) ~17%, most frequent analysis ("_") ~30%; a senter marking
    # only the first token of each 4-sentence Doc has F ~0.4
    assert perf["tag_acc"] > 0.7 and perf["pos_acc"] > 0.7, perf
    assert perf["morph_acc"] > 0.65, perf
    assert perf["sents_f"] > 0.55, perf

    nlp = treadle.load(out / "model-best")
    doc = nlp("The cats sat on the mat. Then they left the house")
    assert all(t.pos_ and t.tag_ for t in doc)
    assert doc.has_annotation("MORPH", require_complete=True)
    assert all(t.sent_start != 0 for t in doc)
