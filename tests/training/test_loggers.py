"""Loggers: console table, JSONL records, the one-argument setup form."""

from __future__ import annotations

import io
import json
import re

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


def _run_console(nlp, out, err, *, progress_bar=True):
    from treadle.training.loggers import report_progress

    setup = registry.loggers.get("treadle.ConsoleLogger.v1")(progress_bar=progress_bar)
    log_step, finalize = setup_logger(setup, nlp, out, err)
    for step in range(1, 4):
        report_progress(log_step, {"step": step, "words": 50 * step, "eval_frequency": 4})
    log_step(info(4, 0.1))
    finalize()


def test_console_logger_without_a_terminal_prints_the_table_only(nlp):
    # A log file or CI (stdout not a terminal) gets the same table as before: no bar.
    out, err = io.StringIO(), io.StringIO()
    _run_console(nlp, out, err)
    plain, plain_err = io.StringIO(), io.StringIO()
    _run_console(nlp, plain, plain_err, progress_bar=False)
    assert out.getvalue() == plain.getvalue()
    assert err.getvalue() == "" and "\x1b" not in out.getvalue()
    assert len(out.getvalue().splitlines()) == 3


def test_console_logger_bar_on_a_terminal(nlp, monkeypatch):
    from rich.console import Console

    from treadle.training import loggers

    out = io.StringIO()
    monkeypatch.setattr(
        loggers, "_terminal_console", lambda stream: Console(file=stream, force_terminal=True, width=120)
    )
    _run_console(nlp, out, io.StringIO())
    text = out.getvalue()
    assert "words/s" in text and "next evaluation in" in text
    assert "3/4" in text  # steps of this evaluation period
    # The bar is erased before the row: what stays on the screen is the table.
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    screen = [line.split("\r")[-1] for line in plain.split("\n")]
    rows = [line for line in screen if line.startswith(("  E", "  0", "---"))]
    assert [r.split()[:2] for r in rows] == [["E", "#"], ["---", "------"], ["0", "4"]]


def test_console_logger_has_no_loss_column_for_a_tok2vec(nlp):
    from treadle.language import Language

    pipeline = Language.from_config(
        {
            "nlp": {"lang": "en", "pipeline": ["tok2vec", "tagger"]},
            "components": {"tok2vec": {"factory": "tok2vec"}, "tagger": {"factory": "tagger"}},
        }
    )
    out = io.StringIO()
    log_step, finalize = setup_logger(
        registry.loggers.get("treadle.ConsoleLogger.v1")(), pipeline, out, io.StringIO()
    )
    log_step({**info(5, 0.5), "losses": {"tok2vec": 0.0, "tagger": 3.0}})
    finalize()
    header = out.getvalue().splitlines()[0]
    assert "LOSS TAGGER" in header and "TOK2VEC" not in header


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
