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


# --- debug config rejects what train rejects, with the same message ---------------------

BAD_SCHEDULE = textwrap.dedent(
    """
    from treadle.config import registry

    @registry.schedules("cli_test.bad_schedule.v1")
    def bad_schedule(rate: float = 0.1) -> float:
        return "not a schedule"
    """
)


@pytest.fixture(scope="module")
def starter_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("starter") / "tagger.cfg"
    assert run_app(app, ["init", "config", str(path), "--lang", "en", "--pipeline", "tagger"]) == 0
    return path.read_text(encoding="utf8")


def _broken(text: str, case: str) -> str:
    if case == "factory typo":
        return text.replace('factory = "tagger"', 'factory = "taggr"')
    if case == "pipeline name without a block":
        return text.replace('pipeline = ["tagger"]', 'pipeline = ["tagger", "parser"]')
    assert case == "schedule of the wrong type"
    return text.replace(
        "learn_rate = 0.001\n",
        '\n[training.optimizer.learn_rate]\n@schedules = "cli_test.bad_schedule.v1"\n',
        1,
    )


@pytest.mark.parametrize(
    "case", ["factory typo", "pipeline name without a block", "schedule of the wrong type"]
)
def test_debug_config_rejects_what_train_rejects(starter_config, tmp_path, capsys, case):
    code = tmp_path / "funcs.py"
    code.write_text(BAD_SCHEDULE, encoding="utf8")
    cfg = tmp_path / "config.cfg"
    cfg.write_text(_broken(starter_config, case), encoding="utf8")
    assert cfg.read_text(encoding="utf8") != starter_config
    common = [str(cfg), "--code", str(code)]
    assert run_app(app, ["debug", "config", *common]) == 1
    debug_err = capsys.readouterr().err
    paths = ["--paths.train", str(tmp_path / "t.docbin"), "--paths.dev", str(tmp_path / "d.docbin")]
    assert run_app(app, ["train", *common, *paths]) == 1
    train_err = capsys.readouterr().err
    assert "Traceback" not in debug_err and "Config is valid" not in debug_err
    # Train prints its progress lines first; its error is the same text debug printed.
    assert debug_err.strip() and debug_err.strip() in train_err
    expected = {
        "factory typo": "components.tagger.factory: Can't find 'taggr'",
        "pipeline name without a block": "no [components.parser] block",
        "schedule of the wrong type": "training.optimizer.learn_rate: Input should be",
    }[case]
    assert expected in debug_err


def test_debug_config_accepts_the_starter_config(starter_config, tmp_path, capsys):
    cfg = tmp_path / "config.cfg"
    cfg.write_text(starter_config, encoding="utf8")
    assert run_app(app, ["debug", "config", str(cfg)]) == 0
    out, err = capsys.readouterr()
    assert "Config is valid" in err
    assert Config().from_str(out, interpolate=False)["components"]["tagger"]["factory"] == "tagger"


def test_component_and_training_errors_have_one_form(starter_config, tmp_path, capsys):
    text = starter_config.replace("beta1 = 0.9", 'beta1 = "high"').replace(
        "width = 96", 'width = "wide"', 1
    )
    cfg = tmp_path / "config.cfg"
    cfg.write_text(text, encoding="utf8")
    assert run_app(app, ["debug", "config", str(cfg)]) == 1
    lines = capsys.readouterr().err.splitlines()
    ours = [line.strip() for line in lines if line.strip().startswith(("components.", "training."))]
    # One error block from one engine: the same wording, the full dotted key.
    assert ours == [
        "components.tagger.model.tok2vec.embed.width: Input should be a valid integer, "
        "unable to parse string as an integer",
        "training.optimizer.beta1: Input should be a number or an Iterator or a list; "
        "got 'high' (str)",
    ]
