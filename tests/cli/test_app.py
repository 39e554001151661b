"""The typer app the commands attach to (treadle/cli/_app.py)."""

from treadle.cli import app
from treadle.cli._errors import run_app


def test_unknown_command_exits_nonzero():
    assert run_app(app, ["no-such-command"]) != 0
