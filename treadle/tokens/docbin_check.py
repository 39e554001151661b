"""Decoding and checking a DocBin payload before anything is built from it.

The CRC in the header catches accidental damage; this module catches the rest: a
payload that decodes but holds the wrong types or shapes (written by another tool, by
a bug, or on purpose). Every field is checked against the declared attributes and Doc
lengths, and every string hash against the payload's own string table, so a payload
that passes builds exactly the Docs it describes, and one that does not fails with a
:class:`SerializationError` naming the file and the Doc. Nothing is coerced: a value of
the wrong type is an error, never converted into different content.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from treadle.errors import SerializationError
from treadle.tokens import attrs as A
from treadle.tokens._layout import HASH_COLS, TOKEN_COL
from treadle.tokens.parts_of_speech import N_POS
from treadle.tokens.strings import hash_string

# A payload may inflate to at most this many times its compressed size (or to
# MIN_INFLATE_LIMIT, whichever is larger): real DocBins compress a few times over,
# while a crafted zlib stream can inflate a thousandfold and exhaust memory.
MAX_INFLATE_RATIO = 100
MIN_INFLATE_LIMIT = 32 * 1024 * 1024

_REQUIRED = ("attrs", "lengths", "tokens", "strings", "cats", "spans")
_KNOWN = frozenset({*_REQUIRED, "user_data"})
_SPAN_GROUP_KEYS = frozenset({"attrs", "spans"})


@dataclass
class Payload:
    """The checked contents of a DocBin payload."""

    attrs: list[int]
    lengths: np.ndarray
    tokens: np.ndarray  # (total tokens, len(attrs)) int64
    strings: list[str]
    cats: list[dict[str, Any]]
    spans: list[dict[str, Any]]
    user_data: list[list[Any]] | None


class _Bad(Exception):
    """A check failed; ``doc`` is the index of the Doc at fault, if one is."""

    def __init__(self, msg: str, doc: int | None = None) -> None:
        super().__init__(msg)
        self.doc = doc


def inflate(body: bytes, where: str) -> bytes:
    """Decompress ``body``, refusing to produce more than the inflate limit."""
    limit = max(MIN_INFLATE_LIMIT, MAX_INFLATE_RATIO * len(body))
    stream = zlib.decompressobj()
    try:
        out = stream.decompress(body, limit + 1)
    except zlib.error as err:
        raise SerializationError(f"Corrupt DocBin{where}: cannot decompress ({err})") from None
    if len(out) > limit:
        raise SerializationError(
            f"Corrupt DocBin{where}: the payload inflates past {limit} bytes "
            f"({len(body)} compressed); refusing a possible decompression bomb"
        )
    if not stream.eof or stream.unused_data or stream.unconsumed_tail:
        raise SerializationError(f"Corrupt DocBin{where}: the compressed payload is incomplete")
    return out


def decode_payload(raw: bytes, where: str) -> Payload:
    """Unpack and check the inflated payload; errors name ``where`` and the Doc."""
    try:
        payload = msgpack.unpackb(raw, raw=False, strict_map_key=False)
    except Exception as err:  # msgpack raises several unrelated types
        raise SerializationError(f"Corrupt DocBin{where}: not valid msgpack ({err})") from None
    try:
        return _check(payload)
    except _Bad as err:
        doc = f", Doc {err.doc}" if err.doc is not None else ""
        raise SerializationError(f"Corrupt DocBin{where}{doc}: {err}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int64_array(payload: dict[str, Any], key: str) -> np.ndarray:
    data = payload[key]
    if not isinstance(data, bytes):
        raise _Bad(f"{key!r} holds a {type(data).__name__}, expected int64 bytes")
    if len(data) % 8:
        raise _Bad(f"{key!r} holds {len(data)} bytes, not a whole number of int64 values")
    return np.frombuffer(data, dtype="<i8").astype(np.int64)


def _check(payload: Any) -> Payload:
    if not isinstance(payload, dict):
        raise _Bad(f"the payload is a {type(payload).__name__}, expected a map")
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise _Bad(f"the payload has no {', '.join(map(repr, missing))} field")
    unknown = [k for k in payload if k not in _KNOWN]
    if unknown:
        raise _Bad(f"the payload has unknown field(s) {unknown!r}")
    attrs = _check_attrs(payload["attrs"])
    lengths = _int64_array(payload, "lengths")
    if lengths.size and lengths.min() < 0:
        raise _Bad("negative token count", int(np.flatnonzero(lengths < 0)[0]))
    tokens = _int64_array(payload, "tokens")
    n_tokens = int(lengths.sum())
    if tokens.size != n_tokens * len(attrs):
        raise _Bad(f"{tokens.size} token values for {n_tokens} tokens x {len(attrs)} attrs")
    tokens = tokens.reshape(n_tokens, len(attrs))
    n_docs = len(lengths)
    strings = payload["strings"]
    if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
        raise _Bad("'strings' is not a list of strings")
    for key in ("cats", "spans"):
        if not isinstance(payload[key], list) or len(payload[key]) != n_docs:
            raise _Bad(f"{key!r} is not a list of one entry per Doc ({n_docs})")
    user_data = payload.get("user_data")
    if "user_data" in payload and (not isinstance(user_data, list) or len(user_data) != n_docs):
        raise _Bad(f"'user_data' is not a list of one entry per Doc ({n_docs})")
    _check_tokens(attrs, tokens, lengths, strings)
    for k in range(n_docs):
        try:
            _check_cats(payload["cats"][k])
            _check_spans(payload["spans"][k], int(lengths[k]))
            if user_data is not None:
                _check_user_data(user_data[k])
        except _Bad as err:
            raise _Bad(str(err), k) from None
    return Payload(attrs, lengths, tokens, strings, payload["cats"], payload["spans"], user_data)


def _check_attrs(attrs: Any) -> list[int]:
    if not isinstance(attrs, list) or not all(_is_int(a) for a in attrs):
        raise _Bad("'attrs' is not a list of attribute ids")
    if attrs[:1] != [A.ORTH]:
        raise _Bad("ORTH is not the first stored attribute")
    if len(set(attrs)) != len(attrs):
        raise _Bad(f"'attrs' repeats an attribute: {attrs}")
    unknown = [a for a in attrs if a not in TOKEN_COL and a not in A.LEXEME_ATTRS]
    if unknown:
        raise _Bad(f"'attrs' holds unknown attribute ids {unknown}")
    return attrs


def _check_tokens(attrs: list[int], tokens: np.ndarray, lengths: np.ndarray, strings: list[str]) -> None:
    """Column by column, whole-array checks; a failure names the first bad token's Doc."""
    if not tokens.shape[0]:
        return
    bounds = np.cumsum(lengths)
    doc_start = np.repeat(bounds - lengths, lengths)
    doc_end = np.repeat(bounds, lengths)
    known = np.array(sorted({0, *(hash_string(s) for s in strings)}), dtype=np.uint64)

    def fail(bad: np.ndarray, what: str) -> None:
        row = int(np.flatnonzero(bad)[0])
        doc = int(np.searchsorted(bounds, row, side="right"))
        raise _Bad(f"token {row - int(doc_start[row])}: {what}", doc)

    for k, attr in enumerate(attrs):
        col = tokens[:, k]
        name = A.NAMES.get(attr, str(attr))
        col_idx = TOKEN_COL.get(attr)
        if attr in (A.ORTH, A.LOWER, A.NORM, A.SHAPE, A.PREFIX, A.SUFFIX) or col_idx in HASH_COLS:
            values = col.view(np.uint64)
            pos = np.clip(np.searchsorted(known, values), 0, len(known) - 1)
            bad = known[pos] != values
            if bad.any():
                fail(bad, f"{name} refers to a string the DocBin does not contain")
        elif attr == A.HEAD:
            heads = np.arange(len(col)) + col
            bad = (heads < doc_start) | (heads >= doc_end)
            if bad.any():
                fail(bad, "its head is outside its Doc")
        elif attr == A.POS:
            bad = (col < 0) | (col >= N_POS)
            if bad.any():
                fail(bad, "invalid POS value")
        elif attr == A.ENT_IOB:
            bad = (col < 0) | (col > 3)
            if bad.any():
                fail(bad, "invalid ENT_IOB value")
        elif attr == A.SENT_START:
            bad = (col < -1) | (col > 1)
            if bad.any():
                fail(bad, "invalid SENT_START value")
        elif attr == A.SPACY:
            bad = (col < 0) | (col > 1)
            if bad.any():
                fail(bad, "invalid SPACY value")


def _check_cats(cats: Any) -> None:
    if not isinstance(cats, dict):
        raise _Bad(f"cats is a {type(cats).__name__}, expected a map of labels to scores")
    for label, score in cats.items():
        if not isinstance(label, str) or not isinstance(score, (int, float)):
            raise _Bad(f"cats entry {label!r}: {score!r} is not a string label with a number")


def _check_spans(groups: Any, n_tokens: int) -> None:
    if not isinstance(groups, dict):
        raise _Bad(f"spans is a {type(groups).__name__}, expected a map of span groups")
    for name, group in groups.items():
        if not isinstance(name, str):
            raise _Bad(f"span group name {name!r} is not a string")
        if (
            not isinstance(group, dict)
            or "spans" not in group
            or not set(group) <= _SPAN_GROUP_KEYS
            or not isinstance(group["spans"], list)
            or not isinstance(group.get("attrs", {}), dict)
        ):
            raise _Bad(f"span group {name!r} is not a map of 'attrs' and a 'spans' list")
        for i, span in enumerate(group["spans"]):
            if (
                not isinstance(span, list)
                or len(span) != 5
                or not (_is_int(span[0]) and _is_int(span[1]))
                or not all(isinstance(s, str) for s in span[2:])
            ):
                raise _Bad(f"span {i} of group {name!r} is not [start, end, label, kb_id, id]")
            if not 0 <= span[0] <= span[1] <= n_tokens:
                raise _Bad(
                    f"span {i} of group {name!r} covers [{span[0]}:{span[1]}], outside the "
                    f"Doc's {n_tokens} tokens"
                )


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _check_user_data(items: Any) -> None:
    if not isinstance(items, list):
        raise _Bad("user_data is not a list of [is_tuple_key, key, value]")
    for item in items:
        if not isinstance(item, list) or len(item) != 3 or not isinstance(item[0], bool):
            raise _Bad("user_data is not a list of [is_tuple_key, key, value]")
        is_tuple, key = item[0], item[1]
        ok = (
            isinstance(key, list) and _hashable(tuple(key)) if is_tuple
            else not isinstance(key, list) and _hashable(key)
        )
        if not ok:
            raise _Bad(f"user_data key {key!r} is not a valid key")
