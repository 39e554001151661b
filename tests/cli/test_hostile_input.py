"""The CLI on hostile and broken input (issue 14): each failure exits 1 with one clear
message naming the file, the key or the variable; no traceback without --verbose."""

from __future__ import annotations

import time

import pytest

import treadle.cli.debug_config as debug_config_module
import treadle.training.initialize as initialize_module
from tests.helpers import HANG_S, TRAIN_CONFIG, cli, write_config

BINARY = bytes(range(256)) * 8 + b"\x89PNG\r\n\x1a\n\x00\x00"


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return captured.err


def test_deep_json_override(tmp_path, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    deep = "[" * 100_000 + "]" * 100_000
    assert cli("debug", "config", cfg, "--training.dropout", deep) == 1
    err = _err(capsys)
    assert "--training.dropout" in err and "nested more than" in err


def test_unbalanced_quote_in_env_overrides(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path / "config.cfg")
    monkeypatch.setenv("TREADLE_CONFIG_OVERRIDES", "--training.dropout '0.2")
    assert cli("debug", "config", cfg) == 1
    err = _err(capsys)
    assert "TREADLE_CONFIG_OVERRIDES" in err and "No closing quotation" in err


def test_doubling_config_fails_fast(tmp_path, capsys):
    bomb = '[bomb]\na0 = "xy"\n' + "".join(
        f'a{i + 1} = "${{bomb.a{i}}}${{bomb.a{i}}}"\n' for i in range(40)
    )
    cfg = write_config(tmp_path / "config.cfg", TRAIN_CONFIG + bomb)
    start = time.perf_counter()
    assert cli("debug", "config", cfg) == 1
    assert time.perf_counter() - start < HANG_S
    assert "MAX_INTERPOLATED_SIZE" in _err(capsys)


def test_binary_config_file_names_the_file(tmp_path, capsys):
    cfg = tmp_path / "config.cfg"
    cfg.write_bytes(BINARY)
    assert cli("train", cfg) == 1
    err = _err(capsys)
    assert str(cfg) in err and "UTF-8" in err


def test_train_output_under_a_file_fails_before_training(tmp_path, capsys, monkeypatch):
    started: list[bool] = []
    monkeypatch.setattr(initialize_module, "init_nlp", lambda *a, **k: started.append(True))
    cfg = write_config(tmp_path / "config.cfg")
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file", encoding="utf8")
    for output in (blocker, blocker / "run" / "out"):
        assert cli("train", cfg, "--output", output) == 1
        err = _err(capsys)
        assert str(output) in err and "not a folder" in err
    assert started == []


@pytest.mark.parametrize("name", ["train.conllu", "train.iob2", "train.jsonl"])
def test_convert_binary_input(tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes(BINARY)
    assert cli("convert", path, tmp_path / "out") == 1
    err = _err(capsys)
    assert f"{path}, line 1" in err and "binary file" in err


def test_convert_binary_json_with_converter(tmp_path, capsys):
    path = tmp_path / "data.json"
    path.write_bytes(b'{"text": "ok"}\n' + BINARY)
    assert cli("convert", path, tmp_path / "out", "--converter", "jsonl") == 1
    err = _err(capsys)
    assert f"{path}, line 2" in err


def test_convert_deep_json_line(tmp_path, capsys):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "ok"}\n' + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf8")
    assert cli("convert", path, tmp_path / "out") == 1
    assert f"{path}, line 2" in _err(capsys)


def test_convert_output_under_a_file(tmp_path, capsys):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "ok"}\n', encoding="utf8")
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf8")
    assert cli("convert", path, blocker / "out") == 1
    assert "not a folder" in _err(capsys)


def _explode(*args: object, **kwargs: object) -> None:
    raise TypeError("unsupported operand type(s)")


def test_unexpected_error_is_one_line_with_a_hint(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(debug_config_module, "load_user_config", _explode)
    assert cli("debug", "config", write_config(tmp_path / "c.cfg")) == 1
    err = _err(capsys)
    assert "Unexpected error: TypeError: unsupported operand" in err
    assert "--verbose" in err
    assert len(err.strip().splitlines()) == 2


def test_unexpected_error_with_verbose_shows_the_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(debug_config_module, "load_user_config", _explode)
    assert cli("debug", "config", write_config(tmp_path / "c.cfg"), "--verbose") == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "_explode" in err


def test_recursion_error_never_escapes(tmp_path, capsys, monkeypatch):
    def recurse(*args: object, **kwargs: object) -> None:
        recurse()

    monkeypatch.setattr(debug_config_module, "load_user_config", recurse)
    assert cli("debug", "config", write_config(tmp_path / "c.cfg")) == 1
    assert "RecursionError" in _err(capsys)


def test_output_check_accepts_new_and_existing_folders(tmp_path):
    from treadle.cli._util import check_output_dir

    check_output_dir(tmp_path, "--output")
    check_output_dir(tmp_path / "new" / "deeper", "--output")
    assert not (tmp_path / "new").exists()  # checking creates nothing
