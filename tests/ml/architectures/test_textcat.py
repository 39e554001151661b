"""The text classification architectures (treadle/ml/architectures/textcat.py): n-gram features."""

from __future__ import annotations

import treadle
from treadle.ml.architectures.textcat import ngram_features
from treadle.tokens import Doc


def test_ngram_features_stay_inside_docs() -> None:
    nlp = treadle.blank("en")
    a, b = Doc(nlp.vocab, words=["x", "y"]), Doc(nlp.vocab, words=["z"])
    buckets, owners = ngram_features([a, b], 2, 1 << 20)
    # unigrams x y z, one bigram (x y): none across the Doc boundary
    assert owners.tolist() == [0, 0, 1, 0]
    same, _ = ngram_features([Doc(nlp.vocab, words=["X", "y"])], 2, 1 << 20)
    assert same.tolist() == buckets[[0, 1, 3]].tolist()  # lowercased words


def test_ngram_features_with_edge_markers() -> None:
    nlp = treadle.blank("en")
    a, b = Doc(nlp.vocab, words=["how", "far"]), Doc(nlp.vocab, words=[])
    plain, _ = ngram_features([a, b], 2, 1 << 20)
    marked, owners = ngram_features([a, b], 2, 1 << 20, mark_edges=True)
    # doc a: <s> how far </s> -> 4 unigrams + 3 bigrams; the empty doc b: <s> </s> -> 2 + 1
    assert owners.tolist().count(0) == 7
    assert owners.tolist().count(1) == 3
    assert set(plain.tolist()) < set(marked[owners == 0].tolist())
    # the start-of-text bigram depends on the first word only
    c = Doc(nlp.vocab, words=["how", "many"])
    marked_c, owners_c = ngram_features([c], 2, 1 << 20, mark_edges=True)
    shared = set(marked[owners == 0].tolist()) & set(marked_c.tolist())
    assert len(shared) == 4  # <s>, </s>, how, <s>+how
