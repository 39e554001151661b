"""Vocab and Lexeme: lexical attributes and flags, overrides, the lexeme index, saving."""


import os

import numpy as np
import pytest

from treadle.tokens import Doc, Vocab, hash_string
from treadle.tokens import attrs as A


def test_lexeme_attributes_and_flags():
    vocab = Vocab()
    lex = vocab["Apples"]
    assert lex.text == lex.orth_ == "Apples"
    assert lex.lower_ == "apples" and lex.norm_ == "apples"
    assert lex.prefix_ == "A" and lex.suffix_ == "les" and lex.shape_ == "Xxxxx"
    assert lex.length == 6 and lex.orth == hash_string("Apples")
    assert lex.is_alpha and lex.is_title and not lex.is_lower and not lex.is_punct
    assert vocab["("].is_bracket and vocab["("].is_left_punct and vocab["("].is_punct
    assert vocab["”"].is_quote and vocab["”"].is_right_punct
    assert vocab["$"].is_currency and vocab["  "].is_space
    assert vocab["42"].is_digit and vocab["42"].like_num
    assert vocab["a@b.org"].like_email


def test_lexeme_attributes_computed_once_and_settable():
    calls = []

    def norm(s):
        calls.append(s)
        return s.lower()

    vocab = Vocab(lex_attr_getters={"norm": norm}, stop_words={"the"})
    for _ in range(3):
        Doc(vocab, ["The", "cat", "the"])
    assert calls.count("the") == 1 and calls.count("The") == 1
    assert vocab["the"].is_stop and vocab["The"].is_stop and not vocab["cat"].is_stop
    vocab["lol"].is_stop = True
    vocab["lol"].norm_ = "laugh"
    assert vocab["lol"].is_stop and vocab["lol"].norm_ == "laugh"
    doc = Doc(vocab, ["lol"])
    assert doc[0].norm_ == "laugh" and doc[0].is_stop
    assert doc.to_array(A.NORM)[0] == np.uint64(hash_string("laugh")).view(np.int64)


def test_lex_index_fast_path_and_contains():
    vocab = Vocab()
    i = vocab.get_lex_index("dog")
    assert vocab.get_lex_index("dog") == i
    assert list(vocab.get_lex_indices(["dog", "cat", "dog"])) == [i, i + 1, i]
    assert "dog" in vocab and "bird" not in vocab
    assert hash_string("dog") in vocab
    assert vocab[hash_string("dog")].text == "dog"
    assert len(vocab) == 2


def test_vocab_serialization_keeps_overrides_and_vectors(tmp_path):
    vocab = Vocab(lang="en")
    vocab["lol"].norm_ = "laugh"
    vocab["lol"].is_stop = True
    vocab.set_vector("cat", np.array([1.0, 2.0, 3.0]))
    vocab.to_disk(tmp_path / "vocab")
    for other in (Vocab().from_disk(tmp_path / "vocab"), Vocab().from_bytes(vocab.to_bytes())):
        assert other.lang == "en"
        assert other["lol"].norm_ == "laugh" and other["lol"].is_stop
        assert "cat" in other.strings
        assert other.has_vector("cat") and not other.has_vector("dog")
        np.testing.assert_allclose(other.get_vector("cat"), [1, 2, 3])
        np.testing.assert_allclose(other.get_vector("dog"), [0, 0, 0])


def test_failed_saves_keep_the_previous_files(tmp_path, monkeypatch):
    vocab = Vocab(lang="en")
    vocab.set_vector("cat", np.array([1.0, 2.0]))
    vocab.to_disk(tmp_path / "vocab")

    def saved_files():
        return {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    before = saved_files()
    other = Vocab(lang="de")
    other.set_vector("dog", np.array([3.0, 4.0, 5.0]))

    def disk_full(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", disk_full)
    for save in (
        lambda: other.strings.to_disk(tmp_path / "vocab" / "strings.json"),
        lambda: other.vectors.to_disk(tmp_path / "vocab" / "vectors"),
        lambda: other.to_disk(tmp_path / "vocab"),
    ):
        with pytest.raises(OSError, match="disk full"):
            save()
        # The old files, byte for byte, and no temp files beside them.
        assert saved_files() == before
    monkeypatch.undo()
    back = Vocab().from_disk(tmp_path / "vocab")
    assert back.lang == "en" and back.has_vector("cat") and not back.has_vector("dog")
