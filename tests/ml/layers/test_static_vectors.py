"""StaticVectors: the table is not trained, missing keys give zeros."""

from __future__ import annotations

import numpy as np
import torch

from tests.ml.helpers import make_docs, predict_docs, train_on_docs
from treadle.ml import Adam, fix_random_seed
from treadle.ml.layers import StaticVectors


def test_static_vectors_not_updated_and_missing_keys_zero(vocab):
    fix_random_seed(0)
    table = np.arange(12, dtype="f").reshape(3, 4)
    for i, word in enumerate(["cat", "dog", "fish"]):
        vocab.vectors.add(word, vector=table[i])
    before = vocab.vectors.data.copy()
    layer = StaticVectors(5)
    docs = make_docs(vocab, ["cat unknown", "fish"])
    opt = Adam(0.1)
    for _ in range(3):
        train_on_docs(layer, docs, opt)
    np.testing.assert_array_equal(vocab.vectors.data, before)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]  # the table is not a parameter
    out = predict_docs(layer, docs).data
    assert torch.all(out[1] == 0)  # "unknown" has no vector
    torch.testing.assert_close(out[0], layer.weight.detach() @ torch.from_numpy(table[0]))
    assert "weight" in layer.state_dict() and len(layer.state_dict()) == 1


def test_static_vectors_fall_back_to_lowercase_and_floret_covers_any_word(small_vectors):
    import treadle
    from treadle.tokens import Vectors
    from treadle.tokens.floret import FloretSettings

    words, matrix = small_vectors
    nlp = treadle.blank("en")
    nlp.vocab.vectors = Vectors(matrix, keys=words)
    layer = StaticVectors(3, 4)
    doc = nlp("THE zzz")
    out = layer([doc]).data
    torch.testing.assert_close(out[0], layer.weight @ torch.from_numpy(matrix[0]))
    assert torch.count_nonzero(out[1]) == 0
    nlp.vocab.vectors = Vectors(matrix, mode="floret", floret=FloretSettings(minn=2, maxn=3))
    doc = nlp("THE zzz")
    out = layer([doc]).data
    expected = torch.from_numpy(nlp.vocab.vectors.vectors_for(["zzz"])[0])
    torch.testing.assert_close(out[1], layer.weight @ expected)
    assert torch.count_nonzero(out[1]) > 0
