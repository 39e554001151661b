"""Vectors on Token/Span/Doc: lookups by text then lowercase, means, norms, cosine."""

from __future__ import annotations

import numpy as np
import pytest

import treadle
from treadle.errors import VectorsWarning
from treadle.tokens import Vectors


@pytest.fixture
def vec_nlp(small_vectors):
    words, matrix = small_vectors
    nlp = treadle.blank("en")
    nlp.vocab.vectors = Vectors(matrix, keys=words)
    return nlp


def test_lowercase_fallback(vec_nlp, small_vectors):
    doc = vec_nlp("THE Apple Banana")
    _, matrix = small_vectors
    np.testing.assert_array_equal(doc[0].vector, matrix[0])  # only "the" is in the table
    np.testing.assert_array_equal(doc[1].vector, matrix[1])
    np.testing.assert_array_equal(doc[2].vector, matrix[5])  # its own row comes first
    assert doc[0].has_vector


def test_means_norms_and_similarity(vec_nlp, small_vectors):
    _, matrix = small_vectors
    doc = vec_nlp("apple banana of")
    np.testing.assert_allclose(doc.vector, matrix[1:4].mean(axis=0))
    np.testing.assert_allclose(doc[0:2].vector, matrix[1:3].mean(axis=0))
    assert doc[0].vector_norm == pytest.approx(1.0)
    assert doc.vector_norm == pytest.approx(np.linalg.norm(matrix[1:4].mean(axis=0)))
    assert doc[0].similarity(doc[1]) == pytest.approx(0.0)
    apples = vec_nlp("apples")
    expected = float(matrix[1] @ matrix[4] / np.linalg.norm(matrix[4]))
    assert doc[0].similarity(apples) == pytest.approx(expected)
    assert apples.similarity(doc[0:1]) == pytest.approx(expected)
    assert doc.similarity(doc) == pytest.approx(1.0)


def test_no_vector_gives_zero_and_warns(vec_nlp):
    doc = vec_nlp("apple zzz")
    assert not doc[1].has_vector
    with pytest.warns(VectorsWarning, match="zzz"):
        assert doc[0].similarity(doc[1]) == 0.0
