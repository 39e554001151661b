"""A config from ``treadle init config`` trains as written, with the real components."""

from __future__ import annotations

import pytest

from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.config import Config
from treadle.tokens import Doc, DocBin, Vocab


def _corpus(path, n: int, offset: int = 0) -> str:
    vocab = Vocab()
    db = DocBin()
    for i in range(n):
        good = (i + offset) % 2 == 0
        words = ["the", "film", "was", "great" if good else "awful", "."]
        doc = Doc(
            vocab,
            words=words,
            spaces=[True, True, True, False, False],
            tags=["DT", "NN", "VBD", "JJ", "."],
        )
        doc.cats = {"POS": float(good), "NEG": float(not good)}
        db.add(doc)
    db.to_disk(path)
    return str(path)


@pytest.mark.parametrize(
    "optimize", ["efficiency", pytest.param("accuracy", marks=pytest.mark.slow)]
)
def test_starter_config_trains(tmp_path, capsys, monkeypatch, optimize):
    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)
    cfg = tmp_path / "config.cfg"
    code = run_app(
        app, ["init", "config", str(cfg), "--pipeline", "tagger,textcat", "--optimize", optimize]
    )
    assert code == 0, capsys.readouterr().err
    train = _corpus(tmp_path / "train.docbin", 40)
    dev = _corpus(tmp_path / "dev.docbin", 10, offset=1)
    out = tmp_path / "out"
    code = run_app(
        app,
        [
            "train",
            str(cfg),
            "--output",
            str(out),
            "--paths.train",
            train,
            "--paths.dev",
            dev,
            "--training.max_steps",
            "6",
            "--training.eval_frequency",
            "3",
        ],
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    saved = Config().from_disk(out / "model-last" / "config.cfg", interpolate=False)
    assert saved["nlp"]["pipeline"] == Config().from_disk(cfg)["nlp"]["pipeline"]
    assert saved["paths"]["train"] == train
    # The data checks pass on the same files with the same config.
    code = run_app(app, ["debug", "data", str(cfg), "--paths.train", train, "--paths.dev", dev])
    assert code == 0, capsys.readouterr().out
