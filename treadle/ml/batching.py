"""``minibatch`` and ``multibatch``: sized, re-iterable batch streams.

Both return a :class:`SizedGenerator`: ``len()`` gives the number of batches the
next pass will yield, and every ``for`` loop over it batches (and, with
``shuffle=True``, re-shuffles) the data afresh, so one object can be defined
outside the epoch loop. ``size`` is an int or a schedule/iterator of sizes; with
a schedule, the sizes continue across passes (a compounding batch size keeps
growing), and ``len()`` peeks at the coming sizes without consuming them.

Shuffling uses numpy's global generator, so ``fix_random_seed`` makes it repeatable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch


class _Sizes:
    """A stream of batch sizes that can be peeked ahead without being consumed."""

    def __init__(self, size: Any) -> None:
        if isinstance(size, int | float):
            if int(size) < 1:
                raise ValueError(f"batch size must be at least 1, got {size}")
            self._fixed: int | None = int(size)
            self._it: Iterator[Any] | None = None
        else:
            self._fixed = None
            self._it = iter(size)
        self._ahead: deque[int] = deque()

    def _pull(self) -> int:
        assert self._it is not None
        return max(1, int(next(self._it)))

    def next(self) -> int:
        if self._fixed is not None:
            return self._fixed
        return self._ahead.popleft() if self._ahead else self._pull()

    def count_batches(self, n_items: int) -> int:
        if self._fixed is not None:
            return -(-n_items // self._fixed)
        total, i = 0, 0
        while total < n_items:
            if i == len(self._ahead):
                self._ahead.append(self._pull())
            total += self._ahead[i]
            i += 1
        return i


class SizedGenerator:
    """Calls ``get_items()`` afresh on every iteration; ``len()`` from ``get_length()``."""

    def __init__(self, get_items: Callable[[], Iterator[Any]], get_length: Callable[[], int]):
        self.get_items = get_items
        self.get_length = get_length

    def __len__(self) -> int:
        return self.get_length()

    def __iter__(self) -> Iterator[Any]:
        yield from self.get_items()


def _take(seq: Any, idx: np.ndarray | slice) -> Any:
    """Select items of ``seq`` by an index array or slice, keeping its kind."""
    if isinstance(idx, slice):
        return seq[idx]
    if isinstance(seq, np.ndarray):
        return seq[idx]
    if isinstance(seq, torch.Tensor):
        return seq[torch.from_numpy(idx).to(seq.device)]
    return [seq[i] for i in idx.tolist()]


def _batch_stream(size: Any, sequences: Sequence[Any], shuffle: bool) -> SizedGenerator:
    n = len(sequences[0])
    for seq in sequences[1:]:
        if len(seq) != n:
            raise ValueError(f"multibatch: sequences differ in length ({n} vs {len(seq)})")
    sizes = _Sizes(size)

    def items() -> Iterator[list[Any]]:
        order = np.random.permutation(n) if shuffle else None
        start = 0
        while start < n:
            end = min(n, start + sizes.next())
            idx = slice(start, end) if order is None else order[start:end]
            yield [_take(seq, idx) for seq in sequences]
            start = end

    return SizedGenerator(items, lambda: sizes.count_batches(n))


def minibatch(size: Any, items: Sequence[Any], *, shuffle: bool = False, buffer: int = 1) -> SizedGenerator:
    """Batches of ``items`` (a list, numpy array or tensor), each of the same kind as ``items``.

    ``buffer`` is accepted for compatibility; batches are slices computed on demand,
    so there is nothing to prefetch.
    """
    if not hasattr(items, "__len__"):
        items = list(items)
    stream = _batch_stream(size, [items], shuffle)
    return SizedGenerator(lambda: (b[0] for b in stream), stream.get_length)


def multibatch(size: Any, *sequences: Any, shuffle: bool = False, buffer: int = 1) -> SizedGenerator:
    """Batches of several aligned sequences: each batch is a list with one part per sequence."""
    if not sequences:
        raise ValueError("multibatch needs at least one sequence")
    seqs = [s if hasattr(s, "__len__") else list(s) for s in sequences]
    return _batch_stream(size, seqs, shuffle)
