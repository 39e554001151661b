"""The training loop: ``train(nlp, output_path)``.

It reads ``nlp.config``'s ``[training]`` (see ``treadle/default_config.cfg`` for each
setting) and ``[corpora]``, then:

- each epoch shuffles the training Examples (with a generator seeded from
  ``training.seed``, apart from the global ones) and hands them to the batcher; the
  first epoch streams the reader's output in shuffled windows, so an endless reader
  works (``max_steps`` then ends the run); ``max_epochs = -1`` streams every epoch
  from the reader without shuffling; later epochs reshuffle the first one's Examples,
  kept in memory, except for a reader with an ``augmenter``: it is read again each
  epoch, its augmenter reseeded from ``training.seed`` and the epoch;
- a step takes one batch, splits it into ``accumulate_gradient`` parts, calls
  ``nlp.update`` on each without an optimizer (gradients add up), then steps the
  optimizer once over every non-frozen component's parameters and advances its
  schedules;
- every ``eval_frequency`` steps (and at the end) it evaluates on the dev corpus (with
  the averaged weights when the optimizer keeps them), combines the scores with
  ``[training.score_weights]``, logs a row, writes ``model-last/`` and, when the score
  improved, ``model-best/``; it stops after ``patience`` steps without improvement,
  at ``max_steps``, or after ``max_epochs``;
- Ctrl-C finishes the step (or evaluation) under way, saves ``model-last/`` as of
  that step and raises KeyboardInterrupt; a second Ctrl-C stops at once, keeping
  ``model-last/`` as of the last checkpoint if the step was half applied.

``model-last/training/`` holds what ``train(..., resume=True)`` needs to continue as if
never stopped: on CPU a resumed run ends with the same weights as an uninterrupted
one. The batch stream is replayed (batching only, no updates) up to the saved step,
so the shuffles and a scheduled batch size line up exactly.
"""

from __future__ import annotations

import random
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from treadle.config.schemas import TrainingSchema
from treadle.errors import ConfigError, DataError
from treadle.ml import fix_random_seed, require_gpu
from treadle.scoring import weighted_score
from treadle.training.augment import reader_augmenter, seed_augmenter, stream_seed
from treadle.training.checkpoint import (
    BEST_DIR,
    LAST_DIR,
    TrainingState,
    capture_rng,
    check_output_folder,
    clear_previous_run,
    load_training_state,
    pipeline_params,
    restore_rng,
    rng_preserved,
    save_pipeline,
)
from treadle.training.initialize import (
    plan_training,
    read_corpus,
    resolve_score_weights,
    resolve_training,
)
from treadle.training.loggers import report_progress, setup_logger
from treadle.training.workers import OneProcess, RunEnded, WorkerGroup, split_batch

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.optimizers import Optimizer
    from treadle.tokens.example import Example

# The first epoch shuffles the reader's stream in windows of this many Examples.
SHUFFLE_WINDOW = 10_000
# Examples cached in memory for later epochs; a longer stream is read again each epoch
# (and then shuffled only within windows).
CACHE_LIMIT = 200_000


def train(
    nlp: Language,
    output_path: str | Path | None = None,
    *,
    use_gpu: int = -1,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    group: WorkerGroup | None = None,
) -> tuple[Language, Path | None]:
    """Train an initialized ``nlp`` as its config says; returns ``(nlp, best_path)``
    (``best_path`` is None without ``output_path`` or before any improvement).

    A fresh run refuses an ``output_path`` that holds a previous run's model-last/ or
    model-best/ unless ``overwrite`` (they are then removed first) or ``resume``.
    ``group`` is the set of workers this process trains with (``treadle.distributed``);
    by default it trains alone."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    group = group or OneProcess()
    if output_path is not None and group.is_leader:
        check_output_folder(Path(output_path), resume=resume, overwrite=overwrite)
        if overwrite and not resume:
            clear_previous_run(Path(output_path))
    if use_gpu >= 0:
        require_gpu(use_gpu)
    settings, corpora = resolve_training(nlp.config)
    trainer = _Trainer(nlp, settings, corpora, output_path, stdout, stderr, group)
    try:
        return trainer.run(resume)
    finally:
        group.close()


class _Trainer:
    def __init__(
        self,
        nlp: Language,
        settings: TrainingSchema,
        corpora: dict[str, Any],
        output_path: str | Path | None,
        stdout: IO[str],
        stderr: IO[str],
        group: WorkerGroup,
    ) -> None:
        self.nlp = nlp
        self.group = group
        self.T = settings
        self.stdout = stdout
        self.stderr = stderr
        self.output = Path(output_path) if output_path is not None else None
        # Only the leader writes; the others still read model-last to resume.
        self.saving = self.output is not None and group.is_leader
        plan = plan_training(nlp, settings, corpora)
        self.train_reader, self.dev_reader = plan.train_reader, plan.dev_reader
        self.frozen, self.annotating = set(plan.frozen), set(plan.annotating)
        self.optimizer = settings.optimizer
        self.batcher = settings.batcher
        self.score_weights = plan.score_weights
        self.state = TrainingState()
        self.losses: dict[str, float] = {}
        self._dev: list[Example] | None = None
        self._start = time.perf_counter()
        self._last_scores: dict[str, Any] | None = None
        self._applying = False

    # ------------------------------------------------------------------ the run

    def run(self, resume: bool) -> tuple[Language, Path | None]:
        T = self.T
        if resume:
            if self.output is None:
                raise ConfigError("--resume needs the output folder of the interrupted run.")
            self.state = load_training_state(self.nlp, self.output / LAST_DIR, self.optimizer)
        elif T.seed is not None:
            fix_random_seed(T.seed)
        self.group.setup(self.nlp, self.optimizer, self.frozen)
        batches = self._batches()
        if resume:
            self._skip(batches, self.state.step * self.group.size)
            if self.state.rng is not None:
                restore_rng(self.state.rng)
        self._start = time.perf_counter() - self.state.seconds
        if self.group.is_leader:
            log_step, finalize = setup_logger(T.logger, self.nlp, self.stdout, self.stderr)
        else:
            log_step, finalize = _no_log, _no_finalize
        self._log_step = log_step
        evaluated_at = self.state.step if resume else -1
        rng_at_step_start: dict[str, Any] | None = None
        interrupt = StepBoundaryInterrupt(self.stderr if self.group.is_leader else None)
        try:
            with interrupt:
                while not (T.max_steps and self.state.step >= T.max_steps):
                    # Before the batch is drawn: drawing it may use the generators too,
                    # and a resumed run draws it again after restoring them.
                    rng_at_step_start = capture_rng()
                    # A step takes one batch per worker (the end of the stream may
                    # leave some workers none).
                    drawn = [d for d in (next(batches, None) for _ in range(self.group.size)) if d]
                    if not drawn:
                        break
                    epoch = drawn[-1][0]
                    try:
                        stop = self._train_step(epoch, [b for _, b in drawn], interrupt.requested)
                    except RunEnded:
                        break
                    rng_at_step_start = None
                    if self.state.step % T.eval_frequency == 0:
                        out_of_patience = self._evaluate_and_save()
                        evaluated_at = self.state.step
                        if out_of_patience:
                            break
                    else:
                        report_progress(log_step, self._progress())
                    if stop:
                        raise KeyboardInterrupt
                if self.state.step == 0:
                    raise DataError(
                        f"No training steps were made: the training corpus "
                        f"({T.train_corpus}) yielded no batches."
                    )
                if evaluated_at != self.state.step:
                    self._evaluate_and_save()
        except KeyboardInterrupt:
            self._zero_grads()
            where = f" in {self.output / LAST_DIR}" if self.output is not None else ""
            say = self.stderr.write if self.group.is_leader else _no_log
            if self._applying:
                # Stopped inside the optimizer step: some weights moved, others not.
                # Such a state cannot be resumed exactly; the last checkpoint stays.
                say(
                    f"Stopped during step {self.state.step + 1}'s update; model-last{where} "
                    f"holds the last checkpoint (step {evaluated_at}). Continue with --resume.\n"
                )
                raise
            if rng_at_step_start is not None:
                restore_rng(rng_at_step_start)
            if evaluated_at != self.state.step:
                self._save_last(self._last_scores, capture=True)
            say(
                f"Interrupted at step {self.state.step}; saved the last completed step{where}. "
                f"Continue with --resume.\n"
            )
            raise
        finally:
            finalize()
        best = self.output / BEST_DIR if self.output is not None else None
        if best is not None and not best.exists():
            best = None
        return self.nlp, best

    def _train_step(self, epoch: int, batches: list[list[Example]], stop_requested: bool) -> bool:
        """One step over one batch per worker (this worker trains on its own); returns
        whether a worker asked to stop."""
        T = self.T
        if T.before_update is not None:
            T.before_update(self.nlp, {"step": self.state.step, "epoch": epoch})
        share_index, share = self.group.share(batches)
        parts = split_batch(share, T.accumulate_gradient)
        for j, part in enumerate(parts):
            if T.seed is not None:
                # Each part's dropout masks and oracle draws depend on the seed, the step
                # and the part only: N workers then match one process that accumulates N
                # parts, whatever ran before.
                fix_random_seed(part_seed(T.seed, self.state.step, share_index * len(parts) + j))
            # No optimizer here: the parts' gradients add up for one step below.
            self.nlp.update(
                part,
                drop=T.dropout,
                sgd=None,
                losses=self.losses,
                exclude=self.frozen,
                annotates=self.annotating,
            )
        # From the first weight update to the step count, the step is half applied.
        self._applying = True
        stop = self.group.finish_update(self.nlp, self.optimizer, self.frozen, stop_requested)
        self._zero_grads()  # frozen components' gradients, if any reached them
        self.optimizer.step_schedules()
        self.state.step += 1
        self.state.epoch = epoch
        self.state.words += sum(len(eg) for batch in batches for eg in batch)
        self._applying = False
        return stop

    def _progress(self) -> dict[str, Any]:
        state = self.state
        return {"step": state.step, "words": state.words, "eval_frequency": self.T.eval_frequency}

    def _zero_grads(self) -> None:
        for _, param in pipeline_params(self.nlp):
            param.grad = None

    # ------------------------------------------------------------------ data

    def _batches(self) -> Iterator[tuple[int, list[Example]]]:
        """(epoch, batch) pairs, deterministic given the seed and the data."""
        T = self.T
        rng = random.Random(T.seed if T.seed is not None else 0)
        augmenter = reader_augmenter(self.train_reader)

        def stream(epoch: int) -> Iterator[Example]:
            # Reseeded per epoch: each epoch augments anew, and a resumed run replaying
            # the stream sees the same Examples.
            if augmenter is not None:
                seed_augmenter(augmenter, stream_seed(T.seed, epoch))
            return read_corpus(self.train_reader, self.nlp, T.train_corpus)

        epoch = 0
        cache = _Cache(CACHE_LIMIT)
        while not T.max_epochs or T.max_epochs < 0 or epoch < T.max_epochs:
            if T.max_epochs < 0:
                examples: Iterable[Example] = stream(epoch)
            elif epoch == 0 or cache.items is None:
                examples = _shuffled_windows(stream(epoch), rng, cache if epoch == 0 else None)
            elif augmenter is not None:
                # A cache would freeze the first epoch's augmentation: read again, and
                # shuffle the whole epoch as a cached one would be.
                items = list(stream(epoch))
                rng.shuffle(items)
                examples = items
            else:
                rng.shuffle(cache.items)
                examples = cache.items
            produced = False
            for batch in self.batcher(examples):
                produced = True
                yield epoch, batch
            if not produced:
                return
            if augmenter is not None and cache.items:
                cache.items = []  # only whether the epoch fits matters now
            epoch += 1

    @staticmethod
    def _skip(batches: Iterator[tuple[int, list[Example]]], n: int) -> None:
        for _ in range(n):
            if next(batches, None) is None:
                return

    def _dev_examples(self) -> list[Example]:
        if self._dev is None:
            self._dev = list(read_corpus(self.dev_reader, self.nlp, self.T.dev_corpus))
            if not self._dev:
                raise DataError(f"The dev corpus ({self.T.dev_corpus}) is empty.")
        return self._dev

    # ------------------------------------------------------------------ evaluation

    def _evaluate_and_save(self) -> bool:
        """The leader evaluates and saves; returns whether patience ran out (the
        leader's verdict, on every worker, so they stop together)."""
        losses = self.group.sum_losses(dict(self.losses))
        self.losses.clear()
        decision: dict[str, Any] = {}
        if self.group.is_leader:
            with rng_preserved():
                # The state to resume from: the random generators as they are now,
                # since evaluating and saving leave them untouched.
                self.state.rng = capture_rng()
                self._checkpoint(losses)
            state, patience = self.state, self.T.patience
            decision = {
                "best_score": state.best_score,
                "best_step": state.best_step,
                "stop": bool(patience and state.step - state.best_step >= patience),
            }
        decision = self.group.decide(decision)
        if not self.group.is_leader and decision:
            self.state.best_score = decision["best_score"]
            self.state.best_step = decision["best_step"]
        return bool(decision.get("stop", False))

    def _checkpoint(self, losses: dict[str, float]) -> None:
        """Evaluate on the dev set, log a row, write model-last/ and maybe model-best/."""
        optimizer = self.group.before_checkpoint(self.nlp, self.optimizer)
        scores = self._evaluate(optimizer)
        score = weighted_score(scores, self.score_weights)
        state = self.state
        state.seconds = time.perf_counter() - self._start
        state.checkpoints.append((score, state.step, state.epoch))
        improved = state.best_score is None or score > state.best_score
        if improved:
            state.best_score = score
            state.best_step = state.step
        self._last_scores = scores
        info = {
            "epoch": state.epoch,
            "step": state.step,
            "score": score,
            "other_scores": scores,
            "losses": dict(losses),
            "checkpoints": list(state.checkpoints),
            "seconds": state.seconds,
            "words": state.words,
            "score_weights": self.score_weights,
            "output_path": self.output,
        }
        self._log_step(info)
        performance = {**scores, "score": score, "losses": dict(losses)}
        if self.saving:
            assert self.output is not None
            self._save_last(performance, optimizer=optimizer)
            if improved:
                save_pipeline(
                    self.nlp,
                    self.output / BEST_DIR,
                    performance=performance,
                    optimizer=optimizer,
                    before_to_disk=self.T.before_to_disk,
                )

    def _save_last(
        self,
        performance: dict[str, Any] | None,
        *,
        capture: bool = False,
        optimizer: Optimizer | None = None,
    ) -> None:
        if not self.saving:
            return
        assert self.output is not None
        self.state.seconds = time.perf_counter() - self._start
        if capture:
            self.state.rng = capture_rng()
        if optimizer is None:
            optimizer = self.group.before_checkpoint(self.nlp, self.optimizer)
        save_pipeline(
            self.nlp,
            self.output / LAST_DIR,
            performance=performance,
            optimizer=optimizer,
            before_to_disk=self.T.before_to_disk,
            state=self.state,
        )

    def _evaluate(self, optimizer: Optimizer) -> dict[str, Any]:
        dev = self._dev_examples()
        if getattr(optimizer, "use_averages", False):
            with optimizer.use_params(pipeline_params(self.nlp)):
                return self.nlp.evaluate(dev)
        return self.nlp.evaluate(dev)


# ---------------------------------------------------------------------- helpers


class StepBoundaryInterrupt:
    """While active (in the main thread), the first Ctrl-C only asks the loop to stop:
    the step or evaluation under way finishes, so what is saved is a state the run
    really passed through. A second Ctrl-C raises KeyboardInterrupt at once."""

    def __init__(self, stderr: IO[str] | None) -> None:
        self.stderr = stderr
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> StepBoundaryInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self.stderr is not None:
            self.stderr.write("\nStopping after the current step (Ctrl-C again to stop now)...\n")

    def raise_if_requested(self) -> None:
        if self.requested:
            raise KeyboardInterrupt


def part_seed(seed: int, step: int, part: int) -> int:
    """The seed of one part of one step's batch (see ``_train_step``)."""
    return int(np.random.SeedSequence([seed & 0xFFFFFFFF, step, part]).generate_state(1)[0])


def _no_log(*_: Any) -> None:
    return None


def _no_finalize() -> None:
    return None


class _Cache:
    """The first epoch's Examples, kept for later epochs unless there are too many."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[Example] | None = []

    def extend(self, items: list[Example]) -> None:
        if self.items is None:
            return
        if len(self.items) + len(items) > self.limit:
            self.items = None  # too many to hold: later epochs read the corpus again
        else:
            self.items.extend(items)


def _shuffled_windows(
    items: Iterable[Example], rng: random.Random, cache: _Cache | None
) -> Iterator[Example]:
    """``items`` shuffled within windows of SHUFFLE_WINDOW, added to ``cache`` too."""
    window: list[Example] = []
    for item in items:
        window.append(item)
        if len(window) >= SHUFFLE_WINDOW:
            rng.shuffle(window)
            if cache is not None:
                cache.extend(window)
            yield from window
            window = []
    rng.shuffle(window)
    if cache is not None:
        cache.extend(window)
    yield from window


__all__ = ["resolve_score_weights", "train"]
