"""The training loop's view of the processes that train one pipeline together.

``train()`` runs the same loop in every worker; what differs between one process and
several is behind :class:`WorkerGroup`:

- every worker draws the same batch stream (same seed, same reader); a step takes
  ``size`` consecutive batches and worker r trains on the r-th
  (:meth:`WorkerGroup.share`), so all workers take the same number of steps, and N
  synchronous workers follow the trajectory of one process whose batches are N times
  larger with ``accumulate_gradient = N``;
- :meth:`WorkerGroup.finish_update` applies a step: one process steps its optimizer;
  synchronous workers first sum their gradients; asynchronous ones exchange gradients
  and weights with the parameters' owners (``treadle.distributed``);
- only the leader (rank 0) evaluates, logs and saves; it hands its decisions (best
  score, stop) to the others with :meth:`WorkerGroup.decide`.

The implementations for several workers live in ``treadle/distributed/``; this module
holds the contract and the one-process case, so the loop never branches on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable

    from treadle.language import Language
    from treadle.ml.optimizers import Optimizer
    from treadle.tokens.example import Example


class RunEnded(Exception):
    """Raised by a worker's group when the leader has ended the run (an asynchronous
    run's other workers do not take their steps in lockstep with it)."""


class WorkerGroup(Protocol):
    """What the training loop needs from the workers that train one pipeline."""

    rank: int
    size: int

    @property
    def is_leader(self) -> bool: ...

    def setup(self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str]) -> None:
        """Before the first step: every worker starts from the leader's weights."""

    def share(self, batches: list[list[Example]]) -> tuple[int, list[Example]]:
        """This worker's batch among a step's ``batches`` (one per worker, fewer at
        the end of the stream) and its index."""

    def finish_update(
        self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str], stop: bool
    ) -> bool:
        """Apply the step's gradients; returns whether any worker asked to stop."""

    def decide(self, decision: dict[str, Any]) -> dict[str, Any]:
        """The leader's ``decision``, on every worker (the others pass a placeholder)."""

    def sum_losses(self, losses: dict[str, float]) -> dict[str, float]:
        """Every worker's losses added up (the same keys on each worker)."""

    def before_checkpoint(self, nlp: Language, optimizer: Optimizer) -> Optimizer:
        """On the leader, before it evaluates and saves: bring in what other workers
        hold (an asynchronous run's latest weights); returns the optimizer to save."""

    def close(self) -> None:
        """After the run, on every worker."""


class OneProcess:
    """The default: a single worker."""

    rank = 0
    size = 1
    is_leader = True

    def setup(self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str]) -> None:
        return None

    def share(self, batches: list[list[Example]]) -> tuple[int, list[Example]]:
        return 0, batches[0]

    def finish_update(
        self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str], stop: bool
    ) -> bool:
        nlp.finish_update(optimizer, exclude=exclude)
        return stop

    def decide(self, decision: dict[str, Any]) -> dict[str, Any]:
        return decision

    def sum_losses(self, losses: dict[str, float]) -> dict[str, float]:
        return losses

    def before_checkpoint(self, nlp: Language, optimizer: Optimizer) -> Optimizer:
        return optimizer

    def close(self) -> None:
        return None


def own_batch(batches: list[list[Example]], rank: int) -> list[Example]:
    """Worker ``rank``'s batch of a step (none when the stream ran out before it)."""
    return batches[rank] if rank < len(batches) else []


def split_batch(batch: list[Example], parts: int) -> list[list[Example]]:
    """``batch`` cut into ``parts`` contiguous parts whose sizes differ by at most one
    (fewer parts when the batch is shorter)."""
    if parts <= 1 or len(batch) <= 1:
        return [batch]
    parts = min(parts, len(batch))
    size, extra = divmod(len(batch), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(batch[start:end])
        start = end
    return out


__all__ = ["OneProcess", "RunEnded", "WorkerGroup", "own_batch", "split_batch"]
