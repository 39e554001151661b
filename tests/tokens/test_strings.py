"""hash_string and StringStore: stable hashes, both directions, errors, serialization."""

import hashlib

import pytest

from treadle.errors import SerializationError
from treadle.tokens import Doc, StringStore, Vocab, hash_string


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


def test_stringstore_accepts_int64_bitcast_hashes():
    vocab = Vocab()
    doc = Doc(vocab, ["a"], tags=["VeryLongTagName"])
    value = doc.to_array("TAG")[0]
    assert value < 0  # this hash has its top bit set, so the int64 view is negative
    assert vocab.strings[value] == "VeryLongTagName" and value in vocab.strings
