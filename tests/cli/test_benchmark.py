"""``treadle benchmark speed`` (figures, inputs, errors) and ``benchmark accuracy`` (the
same scores as ``evaluate``)."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import cli

NUMBER = r"([\d,]+)"


def figures(printed: str) -> dict[str, float]:
    first = re.search(rf"{NUMBER} ± {NUMBER} words/s", printed)
    rest = re.search(rf"median {NUMBER}  min {NUMBER}  max {NUMBER}", printed)
    assert first and rest, printed
    values = [*first.groups(), *rest.groups()]
    names = ["mean", "std", "median", "min", "max"]
    return {k: float(v.replace(",", "")) for k, v in zip(names, values, strict=True)}


def test_speed_prints_a_spread_and_writes_every_sample(trained_tagger, tmp_path, capsys):
    model, data = trained_tagger
    out = tmp_path / "speed.json"
    args = ["--batch-size", "8", "--n-batches", "5", "--warmup", "2", "--output", out]
    assert cli("benchmark", "speed", model, data["dev"], *args) == 0
    printed = capsys.readouterr().out
    shown = figures(printed)
    assert shown["mean"] > 0 and shown["min"] > 0 and shown["std"] >= 0
    assert shown["min"] <= shown["median"] <= shown["max"]
    assert "5 batches of 8 texts, 2 warm-up batches excluded" in printed
    saved = json.loads(out.read_text())
    assert len(saved["samples"]) == 5 and all(s > 0 for s in saved["samples"])
    assert saved["mean"] == pytest.approx(sum(saved["samples"]) / 5)
    assert saved["min"] == min(saved["samples"]) and saved["max"] == max(saved["samples"])
    # 5 batches of 8 texts cycled from the 20 dev sentences of 5 or 6 words each
    assert 5 * 8 * 5 <= saved["words"] <= 5 * 8 * 6


def test_speed_reads_text_and_jsonl_files(trained_tagger, tmp_path, capsys):
    model, _ = trained_tagger
    text = tmp_path / "texts.txt"
    text.write_text("the cat sees a dog\n\nthe big dog eats\n", encoding="utf8")
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text('{"text": "the cat sees a dog"}\n{"text": "a tree"}\n', encoding="utf8")
    for path in (text, jsonl):
        out = tmp_path / f"{path.suffix[1:]}.json"
        args = ["--batch-size", "2", "--n-batches", "3", "--warmup", "0", "--output", out]
        assert cli("benchmark", "speed", model, path, *args) == 0
        assert "2 distinct texts" in capsys.readouterr().out
        assert json.loads(out.read_text())["words"] == 3 * (5 + 4 if path == text else 5 + 2)


def test_speed_errors(trained_tagger, tmp_path, capsys):
    model, data = trained_tagger
    assert cli("benchmark", "speed", model, tmp_path / "missing.txt") == 1
    assert "missing.txt" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"words": []}\n', encoding="utf8")
    assert cli("benchmark", "speed", model, bad) == 1
    assert "bad.jsonl:2" in capsys.readouterr().err
    assert cli("benchmark", "speed", model, data["dev"], "--n-batches", "0") == 1
    err = capsys.readouterr().err
    assert "--n-batches" in err and "Traceback" not in err


def test_accuracy_is_evaluate(trained_tagger, tmp_path, capsys):
    model, data = trained_tagger
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli("evaluate", model, data["dev"], "--output", a) == 0
    evaluated = capsys.readouterr().out
    assert cli("benchmark", "accuracy", model, data["dev"], "--output", b) == 0
    benchmarked = capsys.readouterr().out
    scores_a, scores_b = json.loads(a.read_text()), json.loads(b.read_text())
    speed_a, speed_b = scores_a.pop("speed"), scores_b.pop("speed")
    assert scores_a == scores_b and speed_a > 0 and speed_b > 0
    assert 0.5 < scores_b["tag_acc"] <= 1.0

    # the same table, but for the speed row, which differs run to run
    def without_speed(text):
        return [line for line in text.splitlines() if "SPEED" not in line]

    assert without_speed(evaluated) == without_speed(benchmarked)
