"""most_similar and prune (treadle/tokens/vectors_search.py)."""

from __future__ import annotations

import numpy as np

from treadle.tokens import Vectors
from treadle.tokens.strings import hash_string


def test_most_similar_returns_best_first(small_vectors):
    words, matrix = small_vectors
    vectors = Vectors(matrix, keys=words)
    queries = np.stack([matrix[1], matrix[2]])
    keys, rows, scores = vectors.most_similar(queries, n=2)
    assert keys.shape == rows.shape == scores.shape == (2, 2)
    assert keys[0].tolist() == [hash_string("apple"), hash_string("apples")]
    assert keys[1].tolist() == [hash_string("banana"), hash_string("Banana")]
    assert np.all(scores[:, 0] >= scores[:, 1])
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-6)


def test_most_similar_in_small_batches_agrees(small_vectors):
    words, matrix = small_vectors
    vectors = Vectors(matrix, keys=words)
    rng = np.random.default_rng(0)
    queries = rng.normal(size=(7, 4)).astype(np.float32)
    whole = vectors.most_similar(queries, n=3, batch_size=1024)
    batched = vectors.most_similar(queries, n=3, batch_size=2)
    np.testing.assert_array_equal(whole[0], batched[0])
    np.testing.assert_array_equal(whole[1], batched[1])
    np.testing.assert_allclose(whole[2], batched[2], atol=1e-6)  # BLAS sums by block


def test_prune_maps_removed_words_to_nearest_kept_row(small_vectors):
    words, matrix = small_vectors
    vectors = Vectors(matrix, keys=words)
    remap = vectors.prune(4)
    assert vectors.shape == (4, 4)
    assert set(remap) == {hash_string("apples"), hash_string("Banana")}
    assert remap[hash_string("apples")][0] == hash_string("apple")
    assert remap[hash_string("Banana")][0] == hash_string("banana")
    np.testing.assert_array_equal(vectors["apples"], matrix[1])
    np.testing.assert_array_equal(vectors["Banana"], matrix[2])
    np.testing.assert_array_equal(vectors["of"], matrix[3])  # kept rows are untouched
