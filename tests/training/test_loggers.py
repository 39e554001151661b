"""Loggers: console table, JSONL records, the one-argument setup form."""

from __future__ import annotations

import io
import json

from treadle.config import registry
from treadle.training.loggers import setup_logger


def info(step: int, score: float) -> dict:
    return {
        "epoch": 0,
        "step": step,
        "score": score,
        "other_scores": {"tag_acc": score, "speed": 1234.0, "tag_per_type": {"NN": {"p": 1.0}}},
        "losses": {"tagger": 12.5},
        "checkpoints": [(score, step, 0)],
        "seconds": 1.0,
        "words": 100,
        "score_weights": {"tag_acc": 1.0, "speed": 0.0, "pos_acc": None},
    }


def test_console_logger_prints_header_and_rows(nlp):
    out, err = io.StringIO(), io.StringIO()
    log_step, finalize = setup_logger(registry.loggers.get("treadle.ConsoleLogger.v1")(), nlp, out, err)
    log_step(None)
    log_step(info(10, 0.5))
    log_step(info(20, 0.75))
    finalize()
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["E", "#", "TAG_ACC", "SPEED", "SCORE"]
    assert lines[2].split() == ["0", "10", "50.00", "123400.00", "0.50"]
    assert lines[3].split()[:3] == ["0", "20", "75.00"]
    assert "POS_ACC" not in lines[0]  # a null weight hides the score


def test_console_logger_progress_bar_goes_to_stderr(nlp):
    out, err = io.StringIO(), io.StringIO()
    setup = registry.loggers.get("treadle.ConsoleLogger.v1")(progress_bar=True)
    log_step, finalize = setup_logger(setup, nlp, out, err)
    for _ in range(3):
        log_step(None)
    log_step(info(3, 0.1))
    finalize()
    assert "steps to next evaluation" not in out.getvalue()
    assert len(out.getvalue().splitlines()) == 3


def test_jsonl_logger_writes_one_record_per_evaluation(tmp_path, nlp):
    path = tmp_path / "logs" / "train.jsonl"
    log_step, finalize = setup_logger(registry.loggers.get("treadle.JSONLLogger.v1")(str(path)), nlp)
    log_step(info(10, 0.5))
    log_step(None)
    # flushed at once: readable before finalize
    assert len(path.read_text().splitlines()) == 1
    log_step(info(20, 0.6))
    finalize()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["step"] for r in records] == [10, 20]
    assert records[1]["score"] == 0.6 and records[0]["losses"] == {"tagger": 12.5}
    assert "tag_per_type" not in records[0]["scores"]
    with_types = tmp_path / "b.jsonl"
    log_step, finalize = setup_logger(
        registry.loggers.get("treadle.JSONLLogger.v1")(str(with_types), include_per_type=True), nlp
    )
    log_step(info(1, 0.1))
    finalize()
    assert "tag_per_type" in json.loads(with_types.read_text())["scores"]


def test_one_argument_setup_is_supported(nlp):
    seen = []

    def setup(nlp):
        return seen.append, lambda: None

    log_step, _ = setup_logger(setup, nlp, io.StringIO(), io.StringIO())
    log_step({"step": 1})
    assert seen == [{"step": 1}]
