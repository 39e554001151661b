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


# ------------------------------------------------------------------ transformer configs

TRANSFORMER_USERS = [
    "tagger", "morphologizer", "senter", "trainable_lemmatizer", "parser", "ner", "textcat",
    "textcat_multilabel",
]  # fmt: skip


def test_accuracy_with_the_extra_writes_a_transformer_pipeline(tiny_bert_dir, tmp_path, capsys):
    from treadle.config import registry
    from treadle.language import Language

    path = tmp_path / "config.cfg"
    code, _, err = _init(
        capsys, str(path), "--pipeline", ",".join(TRANSFORMER_USERS), "--optimize", "accuracy",
        "--transformer", str(tiny_bert_dir),
    )  # fmt: skip
    assert code == 0, err
    assert "slow" not in err  # a model was chosen: no note about the default
    text = path.read_text()
    assert f"--transformer {tiny_bert_dir}" in text.splitlines()[1]
    cfg = _parse(text)
    assert cfg["nlp"]["pipeline"] == ["transformer", *TRANSFORMER_USERS]
    assert "tok2vec" not in cfg["components"]
    model = cfg["components"]["transformer"]["model"]
    assert model["@architectures"] == "treadle.TransformerModel.v1"
    assert model["name"] == str(tiny_bert_dir)
    assert model["get_spans"]["@span_getters"] == "treadle.strided_spans.v1"
    for name in TRANSFORMER_USERS:
        listener = cfg["components"][name]["model"]["tok2vec"]
        assert listener["@architectures"] == "treadle.TransformerListener.v1", name
        assert listener["upstream"] == "transformer"
    optimizer = cfg["training"]["optimizer"]
    assert optimizer["learn_rate"] == {
        "@schedules": "warmup_linear.v1",
        "initial_rate": 5e-5,
        "warmup_steps": 250,
        "total_steps": "${training.max_steps}",
    }
    assert optimizer["use_averages"] is False
    assert cfg["training"]["batcher"]["size"]["stop"] == 500
    # Complete as written: filling adds nothing, the pipeline's own view adds nothing.
    assert registry.fill(cfg) == cfg
    assert _init_debug(capsys, path) == 0
    nlp = Language.from_config(cfg.interpolate())
    for name, block in nlp.config["components"].items():
        assert set(block) <= set(cfg["components"][name]), name
    # Every component's listener is found by the transformer.
    listening = nlp.get_pipe("transformer").find_listeners(nlp)
    assert sorted(listening) == sorted(TRANSFORMER_USERS)


def _init_debug(capsys, path) -> int:
    code = run_app(app, ["debug", "config", str(path)])
    _, err = capsys.readouterr()
    assert "Config is valid" in err, err
    return code


@pytest.mark.parametrize(
    "lang, gpu, model, note",
    [
        ("en", False, "roberta-base", True),
        ("en", True, "roberta-base", False),
        ("de", True, "bert-base-multilingual-cased", False),
    ],
)
def test_accuracy_default_transformer(capsys, monkeypatch, lang, gpu, model, note):
    from treadle.training.templates import quickstart

    monkeypatch.setattr(quickstart, "transformers_available", lambda: True)
    args = ["-", "--lang", lang, "--pipeline", "tagger", "--optimize", "accuracy"]
    code, out, err = _init(capsys, *args, *(["--gpu"] if gpu else []))
    assert code == 0, err
    cfg = _parse(out)
    assert cfg["components"]["transformer"]["model"]["name"] == model
    assert ("slow" in err and "--transformer" in err) is note
    batch = cfg["training"]["batcher"]["size"]
    assert (batch["start"], batch["stop"]) == ((250, 1000) if gpu else (100, 500))


def test_accuracy_without_the_extra_falls_back_to_the_cnn(capsys, monkeypatch):
    from treadle.training.templates import quickstart

    monkeypatch.setattr(quickstart, "transformers_available", lambda: False)
    code, out, err = _init(capsys, "-", "--pipeline", "tagger,parser", "--optimize", "accuracy")
    assert code == 0, err
    assert 'pip install "treadle[transformers]"' in err
    cfg = _parse(out)
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger", "parser"]
    assert cfg["components"]["tok2vec"]["model"]["encode"]["width"] == 256
    assert cfg["components"]["parser"]["model"]["tok2vec"]["@architectures"] == (
        "treadle.Tok2VecListener.v1"
    )
    assert "transformer" not in cfg["components"]
    assert cfg["training"]["optimizer"]["learn_rate"] == 0.001
    # Asking for a model by name without the extra is an error, not a fallback.
    code, _, err = _init(capsys, "-", "--optimize", "accuracy", "--transformer", "bert-base-cased")
    assert code == 1 and 'pip install "treadle[transformers]"' in err


def test_accuracy_with_transformer_none_is_the_cnn_starter(capsys, monkeypatch):
    from treadle.training.templates import quickstart

    monkeypatch.setattr(quickstart, "transformers_available", lambda: True)
    code, out, err = _init(
        capsys, "-", "--pipeline", "tagger,parser", "--optimize", "accuracy", "--transformer", "none"
    )
    assert code == 0, err
    assert "CNN encoder" in err
    cfg = _parse(out)
    assert "transformer" not in cfg["components"]
    assert cfg["components"]["tok2vec"]["model"]["embed"]["@architectures"] == "treadle.CharacterEmbed.v2"


def test_efficiency_ignores_the_extra_and_refuses_a_transformer(capsys, monkeypatch):
    from treadle.training.templates import quickstart

    monkeypatch.setattr(quickstart, "transformers_available", lambda: True)
    code, out, err = _init(capsys, "-", "--pipeline", "tagger,parser")
    assert code == 0, err
    assert _parse(out)["nlp"]["pipeline"] == ["tok2vec", "tagger", "parser"]
    assert "transformer" not in err
    code, _, err = _init(capsys, "-", "--pipeline", "tagger", "--transformer", "bert-base-cased")
    assert code == 1 and "--optimize accuracy" in err
    code, _, err = _init(
        capsys, "-", "--pipeline", "tok2vec,tagger", "--optimize", "accuracy",
        "--transformer", "bert-base-cased",
    )  # fmt: skip
    assert code == 1 and "'tok2vec'" in err


def test_vectors_give_the_cnn_with_static_vectors(tmp_path):
    from tests.helpers import cli

    out = tmp_path / "config.cfg"
    code = cli("init", "config", out, "--pipeline", "tagger", "--optimize", "accuracy", "--vectors", "vecs")
    assert code == 0
    config = Config().from_disk(out, interpolate=False)
    assert config["paths"]["vectors"] == "vecs"
    assert config["initialize"]["vectors"] == "${paths.vectors}"
    assert "transformer" not in config["components"]
    embed = config["components"]["tagger"]["model"]["tok2vec"]["embed"]
    assert embed["@architectures"] == "treadle.CharacterEmbed.v2"
    assert embed["include_static_vectors"] is True
    assert cli("init", "config", tmp_path / "c2.cfg", "--optimize", "accuracy", "--vectors", "v",
               "--transformer", "x") == 1  # fmt: skip
