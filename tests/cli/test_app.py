"""The typer app the commands attach to (treadle/cli/_app.py)."""

from treadle.cli import app
from treadle.cli._errors import run_app


def test_unknown_command_exits_nonzero():
    assert run_app(app, ["no-such-command"]) != 0


def test_help_shows_config_section_names_literally(capsys):
    """Help texts name sections like [initialize]; they must not vanish as markup."""
    assert run_app(app, ["init", "vectors", "--help"]) == 0
    assert "use it as [initialize] vectors" in " ".join(capsys.readouterr().out.split())
    assert run_app(app, ["pretrain", "--help"]) == 0
    assert "Config with a [pretraining] section" in " ".join(capsys.readouterr().out.split())
