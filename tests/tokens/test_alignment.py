"""Alignment between two tokenizations of a text."""

import numpy as np
import pytest

from treadle.errors import AlignmentError
from treadle.tokens.alignment import Alignment, Ragged


def test_identity_alignment():
    al = Alignment.from_strings(["a", "b", "c"], ["a", "b", "c"])
    assert al.x2y.tolist() == [[0], [1], [2]]
    assert al.y2x.tolist() == [[0], [1], [2]]
    assert al.is_identity


def test_many_to_one_x_to_y():
    # x splits "didn't" in two, y keeps it whole
    al = Alignment.from_strings(["I", "did", "n't", "go"], ["I", "didn't", "go"])
    assert al.x2y.tolist() == [[0], [1], [1], [2]]
    assert al.y2x.tolist() == [[0], [1, 2], [3]]
    assert not al.is_identity


def test_many_to_one_y_to_x():
    al = Alignment.from_strings(["New York", "rocks"], ["New", "York", "rocks"])
    assert al.x2y.tolist() == [[0, 1], [2]]
    assert al.y2x.tolist() == [[0], [0], [1]]
    assert list(al.x2y.lengths) == [2, 1]


def test_crossing_boundaries_many_to_many():
    al = Alignment.from_strings(["ab", "cd"], ["a", "bc", "d"])
    assert al.x2y.tolist() == [[0, 1], [1, 2]]
    assert al.y2x.tolist() == [[0], [0, 1], [1]]


def test_whitespace_differences_are_ignored():
    x = ["Hello", " ", "world", "\n"]
    y = ["Hello", "world"]
    al = Alignment.from_strings(x, y)
    assert al.x2y.tolist() == [[0], [], [1], []]
    assert al.y2x.tolist() == [[0], [2]]


def test_whitespace_inside_tokens():
    al = Alignment.from_strings(["a b", "c"], ["a", "b", "c"])
    assert al.x2y.tolist() == [[0, 1], [2]]
    assert al.y2x.tolist() == [[0], [0], [1]]


def test_from_offsets_uses_text_positions():
    # x and y have different spacing in their texts
    al = Alignment.from_offsets(
        "ab  cd", np.array([0, 4]), np.array([2, 2]), "abcd", np.array([0, 2]), np.array([2, 2])
    )
    assert al.x2y.tolist() == [[0], [1]]


def test_different_texts_raise_naming_both():
    with pytest.raises(AlignmentError) as err:
        Alignment.from_strings(["Hello", "world"], ["Hello", "word"])
    msg = str(err.value)
    assert "Helloworld" in msg and "Helloword" in msg
    assert "first difference" in msg


def test_empty():
    al = Alignment.from_strings([], [])
    assert len(al.x2y) == 0 and len(al.y2x) == 0
    al = Alignment.from_strings([" "], [])
    assert al.x2y.tolist() == [[]]


def test_ragged_indexing():
    r = Ragged(np.array([5, 6, 7]), np.array([2, 0, 1]))
    assert r[0].tolist() == [5, 6]
    assert r[1].tolist() == []
    assert r[-1].tolist() == [7]
    assert len(r) == 3
    assert not r.is_one_to_one


def test_unicode_and_case():
    al = Alignment.from_strings(["Zürich", "—", "naïve"], ["Zü", "rich—naïve"])
    assert al.x2y.tolist() == [[0, 1], [1], [1]]
    with pytest.raises(AlignmentError):
        Alignment.from_strings(["Abc"], ["abc"])
