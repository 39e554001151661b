"""Training loggers: registered functions that create ``setup(nlp, stdout, stderr)``.

``setup`` returns ``(log_step, finalize)``. The loop calls ``log_step(info)`` after each
evaluation and ``log_step(None)`` after each other step (for progress display), then
``finalize()`` once at the end. ``info`` holds:

- ``epoch``: completed passes over the training data; ``step``: completed steps;
- ``score``: the weighted dev score; ``other_scores``: every dev score;
- ``losses``: training loss per component, summed since the previous evaluation;
- ``checkpoints``: ``(score, step, epoch)`` of every evaluation so far;
- ``seconds``: seconds since training started; ``words``: training words seen;
- ``score_weights``: the weights that combine the scores;
- ``output_path``: the run's output folder (``None`` when nothing is saved); model-best/
  in it is written *after* ``log_step`` returns, so it holds this evaluation's weights
  only from the next call (or ``finalize``) on.

A user logger written for the one-argument form ``setup(nlp)`` works too.

Between evaluations the loop also calls ``report_progress(log_step, progress)``: a
``log_step`` with an ``on_progress`` attribute gets ``{"step", "words",
"eval_frequency"}`` there (the console's progress bar uses it), then ``log_step(None)``
as before, so a logger that knows nothing of it works unchanged.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from treadle.config import registry
from treadle.pipeline._internal.listeners import ListenedTo

if TYPE_CHECKING:
    from treadle.language import Language

LogStep = Callable[[dict[str, Any] | None], None]
Finalize = Callable[[], None]
LoggerSetup = Callable[..., tuple[LogStep, Finalize]]


def setup_logger(
    setup: LoggerSetup, nlp: Language, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> tuple[LogStep, Finalize]:
    """Call a logger's setup with ``(nlp, stdout, stderr)``, or ``(nlp)`` if that is all
    it takes (the shape older loggers have)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        params = inspect.signature(setup).parameters
        positional = [
            p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        takes_var = any(p.kind == p.VAR_POSITIONAL for p in params.values())
        n_args = 3 if takes_var or len(positional) >= 3 else 1
    except (TypeError, ValueError):
        n_args = 3
    return setup(nlp, stdout, stderr) if n_args == 3 else setup(nlp)


def report_progress(log_step: LogStep, progress: dict[str, Any]) -> None:
    """After a step without evaluation: ``log_step.on_progress(progress)`` for a logger
    that has it, then ``log_step(None)``."""
    on_progress = getattr(log_step, "on_progress", None)
    if on_progress is not None:
        on_progress(progress)
    log_step(None)


def _terminal_console(stream: IO[str]) -> Console | None:
    """A rich console on ``stream`` if it is a terminal; None keeps logs (CI, a file,
    a pipe) free of progress bars."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return None
    return Console(file=stream)


def _has_loss_column(proc: Any) -> bool:
    # A tok2vec or transformer has no loss of its own: its listeners' losses train
    # it, and are already in their own columns. Its entry would always read 0.00.
    return bool(getattr(proc, "is_trainable", False)) and not isinstance(proc, ListenedTo)


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _score_columns(info: dict[str, Any]) -> list[str]:
    weights = info.get("score_weights") or {}
    return [k for k, w in weights.items() if w is not None]


def _fmt_score(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return f"{value * 100:.2f}"
    return str(value)


@registry.loggers("treadle.ConsoleLogger.v1")
def console_logger(progress_bar: bool = True) -> LoggerSetup:
    """A table on stdout: a header, then one row per evaluation (epoch, step, loss per
    component that has one, each weighted score as a percentage, the combined score).
    With ``progress_bar`` and stdout a terminal, a bar between the rows counts the steps
    to the next evaluation, with the training words per second and the time left until
    that evaluation; when stdout is not a terminal the table is all there is."""

    def setup(
        nlp: Language, stdout: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> tuple[LogStep, Finalize]:
        out = stdout or sys.stdout
        loss_names = [name for name, proc in nlp.pipeline if _has_loss_column(proc)]
        state: dict[str, Any] = {"header": None, "bar": None, "task": None, "since": None}

        def write_row(cells: list[str], widths: list[int]) -> None:
            row = "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
            out.write(row.rstrip() + "\n")
            out.flush()

        def ensure_header(info: dict[str, Any]) -> list[int]:
            if state["header"] is None:
                names = ["E", "#"] + [f"LOSS {n.upper()}" for n in loss_names]
                names += [c.upper() for c in _score_columns(info)] + ["SCORE"]
                widths = [max(len(n), 6) for n in names]
                widths[0] = max(3, len(names[0]))
                state["header"] = (names, widths)
                write_row(names, widths)
                write_row(["-" * w for w in widths], widths)
            return state["header"][1]

        def stop_bar() -> None:
            if state["bar"] is not None:
                state["bar"].stop()
                state["bar"] = None

        def log_step(info: dict[str, Any] | None) -> None:
            if info is None:
                return
            stop_bar()
            state["since"] = None  # the next period starts with the next step
            widths = ensure_header(info)
            losses = info.get("losses", {})
            scores = info.get("other_scores", {})
            cells = [str(info.get("epoch", 0)), str(info.get("step", 0))]
            cells += [f"{losses.get(n, 0.0):.2f}" for n in loss_names]
            cells += [_fmt_score(scores.get(c)) for c in _score_columns(info)]
            cells.append(f"{info.get('score', 0.0):.2f}")
            write_row(cells, widths)

        def on_progress(progress: dict[str, Any]) -> None:
            if not progress_bar:
                return
            now = time.perf_counter()
            step, words = int(progress.get("step", 0)), int(progress.get("words", 0))
            if state["since"] is None:
                # Rates are over this evaluation period, from its first step on (the
                # evaluation itself is not training time).
                state["since"] = (now, step - 1, words, None)
                return
            t0, step0, words0, _ = state["since"]
            freq = max(1, int(progress.get("eval_frequency") or 1))
            done = step % freq or freq
            elapsed = now - t0
            steps = max(1, step - step0 - 1)
            wps = (words - words0) / elapsed if elapsed > 0 else 0.0
            eta = _fmt_duration(elapsed / steps * (freq - done))
            if state["bar"] is None:
                console = _terminal_console(out)
                if console is None:
                    return
                bar = Progress(
                    TextColumn("training"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[wps]} words/s  next evaluation in {task.fields[eta]}"),
                    console=console,
                    transient=True,
                )
                bar.start()
                state["bar"] = bar
                state["task"] = bar.add_task("train", total=freq, wps="-", eta="-")
            state["bar"].update(
                state["task"], completed=done, total=freq, wps=f"{wps:,.0f}", eta=eta
            )

        log_step.on_progress = on_progress  # type: ignore[attr-defined]

        def finalize() -> None:
            stop_bar()

        return log_step, finalize

    return setup


@registry.loggers("treadle.JSONLLogger.v1")
def jsonl_logger(path: str, include_per_type: bool = False) -> LoggerSetup:
    """One JSON object per evaluation appended to ``path`` (flushed at once): epoch,
    step, score, losses, scores, seconds, words. Per-label tables (``*_per_type``,
    ``*_per_feat``) only with ``include_per_type``."""

    def setup(
        nlp: Language, stdout: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> tuple[LogStep, Finalize]:
        file_path = Path(path)
        file_path.parent.mkdir(parents=True, exist_ok=True)
        fh = file_path.open("a", encoding="utf8")

        def log_step(info: dict[str, Any] | None) -> None:
            if info is None:
                return
            scores = {
                k: v
                for k, v in info.get("other_scores", {}).items()
                if include_per_type or not isinstance(v, dict)
            }
            record = {
                "epoch": info.get("epoch"),
                "step": info.get("step"),
                "score": info.get("score"),
                "losses": info.get("losses", {}),
                "scores": scores,
                "seconds": info.get("seconds"),
                "words": info.get("words"),
            }
            fh.write(json.dumps(record, default=_json_default) + "\n")
            fh.flush()

        def finalize() -> None:
            fh.close()

        return log_step, finalize

    return setup


@registry.loggers("treadle.ChainLogger.v1")
def chain_logger(*loggers: LoggerSetup) -> LoggerSetup:
    """Several loggers at once (console plus a tracker plus a file): each gets every
    call, in the order given, and each is finalized even if another one fails.

    In a config the loggers are numbered sections, e.g. ``[training.logger.*.console]``
    with ``@loggers = "treadle.ConsoleLogger.v1"``."""

    def setup(
        nlp: Language, stdout: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> tuple[LogStep, Finalize]:
        parts: list[tuple[LogStep, Finalize]] = []
        try:
            for logger in loggers:
                parts.append(setup_logger(logger, nlp, stdout, stderr))
        except BaseException:
            # Those already set up may hold open files or runs: close them.
            for _, finalize_part in parts:
                finalize_part()
            raise

        def log_step(info: dict[str, Any] | None) -> None:
            for log_part, _ in parts:
                log_part(info)

        def on_progress(progress: dict[str, Any]) -> None:
            for log_part, _ in parts:
                hook = getattr(log_part, "on_progress", None)
                if hook is not None:
                    hook(progress)

        log_step.on_progress = on_progress  # type: ignore[attr-defined]

        def finalize() -> None:
            errors: list[BaseException] = []
            for _, finalize_part in parts:
                try:
                    finalize_part()
                except Exception as err:  # the others still get to close
                    errors.append(err)
            if errors:
                raise errors[0]

        return log_step, finalize

    return setup


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


__all__ = ["chain_logger", "console_logger", "jsonl_logger", "report_progress", "setup_logger"]
