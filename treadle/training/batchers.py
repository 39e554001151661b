"""Batchers: registered functions that turn a stream of items into a stream of batches.

A config names one in ``[training.batcher]``; the registered function *creates* the
batcher, ``batcher(items) -> Iterator[list]``. ``size`` is an int or a schedule (any
iterator of numbers, e.g. ``compounding.v1``): a new size is drawn for every batch, and
the schedule keeps its position across calls, so a growing batch size keeps growing
from one epoch to the next.

- ``batch_by_words.v1``: batches of about ``size`` words. A batch is closed once it
  holds ``size`` words, or before an item that would take it past
  ``size * (1 + tolerance)``. An item longer than that on its own is yielded alone,
  or dropped with ``discard_oversize``.
- ``batch_by_sequence.v1``: ``size`` items per batch.
- ``batch_by_padded.v1``: reads ``buffer`` items, sorts them by length and cuts them
  into batches whose padded size (items x longest item) stays within ``size``, so
  padding wastes little work. Oversized items: alone, or dropped.

Each is registered under its plain name and with the ``treadle.`` prefix.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from treadle.config import registry
from treadle.errors import ConfigError

Batcher = Callable[[Iterable[Any]], Iterator[list[Any]]]
# An int or a schedule; typed loosely so validation never wraps a schedule iterator.
SizeArg = Any


def _size_stream(size: Any, name: str) -> Iterator[int]:
    """An endless stream of positive batch sizes from an int or a schedule."""
    if isinstance(size, bool | str | bytes):
        raise ConfigError(f"training.batcher.size: expected a number or a schedule, got {size!r}")
    if isinstance(size, int | float):
        if size < 1:
            raise ConfigError(f"training.batcher.size ({name}): must be at least 1, got {size}")
        return itertools.repeat(int(size))
    if isinstance(size, Iterator):
        it = size
    elif hasattr(size, "__iter__"):
        it = iter(size)
    else:
        raise ConfigError(
            f"training.batcher.size ({name}): expected a number or a schedule, got {size!r}"
        )

    def sizes() -> Iterator[int]:
        for value in it:
            yield max(1, int(value))

    return sizes()


def _length_of(item: Any) -> int:
    return len(item)


@registry.batchers("batch_by_words.v1")
def configure_batch_by_words(
    size: SizeArg,
    tolerance: float = 0.2,
    discard_oversize: bool = False,
    get_length: Callable[[Any], int] | None = None,
) -> Batcher:
    """Batches of about ``size`` words (see the module docstring)."""
    sizes = _size_stream(size, "batch_by_words")
    length = get_length or _length_of
    if tolerance < 0:
        raise ConfigError(f"training.batcher.tolerance must be >= 0, got {tolerance}")

    def batch_by_words(items: Iterable[Any]) -> Iterator[list[Any]]:
        # A size is drawn when a batch starts, so none is wasted at the end of a call.
        target: int | None = None
        batch: list[Any] = []
        n_words = 0
        for item in items:
            n = length(item)
            if target is None:
                target = next(sizes)
            limit = target * (1.0 + tolerance)
            if n > limit:
                if not discard_oversize:
                    yield [item]
                continue
            if batch and n_words + n > limit:
                yield batch
                batch, n_words = [], 0
                target = next(sizes)
            batch.append(item)
            n_words += n
            if n_words >= target:
                yield batch
                batch, n_words, target = [], 0, None
        if batch:
            yield batch

    return batch_by_words


@registry.batchers("batch_by_sequence.v1")
def configure_batch_by_sequence(
    size: SizeArg, get_length: Callable[[Any], int] | None = None
) -> Batcher:
    """``size`` items per batch (``get_length`` is accepted for a uniform signature)."""
    sizes = _size_stream(size, "batch_by_sequence")

    def batch_by_sequence(items: Iterable[Any]) -> Iterator[list[Any]]:
        it = iter(items)
        for first in it:  # a size is drawn only when there is an item to batch
            yield [first, *itertools.islice(it, next(sizes) - 1)]

    return batch_by_sequence


@registry.batchers("batch_by_padded.v1")
def configure_batch_by_padded(
    size: SizeArg,
    buffer: int = 256,
    discard_oversize: bool = False,
    get_length: Callable[[Any], int] | None = None,
) -> Batcher:
    """Length-sorted batches whose padded size stays within ``size`` (module docstring)."""
    sizes = _size_stream(size, "batch_by_padded")
    length = get_length or _length_of
    if buffer < 1:
        raise ConfigError(f"training.batcher.buffer must be at least 1, got {buffer}")

    def batch_by_padded(items: Iterable[Any]) -> Iterator[list[Any]]:
        it = iter(items)
        while True:
            chunk = list(itertools.islice(it, buffer))
            if not chunk:
                return
            lengths = [length(item) for item in chunk]
            order = sorted(range(len(chunk)), key=lengths.__getitem__)
            target: int | None = None
            batch: list[Any] = []
            longest = 0
            for i in order:
                n = lengths[i]
                if target is None:
                    target = next(sizes)
                if n > target:
                    if not discard_oversize:
                        yield [chunk[i]]
                    continue
                if batch and max(longest, n) * (len(batch) + 1) > target:
                    yield batch
                    batch, longest = [], 0
                    target = next(sizes)
                batch.append(chunk[i])
                longest = max(longest, n)
            if batch:
                yield batch
                target = None

    return batch_by_padded


for _name, _func in [
    ("batch_by_words.v1", configure_batch_by_words),
    ("batch_by_sequence.v1", configure_batch_by_sequence),
    ("batch_by_padded.v1", configure_batch_by_padded),
]:
    registry.batchers.register(f"treadle.{_name}", func=_func)


__all__ = [
    "configure_batch_by_padded",
    "configure_batch_by_sequence",
    "configure_batch_by_words",
]
