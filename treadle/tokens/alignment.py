"""Character-based alignment between two tokenizations of the same text.

Two token sequences align when, after removing whitespace, they spell the same
characters. Every non-whitespace character belongs to one token on each side, so the
pairs (x token, y token) over all characters give a many-to-many map; ``x2y[i]`` lists
the y tokens sharing a character with x token ``i`` (in order), ``y2x`` the reverse.
Whitespace-only tokens align to nothing.

All of this is numpy over character arrays: aligning Examples happens every epoch,
so there is no Python loop per token or per character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from treadle.errors import AlignmentError
from treadle.tokens.attrs import IDX, LENGTH, ORTH, SPACY

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc

# Every code point for which str.isspace() is true lies below U+3100: a boolean
# lookup table over that range answers "is whitespace" for a whole text at once.
_WS_LIMIT = 0x3100
_HAS_WHITESPACE = re.compile(r"\s").search
_IS_WHITESPACE = np.array([chr(c).isspace() for c in range(_WS_LIMIT)], dtype=bool)


class Ragged:
    """A list of integer arrays stored flat: ``data`` and per-row ``lengths``."""

    __slots__ = ("_starts", "data", "lengths")

    def __init__(self, data: np.ndarray, lengths: np.ndarray) -> None:
        self.data = np.asarray(data, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self._starts: np.ndarray | None = None

    @property
    def starts(self) -> np.ndarray:
        """Offsets of each row in ``data``, with the total appended (length n + 1)."""
        if self._starts is None:
            self._starts = np.zeros(len(self.lengths) + 1, dtype=np.int64)
            self.lengths.cumsum(out=self._starts[1:])
        return self._starts

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self.lengths)
        starts = self.starts
        return self.data[starts[i] : starts[i + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        starts = self.starts.tolist()
        for i in range(len(self.lengths)):
            yield self.data[starts[i] : starts[i + 1]]

    def tolist(self) -> list[list[int]]:
        return [row.tolist() for row in self]

    @property
    def is_one_to_one(self) -> bool:
        """True when every row holds exactly one value."""
        return bool(np.all(self.lengths == 1))

    def __repr__(self) -> str:
        return f"Ragged({self.tolist()!r})"


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _char_owners(text: str, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code points, owning token) for every non-whitespace character covered by a token."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    ends = lengths.cumsum()
    total = int(ends[-1]) if len(ends) else 0
    owner = np.arange(len(lengths), dtype=np.int64).repeat(lengths)
    # Position of each covered character in the text: token start + offset within token.
    pos = (starts - (ends - lengths)).repeat(lengths) + np.arange(total, dtype=np.int64)
    chars = _codepoints(text)[pos] if total else np.zeros(0, dtype=np.uint32)
    keep = ~(_IS_WHITESPACE[np.minimum(chars, _WS_LIMIT - 1)] & (chars < _WS_LIMIT))
    return chars[keep], owner[keep]


def _group(rows: np.ndarray, values: np.ndarray, n_rows: int) -> Ragged:
    return Ragged(values, np.bincount(rows, minlength=n_rows) if len(rows) else np.zeros(n_rows, np.int64))


def _preview(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class Alignment:
    """Many-to-many token alignment between a doc ``x`` and a doc ``y`` of the same text."""

    __slots__ = ("x2y", "y2x")

    def __init__(self, x2y: Ragged, y2x: Ragged) -> None:
        self.x2y = x2y
        self.y2x = y2x

    @classmethod
    def identity(cls, n: int) -> Alignment:
        r = np.arange(n, dtype=np.int64)
        ones = np.ones(n, dtype=np.int64)
        return cls(Ragged(r, ones), Ragged(r.copy(), ones.copy()))

    @classmethod
    def from_strings(cls, x_words: Sequence[str], y_words: Sequence[str]) -> Alignment:
        """Align two token lists that spell the same text once whitespace is removed."""
        x_words = list(x_words)
        y_words = list(y_words)
        if x_words == y_words:
            return cls.identity(len(x_words))
        x_len = np.fromiter(map(len, x_words), dtype=np.int64, count=len(x_words))
        y_len = np.fromiter(map(len, y_words), dtype=np.int64, count=len(y_words))
        x_text, y_text = "".join(x_words), "".join(y_words)
        if x_text == y_text and _HAS_WHITESPACE(x_text) is None:
            # Same characters and no whitespace: every character is owned by one token
            # on each side, in order, so the owner arrays follow from the lengths alone.
            return cls._from_owners(
                np.arange(len(x_len)).repeat(x_len), np.arange(len(y_len)).repeat(y_len),
                len(x_len), len(y_len),
            )  # fmt: skip
        return cls.from_offsets(
            x_text, x_len.cumsum() - x_len, x_len,
            y_text, y_len.cumsum() - y_len, y_len,
        )  # fmt: skip

    @classmethod
    def from_offsets(
        cls,
        x_text: str,
        x_starts: np.ndarray,
        x_lengths: np.ndarray,
        y_text: str,
        y_starts: np.ndarray,
        y_lengths: np.ndarray,
    ) -> Alignment:
        """Align tokens given as (start, length) character spans over their own texts.

        Tokens must come in text order (as a Doc's do).
        """
        x_chars, x_owner = _char_owners(x_text, x_starts, x_lengths)
        y_chars, y_owner = _char_owners(y_text, y_starts, y_lengths)
        if len(x_chars) != len(y_chars) or not np.array_equal(x_chars, y_chars):
            raise AlignmentError(_mismatch_message(x_text, y_text, x_chars, y_chars))
        return cls._from_owners(x_owner, y_owner, len(x_lengths), len(y_lengths))

    @classmethod
    def _from_owners(cls, x_owner: np.ndarray, y_owner: np.ndarray, n_x: int, n_y: int) -> Alignment:
        """Build both directions from the owning x and y token of each shared character."""
        # Tokens come in text order, so both owner arrays are non-decreasing and the
        # character pairs are already sorted by x and by y: the distinct pairs are where
        # either owner changes, and they serve both directions without a sort.
        if len(x_owner):
            change = np.empty(len(x_owner), dtype=bool)
            change[0] = True
            change[1:] = (x_owner[1:] != x_owner[:-1]) | (y_owner[1:] != y_owner[:-1])
            x_owner, y_owner = x_owner[change], y_owner[change]
        return cls(
            _group(x_owner, y_owner, n_x),
            _group(y_owner, x_owner, n_y),
        )

    @classmethod
    def from_docs(cls, x_doc: Doc, y_doc: Doc) -> Alignment:
        """Align the tokens of two Docs (their texts may differ in whitespace only)."""
        if len(x_doc) == len(y_doc):
            # The common case in training: the same words and spacing on both sides.
            cols = [ORTH, SPACY]
            if np.array_equal(x_doc.to_array(cols), y_doc.to_array(cols)):
                return cls.identity(len(x_doc))
        x_text, x_starts, x_lengths = _doc_offsets(x_doc)
        y_text, y_starts, y_lengths = _doc_offsets(y_doc)
        return cls.from_offsets(x_text, x_starts, x_lengths, y_text, y_starts, y_lengths)

    @property
    def is_identity(self) -> bool:
        return (
            len(self.x2y) == len(self.y2x)
            and self.x2y.is_one_to_one
            and self.y2x.is_one_to_one
            and bool(np.array_equal(self.x2y.data, np.arange(len(self.x2y))))
        )

    def __repr__(self) -> str:
        return f"Alignment(x2y={self.x2y.tolist()}, y2x={self.y2x.tolist()})"


def _doc_offsets(doc: Doc) -> tuple[str, np.ndarray, np.ndarray]:
    """A Doc's text and its tokens' start offsets and lengths, as arrays."""
    arr = doc.to_array([IDX, LENGTH])
    if len(arr) == 0:
        return doc.text, np.zeros(0, np.int64), np.zeros(0, np.int64)
    return doc.text, arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)


def _mismatch_message(x_text: str, y_text: str, x_chars: np.ndarray, y_chars: np.ndarray) -> str:
    n = min(len(x_chars), len(y_chars))
    diff = np.flatnonzero(x_chars[:n] != y_chars[:n])
    first = int(diff[0]) if len(diff) else n
    x_rest = "".join(map(chr, x_chars[first : first + 20].tolist()))
    y_rest = "".join(map(chr, y_chars[first : first + 20].tolist()))
    return (
        "Cannot align two tokenizations: their texts differ beyond whitespace.\n"
        f"  predicted: {_preview(x_text)}\n"
        f"  reference: {_preview(y_text)}\n"
        f"  first difference at non-whitespace character {first}: "
        f"{x_rest!r} vs {y_rest!r}"
    )
