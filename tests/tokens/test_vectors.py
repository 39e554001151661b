"""Vectors: lookup, adding rows and aliases, saving."""

import numpy as np
import pytest

from treadle.tokens import Vectors, hash_string


def test_vectors_find_add_and_disk(tmp_path):
    data = np.arange(6, dtype=np.float32).reshape(3, 2)
    vectors = Vectors(data=data, keys=["a", "b", "c"])
    assert vectors.shape == (3, 2) and vectors.n_keys == 3
    assert list(vectors.find(np.array([hash_string("c"), hash_string("zz")], dtype=np.uint64))) == [2, -1]
    assert "a" in vectors and hash_string("b") in vectors and "d" not in vectors
    row = vectors.add("d", vector=[9, 9])
    assert row == 3 and vectors.shape[1] == 2
    vectors.add("alias", row=0)
    np.testing.assert_allclose(vectors["alias"], [0, 1])
    assert vectors.get("missing") is None
    with pytest.raises(ValueError, match="width"):
        vectors.add("bad", vector=[1, 2, 3])
    vectors.to_disk(tmp_path / "v")
    back = Vectors().from_disk(tmp_path / "v")
    np.testing.assert_allclose(back["d"], [9, 9])
    assert back.find(["alias", "b", "nope"]).tolist() == [0, 1, -1]
    assert (tmp_path / "v" / "vectors.safetensors").exists()
