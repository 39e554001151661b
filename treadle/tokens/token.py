"""Token: a light view (doc, i) onto one row of a Doc's token array."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from treadle.errors import AnnotationError
from treadle.tokens import attrs
from treadle.tokens._layout import (
    C_DEP,
    C_ENT_ID,
    C_ENT_IOB,
    C_ENT_KB_ID,
    C_ENT_TYPE,
    C_HEAD,
    C_IDX,
    C_LEMMA,
    C_LEX,
    C_MORPH,
    C_NORM,
    C_POS,
    C_SENT_START,
    C_SPACY,
    C_TAG,
    IOB_IDS,
    IOB_NAMES,
    MASK,
    to_i64,
)
from treadle.tokens._similarity import similarity, vector_norm
from treadle.tokens.morphology import MorphAnalysis
from treadle.tokens.parts_of_speech import POS_IDS, UPOS_NAMES
from treadle.tokens.underscore import ExtensionRegistry, HasExtensions, Underscore
from treadle.tokens.vocab import LENGTH_COL, LEX_COL, STRING_LEX_ATTRS, Lexeme

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc
    from treadle.tokens.span import Span
    from treadle.tokens.vocab import Lexeme, Vocab


class Token(HasExtensions):
    """One token of a Doc. Cheap to create: holds only the Doc and the index."""

    __slots__ = ("doc", "i")
    _extensions = ExtensionRegistry("Token")

    def __init__(self, doc: Doc, i: int) -> None:
        self.doc = doc
        self.i = i

    # -- extensions ----------------------------------------------------------

    @property
    def _(self) -> Underscore:
        return Underscore(self._extensions, self, self.doc, self.idx, None)

    # -- text ----------------------------------------------------------------

    @property
    def vocab(self) -> Vocab:
        return self.doc.vocab

    @property
    def lex_id(self) -> int:
        return int(self.doc._arr[self.i, C_LEX])

    @property
    def lex(self) -> Lexeme:
        return Lexeme(self.doc.vocab, self.lex_id)

    @property
    def text(self) -> str:
        return self.doc.vocab._texts[self.doc._arr[self.i, C_LEX]]

    orth_ = text

    @property
    def whitespace_(self) -> str:
        return " " if self.doc._arr[self.i, C_SPACY] else ""

    @property
    def text_with_ws(self) -> str:
        row = self.doc._arr[self.i]
        text = self.doc.vocab._texts[row[C_LEX]]
        return text + " " if row[C_SPACY] else text

    @property
    def idx(self) -> int:
        return int(self.doc._arr[self.i, C_IDX])

    @property
    def len(self) -> int:
        return int(self.doc.vocab._table[self.doc._arr[self.i, C_LEX], LENGTH_COL])

    def __len__(self) -> int:
        return self.len

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Token):
            return other.doc is self.doc and other.i == self.i
        return NotImplemented

    def __lt__(self, other: Token) -> bool:
        return self.i < other.i

    def __hash__(self) -> int:
        return hash((id(self.doc), self.i))

    def nbor(self, i: int = 1) -> Token:
        j = self.i + i
        if not 0 <= j < len(self.doc):
            raise IndexError(f"Token {self.i} ({self.text!r}) has no neighbour at offset {i}")
        return Token(self.doc, j)

    @property
    def vector(self) -> np.ndarray:
        return self.doc.vocab.get_vector(self.text)

    @property
    def has_vector(self) -> bool:
        return self.doc.vocab.has_vector(self.text)

    @property
    def vector_norm(self) -> float:
        return vector_norm(self.vector)

    def similarity(self, other: Token | Span | Doc | Lexeme) -> float:
        """Cosine similarity of the two vectors (0.0, with a warning, if one has none)."""
        return similarity(self, other)

    # -- per-token annotations ----------------------------------------------

    def _get_hash(self, col: int) -> int:
        return int(self.doc._arr[self.i, col]) & MASK

    def _get_str(self, col: int) -> str:
        value = int(self.doc._arr[self.i, col]) & MASK
        return self.doc.vocab.strings[value] if value else ""  # type: ignore[return-value]

    def _set_str(self, col: int, value: str | int | None) -> None:
        if value is None:
            key = 0
        elif isinstance(value, str):
            key = self.doc.vocab.strings.add(value)
        else:
            key = int(value) & MASK
        self.doc._arr[self.i, col] = to_i64(key)

    tag = property(lambda self: self._get_hash(C_TAG), lambda self, v: self._set_str(C_TAG, v))
    tag_ = property(lambda self: self._get_str(C_TAG), lambda self, v: self._set_str(C_TAG, v))
    lemma = property(lambda self: self._get_hash(C_LEMMA), lambda self, v: self._set_str(C_LEMMA, v))
    lemma_ = property(lambda self: self._get_str(C_LEMMA), lambda self, v: self._set_str(C_LEMMA, v))
    dep = property(lambda self: self._get_hash(C_DEP), lambda self, v: self._set_str(C_DEP, v))
    dep_ = property(lambda self: self._get_str(C_DEP), lambda self, v: self._set_str(C_DEP, v))
    ent_type = property(lambda self: self._get_hash(C_ENT_TYPE))
    ent_id = property(lambda self: self._get_hash(C_ENT_ID), lambda self, v: self._set_str(C_ENT_ID, v))
    ent_id_ = property(lambda self: self._get_str(C_ENT_ID), lambda self, v: self._set_str(C_ENT_ID, v))
    ent_kb_id = property(lambda self: self._get_hash(C_ENT_KB_ID), lambda self, v: self._set_str(C_ENT_KB_ID, v))
    ent_kb_id_ = property(lambda self: self._get_str(C_ENT_KB_ID), lambda self, v: self._set_str(C_ENT_KB_ID, v))

    @property
    def pos(self) -> int:
        return int(self.doc._arr[self.i, C_POS])

    @pos.setter
    def pos(self, value: int | str | None) -> None:
        self.pos_ = value  # type: ignore[assignment]

    @property
    def pos_(self) -> str:
        return UPOS_NAMES[self.doc._arr[self.i, C_POS]]

    @pos_.setter
    def pos_(self, value: int | str | None) -> None:
        if value is None or value == "":
            pos_id = 0
        elif isinstance(value, str):
            pos_id = POS_IDS.get(value.upper(), -1)
        else:
            pos_id = int(value) if 0 <= int(value) < len(UPOS_NAMES) else -1
        if pos_id < 0:
            raise AnnotationError(
                f"Unknown POS {value!r} for token {self.i} ({self.text!r}); expected one of "
                f"the universal tags: {', '.join(UPOS_NAMES[1:])}"
            )
        if pos_id:
            self.doc.vocab.strings.add(UPOS_NAMES[pos_id])
        self.doc._arr[self.i, C_POS] = pos_id

    @property
    def morph(self) -> MorphAnalysis:
        return MorphAnalysis(self.doc.vocab, int(self.doc._arr[self.i, C_MORPH]) & MASK)

    @morph.setter
    def morph(self, value: MorphAnalysis | str | dict | int | None) -> None:
        if isinstance(value, MorphAnalysis):
            key = value.key
        elif isinstance(value, int):
            key = value & MASK
        else:
            key = self.doc.vocab.morph_key(value)
        self.doc._arr[self.i, C_MORPH] = to_i64(key)

    def set_morph(self, value: MorphAnalysis | str | dict | None) -> None:
        self.morph = value

    # -- entities ------------------------------------------------------------

    @property
    def ent_iob(self) -> int:
        return int(self.doc._arr[self.i, C_ENT_IOB])

    @property
    def ent_iob_(self) -> str:
        return IOB_NAMES[self.doc._arr[self.i, C_ENT_IOB]]

    @ent_iob_.setter
    def ent_iob_(self, value: str) -> None:
        if value not in IOB_IDS:
            raise AnnotationError(
                f"Invalid IOB value {value!r} for token {self.i} ({self.text!r}): use 'B', 'I', 'O' or ''"
            )
        self.doc._arr[self.i, C_ENT_IOB] = IOB_IDS[value]

    @property
    def ent_type_(self) -> str:
        return self._get_str(C_ENT_TYPE)

    @ent_type_.setter
    def ent_type_(self, value: str | int | None) -> None:
        self._set_str(C_ENT_TYPE, value)

    @ent_type.setter  # type: ignore[no-redef]
    def ent_type(self, value: str | int | None) -> None:
        self._set_str(C_ENT_TYPE, value)

    # -- sentences -----------------------------------------------------------

    @property
    def is_sent_start(self) -> bool | None:
        if self.i == 0:
            return True
        value = self.doc._arr[self.i, C_SENT_START]
        if value == 0:
            # With a parse but no explicit boundaries the tree decides.
            if self.doc._arr[:, C_DEP].any():
                return bool(self.doc._sent_start_mask()[self.i])
            return None
        return bool(value == 1)

    @is_sent_start.setter
    def is_sent_start(self, value: bool | None) -> None:
        self.doc._arr[self.i, C_SENT_START] = 0 if value is None else (1 if value else -1)

    @property
    def sent_start(self) -> int:
        return int(self.doc._arr[self.i, C_SENT_START])

    @property
    def is_sent_end(self) -> bool | None:
        if self.i + 1 == len(self.doc):
            return True
        return Token(self.doc, self.i + 1).is_sent_start

    @property
    def sent(self) -> Span:
        return self.doc._sent_of(self.i)

    # -- dependency tree -----------------------------------------------------

    def has_head(self) -> bool:
        return bool(self.doc._arr[self.i, C_DEP])

    def has_dep(self) -> bool:
        return bool(self.doc._arr[self.i, C_DEP])

    @property
    def head(self) -> Token:
        rel = int(self.doc._arr[self.i, C_HEAD])
        return Token(self.doc, self.i + rel) if rel else self

    @head.setter
    def head(self, new_head: Token) -> None:
        if not isinstance(new_head, Token) or new_head.doc is not self.doc:
            raise AnnotationError(
                f"The head of token {self.i} ({self.text!r}) must be a Token of the same Doc"
            )
        arr = self.doc._arr
        arr[self.i, C_HEAD] = new_head.i - self.i
        if not arr[self.i, C_DEP]:
            arr[self.i, C_DEP] = to_i64(self.doc.vocab.strings.add("dep"))
        self.doc._sent_starts_from_tree()

    def _head_array(self) -> np.ndarray:
        return self.doc._head_indices()

    @property
    def children(self) -> Iterator[Token]:
        heads = self.doc._head_indices()
        for j in np.flatnonzero(heads == self.i):
            if j != self.i:
                yield Token(self.doc, int(j))

    @property
    def lefts(self) -> Iterator[Token]:
        for child in self.children:
            if child.i < self.i:
                yield child

    @property
    def rights(self) -> Iterator[Token]:
        for child in self.children:
            if child.i > self.i:
                yield child

    @property
    def n_lefts(self) -> int:
        return sum(1 for _ in self.lefts)

    @property
    def n_rights(self) -> int:
        return sum(1 for _ in self.rights)

    def _subtree_mask(self) -> np.ndarray:
        heads = self.doc._head_indices()
        inside = np.zeros(len(heads), dtype=bool)
        inside[self.i] = True
        not_self = heads != np.arange(len(heads))
        # Grow the set by one level per pass: a token joins when its head is inside.
        for _ in range(len(heads)):
            new = inside[heads] & not_self & ~inside
            if not new.any():
                break
            inside |= new
        return inside

    @property
    def subtree(self) -> Iterator[Token]:
        for j in np.flatnonzero(self._subtree_mask()):
            yield Token(self.doc, int(j))

    @property
    def left_edge(self) -> Token:
        return Token(self.doc, int(np.flatnonzero(self._subtree_mask())[0]))

    @property
    def right_edge(self) -> Token:
        return Token(self.doc, int(np.flatnonzero(self._subtree_mask())[-1]))

    @property
    def ancestors(self) -> Iterator[Token]:
        heads = self.doc._head_indices()
        seen = {self.i}
        j = self.i
        while heads[j] != j:
            j = int(heads[j])
            if j in seen:  # a cycle: malformed tree, stop rather than loop forever
                break
            seen.add(j)
            yield Token(self.doc, j)

    def is_ancestor(self, descendant: Token) -> bool:
        return any(anc.i == self.i for anc in descendant.ancestors)

    # -- norm: the lexeme's, unless this token overrides it --------------------

    @property
    def norm(self) -> int:
        override = int(self.doc._arr[self.i, C_NORM]) & MASK
        if override:
            return override
        return int(self.doc.vocab._table[self.doc._arr[self.i, C_LEX], LEX_COL[attrs.NORM]])

    @norm.setter
    def norm(self, value: str | int | None) -> None:
        self._set_str(C_NORM, value)

    @property
    def norm_(self) -> str:
        return self.doc.vocab.strings[self.norm]  # type: ignore[return-value]

    @norm_.setter
    def norm_(self, value: str | None) -> None:
        self._set_str(C_NORM, value)

    # -- lexeme attributes (generated below) ---------------------------------

    def check_flag(self, attr: int | str) -> bool:
        attr = attrs.intify_attr(attr)
        return bool(self.doc.vocab._table[self.doc._arr[self.i, C_LEX], LEX_COL[attr]])


def _make_token_lex_properties() -> None:
    def hash_prop(col: int) -> property:
        def get(self: Token) -> int:
            return int(self.doc.vocab._table[self.doc._arr[self.i, C_LEX], col])

        return property(get)

    def str_prop(col: int) -> property:
        def get(self: Token) -> str:
            vocab = self.doc.vocab
            return vocab.strings[int(vocab._table[self.doc._arr[self.i, C_LEX], col])]  # type: ignore[return-value]

        return property(get)

    def flag_prop(col: int) -> property:
        def get(self: Token) -> bool:
            return bool(self.doc.vocab._table[self.doc._arr[self.i, C_LEX], col])

        return property(get)

    for attr in STRING_LEX_ATTRS:
        if attr == attrs.NORM:
            continue  # defined on the class: tokens may override it
        name = attrs.NAMES[attr].lower()
        setattr(Token, name, hash_prop(LEX_COL[attr]))
        if attr != attrs.ORTH:
            setattr(Token, name + "_", str_prop(LEX_COL[attr]))
    for attr in attrs.FLAG_ATTRS:
        setattr(Token, attrs.NAMES[attr].lower(), flag_prop(LEX_COL[attr]))


_make_token_lex_properties()
