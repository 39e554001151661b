"""nlp.evaluate and the ``treadle evaluate`` command."""

from __future__ import annotations

import json

import pytest
from test_train import CONFIG, data_args, write_config, write_corpus

import treadle
from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.tokens import Doc
from treadle.training import Example


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("evaluate")
    data = {
        "train": write_corpus(root / "train.docbin", 60, seed=1),
        "dev": write_corpus(root / "dev.docbin", 20, seed=2),
    }
    cfg = write_config(root / "config.cfg", CONFIG)
    assert run_app(app, ["train", str(cfg), "--output", str(root / "out"), *data_args(data)]) == 0
    return root / "out" / "model-best", data


def test_evaluate_cli_prints_tables_and_writes_json(trained, tmp_path, capsys):
    model, data = trained
    out = tmp_path / "metrics" / "scores.json"
    assert run_app(app, ["evaluate", str(model), str(data["dev"]), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "TAG" in printed and "SPEED" in printed
    scores = json.loads(out.read_text())
    assert 0.5 < scores["tag_acc"] <= 1.0
    assert scores["token_acc"] == 1.0
    assert scores["speed"] > 0
    meta = json.loads((model / "meta.json").read_text())
    assert scores["tag_acc"] == pytest.approx(meta["performance"]["tag_acc"])


def test_evaluate_cli_errors(trained, tmp_path, capsys):
    model, data = trained
    assert run_app(app, ["evaluate", str(tmp_path / "nope"), str(data["dev"])]) == 1
    assert run_app(app, ["evaluate", str(model), str(tmp_path / "missing.docbin")]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "missing.docbin" in err and "Traceback" not in err


def test_nlp_evaluate_leaves_the_examples_alone(trained):
    model, _ = trained
    nlp = treadle.load(model)
    words = ["the", "cat", "sees", "a", "dog"]
    ref = Doc(nlp.vocab, words=words, tags=["DT", "NN", "VB", "DT", "NN"])
    eg = Example(Doc(nlp.vocab, words=words), ref)
    scores = nlp.evaluate([eg])
    assert scores["tag_acc"] == 1.0
    assert not eg.predicted.has_annotation("TAG")
    with pytest.raises(treadle.errors.DataError, match="Example"):
        nlp.evaluate(["not an example"])


def test_initialize_reads_labels_from_config_and_runs_callbacks():
    from treadle.config import Config, registry

    calls = []

    @registry.callbacks("test_init_cb.v1")
    def make_cb(tag: str):
        def cb(nlp):
            calls.append(tag)
            return nlp

        return cb

    cfg = Config().from_str(CONFIG)
    cfg["initialize"] = {
        "before_init": {"@callbacks": "test_init_cb.v1", "tag": "before"},
        "after_init": {"@callbacks": "test_init_cb.v1", "tag": "after"},
        "components": {"tagger": {"labels": ["A", "B", "C"]}},
    }
    nlp = treadle.language.Language.from_config(cfg)
    optimizer = nlp.initialize()
    assert calls == ["before", "after"]
    assert nlp.get_pipe("tagger").labels == ("A", "B", "C")
    assert optimizer.learn_rate == 0.01  # from [training.optimizer]
    assert nlp.begin_training() is not None
