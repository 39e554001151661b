"""floret hashing (treadle/tokens/floret.py) and floret tables: any word has a vector,
deterministically, and the settings survive saving."""

from __future__ import annotations

import numpy as np
import pytest

from treadle.tokens import Vectors, Vocab
from treadle.tokens.floret import FloretSettings, bucket_rows, murmurhash3_x64_128, ngrams
from treadle.tokens.vectors_reader import read_vectors


def test_murmurhash_matches_reference_values():
    # Reference values from the mmh3 package (hash64, unsigned), checked once by hand.
    assert murmurhash3_x64_128(b"<cat>", 0) == (8120806189625663914, 2561858249570018756)
    assert murmurhash3_x64_128(b"hello world, seventeen+", 7) == (277139731545441110, 17316556384596787081)


def test_ngrams_wrap_the_word():
    grams = ngrams("cat", FloretSettings(minn=3, maxn=4))
    assert grams[0] == "<cat>"
    assert {"<ca", "cat", "at>", "<cat", "cat>"} <= set(grams)


def _floret_file(tmp_path, rows=20, dims=3, seed=0):
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(rows, dims)).astype(np.float32)
    lines = [f"{rows} {dims} 3 4 2 7 < >"] + [
        f"{i} " + " ".join(f"{x:.6f}" for x in row) for i, row in enumerate(matrix)
    ]
    path = tmp_path / "v.floret"
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path, matrix


def test_floret_vector_for_an_oov_word(tmp_path):
    path, matrix = _floret_file(tmp_path)
    vectors, words = read_vectors(path, mode="floret")
    assert words == [] and vectors.mode == "floret"
    assert vectors.floret == FloretSettings(minn=3, maxn=4, hash_count=2, hash_seed=7)
    vocab = Vocab(vectors=vectors)
    word = "unseenword"
    assert vocab.has_vector(word)
    expected = matrix[bucket_rows(word, vectors.floret, 20)].mean(axis=0)
    np.testing.assert_allclose(vocab.get_vector(word), expected, atol=1e-6)
    assert not np.allclose(vocab.get_vector("other"), vocab.get_vector(word))


def test_floret_settings_round_trip(tmp_path):
    path, _ = _floret_file(tmp_path)
    vectors, _ = read_vectors(path, mode="floret")
    vectors.to_disk(tmp_path / "saved")
    loaded = Vectors().from_disk(tmp_path / "saved")
    assert loaded.mode == "floret" and loaded.floret == vectors.floret
    np.testing.assert_array_equal(loaded.vectors_for(["zebra"]), vectors.vectors_for(["zebra"]))
    again = Vectors().from_bytes(vectors.to_bytes())
    np.testing.assert_array_equal(again.vectors_for(["zebra"]), vectors.vectors_for(["zebra"]))


def test_floret_header_is_checked(tmp_path):
    (tmp_path / "v.floret").write_text("2 3\n0 1 2 3\n", encoding="utf8")
    from treadle.errors import DataError

    with pytest.raises(DataError, match=r"v\.floret:1"):
        read_vectors(tmp_path / "v.floret", mode="floret")
