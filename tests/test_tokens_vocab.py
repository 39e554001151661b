"""StringStore, Vocab, Lexeme, lexical attribute getters, Vectors."""

import hashlib
import os

import numpy as np
import pytest

from treadle.errors import SerializationError
from treadle.tokens import Doc, StringStore, Vectors, Vocab, hash_string, lex_attrs
from treadle.tokens import attrs as A


def test_hash_is_stable_across_machines():
    # A cross-process contract: these values are written into model and .docbin files.
    assert hash_string("apple") == 16118089804393287318
    assert hash_string("Hello") == 9685027124159339580
    assert hash_string("") == 0
    expected = int.from_bytes(hashlib.blake2b("ünïcode".encode(), digest_size=8).digest(), "little")
    assert hash_string("ünïcode") == expected


def test_stringstore_both_ways():
    ss = StringStore(["a"])
    h = ss.add("hello")
    assert h == hash_string("hello") == ss["hello"]
    assert ss[h] == "hello"
    assert "hello" in ss and h in ss and "nope" not in ss and 12345 not in ss
    assert ss[0] == ""
    assert len(ss) == 2
    assert sorted(ss) == ["a", "hello"]
    assert ss.add("hello") == h and len(ss) == 2


def test_stringstore_missing_hash_raises_clear_keyerror():
    with pytest.raises(KeyError, match="not in the StringStore"):
        StringStore()[42]


def test_stringstore_serialization(tmp_path):
    ss = StringStore(["x", "yé", "z z"])
    assert list(StringStore().from_bytes(ss.to_bytes())) == ["x", "yé", "z z"]
    ss.to_disk(tmp_path / "strings.json")
    back = StringStore().from_disk(tmp_path / "strings.json")
    assert back["yé"] == ss["yé"] and back[ss["yé"]] == "yé"
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SerializationError, match="bad.json"):
        StringStore().from_disk(tmp_path / "bad.json")


@pytest.mark.parametrize(
    "text,shape",
    [("Hello", "Xxxxx"), ("Hellooooo", "Xxxxx"), ("1999", "dddd"), ("12345", "dddd"),
     ("C3PO", "XdXX"), ("e-mail", "x-xxxx"), ("...", "..."), ("U.S.", "X.X.")],
)
def test_word_shape(text, shape):
    assert lex_attrs.word_shape(text) == shape


@pytest.mark.parametrize(
    "text,expected",
    [("10", True), ("10,000", True), ("3.14", True), ("-5", True), ("1/2", True),
     ("ten", False), ("a1", False), ("", False)],
)
def test_like_num(text, expected):
    assert lex_attrs.like_num(text) is expected


@pytest.mark.parametrize(
    "text,expected",
    [("http://example.com", True), ("www.google.com", True), ("example.com", True),
     ("github.com/x/y", True), ("e.g.", False), ("3.5", False), ("hello", False),
     ("a@b.com", False), ("U.S.", False)],
)
def test_like_url(text, expected):
    assert lex_attrs.like_url(text) is expected


def test_like_email():
    assert lex_attrs.like_email("john.doe+x@mail.example.org")
    assert not lex_attrs.like_email("john@")
    assert not lex_attrs.like_email("@handle")


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


def test_stringstore_accepts_int64_bitcast_hashes():
    vocab = Vocab()
    doc = Doc(vocab, ["a"], tags=["VeryLongTagName"])
    value = doc.to_array("TAG")[0]
    assert value < 0  # this hash has its top bit set, so the int64 view is negative
    assert vocab.strings[value] == "VeryLongTagName" and value in vocab.strings
