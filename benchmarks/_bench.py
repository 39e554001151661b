"""Shared helpers of the training benchmarks (treadle side).

A benchmark trains with treadle's own loop (``treadle.training.loop.train``) under a
training-time budget (evaluation time not counted): a ``before_update`` callback raises
``BudgetReached`` once the budget is spent, and a recording logger keeps every evaluation row. Training speed is
words trained per second of training, evaluation time excluded (each evaluation's
time is its dev word count divided by the ``speed`` it reports).
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REFERENCE = {
    "tagger_xpos_ewt_dev": 92.9,
    "sst2_dev_acc": 80.3,
    "sst2_seconds": 32,
    "trec_dev_acc": 84.6,
    "trec_seconds": 52,
    "train_wps_full_pipeline": 2000,
    "predict_wps": 13400,
    "peak_memory_gb": 0.9,
    "kim2014_sst2": 82.7,
    "kim2014_trec": 91.2,
}
"""Reference figures from issue 5 (spaCy 3.8, its efficiency config, this machine),
printed beside ours; Kim 2014 is a CNN without pretrained vectors, on the test sets."""

PIPELINE_SPEED_REFS = {
    "train_wps": REFERENCE["train_wps_full_pipeline"],
    "predict_wps": REFERENCE["predict_wps"],
    "peak_rss_mb": REFERENCE["peak_memory_gb"] * 1024,
}
"""Issue 5's speed and memory figures of spaCy's full EWT pipeline, as table references."""

SPEED_ROWS = [
    ("seconds_to_best", "train s to best eval"),
    ("train_wps", "train words/s"),
    ("predict_wps", "predict words/s"),
    ("peak_rss_mb", "peak memory MB"),
    ("steps", "steps"),
]
"""The comparison-table rows of the figures ``summarize`` adds to the accuracies."""
WORDS_ROW = ("words", "words trained")


def benchmark_args(
    description: str,
    *,
    minutes: float,
    eval_frequency: int,
    workdir: str,
    set_example: str,
    train: Path | None = None,
    dev: Path | None = None,
) -> argparse.ArgumentParser:
    """The command-line options every training benchmark shares; scripts add their own."""
    from _spacy import DEFAULT_SPACY_PYTHON

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--minutes", type=float, default=minutes, help="training budget per library"
    )
    parser.add_argument("--eval-frequency", type=int, default=eval_frequency)
    if train is not None:
        parser.add_argument("--train", type=Path, default=train)
    if dev is not None:
        parser.add_argument("--dev", type=Path, default=dev)
    parser.add_argument("--workdir", type=Path, default=Path(workdir))
    parser.add_argument("--spacy-python", default=DEFAULT_SPACY_PYTHON)
    parser.add_argument("--no-spacy", action="store_true", help="skip the spaCy run")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for both libraries")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help=f"change treadle's config, e.g. {set_example}",
    )  # fmt: skip
    return parser


class BudgetReached(Exception):
    """Raised from ``before_update`` to end a training run at its time budget."""


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    /proc's VmHWM where there is one: ``ru_maxrss`` survives exec on Linux, so a child
    started by a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def apply_settings(config: Any, settings: list[str]) -> None:
    """``--set a.b.c=value`` (value parsed as JSON, else a string) on the treadle config."""
    import json

    for item in settings:
        key, _, raw = item.partition("=")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = config
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = value


class Recorder:
    """A treadle logger (``setup(nlp, stdout, stderr) -> (log_step, finalize)``) that
    keeps each evaluation and prints a short row; ``extra(nlp)`` may add figures (e.g.
    accuracy) and its run time is counted as evaluation time."""

    def __init__(self, n_dev_words: int, extra: Callable[[Any], dict[str, float]] | None = None):
        self.rows: list[dict[str, Any]] = []
        self.n_dev_words = n_dev_words
        self.extra = extra
        self.eval_seconds = 0.0

    def __call__(self, nlp: Any, stdout: Any = None, stderr: Any = None) -> tuple[Any, Any]:
        def log_step(info: dict[str, Any] | None) -> None:
            if info is None:
                return
            scores = info.get("other_scores", {}) or {}
            speed = scores.get("speed") or 0
            self.eval_seconds += self.n_dev_words / speed if speed else 0.0
            row = {
                "step": info["step"],
                "epoch": info["epoch"],
                "words": info["words"],
                "score": info["score"],
                "scores": {k: v for k, v in scores.items() if isinstance(v, (int, float))},
            }
            if self.extra is not None:
                t0 = time.perf_counter()
                row.update(self.extra(nlp))
                self.eval_seconds += time.perf_counter() - t0
            row["train_seconds"] = info["seconds"] - self.eval_seconds
            self.rows.append(row)
            shown = ", ".join(
                f"{k}={v:.4f}"
                for k, v in row.items()
                if k not in ("scores",) and isinstance(v, float)
            )
            print(f"  [treadle] step {row['step']} words {row['words']} {shown}", file=sys.stderr)

        return log_step, lambda: None


def train_with_budget(
    config: Any,
    *,
    budget_s: float,
    eval_frequency: int,
    n_dev_words: int,
    extra: Callable[[Any], dict[str, float]] | None = None,
    max_steps: int = 0,
) -> tuple[Any, Recorder, float]:
    """Initialize and train the pipeline ``config`` describes for ``budget_s`` seconds
    (and at most ``max_steps`` steps, if set). Returns the nlp (last weights), the
    recorder and the wall time of the run."""
    from treadle.config import registry
    from treadle.training.initialize import init_nlp
    from treadle.training.loop import train

    recorder = Recorder(n_dev_words, extra)
    start: list[float] = []

    def budget_callback(nlp: Any, info: dict[str, Any]) -> None:
        if not start:
            start.append(time.perf_counter())
        elif time.perf_counter() - start[0] - recorder.eval_seconds > budget_s:
            # The budget is training time: evaluations don't use it up.
            raise BudgetReached()

    registry.loggers.register("bench.Recorder.v1", func=lambda: recorder)
    registry.callbacks.register("bench.budget.v1", func=lambda: budget_callback)
    config = config.copy()
    config["training"]["logger"] = {"@loggers": "bench.Recorder.v1"}
    config["training"]["before_update"] = {"@callbacks": "bench.budget.v1"}
    config["training"]["eval_frequency"] = eval_frequency
    config["training"]["max_steps"] = max_steps
    config["training"]["patience"] = 0
    nlp = init_nlp(config)
    t0 = time.perf_counter()
    with contextlib.suppress(BudgetReached):
        train(nlp, None)
    return nlp, recorder, time.perf_counter() - t0


def prediction_speed(nlp: Any, texts: list[str], *, repeats: int = 1) -> float:
    """Words per second of ``nlp.pipe`` over raw texts (tokenization included)."""
    n_words = 0
    t0 = time.perf_counter()
    for _ in range(repeats):
        for doc in nlp.pipe(texts, batch_size=256):
            n_words += len(doc)
    return n_words / (time.perf_counter() - t0)


def best_row(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], float]) -> dict[str, Any]:
    """The first evaluation reaching the best value (its train_seconds = time to converge)."""
    best = max(key(r) for r in rows)
    return next(r for r in rows if key(r) == best)


def train_efficiency_pipeline(
    pipeline: str,
    train_path: Path,
    dev_path: Path,
    args: argparse.Namespace,
    *,
    n_dev_words: int,
    extra: Callable[[Any], dict[str, float]] | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Train treadle's ``init config --pipeline PIPELINE --optimize efficiency`` config
    (with ``--set`` applied) for ``--minutes`` of training time; the nlp and the
    evaluation rows. Exits when no evaluation happened within the budget."""
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", pipeline, optimize="efficiency")
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    apply_settings(config, args.set)
    nlp, rec, _ = train_with_budget(
        config,
        budget_s=args.minutes * 60,
        eval_frequency=args.eval_frequency,
        n_dev_words=n_dev_words,
        extra=extra,
    )
    if not rec.rows:
        sys.exit("treadle: no evaluation within the budget; lower --eval-frequency")
    return nlp, rec.rows


def spacy_result(args: argparse.Namespace, job: dict[str, Any]) -> dict[str, Any] | None:
    """spaCy's run of ``job`` under the same budget and evaluation frequency; None with
    ``--no-spacy``, without spaCy 3.8, or when it made no evaluation."""
    from _spacy import run_spacy

    if args.no_spacy:
        return None
    job = {**job, "budget_s": args.minutes * 60, "eval_frequency": args.eval_frequency}
    res = run_spacy(args.spacy_python, job, threads=args.threads)
    return res if res and res["rows"] else None


def summarize(
    rows: list[dict[str, Any]],
    best_key: Callable[[dict[str, Any]], float],
    accuracies: Callable[[dict[str, Any]], dict[str, float]],
    predict_wps: float,
    peak_mb: float,
    *,
    words: bool = True,
) -> dict[str, Any]:
    """One library's figures: ``accuracies(best)`` at the best evaluation by
    ``best_key``, then the time to reach it, the speeds, peak memory, the steps and
    (``words``) the words trained; the keys of ``SPEED_ROWS`` and ``WORDS_ROW``."""
    best = best_row(rows, best_key)
    last = rows[-1]
    out = dict(accuracies(best))
    out["seconds_to_best"] = best["train_seconds"]
    out["train_wps"] = train_wps(rows)
    out["predict_wps"] = predict_wps
    out["peak_rss_mb"] = peak_mb
    out["steps"] = last["step"]
    if words:
        out["words"] = last["words"]
    return out


def summarize_by_score(
    rows: list[dict[str, Any]],
    metrics: list[tuple[str, str]],
    predict_wps: float,
    peak_mb: float,
) -> dict[str, Any]:
    """``summarize`` at the best evaluation by the pipeline's weighted score, with the
    ``metrics`` keys it reported as percentages."""
    return summarize(
        rows,
        lambda r: r["score"],
        lambda best: {
            key: 100 * best["scores"][key]
            for key, _ in metrics
            if best["scores"].get(key) is not None
        },
        predict_wps,
        peak_mb,
    )


def train_wps(rows: list[dict[str, Any]]) -> float:
    """Words/s between the first and the last evaluation (start-up, such as reading
    the corpus for the first epoch, left out); the whole run with one evaluation."""
    first, last = rows[0], rows[-1]
    if len(rows) >= 2 and last["train_seconds"] > first["train_seconds"]:
        return (last["words"] - first["words"]) / (last["train_seconds"] - first["train_seconds"])
    return last["words"] / max(last["train_seconds"], 1e-9)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def print_comparison(
    title: str,
    rows: list[tuple[str, str]],
    ours: dict[str, Any],
    theirs: dict[str, Any] | None,
    refs: dict[str, float] | None = None,
    *,
    digits: int = 1,
    ref_digits: int | None = None,
    columns: tuple[str, str] = ("treadle", "spaCy (same run)"),
) -> None:
    """The table treadle | spaCy (same run) | ratio | issue ref (``columns`` names the
    first two), one ``(key, label)`` row each; a figure one side lacks shows as ``-``,
    steps get no ratio."""
    refs = refs or {}
    ref_digits = digits if ref_digits is None else ref_digits

    def cell(value: float | None, places: int, missing: str) -> str:
        return missing if value is None else f"{value:,.{places}f}"

    print(f"\n{title}")
    print(f"{'':24}{columns[0]:>12}{columns[1]:>18}{'ratio':>9}{'issue ref':>11}")
    for key, label in rows:
        mine = ours.get(key)
        t = theirs.get(key) if theirs else None
        r = ratio(mine, t) if key != "steps" else ""
        ref = refs.get(key) or None  # a zero reference is left blank, like a missing one
        print(
            f"{label:24}{cell(mine, digits, '-'):>12}{cell(t, digits, '-'):>18}"
            f"{r:>9}{cell(ref, ref_digits, ''):>11}"
        )
