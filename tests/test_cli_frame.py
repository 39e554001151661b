import subprocess
import sys

from treadle.cli import app
from treadle.cli._errors import run_app


def test_info_runs(capsys):
    assert run_app(app, ["info"]) == 0
    assert "treadle" in capsys.readouterr().out


def test_unknown_command_exits_nonzero():
    assert run_app(app, ["no-such-command"]) != 0


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "treadle", "--help"], capture_output=True, text=True, check=True
    )
    assert "info" in out.stdout
