"""Per-call view of a Doc (or a Span's tokens) that matchers read attribute columns from.

Columns are read with one ``Doc.to_array`` call for all attributes a matcher needs,
then sliced to the span being matched; extension values and string forms are
fetched on demand and kept for the duration of the call only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from treadle.errors import MatchPatternError
from treadle.matcher.patterns import text_of
from treadle.tokens import attrs as A
from treadle.tokens._layout import C_LEX, C_SENT_START

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc
    from treadle.tokens.vocab import Vocab

# Lexeme attributes a Doc never overrides per token (NORM can be, so it is not here):
# their value is a function of the word, so results can be cached per lexeme.
LEXEME_ATTRS = frozenset(A.FLAG_ATTRS) | {A.ORTH, A.LOWER, A.SHAPE, A.PREFIX, A.SUFFIX,
                                          A.LENGTH, A.LANG, A.ID}


def vocab_fingerprint(vocab: Vocab) -> tuple:
    """Changes when a lexeme attribute of the vocab is overridden (vocab["x"].is_stop = True)."""
    overrides = getattr(vocab, "_overrides", None)
    if not overrides:
        return id(vocab), 0, 0
    return id(vocab), len(overrides), sum(len(v) for v in overrides.values())


class LexemeValues:
    """One lexeme attribute of every lexeme of a vocab as a Python list, grown as the
    vocab grows: reading a token's value is then a list index, with no numpy call."""

    def __init__(self, attr: int) -> None:
        self.attr = attr
        self._values: list[int] = []
        self._fingerprint: tuple | None = None

    def of_tokens(self, doc: Doc, lo: int, hi: int) -> list[int]:
        vocab = doc.vocab
        lex = doc._arr[lo:hi, C_LEX].tolist()
        values = self._values
        fingerprint = vocab_fingerprint(vocab)
        if fingerprint != self._fingerprint:
            values.clear()
            self._fingerprint = fingerprint
        try:
            return [values[x] for x in lex]
        except IndexError:  # lexemes added to the vocab since the last call
            values.extend(vocab.lex_column(self.attr)[len(values) :].tolist())
            return [values[x] for x in lex]


def sent_start_column(doc: Doc) -> np.ndarray:
    """1 where a token starts a sentence, else 0 (token 0 always starts one)."""
    n = len(doc)
    try:
        starts = doc._sent_start_mask()
    except Exception:  # no boundaries set: only explicit values count
        starts = doc._arr[:, C_SENT_START] == 1
        if n:
            starts[0] = True
    return starts.astype(np.int64)


class DocColumns:
    """Attribute columns of tokens ``lo..hi`` of a Doc."""

    def __init__(self, doc: Doc, lo: int, hi: int, attr_ids: list[int]) -> None:
        self.doc = doc
        self.lo = lo
        self.hi = hi
        self.n = hi - lo
        self._strings = doc.vocab.strings
        self._columns: dict[int, np.ndarray] = {}
        self._extensions: dict[str, list] = {}
        array_attrs = [a for a in attr_ids if a != A.SENT_START]
        if array_attrs:
            arr = doc.to_array(array_attrs)[lo:hi]
            for k, attr in enumerate(array_attrs):
                self._columns[attr] = arr[:, k]
        if A.SENT_START in attr_ids:
            self._columns[A.SENT_START] = sent_start_column(doc)[lo:hi]

    def column(self, attr: int) -> np.ndarray:
        col = self._columns.get(attr)
        if col is None:
            if attr == A.SENT_START:
                col = sent_start_column(self.doc)[self.lo : self.hi]
            else:
                col = self.doc.to_array(attr)[self.lo : self.hi]
            self._columns[attr] = col
        return col

    def text(self, attr: int, value: int) -> str | None:
        return text_of(self._strings, attr, value)

    def extension(self, name: str) -> list:
        values = self._extensions.get(name)
        if values is None:
            doc = self.doc
            try:
                values = [doc[i]._.get(name) for i in range(self.lo, self.hi)]
            except AttributeError as err:
                raise MatchPatternError(
                    f"A pattern uses the token extension '_.{name}', which is not registered: {err}"
                ) from None
            self._extensions[name] = values
        return values


class LexemeColumns:
    """Lexeme attribute columns of some lexemes of a Vocab (for per-lexeme caching)."""

    def __init__(self, vocab: Vocab, lex_indices: np.ndarray) -> None:
        self.vocab = vocab
        self.lex = lex_indices
        self.n = len(lex_indices)
        self._strings = vocab.strings

    def column(self, attr: int) -> np.ndarray:
        return self.vocab.lex_column(attr, self.lex)

    def text(self, attr: int, value: int) -> str | None:
        return text_of(self._strings, attr, value)
