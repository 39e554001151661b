"""Asynchronous training on Ray actors (``treadle ray train --strategy async``).

Every parameter tensor has exactly one owner among the workers (tensors shared out
by size, so each owns about the same number of weights). After each local
``nlp.update`` a worker:

1. sends the gradients of the tensors it does not own to their owners, labelled with
   the version of the weights they were computed on (fire and forget);
2. adds its own gradients for the tensors it owns to those received from the others;
   a received gradient computed on weights more than ``MAX_STALENESS`` versions old
   is discarded as stale;
3. for each owned tensor that has gathered ``quorum`` gradients (one per worker by
   default), takes an optimizer step, bumps the tensor's version and sends the new
   values to every other worker;
4. installs the newest values other owners have sent, for its next step.

Nobody waits for anybody: messages are Ray actor calls answered on the actor's other
threads, which only queue them; the training thread takes them in between steps. A
worker's view of the tensors it does not own is therefore a step or so behind. Worker
0 evaluates and saves as in ``treadle train``; before it does, it fetches the owners'
latest weights, averages and optimizer state, so model-last/ and model-best/ hold the
newest weights of every tensor and ``--resume`` has everything. When worker 0 ends
the run, it tells the others, which stop at their next step.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.training.checkpoint import pipeline_params
from treadle.training.workers import RunEnded, own_batch

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.optimizers import Optimizer
    from treadle.tokens.example import Example

# A gradient from weights at most this many versions behind the owner's still counts.
MAX_STALENESS = 1


def assign_owners(sizes: dict[str, int], n_workers: int) -> dict[str, int]:
    """Each key's owner: the largest tensors first, each to the least-loaded worker
    (ties by rank), so every worker computes the same assignment."""
    load = [0] * n_workers
    owners: dict[str, int] = {}
    for key in sorted(sizes, key=lambda k: (-sizes[k], k)):
        rank = min(range(n_workers), key=lambda r: (load[r], r))
        owners[key] = rank
        load[rank] += sizes[key]
    return owners


class AsyncGroup:
    """One worker of an asynchronous run; ``peers[r]`` is worker ``r``'s actor."""

    def __init__(
        self,
        rank: int,
        size: int,
        peers: list[Any],
        stop: threading.Event,
        *,
        quorum: int | None = None,
    ) -> None:
        self.rank = rank
        self.size = size
        self.peers = peers
        self.stop = stop
        self.quorum = quorum or size
        self.stats = {"sent": 0, "applied": 0, "stale": 0, "steps": 0}
        self._grads: queue.SimpleQueue[tuple[int, dict[str, Any]]] = queue.SimpleQueue()
        self._values: queue.SimpleQueue[tuple[int, dict[str, Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()  # the weights: the training thread vs owned_state()
        self._ended = threading.Event()
        self._closed = False
        self._params: dict[str, torch.Tensor] = {}
        self._owners: dict[str, int] = {}
        self._version: dict[str, int] = {}
        self._pending: dict[str, torch.Tensor | None] = {}
        self._count: dict[str, int] = {}
        self._optimizer: Optimizer | None = None

    @property
    def is_leader(self) -> bool:
        return self.rank == 0

    def owned(self) -> list[str]:
        return [k for k, r in self._owners.items() if r == self.rank]

    # --- the training loop's side ----------------------------------------------------

    def setup(self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str]) -> None:
        self._params = dict(pipeline_params(nlp, exclude=set(exclude)))
        self._owners = assign_owners({k: p.numel() for k, p in self._params.items()}, self.size)
        self._version = dict.fromkeys(self._params, 0)
        self._pending = dict.fromkeys(self.owned())
        self._count = dict.fromkeys(self.owned(), 0)
        self._optimizer = optimizer
        # Every worker built the same weights from the same seed; the owners' copies
        # are the reference from here on.
        self._send_values(self.owned())

    def share(self, batches: list[list[Example]]) -> tuple[int, list[Example]]:
        return self.rank, own_batch(batches, self.rank)

    def finish_update(
        self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str], stop: bool
    ) -> bool:
        with self._lock:
            self._send_grads()
            self._take_grads()
            self._step_owned(optimizer)
            self._take_values()
            for p in self._params.values():
                p.grad = None
        if self._ended.is_set():
            raise RunEnded
        return stop or self.stop.is_set()

    def decide(self, decision: dict[str, Any]) -> dict[str, Any]:
        return decision if self.is_leader else {}

    def sum_losses(self, losses: dict[str, float]) -> dict[str, float]:
        return losses

    def before_checkpoint(self, nlp: Language, optimizer: Optimizer) -> Optimizer:
        """Bring every owner's newest weights, averages and optimizer state into this
        worker's pipeline and optimizer, so the checkpoint is the whole model."""
        import ray

        states = ray.get([p.owned_state.remote() for r, p in enumerate(self.peers) if r != self.rank])
        with self._lock, torch.no_grad():
            for state in states:
                for key, entry in state.items():
                    param = self._params.get(key)
                    if param is None:
                        continue
                    param.copy_(torch.as_tensor(np.array(entry["value"])).to(param))
                    self._version[key] = entry["version"]
                    for table, name in (
                        (optimizer.averages, "average"),
                        (optimizer.mom1, "mom1"),
                        (optimizer.mom2, "mom2"),
                    ):
                        if entry.get(name) is not None:
                            table[key] = torch.as_tensor(np.array(entry[name])).to(param)
                    if entry.get("steps") is not None:
                        optimizer.steps[key] = entry["steps"]
        return optimizer

    def close(self) -> None:
        self._closed = True
        if self.is_leader:
            for r, peer in enumerate(self.peers):
                if r != self.rank:
                    peer.end_run.remote()

    # --- messages from other workers (answered on the actor's other threads) ---------

    def receive_grads(self, sender: int, grads: dict[str, Any]) -> None:
        if not self._closed:
            self._grads.put((sender, grads))

    def receive_params(self, sender: int, values: dict[str, Any]) -> None:
        if not self._closed:
            self._values.put((sender, values))

    def end_run(self) -> None:
        self._ended.set()

    def owned_state(self) -> dict[str, Any]:
        opt = self._optimizer
        with self._lock:
            out: dict[str, Any] = {}
            for key in self.owned():
                p = self._params[key]
                out[key] = {
                    "value": _array(p),
                    "version": self._version[key],
                    "average": _array(opt.averages[key]) if opt and key in opt.averages else None,
                    "mom1": _array(opt.mom1[key]) if opt and key in opt.mom1 else None,
                    "mom2": _array(opt.mom2[key]) if opt and key in opt.mom2 else None,
                    "steps": opt.steps.get(key) if opt else None,
                }
            return out

    # --- the exchange ------------------------------------------------------------------

    def _send_grads(self) -> None:
        """Other owners' gradients to them; this worker's own into its pending sums."""
        outgoing: dict[int, dict[str, Any]] = {}
        for key, p in self._params.items():
            if p.grad is None:
                continue
            owner = self._owners[key]
            if owner == self.rank:
                self._add(key, p.grad)
            else:
                outgoing.setdefault(owner, {})[key] = (self._version[key], _array(p.grad))
        for owner, grads in outgoing.items():
            self.peers[owner].push_grads.remote(self.rank, grads)
            self.stats["sent"] += len(grads)

    def _take_grads(self) -> None:
        while True:
            try:
                _, grads = self._grads.get_nowait()
            except queue.Empty:
                return
            for key, (version, value) in grads.items():
                if key not in self._count:
                    continue
                if self._version[key] - version > MAX_STALENESS:
                    self.stats["stale"] += 1
                    continue
                self._add(key, torch.as_tensor(np.array(value)).to(self._params[key]))
                self.stats["applied"] += 1

    def _add(self, key: str, grad: torch.Tensor) -> None:
        pending = self._pending[key]
        self._pending[key] = grad.detach().clone() if pending is None else pending.add_(grad)
        self._count[key] += 1

    def _step_owned(self, optimizer: Optimizer) -> None:
        ready = [k for k, n in self._count.items() if n >= self.quorum]
        if not ready:
            return
        for key in ready:
            self._params[key].grad = self._pending[key]
        optimizer.step([(key, self._params[key]) for key in ready])
        for key in ready:
            self._version[key] += 1
            self._pending[key] = None
            self._count[key] = 0
            self._params[key].grad = None
        self.stats["steps"] += 1
        self._send_values(ready)

    def _send_values(self, keys: list[str]) -> None:
        if not keys or self.size == 1:
            return
        values = {k: (self._version[k], _array(self._params[k])) for k in keys}
        for r, peer in enumerate(self.peers):
            if r != self.rank:
                peer.push_params.remote(self.rank, values)

    def _take_values(self) -> None:
        with torch.no_grad():
            while True:
                try:
                    _, values = self._values.get_nowait()
                except queue.Empty:
                    return
                for key, (version, value) in values.items():
                    param = self._params.get(key)
                    if param is None or version < self._version[key]:
                        continue  # an older message overtaken by a newer one
                    param.copy_(torch.as_tensor(np.array(value)).to(param))
                    self._version[key] = version


def _array(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", copy=True).numpy()


__all__ = ["MAX_STALENESS", "AsyncGroup", "assign_owners"]
