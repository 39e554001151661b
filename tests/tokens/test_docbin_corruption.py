"""DocBin against damaged and crafted files: truncation, bit flips, payloads of the
wrong types written with the format's own encoder, a decompression bomb, and a
property test (round trips are exact; corrupted bytes fail cleanly or load the same).

The property tests run a small fixed budget; set TREADLE_FUZZ_EXAMPLES (e.g. 2000) for
a long run.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tokens.helpers import make_doc
from treadle.errors import SerializationError
from treadle.tokens import Doc, DocBin, Span, Vocab
from treadle.tokens import attrs as A
from treadle.tokens.docbin_format import DEFAULT_ATTRS, FORMAT_VERSION, MAGIC

SOURCE = "corpus/train.docbin"
N_EXAMPLES = int(os.environ.get("TREADLE_FUZZ_EXAMPLES", "25"))
HEADER = struct.Struct("<8sHHQI")


def doc_state(doc: Doc) -> tuple[Any, ...]:
    """Everything a DocBin stores of a Doc, comparable across vocabs (hashes are stable)."""
    spans = {
        name: (dict(group.attrs), [(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in group])
        for name, group in (doc._spans or {}).items()
    }
    return (
        [t.text for t in doc], doc.to_array(list(DEFAULT_ATTRS)).tolist(), dict(doc.cats),
        spans, dict(doc.user_data),
    )


def sample_docs(vocab: Vocab) -> list[Doc]:
    first = make_doc(vocab)
    second = Doc(vocab, ["Hi", "there", "Bob"], tags=["UH", "RB", "NNP"], ents=["O", "O", "B-PER"])
    second.cats = {"GREETING": 0.75}
    second.spans["sc"] = [Span(second, 0, 2, label="HELLO")]
    return [first, second, Doc(vocab, [])]


def encoded() -> bytes:
    return DocBin(docs=sample_docs(Vocab()), store_user_data=True).to_bytes()


def load(data: bytes) -> list[Doc]:
    return list(DocBin().from_bytes(data, source=SOURCE).get_docs(Vocab()))


def expected() -> list[tuple[Any, ...]]:
    return [doc_state(d) for d in load(encoded())]


def craft(payload: Any, *, level: int = 6) -> bytes:
    """A file with a valid header and CRC around any payload, as the format writes it."""
    body = zlib.compress(msgpack.packb(payload, use_bin_type=True), level)
    return HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(body), zlib.crc32(body)) + body


def payload_of(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(zlib.decompress(data[HEADER.size :]), raw=False, strict_map_key=False)


def clean_or_same(data: bytes, want: list[tuple[Any, ...]]) -> str:
    """'error' if loading fails with the clean error naming the file, 'same' if it loads
    the very same Docs; anything else fails the test."""
    try:
        docs = load(data)
    except SerializationError as err:
        assert SOURCE in str(err)
        return "error"
    assert [doc_state(d) for d in docs] == want
    return "same"


def test_round_trip_keeps_everything() -> None:
    vocab = Vocab()
    docs = sample_docs(vocab)
    docs[1].user_data[("ext", "x")] = [1, 2]
    out = load(DocBin(docs=docs, store_user_data=True).to_bytes())
    assert [doc_state(d) for d in out] == [doc_state(d) for d in docs]


def test_truncation_at_every_kth_byte_fails_cleanly() -> None:
    data = encoded()
    for cut in range(0, len(data), 7):
        with pytest.raises(SerializationError, match="corpus/train.docbin"):
            load(data[:cut])
    with pytest.raises(SerializationError, match="padded"):
        load(data + b"\0")


def test_truncated_file_on_disk_names_the_path(tmp_path) -> None:
    path = tmp_path / "dev.docbin"
    path.write_bytes(encoded()[:-5])
    with pytest.raises(SerializationError, match="dev.docbin"):
        DocBin().from_disk(path)


def test_every_single_bit_flip_is_caught() -> None:
    data = encoded()
    want = expected()
    outcomes = set()
    for pos in range(len(data)):
        for bit in (0, 5):
            flipped = bytearray(data)
            flipped[pos] ^= 1 << bit
            outcomes.add(clean_or_same(bytes(flipped), want))
    # CRC-32 sees every single-bit error in the payload, and the header fields are
    # each checked, so no flip at all loads.
    assert outcomes == {"error"}


def _set(key: str, value: Any):
    def mutate(p: dict[str, Any]) -> None:
        p[key] = value

    return mutate


def _doc1(key: str, value: Any):
    def mutate(p: dict[str, Any]) -> None:
        p[key][1] = value

    return mutate


def _token_cell(row: int, col: int, value: int):
    def mutate(p: dict[str, Any]) -> None:
        arr = np.frombuffer(p["tokens"], dtype="<i8").copy().reshape(-1, len(p["attrs"]))
        arr[row, col] = value
        p["tokens"] = arr.tobytes()

    return mutate


def _drop_attr(p: dict[str, Any]) -> None:
    p["attrs"] = p["attrs"][:-1]


HEAD_COL = DEFAULT_ATTRS.index(A.HEAD)
TAG_COL = 1
# (mutation, what the message must say, the Doc it must name or None)
CRAFTED = {
    "cats_not_dicts": (_set("cats", [5, 5, 5]), "cats", 0),
    "cats_bad_score": (_doc1("cats", {"GREETING": "high"}), "cats", 1),
    "cats_wrong_count": (_set("cats", [{}]), "cats", None),
    "strings_null": (_set("strings", None), "strings", None),
    "strings_a_str": (_set("strings", "abc"), "strings", None),
    "strings_ints": (_set("strings", [1, 2]), "strings", None),
    "strings_dropped": (_set("strings", []), "string", 0),
    "attrs_null": (_set("attrs", None), "attrs", None),
    "attrs_unknown": (lambda p: p["attrs"].__setitem__(1, 99999), "attrs", None),
    "attrs_repeated": (lambda p: p["attrs"].__setitem__(1, p["attrs"][2]), "repeats", None),
    "attr_dropped": (_drop_attr, "token values", None),
    "lengths_list": (_set("lengths", [6, 3, 0]), "lengths", None),
    "lengths_odd_bytes": (_set("lengths", b"\0" * 7), "lengths", None),
    "lengths_negative": (_set("lengths", struct.pack("<3q", 10, -1, 0)), "negative", 1),
    "tokens_str": (_set("tokens", "x"), "tokens", None),
    "head_out_of_doc": (_token_cell(6, HEAD_COL, 5), "head", 1),
    "tag_unknown_hash": (_token_cell(7, TAG_COL, 12345), "TAG", 1),
    "spans_not_dict": (_doc1("spans", [1]), "spans", 1),
    "span_out_of_bounds": (_doc1("spans", {"sc": {"attrs": {}, "spans": [[0, 9, "", "", ""]]}}), "outside", 1),
    "span_label_int": (_doc1("spans", {"sc": {"attrs": {}, "spans": [[0, 1, 5, "", ""]]}}), "span 0", 1),
    "span_group_bad": (_doc1("spans", {"sc": None}), "group", 1),
    "user_data_bad": (_doc1("user_data", [[False, [1], 2]]), "user_data", 1),
    "user_data_short": (_set("user_data", []), "user_data", None),
    "user_data_null": (_set("user_data", None), "user_data", None),
    "missing_field": (lambda p: p.pop("spans"), "spans", None),
    "unknown_field": (_set("extra", 1), "unknown", None),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_payload_with_valid_crc_fails_cleanly(name: str) -> None:
    mutate, words, doc = CRAFTED[name]
    payload = payload_of(encoded())
    mutate(payload)
    with pytest.raises(SerializationError) as info:
        load(craft(payload))
    msg = str(info.value)
    assert SOURCE in msg and words in msg
    if doc is not None:
        assert f"Doc {doc}:" in msg
    assert not isinstance(info.value.__cause__, (TypeError, KeyError, ValueError))


def test_payload_not_a_map_and_not_msgpack() -> None:
    with pytest.raises(SerializationError, match="expected a map"):
        load(craft([1, 2]))
    body = zlib.compress(b"\xc1\xc1")
    bad = HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(body), zlib.crc32(body)) + body
    with pytest.raises(SerializationError, match="msgpack"):
        load(bad)


def test_unchanged_crafted_payload_loads_the_same() -> None:
    """The crafting helper itself is faithful, so the failures above are the checks'."""
    assert [doc_state(d) for d in load(craft(payload_of(encoded())))] == expected()


def test_decompression_bomb_is_refused_before_inflating() -> None:
    # The probe: a string table of one huge string, here 64 MiB deflated to
    # about 64 kB; written by streaming, so the test never holds it either.
    packer = zlib.compressobj(9)
    n = 64 * 1024 * 1024
    fields = msgpack.packb({"attrs": [A.ORTH], "lengths": b"", "tokens": b"", "cats": [], "spans": []})
    chunk = b"a" * (1 << 20)
    # The same map with a sixth entry, "strings": [<str32 of n bytes>].
    start = b"\x86" + fields[1:] + b"\xa7strings\x91\xdb" + struct.pack(">I", n)
    parts = [packer.compress(start)]
    for _ in range(n // len(chunk)):
        parts.append(packer.compress(chunk))
    body = b"".join(parts) + packer.flush()
    assert len(body) < 1_000_000
    data = HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(body), zlib.crc32(body)) + body
    with pytest.raises(SerializationError, match="decompression bomb") as info:
        load(data)
    assert SOURCE in str(info.value)


# -- property tests ----------------------------------------------------------------

WORDS = ["the", "cat", "Sat", "on", "a", "mat", ".", "São", "Paulo", "!", "x" * 30]
LABELS = ["PER", "LOC", "ORG"]


@st.composite
def docs(draw: st.DrawFn) -> tuple[dict[str, Any], ...]:
    n_docs = draw(st.integers(0, 4))
    out = []
    for _ in range(n_docs):
        n = draw(st.integers(0, 8))
        words = draw(st.lists(st.sampled_from(WORDS), min_size=n, max_size=n))
        spaces = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        tags = draw(st.lists(st.sampled_from(["NN", "VB", "DT", None]), min_size=n, max_size=n))
        heads = draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=n, max_size=n))
        ents: list[str] = []
        for _ in range(n):
            prev = ents[-1] if ents else "O"
            options = ["O", *(f"B-{lab}" for lab in LABELS)]
            if prev != "O":
                options.append("I-" + prev[2:])
            ents.append(draw(st.sampled_from(options)))
        cats = draw(st.dictionaries(st.sampled_from(["A", "B", "ÉTÉ"]), st.floats(0, 1), max_size=3))
        out.append({"words": words, "spaces": spaces, "tags": tags, "heads": heads,
                    "ents": ents, "cats": cats})
    return tuple(out)


def build(specs: tuple[dict[str, Any], ...], vocab: Vocab) -> list[Doc]:
    built = []
    for spec in specs:
        doc = Doc(vocab, spec["words"], spec["spaces"], tags=spec["tags"],
                  heads=spec["heads"] or None, deps=["dep"] * len(spec["words"]) or None,
                  ents=spec["ents"] or None)
        doc.cats = spec["cats"]
        built.append(doc)
    return built


@settings(max_examples=N_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=docs(), edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**6)))
def test_round_trip_exact_and_corruption_clean(specs, edits, cut) -> None:
    originals = build(specs, Vocab())
    data = DocBin(docs=originals).to_bytes()
    want = [doc_state(d) for d in originals]
    assert [doc_state(d) for d in load(data)] == want
    damaged = bytearray(data)
    for pos, value in edits:
        damaged[pos % len(damaged)] = value
    if cut is not None:
        damaged = damaged[: cut % (len(damaged) + 1)]
    clean_or_same(bytes(damaged), want)


def test_flipped_token_cell_is_caught_by_the_checksum() -> None:
    """The issue's probe: one token cell changed in the inflated payload, re-deflated,
    with the original CRC kept."""
    data = encoded()
    payload = payload_of(data)
    _token_cell(1, TAG_COL, 0)(payload)
    body = zlib.compress(msgpack.packb(payload, use_bin_type=True), 6)
    old_crc = HEADER.unpack_from(data)[4]
    forged = HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(body), old_crc) + body
    with pytest.raises(SerializationError, match="checksum"):
        load(forged)

