"""``treadle debug config``: output, exit codes, messages."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.config import Config

FUNCS = textwrap.dedent(
    """
    from treadle.config import registry

    @registry.misc("cli_test.thing.v1")
    def thing(width: int, depth: int = 2, name: str = "x"):
        return width * depth
    """
)

CONFIG = textwrap.dedent(
    """
    [paths]
    root = "/data"
    train = "${paths.root}/train"

    [x]
    w = 3

    [x.t]
    @misc = "cli_test.thing.v1"
    width = ${x.w}
    """
)


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)
    code = tmp_path / "cli_funcs.py"
    code.write_text(FUNCS, encoding="utf8")
    cfg = tmp_path / "config.cfg"
    cfg.write_text(CONFIG, encoding="utf8")
    return cfg, code


def test_debug_config_prints_filled(files, capsys):
    cfg, code = files
    assert run_app(app, ["debug", "config", str(cfg), "--code", str(code)]) == 0
    out, err = capsys.readouterr()
    filled = Config().from_str(out, interpolate=False)
    assert filled["x"]["t"] == {
        "@misc": "cli_test.thing.v1",
        "width": "${x.w}",
        "depth": 2,
        "name": "x",
    }
    assert "valid" in err


def test_debug_config_functions_and_variables(files, capsys):
    cfg, code = files
    argv = [
        "debug",
        "config",
        str(cfg),
        "--code",
        str(code),
        "--show-functions",
        "--show-variables",
    ]
    assert run_app(app, argv) == 0
    out = capsys.readouterr().out
    assert "x.t: @misc = 'cli_test.thing.v1'" in out and "cli_funcs.py" in out
    assert "${paths.root} = '/data'" in out and "${x.w} = 3" in out


def test_debug_config_overrides_cli_and_env(files, capsys, monkeypatch):
    cfg, code = files
    argv = ["debug", "config", str(cfg), "--code", str(code), "--x.w", "5", "--x.t.depth=4"]
    assert run_app(app, argv) == 0
    out = capsys.readouterr().out
    parsed = Config().from_str(out)
    assert parsed["x"]["w"] == 5 and parsed["x"]["t"]["depth"] == 4
    monkeypatch.setenv("TREADLE_CONFIG_OVERRIDES", "--x.w 7")
    assert run_app(app, argv) == 0
    assert Config().from_str(capsys.readouterr().out)["x"]["w"] == 7


def test_unknown_override_exits_1(files, capsys):
    cfg, code = files
    assert run_app(app, ["debug", "config", str(cfg), "--code", str(code), "--x.nope", "1"]) == 1
    err = capsys.readouterr().err
    assert "x.nope" in err and "Traceback" not in err


def test_non_dotted_option_exits_1(files, capsys):
    cfg, code = files
    assert run_app(app, ["debug", "config", str(cfg), "--code", str(code), "--bogus"]) == 1
    assert "--bogus" in capsys.readouterr().err


def test_validation_error_exits_1_with_paths(files, capsys):
    cfg, code = files
    argv = ["debug", "config", str(cfg), "--code", str(code), "--x.w", '"wide"', "--x.t.extra", "1"]
    assert run_app(app, argv) == 1
    err = capsys.readouterr().err
    assert "x.t.width: Input should be a valid integer" in err
    assert "x.t.extra: Extra inputs are not permitted" in err
    assert "Traceback" not in err


def test_syntax_error_line_and_verbose(tmp_path, capsys):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[a]\nx = 1\nnonsense\n", encoding="utf8")
    assert run_app(app, ["debug", "config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and str(bad) in err and "Traceback" not in err
    assert run_app(app, ["debug", "config", str(bad), "--verbose"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_missing_config_file(tmp_path, capsys):
    assert run_app(app, ["debug", "config", str(tmp_path / "none.cfg")]) == 1
    assert "not found" in capsys.readouterr().err


def test_code_comma_separated(files, tmp_path, capsys):
    cfg, code = files
    other = tmp_path / "other_funcs.py"
    other.write_text(
        "from treadle.config import registry\n"
        "registry.misc.register('cli_test.other.v1', func=lambda k=1: k)\n",
        encoding="utf8",
    )
    text = CONFIG + '\n[y]\n[y.o]\n@misc = "cli_test.other.v1"\n'
    cfg.write_text(text, encoding="utf8")
    assert run_app(app, ["debug", "config", str(cfg), "--code", f"{code},{other}"]) == 0
    assert Config().from_str(capsys.readouterr().out)["y"]["o"]["k"] == 1


def test_subprocess_error_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[a]\nx = [1,\n", encoding="utf8")
    proc = subprocess.run(
        [sys.executable, "-m", "treadle", "debug", "config", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "line 2" in proc.stderr and "Traceback" not in proc.stderr
