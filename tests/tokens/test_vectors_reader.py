"""Reading vector files (treadle/tokens/vectors_reader.py): every format gives the same
table; truncate; malformed input names the file and line."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tokens.vector_files import write_npy, write_text, write_word2vec_bin
from treadle.errors import DataError
from treadle.tokens.vectors_reader import read_vectors


def _check(vectors, words, matrix):
    assert vectors.shape == matrix.shape
    for word, row in zip(words, matrix, strict=True):
        np.testing.assert_allclose(vectors[word], row, atol=1e-6)


@pytest.mark.parametrize(
    "name,header", [("v.txt", True), ("v.txt", False), ("v.vec", True), ("v.txt.gz", True), ("v.gz", False)]
)
def test_text_formats(tmp_path, small_vectors, name, header):
    words, matrix = small_vectors
    path = write_text(tmp_path / name, words, matrix, header=header)
    vectors, read_words = read_vectors(path)
    assert read_words == words
    _check(vectors, words, matrix)


def test_word2vec_binary(tmp_path, small_vectors):
    words, matrix = small_vectors
    vectors, _ = read_vectors(write_word2vec_bin(tmp_path / "v.bin", words, matrix))
    _check(vectors, words, matrix)


def test_npy_with_txt_word_list(tmp_path, small_vectors):
    words, matrix = small_vectors
    npy = write_npy(tmp_path / "np", words, matrix)
    _check(read_vectors(npy)[0], words, matrix)
    _check(read_vectors(npy.parent)[0], words, matrix)  # the folder works too


def test_npy_with_parquet_word_list(tmp_path, small_vectors):
    pytest.importorskip("pyarrow")
    words, matrix = small_vectors
    npy = write_npy(tmp_path / "pq", words, matrix, word_list=".parquet")
    vectors, read_words = read_vectors(npy)
    assert read_words == words
    _check(vectors, words, matrix)


def test_npy_without_word_list_is_an_error(tmp_path, small_vectors):
    np.save(tmp_path / "emb.npy", small_vectors[1])
    with pytest.raises(DataError, match="no word list"):
        read_vectors(tmp_path / "emb.npy")


@pytest.mark.parametrize("fmt", ["txt", "bin", "npy"])
def test_truncate_reads_the_first_rows(tmp_path, small_vectors, fmt):
    words, matrix = small_vectors
    if fmt == "txt":
        path = write_text(tmp_path / "v.txt", words, matrix, header=False)
    elif fmt == "bin":
        path = write_word2vec_bin(tmp_path / "v.bin", words, matrix)
    else:
        path = write_npy(tmp_path / "np", words, matrix)
    vectors, read_words = read_vectors(path, truncate=3)
    assert read_words == words[:3]
    _check(vectors, words[:3], matrix[:3])
    assert "of" not in vectors


def test_a_word_with_spaces_keeps_them(tmp_path):
    (tmp_path / "v.txt").write_text("2 2\nnew york 1 2\nthe 3 4\n", encoding="utf8")
    vectors, words = read_vectors(tmp_path / "v.txt")
    assert words == ["new york", "the"]
    np.testing.assert_allclose(vectors["new york"], [1, 2])


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("2 2\nthe 1 2\nof 3\n", 3, "expected a word and 2 values"),
        ("the 1 2\nof 3 x\n", 2, "not a number"),
        ("the 1 2\nof 3 4 5\n", 2, "expected a word and 2 values, got 3"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf8")
    with pytest.raises(DataError, match=rf"bad\.txt:{line}: {message}"):
        read_vectors(path)


def test_progress_reports_rows(tmp_path, small_vectors):
    words, matrix = small_vectors
    seen = []
    read_vectors(write_text(tmp_path / "v.txt", words, matrix), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (6, 6)
