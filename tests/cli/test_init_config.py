"""``treadle init config``: the starter config's shape, sizes, filling and errors."""

from __future__ import annotations

import pytest

from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.config import Config

pytestmark = pytest.mark.usefixtures("template_standins")


def _init(capsys, *args: str) -> tuple[int, str, str]:
    code = run_app(app, ["init", "config", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _parse(text: str) -> Config:
    return Config().from_str(text, interpolate=False)


def test_single_tagger_efficiency_has_inline_encoder(capsys):
    code, out, err = _init(capsys, "-", "--lang", "en", "--pipeline", "tagger")
    assert code == 0, err
    assert out.startswith("# Starter config made by treadle")
    assert "--pipeline tagger --optimize efficiency" in out.splitlines()[1]
    cfg = _parse(out)
    assert cfg["nlp"]["lang"] == "en"
    assert cfg["nlp"]["pipeline"] == ["tagger"]
    assert cfg["paths"]["train"] is None and cfg["paths"]["dev"] is None
    model = cfg["components"]["tagger"]["model"]
    assert model["@architectures"] == "treadle.Tagger.v1"
    # One user of an encoder: it gets its own, no listener, no tok2vec component.
    assert model["tok2vec"]["@architectures"] == "treadle.Tok2Vec.v1"
    assert model["tok2vec"]["encode"]["width"] == 96
    assert model["tok2vec"]["encode"]["depth"] == 4
    assert "tok2vec" not in cfg["components"]
    assert cfg["training"]["score_weights"] == {"tag_acc": 1.0}


def test_pretraining_block(capsys):
    code, out, err = _init(capsys, "-", "--pipeline", "tagger", "--pretraining")
    assert code == 0, err
    cfg = _parse(out)
    assert cfg["pretraining"]["component"] == "tok2vec"
    assert "pretrain" in cfg["corpora"]
    code, out, _ = _init(capsys, "-", "--pipeline", "tagger")
    assert "pretraining" not in _parse(out)


def test_writes_file_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "config.cfg"
    code, _, err = _init(capsys, str(path), "--pipeline", "textcat")
    assert code == 0, err
    assert _parse(path.read_text())["nlp"]["pipeline"] == ["textcat"]
    code, _, err = _init(capsys, str(path), "--pipeline", "tagger")
    assert code == 1 and "--force" in err
    assert _parse(path.read_text())["nlp"]["pipeline"] == ["textcat"]
    code, _, err = _init(capsys, str(path), "--pipeline", "tagger", "--force")
    assert code == 0, err
    assert _parse(path.read_text())["nlp"]["pipeline"] == ["tagger"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--pipeline", "tagger,frobnicator"], "'frobnicator'"),
        (["--pipeline", ""], "at least one component"),
        (["--pipeline", "tagger,tagger"], "named twice"),
        (["--pipeline", "tagger", "--optimize", "speed"], "efficiency, accuracy"),
    ],
)
def test_bad_choices_fail_clearly(capsys, args, message):
    code, out, err = _init(capsys, "-", *args)
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    if "frobnicator" in message:
        assert "Known components: tok2vec, tagger, textcat, textcat_multilabel" in err
