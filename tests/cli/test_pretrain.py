"""``treadle pretrain``: weights and log from the command line, overrides, --code,
--resume-path/--epoch-resume, errors printed without a traceback."""

from __future__ import annotations

import json
import textwrap

from tests.helpers import cli
from tests.training.test_pretrain import PRETRAIN_CONFIG, write_texts


def _setup(tmp_path):
    cfg = tmp_path / "config.cfg"
    cfg.write_text(PRETRAIN_CONFIG, encoding="utf8")
    return cfg, write_texts(tmp_path / "texts.jsonl")


def test_pretrain_command_writes_weights_and_shows_progress(tmp_path, capsys):
    cfg, texts = _setup(tmp_path)
    out = tmp_path / "out"
    assert cli("pretrain", cfg, out, "--paths.raw_text", texts, "--pretraining.max_epochs", "2") == 0
    err = capsys.readouterr().err
    assert (out / "model0.safetensors").exists() and (out / "model1.safetensors").exists()
    assert not (out / "model2.safetensors").exists()
    assert "Words/s" in err and "Loss" in err
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    # Resuming from model1 numbers the next epoch 2.
    assert cli(
        "pretrain", cfg, out, "--paths.raw_text", texts, "--pretraining.max_epochs", "3",
        "--resume-path", out / "model1.safetensors",
    ) == 0  # fmt: skip
    assert (out / "model2.safetensors").exists()
    assert cli(
        "pretrain", cfg, out, "--paths.raw_text", texts, "--pretraining.max_epochs", "5",
        "--resume-path", out / "model1.safetensors", "--epoch-resume", "4",
    ) == 0  # fmt: skip
    assert (out / "model4.safetensors").exists() and not (out / "model3.safetensors").exists()


def test_pretrain_code_registers_a_reader(tmp_path):
    cfg, _ = _setup(tmp_path)
    code = tmp_path / "reader.py"
    code.write_text(
        textwrap.dedent(
            """
            from treadle.config import registry

            @registry.readers("test_pretrain_texts.v1")
            def texts():
                def read(nlp):
                    for i in range(20):
                        yield nlp.make_doc(f"the cat number {i} sat on the mat")
                return read
            """
        ),
        encoding="utf8",
    )
    args = ["--corpora.pretrain", '{"@readers": "test_pretrain_texts.v1"}']
    assert cli("pretrain", cfg, tmp_path / "out", "--code", code, *args) == 0
    assert (tmp_path / "out" / "model1.safetensors").exists()


def test_pretrain_errors_without_traceback(tmp_path, capsys):
    cfg, texts = _setup(tmp_path)
    assert cli("pretrain", cfg, tmp_path / "o", "--paths.raw_text", tmp_path / "missing.jsonl") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "corpora.pretrain.path" in err and "missing.jsonl" in err
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes(b"")
    assert cli("pretrain", cfg, tmp_path / "o", "--paths.raw_text", texts, "--resume-path", weights) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--resume-path" in err and "not a weights file" in err
    assert cli("pretrain", cfg, tmp_path / "o", "--paths.raw_text", texts, "--epoch-resume", "2") == 1
    assert "--epoch-resume needs --resume-path" in capsys.readouterr().err
