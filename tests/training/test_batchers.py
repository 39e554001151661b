"""Batchers: sizes, tolerance, oversize items, schedules, registration."""

from __future__ import annotations

import pytest

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.schedules import compounding
from treadle.training.batchers import (
    configure_batch_by_padded,
    configure_batch_by_sequence,
    configure_batch_by_words,
)


def items(*lengths: int) -> list[str]:
    return ["x" * n for n in lengths]


def lengths(batches: list[list[str]]) -> list[list[int]]:
    return [[len(i) for i in b] for b in batches]


@pytest.mark.parametrize("name", ["batch_by_words.v1", "batch_by_sequence.v1", "batch_by_padded.v1"])
def test_registered_with_and_without_prefix(name):
    assert registry.batchers.get(name) is registry.batchers.get(f"treadle.{name}")


def test_batch_by_words_closes_at_size():
    batcher = configure_batch_by_words(10, tolerance=0.0)
    assert lengths(list(batcher(items(4, 4, 2, 3, 3, 3, 1)))) == [[4, 4, 2], [3, 3, 3, 1]]


def test_batch_by_words_tolerance_lets_a_batch_run_over():
    strict = configure_batch_by_words(10, tolerance=0.0)
    loose = configure_batch_by_words(10, tolerance=0.2)
    data = items(6, 5, 3)
    assert lengths(list(strict(data))) == [[6], [5, 3]]
    assert lengths(list(loose(data))) == [[6, 5], [3]]


def test_batch_by_words_oversize_alone_or_discarded():
    data = items(3, 50, 4)
    kept = configure_batch_by_words(10, tolerance=0.0)
    dropped = configure_batch_by_words(10, tolerance=0.0, discard_oversize=True)
    assert lengths(list(kept(data))) == [[50], [3, 4]]
    assert lengths(list(dropped(data))) == [[3, 4]]


def test_batch_by_words_custom_length():
    batcher = configure_batch_by_words(2, tolerance=0.0, get_length=lambda _: 1)
    assert lengths(list(batcher(items(9, 9, 9)))) == [[9, 9], [9]]


def test_size_schedule_continues_across_calls():
    batcher = configure_batch_by_sequence(compounding(1, 8, 2.0))
    assert [len(b) for b in batcher(list(range(7)))] == [1, 2, 4]
    # the next call carries on with 8, not from 1 again
    assert [len(b) for b in batcher(list(range(10)))] == [8, 2]


def test_batch_by_sequence_counts_items():
    batcher = configure_batch_by_sequence(3)
    assert [len(b) for b in batcher(range(8))] == [3, 3, 2]


def test_batch_by_padded_sorts_and_bounds_padded_size():
    batcher = configure_batch_by_padded(12, buffer=8)
    data = items(5, 1, 6, 2, 1, 3)
    batches = lengths(list(batcher(data)))
    assert sorted(n for b in batches for n in b) == sorted(len(i) for i in data)
    for b in batches:
        assert b == sorted(b)
        assert max(b) * len(b) <= 12


def test_batch_by_padded_oversize():
    data = items(2, 20, 3)
    assert sorted(lengths(list(configure_batch_by_padded(10)(data)))) == [[2, 3], [20]]
    dropped = configure_batch_by_padded(10, discard_oversize=True)
    assert lengths(list(dropped(data))) == [[2, 3]]


def test_batchers_from_config():
    resolved = registry.resolve(
        {
            "b": {
                "@batchers": "treadle.batch_by_words.v1",
                "size": {"@schedules": "compounding.v1", "start": 2, "stop": 4, "compound": 2.0},
                "tolerance": 0.0,
            }
        }
    )
    assert lengths(list(resolved["b"](items(1, 1, 1, 1, 1, 1)))) == [[1, 1], [1, 1, 1, 1]]


@pytest.mark.parametrize("bad", [0, -3, True, "ten"])
def test_bad_size_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="training.batcher.size"):
        configure_batch_by_words(bad)
