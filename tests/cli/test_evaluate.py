"""``treadle evaluate``: printed tables, the JSON output, errors."""

from __future__ import annotations

import json

import pytest

from treadle.cli._app import app
from treadle.cli._errors import run_app


def test_evaluate_cli_prints_tables_and_writes_json(trained_tagger, tmp_path, capsys):
    model, data = trained_tagger
    out = tmp_path / "metrics" / "scores.json"
    assert run_app(app, ["evaluate", str(model), str(data["dev"]), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "TAG" in printed and "SPEED" in printed
    scores = json.loads(out.read_text())
    assert 0.5 < scores["tag_acc"] <= 1.0
    assert scores["token_acc"] == 1.0
    assert scores["speed"] > 0
    meta = json.loads((model / "meta.json").read_text())
    assert scores["tag_acc"] == pytest.approx(meta["performance"]["tag_acc"])


def test_evaluate_cli_errors(trained_tagger, tmp_path, capsys):
    model, data = trained_tagger
    assert run_app(app, ["evaluate", str(tmp_path / "nope"), str(data["dev"])]) == 1
    assert run_app(app, ["evaluate", str(model), str(tmp_path / "missing.docbin")]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "missing.docbin" in err and "Traceback" not in err
