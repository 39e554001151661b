"""Overrides from the command line and TREADLE_CONFIG_OVERRIDES (treadle/config/overrides.py)."""

from __future__ import annotations

import pytest

from treadle.config import Config, parse_cli_overrides
from treadle.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)


def test_cli_syntax_and_value_parsing():
    args = [
        "--paths.train", "./corpus/train.bin",
        "--training.batch_size=128",
        "--training.dropout", "0.2",
        "--training.flag",
        "--nlp.pipeline", '["tagger", "parser"]',
        "--system.seed", "-1",
        "--paths.dev=",
        "--x.quoted", '"1"',
    ]  # fmt: skip
    assert parse_cli_overrides(args) == {
        "paths.train": "./corpus/train.bin",
        "training.batch_size": 128,
        "training.dropout": 0.2,
        "training.flag": True,
        "nlp.pipeline": ["tagger", "parser"],
        "system.seed": -1,
        "paths.dev": "",
        "x.quoted": "1",
    }


@pytest.mark.parametrize("args", [["--verbosity"], ["--x", "1"], ["stray"], ["--a.b", "[1,"]])
def test_cli_bad_arguments(args):
    with pytest.raises(ConfigError):
        parse_cli_overrides(args)


def test_non_dotted_names_the_option():
    with pytest.raises(ConfigError, match="--batch_size"):
        parse_cli_overrides(["--batch_size", "3"])


def test_env_wins_over_cli(monkeypatch):
    monkeypatch.setenv(
        "TREADLE_CONFIG_OVERRIDES", "--training.batch_size 256 --system.gpu_allocator 'pytorch'"
    )
    got = parse_cli_overrides(["--training.batch_size", "128", "--training.dropout", "0.3"])
    assert got == {
        "training.batch_size": 256,
        "training.dropout": 0.3,
        "system.gpu_allocator": "pytorch",
    }
    # another variable name, or none
    assert parse_cli_overrides(["--a.b", "1"], env_var=None) == {"a.b": 1}


def test_env_errors_name_the_variable(monkeypatch):
    monkeypatch.setenv("TREADLE_CONFIG_OVERRIDES", "--nodot 1")
    with pytest.raises(ConfigError, match="TREADLE_CONFIG_OVERRIDES"):
        parse_cli_overrides([])


def test_overrides_end_to_end():
    text = '[paths]\nroot = "/a"\n[training]\nbatch_size = 1\nout = "${paths.root}/x"\n'
    overrides = parse_cli_overrides(["--paths.root", "/b", "--training.batch_size", "4"])
    cfg = Config().from_str(text, overrides=overrides)
    assert cfg["training"] == {"batch_size": 4, "out": "/b/x"}
    with pytest.raises(ConfigError, match="training.batchsize"):
        Config().from_str(text, overrides=parse_cli_overrides(["--training.batchsize", "4"]))
