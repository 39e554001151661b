"""``treadle info``."""

import json

from treadle.cli import app
from treadle.cli._errors import run_app


def test_info_runs(capsys):
    assert run_app(app, ["info"]) == 0
    assert "treadle" in capsys.readouterr().out
    assert run_app(app, ["info", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"treadle", "python", "torch", "numpy"} <= set(rows)
