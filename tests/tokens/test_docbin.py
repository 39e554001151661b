"""DocBin: round trips, attribute choice, user data, merge, corruption detection."""

import struct
import zlib

import pytest

from tests.tokens.helpers import make_doc
from treadle.errors import SerializationError
from treadle.tokens import Doc, DocBin, Token, Vocab
from treadle.tokens import attrs as A


def test_round_trip_bytes_and_disk(tmp_path):
    vocab = Vocab()
    docs = [make_doc(vocab), Doc(vocab, ["Hello"], sent_starts=[True]), Doc(vocab, [])]
    docbin = DocBin(docs=docs)
    assert len(docbin) == 3
    for back in (DocBin().from_bytes(docbin.to_bytes()), _via_disk(docbin, tmp_path)):
        fresh = Vocab()
        out = list(back.get_docs(fresh))
        assert [d.to_json() for d in out] == [d.to_json() for d in docs]
        assert out[0].spans["sc"][0].kb_id_ == "Q174" and out[0].spans["sc"].attrs == {"source": "test"}
        assert out[0].cats == {"TRAVEL": 1.0, "SPORT": 0.0}
        assert out[0].has_annotation("MORPH") and out[0].to_array(A.MORPH)[2] == 0
        assert [t.idx for t in out[0]] == [t.idx for t in docs[0]]


def _via_disk(docbin, tmp_path):
    path = tmp_path / "sub" / "train.docbin"
    docbin.to_disk(path)
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    return DocBin().from_disk(path)


def test_get_docs_is_a_generator():
    vocab = Vocab()
    docbin = DocBin(docs=[Doc(vocab, ["a"]), Doc(vocab, ["b"])])
    gen = docbin.get_docs(Vocab())
    assert next(gen).text == "a " and next(gen).text == "b "


def test_chosen_attrs_only():
    vocab = Vocab()
    docbin = DocBin(attrs=["ORTH", "TAG", "SPACY"], docs=[make_doc(vocab)])
    doc = next(DocBin().from_bytes(docbin.to_bytes()).get_docs(Vocab()))
    assert doc.text == "Ann lives in São Paulo."
    assert doc[0].tag_ == "NNP" and doc[0].pos_ == "" and not doc.has_annotation("DEP")
    assert not doc.ents


def test_without_spacy_attr_defaults_to_spaces():
    vocab = Vocab()
    doc = Doc(vocab, ["a", "b"], spaces=[False, False])
    out = next(DocBin(attrs=["ORTH"], docs=[doc]).get_docs(Vocab()))
    assert out.text == "a b "


def test_user_data_stored_only_when_asked():
    vocab = Vocab()
    Token.set_extension("score", default=0.0, force=True)
    try:
        doc = Doc(vocab, ["x", "y"])
        doc[1]._.score = 0.5
        doc.user_data["plain"] = [1, 2]
        kept = next(DocBin(store_user_data=True, docs=[doc]).from_bytes(
            DocBin(store_user_data=True, docs=[doc]).to_bytes()).get_docs(Vocab()))
        assert kept[1]._.score == 0.5 and kept.user_data["plain"] == [1, 2]
        dropped = next(DocBin().from_bytes(DocBin(docs=[doc]).to_bytes()).get_docs(Vocab()))
        assert dropped.user_data == {}
        doc.user_data["bad"] = object()
        with pytest.raises(SerializationError, match="user_data"):
            DocBin(store_user_data=True, docs=[doc]).to_bytes()
    finally:
        Token.remove_extension("score")


def test_merge():
    vocab = Vocab()
    a = DocBin(docs=[Doc(vocab, ["a"], tags=["X"])])
    b = DocBin(docs=[Doc(vocab, ["b"], tags=["Y"])])
    a.merge(b)
    assert [d[0].tag_ for d in DocBin().from_bytes(a.to_bytes()).get_docs(Vocab())] == ["X", "Y"]
    with pytest.raises(SerializationError, match="different attributes"):
        a.merge(DocBin(attrs=["ORTH"]))


def test_truncated_file_raises_naming_it(tmp_path):
    path = tmp_path / "x.docbin"
    DocBin(docs=[make_doc(Vocab())]).to_disk(path)
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(SerializationError, match=r"Truncated.*x\.docbin"):
        DocBin().from_disk(path)
    path.write_bytes(data[:10])
    with pytest.raises(SerializationError, match="x.docbin"):
        DocBin().from_disk(path)
    with pytest.raises(SerializationError, match="missing.docbin"):
        DocBin().from_disk(tmp_path / "missing.docbin")


def test_corrupt_payload_raises():
    data = bytearray(DocBin(docs=[make_doc(Vocab())]).to_bytes())
    data[40] ^= 0xFF
    with pytest.raises(SerializationError, match="checksum"):
        DocBin().from_bytes(bytes(data))
    with pytest.raises(SerializationError, match="magic"):
        DocBin().from_bytes(b"NOTADOCB" + bytes(data[8:]))


def test_unsupported_version_raises():
    data = DocBin(docs=[Doc(Vocab(), ["a"])]).to_bytes()
    bumped = data[:8] + struct.pack("<H", 99) + data[10:]
    with pytest.raises(SerializationError, match="version 99"):
        DocBin().from_bytes(bumped)


def test_consistent_header_but_inconsistent_payload_raises():
    import msgpack

    good = DocBin(docs=[Doc(Vocab(), ["a", "b"])]).to_bytes()
    payload = msgpack.unpackb(zlib.decompress(good[24:]), raw=False)
    payload["tokens"] = payload["tokens"][:-8]  # one value short
    body = zlib.compress(msgpack.packb(payload, use_bin_type=True))
    forged = struct.pack("<8sHHQI", b"TRDLDOCB", 1, 0, len(body), zlib.crc32(body)) + body
    with pytest.raises(SerializationError, match="Corrupt"):
        DocBin().from_bytes(forged)
