"""``treadle train``: what the command writes and prints, overrides from the command line and
the environment, exit codes and messages for bad configs, data and options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import TRAIN_CONFIG, cli, data_args, write_config, write_tagger_corpora
from treadle.config import Config


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_tagger_corpora(tmp_path_factory.mktemp("train-data"))


def test_train_cli_writes_best_and_last(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, *data_args(data)) == 0
    printed = capsys.readouterr().out
    assert "TAG_ACC" in printed and "LOSS TAGGER" in printed
    rows = [line for line in printed.splitlines() if line.strip().startswith(("0 ", "1 ", "2 "))]
    assert len(rows) == 3  # evaluations at steps 4, 8, 12
    for name in ("model-best", "model-last"):
        assert (out / name / "config.cfg").exists()
        meta = json.loads((out / name / "meta.json").read_text())
        assert "tag_acc" in meta["performance"]
    state = json.loads((out / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 12
    assert [c[1] for c in state["checkpoints"]] == [4, 8, 12]
    # no temporary folders are left behind
    assert sorted(p.name for p in out.iterdir()) == ["model-best", "model-last"]
    import treadle

    nlp = treadle.load(out / "model-best")
    doc = nlp("the cat sees a dog")
    assert all(t.tag_ for t in doc)


def test_overrides_from_cli_and_env_reach_saved_config(tmp_path, data, monkeypatch):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    monkeypatch.setenv("TREADLE_CONFIG_OVERRIDES", "--training.dropout 0.25")
    code = cli(
        "train", cfg, "--output", out, *data_args(data),
        "--training.max_steps", "4", "--training.dropout", "0.05",
    )  # fmt: skip
    assert code == 0
    saved = Config().from_disk(out / "model-last" / "config.cfg")
    assert saved["training"]["max_steps"] == 4
    assert saved["training"]["dropout"] == 0.25  # the environment wins
    assert saved["paths"]["train"] == str(data["train"])
    assert saved["corpora"]["train"]["path"] == str(data["train"])
    # filled defaults are written too
    assert saved["training"]["accumulate_gradient"] == 1
    assert saved["training"]["batcher"]["discard_oversize"] is False


def test_bad_config_exits_1_naming_the_key(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg", TRAIN_CONFIG.replace("dropout = 0.1", "dropout = 3"))
    assert cli("train", cfg, "--output", tmp_path / "o", *data_args(data)) == 1
    err = capsys.readouterr().err
    assert "training.dropout" in err and "Traceback" not in err


def test_missing_corpus_path_names_the_key(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("train", cfg, "--output", tmp_path / "o", "--paths.dev", str(data["dev"])) == 1
    err = capsys.readouterr().err
    assert "corpora.train.path" in err and "Traceback" not in err
    code = cli("train", cfg, "--paths.train", str(tmp_path / "nope.docbin"),
               "--paths.dev", str(data["dev"]))  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "corpora.train.path" in err and "nope.docbin" in err


def test_bad_data_file_fails_cleanly(tmp_path, data, capsys):
    bad = tmp_path / "bad.docbin"
    bad.write_bytes(b"not a docbin")
    cfg = write_config(tmp_path / "config.cfg")
    code = cli("train", cfg, "--paths.train", str(bad), "--paths.dev", str(data["dev"]))
    assert code == 1
    err = capsys.readouterr().err
    assert "bad.docbin" in err and "Traceback" not in err


def test_unknown_frozen_component_and_corpus_name(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("train", cfg, *data_args(data), "--training.frozen_components", '["nope"]') == 1
    assert "training.frozen_components" in capsys.readouterr().err
    assert cli("train", cfg, *data_args(data), "--training.dev_corpus", "corpora.test") == 1
    assert "training.dev_corpus" in capsys.readouterr().err


def test_resume_without_state_is_an_error(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("train", cfg, "--output", tmp_path / "empty", *data_args(data), "--resume") == 1
    assert "Nothing to resume" in capsys.readouterr().err


def test_a_previous_run_is_not_replaced_without_overwrite(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, *data_args(data)) == 0
    before = (out / "model-best" / "tagger" / "model.safetensors").read_bytes()
    capsys.readouterr()
    assert cli("train", cfg, "--output", out, *data_args(data), "--training.max_steps", "1") == 1
    err = capsys.readouterr().err
    assert "already holds a training run" in err and "(model-last at step 12)" in err
    assert "--resume" in err and "--overwrite" in err and "Traceback" not in err
    assert (out / "model-best" / "tagger" / "model.safetensors").read_bytes() == before
    assert cli("train", cfg, "--output", out, *data_args(data), "--resume", "--overwrite") == 1
    assert "pick one" in capsys.readouterr().err
    assert cli("train", cfg, "--output", out, *data_args(data), "--training.max_steps", "1",
               "--training.eval_frequency", "1", "--overwrite") == 0  # fmt: skip
    state = json.loads((out / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 1
    assert (out / "model-best" / "tagger" / "model.safetensors").read_bytes() != before
    # the library refuses too
    import treadle
    from treadle.errors import ConfigError
    from treadle.training import train

    with pytest.raises(ConfigError, match="already holds a training run"):
        train(treadle.load(out / "model-last"), out)


@pytest.mark.parametrize("command", ["train", "evaluate", "pretrain"])
def test_gpu_id_without_a_gpu_suggests_the_cpu_flag(tmp_path, capsys, monkeypatch, command):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    args = {
        "train": ["train", write_config(tmp_path / "config.cfg")],
        "evaluate": ["evaluate", tmp_path / "model", tmp_path / "dev.docbin"],
        "pretrain": ["pretrain", tmp_path / "config.cfg", tmp_path / "out"],
    }[command]
    assert cli(*args, "--gpu-id", "0") == 1
    err = capsys.readouterr().err
    assert "--gpu-id 0: no CUDA GPU is available on this machine" in err
    assert "--gpu-id -1" in err and "prefer_gpu" not in err
