"""``treadle info``."""


from treadle.cli import app
from treadle.cli._errors import run_app


def test_info_runs(capsys):
    assert run_app(app, ["info"]) == 0
    assert "treadle" in capsys.readouterr().out
