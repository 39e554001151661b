"""Span: a slice doc[start:end] with an optional label, knowledge-base id and span id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import AnnotationError
from treadle.tokens._layout import C_DEP, C_IDX, C_LEX, C_SPACY, MASK
from treadle.tokens._similarity import similarity, vector_norm
from treadle.tokens.token import Token
from treadle.tokens.underscore import ExtensionRegistry, HasExtensions, Underscore
from treadle.tokens.vocab import LENGTH_COL

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc
    from treadle.tokens.vocab import Vocab


def _as_key(doc: Doc, value: str | int | None) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, str):
        return doc.vocab.strings.add(value)
    return int(value) & MASK


class Span(HasExtensions):
    """``Span(doc, start, end, label="", kb_id="", span_id="")`` over tokens start..end-1."""

    __slots__ = ("doc", "start", "end", "label", "kb_id", "id")
    _extensions = ExtensionRegistry("Span")

    def __init__(
        self,
        doc: Doc,
        start: int,
        end: int,
        label: str | int = "",
        kb_id: str | int = "",
        span_id: str | int = "",
    ) -> None:
        n = len(doc)
        if not (0 <= start <= end <= n):
            raise AnnotationError(
                f"Span [{start}:{end}] is out of range for a Doc of {n} tokens"
            )
        self.doc = doc
        self.start = int(start)
        self.end = int(end)
        self.label = _as_key(doc, label)
        self.kb_id = _as_key(doc, kb_id)
        self.id = _as_key(doc, span_id)

    # -- extensions ----------------------------------------------------------

    @property
    def _(self) -> Underscore:
        return Underscore(self._extensions, self, self.doc, self.start_char, self.end_char)

    # -- labels ----------------------------------------------------------------

    def _str(self, key: int) -> str:
        return self.doc.vocab.strings[key] if key else ""  # type: ignore[return-value]

    @property
    def label_(self) -> str:
        return self._str(self.label)

    @label_.setter
    def label_(self, value: str) -> None:
        self.label = _as_key(self.doc, value)

    @property
    def kb_id_(self) -> str:
        return self._str(self.kb_id)

    @kb_id_.setter
    def kb_id_(self, value: str) -> None:
        self.kb_id = _as_key(self.doc, value)

    @property
    def id_(self) -> str:
        return self._str(self.id)

    @id_.setter
    def id_(self, value: str) -> None:
        self.id = _as_key(self.doc, value)

    @property
    def vocab(self) -> Vocab:
        return self.doc.vocab

    # -- text and offsets ----------------------------------------------------

    @property
    def start_char(self) -> int:
        if self.start < len(self.doc):
            return int(self.doc._arr[self.start, C_IDX])
        return len(self.doc.text)

    @property
    def end_char(self) -> int:
        if self.end == self.start:
            return self.start_char
        last = self.doc._arr[self.end - 1]
        return int(last[C_IDX] + self.doc.vocab._table[last[C_LEX], LENGTH_COL])

    @property
    def text_with_ws(self) -> str:
        texts = self.doc.vocab._texts
        rows = self.doc._arr[self.start : self.end]
        return "".join(
            texts[lex] + " " if sp else texts[lex]
            for lex, sp in zip(rows[:, C_LEX].tolist(), rows[:, C_SPACY].tolist(), strict=True)
        )

    @property
    def text(self) -> str:
        if self.end == self.start:
            return ""
        text = self.text_with_ws
        return text[:-1] if self.doc._arr[self.end - 1, C_SPACY] else text

    orth_ = text

    def __len__(self) -> int:
        return self.end - self.start

    def __iter__(self) -> Iterator[Token]:
        doc = self.doc
        for i in range(self.start, self.end):
            yield Token(doc, i)

    def __getitem__(self, key: int | slice) -> Token | Span:
        n = self.end - self.start
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise ValueError("Spans can only be sliced with step 1")
            return Span(self.doc, self.start + start, self.start + max(start, stop))
        i = int(key)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"Token index {key} out of range for a span of {n} tokens")
        return Token(self.doc, self.start + i)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _key(self) -> tuple:
        return (self.start, self.end, self.label, self.kb_id, self.id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Span):
            return other.doc is self.doc and other._key() == self._key()
        return NotImplemented

    def __lt__(self, other: Span) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash((id(self.doc), *self._key()))

    def char_span(self, start_idx: int, end_idx: int, label: str | int = "", kb_id: str | int = "",
                  span_id: str | int = "", alignment_mode: str = "strict") -> Span | None:
        """Like Doc.char_span, with character offsets relative to the span's start."""
        offset = self.start_char
        return self.doc.char_span(start_idx + offset, end_idx + offset, label=label, kb_id=kb_id,
                                  span_id=span_id, alignment_mode=alignment_mode)

    @property
    def vector(self) -> np.ndarray:
        """The mean of the tokens' vectors."""
        vectors = self.doc.vocab.vectors
        if len(self) == 0:
            return np.zeros((vectors.shape[1],), dtype=np.float32)
        return vectors.vectors_for([t.text for t in self]).mean(axis=0)

    @property
    def has_vector(self) -> bool:
        return any(t.has_vector for t in self)

    @property
    def vector_norm(self) -> float:
        return vector_norm(self.vector)

    def similarity(self, other: Any) -> float:
        """Cosine similarity of the two vectors (0.0, with a warning, if one has none)."""
        return similarity(self, other)

    # -- structure -------------------------------------------------------------

    @property
    def root(self) -> Token:
        """The token whose head lies outside the span (the shallowest if several)."""
        if self.end - self.start <= 1:
            return Token(self.doc, self.start)
        heads = self.doc._head_indices()
        idx = np.arange(self.start, self.end)
        local = heads[self.start : self.end]
        outside = (local < self.start) | (local >= self.end) | (local == idx)
        candidates = (idx[outside]).tolist()
        if not candidates:
            return Token(self.doc, self.start)
        if len(candidates) == 1:
            return Token(self.doc, candidates[0])

        def depth(i: int) -> int:
            return sum(1 for _ in Token(self.doc, i).ancestors)

        return Token(self.doc, min(candidates, key=depth))

    @property
    def sent(self) -> Span:
        return self.doc._sent_of(self.start)

    @property
    def sents(self) -> Iterator[Span]:
        for sent in self.doc.sents:
            if sent.end > self.start and sent.start < self.end:
                yield sent

    @property
    def ents(self) -> tuple[Span, ...]:
        return tuple(e for e in self.doc.ents if e.start >= self.start and e.end <= self.end)

    @property
    def lefts(self) -> Iterator[Token]:
        for tok in self:
            for child in tok.lefts:
                if child.i < self.start:
                    yield child

    @property
    def rights(self) -> Iterator[Token]:
        for tok in self:
            for child in tok.rights:
                if child.i >= self.end:
                    yield child

    @property
    def subtree(self) -> Iterator[Token]:
        mask = np.zeros(len(self.doc), dtype=bool)
        for tok in self:
            mask |= tok._subtree_mask()
        for j in np.flatnonzero(mask):
            yield Token(self.doc, int(j))

    def has_annotation(self, attr: int | str) -> bool:
        return self.as_doc().has_annotation(attr)

    def as_doc(self, *, copy_user_data: bool = False) -> Doc:
        """A new Doc holding a copy of this span's tokens and annotations."""
        return self.doc._slice_as_doc(self.start, self.end, copy_user_data=copy_user_data)

    def to_array(self, attr_ids: Any) -> np.ndarray:
        return self.doc.to_array(attr_ids)[self.start : self.end]

    def _dep_present(self) -> bool:
        return bool(self.doc._arr[self.start : self.end, C_DEP].any())
