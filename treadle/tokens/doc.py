"""Doc: a sequence of tokens with their annotations, stored column-wise in numpy.

All per-token values live in one int64 array (see ``_layout``): the lexeme index
(lexical attributes are read from the Vocab's table), trailing space, character
offset, and the annotation columns. Token and Span are views onto it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from treadle.errors import AnnotationError
from treadle.tokens import attrs as A
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
    MASK,
    N_COLS,
    TOKEN_COL,
    hashes_to_i64,
    to_i64,
)
from treadle.tokens._similarity import similarity, vector_norm
from treadle.tokens.doc_array import doc_count_by, doc_from_array, doc_to_array
from treadle.tokens.doc_json import doc_from_json, doc_to_json
from treadle.tokens.docbin_format import DocRecords
from treadle.tokens.parts_of_speech import N_POS, POS_IDS, UPOS_NAMES
from treadle.tokens.span import Span
from treadle.tokens.span_group import SpanGroups
from treadle.tokens.token import Token
from treadle.tokens.underscore import ExtensionRegistry, HasExtensions, Underscore
from treadle.tokens.vocab import LENGTH_COL, LEX_COL, Vocab

_MISSING_IOB = (None, "", "-")


class _LazyArray:
    """The token array of a Doc the tokenizer made, built on first access.

    A non-data descriptor: once built, the array sits in the instance ``__dict__`` and
    shadows this, so later reads cost a plain attribute lookup. Tokenizing a text then
    costs Python list work only; a Doc that is read pays the numpy work once.
    """

    def __get__(self, doc: Doc | None, owner: type | None = None) -> Any:
        if doc is None:
            return self
        state = doc.__dict__
        pending = state.get("_pending")
        if pending is None:  # built meanwhile (by another thread), or never set up
            if "_arr" in state:
                return state["_arr"]
            raise AttributeError("_arr")
        lex, spaces, norms = pending
        n = len(lex)
        arr = np.zeros((n, N_COLS), dtype=np.int64)
        if n:
            arr[:, C_LEX] = lex
            arr[:, C_SPACY] = spaces
            if n > 1:
                texts = doc.vocab._texts
                # running offsets in Python: cheaper than numpy for sentence-sized Docs
                idx = arr[:, C_IDX]
                pos = 0
                offsets = [0] * n
                for i in range(n - 1):
                    pos += len(texts[lex[i]]) + spaces[i]
                    offsets[i + 1] = pos
                idx[:] = offsets
            if norms:
                add = doc.vocab.strings.add
                for i, norm in norms:
                    arr[i, C_NORM] = to_i64(add(norm))
        state["_arr"] = arr
        state.pop("_pending", None)
        return arr


class Doc(HasExtensions):
    """``Doc(vocab, words=None, spaces=None, *, tags=, pos=, morphs=, lemmas=, heads=,
    deps=, sent_starts=, ents=, user_data=, norms=)``.

    ``spaces`` defaults to a space after every token. ``heads`` are absolute token
    indices; ``morphs`` UD FEATS strings; ``ents`` IOB (or BILUO) tags. Any
    annotation list may hold None for "missing".
    """

    _extensions = ExtensionRegistry("Doc")
    _arr: np.ndarray = _LazyArray()  # type: ignore[assignment]

    def __init__(
        self,
        vocab: Vocab,
        words: Sequence[str] | None = None,
        spaces: Sequence[bool | int] | None = None,
        *,
        tags: Sequence[str | None] | None = None,
        pos: Sequence[str | None] | None = None,
        morphs: Sequence[str | None] | None = None,
        lemmas: Sequence[str | None] | None = None,
        heads: Sequence[int | None] | None = None,
        deps: Sequence[str | None] | None = None,
        sent_starts: Sequence[bool | int | None] | None = None,
        ents: Sequence[str | None] | None = None,
        user_data: dict | None = None,
        norms: Sequence[str | None] | None = None,
    ) -> None:
        words = list(words) if words is not None else []
        n = len(words)
        try:
            lex = vocab.get_lex_indices(words)
        except TypeError:
            for i, w in enumerate(words):
                if not isinstance(w, str):
                    raise AnnotationError(
                        f"Word {i} is {type(w).__name__} {w!r}; words must be strings"
                    ) from None
            raise
        arr = np.zeros((n, N_COLS), dtype=np.int64)
        self._init(vocab, arr, user_data if user_data is not None else {})
        if not n:
            return
        arr[:, C_LEX] = lex
        lengths = vocab._table[lex, LENGTH_COL].astype(np.int64)
        if not lengths.all():
            i = int(np.flatnonzero(lengths == 0)[0])
            raise AnnotationError(f"Word {i} is an empty string; every token needs text")
        if spaces is None:
            arr[:, C_SPACY] = 1
        else:
            spaces = list(spaces)
            if len(spaces) != n:
                raise AnnotationError(
                    f"Got {len(spaces)} spaces for {n} words: they must align (words[-1] = "
                    f"{words[-1]!r})"
                )
            try:
                arr[:, C_SPACY] = np.array(spaces, dtype=bool)
            except (TypeError, ValueError):
                bad = next(i for i, s in enumerate(spaces) if not isinstance(s, (bool, int, np.integer)))
                raise AnnotationError(
                    f"spaces[{bad}] is {spaces[bad]!r} for token {bad} ({words[bad]!r}); use True/False"
                ) from None
        if n > 1:
            np.cumsum(lengths[:-1] + arr[:-1, C_SPACY], out=arr[1:, C_IDX])
        strings = vocab.strings
        if tags is not None:
            arr[:, C_TAG] = self._hash_column("tags", tags, words)
        if lemmas is not None:
            arr[:, C_LEMMA] = self._hash_column("lemmas", lemmas, words)
        if norms is not None:
            # Per-token norms (e.g. from tokenizer special cases) override the lexeme's.
            arr[:, C_NORM] = self._hash_column("norms", norms, words)
        if pos is not None:
            self._check_len("pos", pos, words)
            ids = [POS_IDS.get(p, -1) if isinstance(p, str) else -1 for p in pos]
            for i, (p, pid) in enumerate(zip(pos, ids, strict=True)):
                if pid < 0 or (pid == 0 and p not in (None, "")):
                    if p is None:
                        ids[i] = 0
                        continue
                    if isinstance(p, (int, np.integer)) and 0 <= p < N_POS:
                        ids[i] = int(p)
                        continue
                    raise AnnotationError(
                        f"Unknown POS {p!r} for token {i} ({words[i]!r}); expected one of the "
                        f"universal tags: {', '.join(UPOS_NAMES[1:])}"
                    )
            arr[:, C_POS] = ids
            for pid in set(ids):
                if pid:
                    strings.add(UPOS_NAMES[pid])
        if morphs is not None:
            self._check_len("morphs", morphs, words)
            key = vocab.morph_key
            try:
                arr[:, C_MORPH] = hashes_to_i64([key(m) for m in morphs])
            except Exception as err:
                for i, m in enumerate(morphs):
                    try:
                        key(m)
                    except Exception:
                        raise AnnotationError(
                            f"Invalid morphology {m!r} for token {i} ({words[i]!r}): {err}"
                        ) from err
                raise
        if heads is not None:
            self._set_heads_from_lists(heads, deps, words)
        elif deps is not None:
            # Labels without heads: keep them, but the tree stays unset.
            arr[:, C_DEP] = self._hash_column("deps", deps, words)
        if sent_starts is not None:
            self._check_len("sent_starts", sent_starts, words)
            values = []
            for i, s in enumerate(sent_starts):
                if s is None:
                    values.append(0)
                elif s is True or s == 1:
                    values.append(1)
                elif s is False or s == 0 or s == -1:
                    values.append(-1)
                else:
                    raise AnnotationError(
                        f"Invalid sent_start {s!r} for token {i} ({words[i]!r}); use True, "
                        "False or None"
                    )
            arr[:, C_SENT_START] = values
        if ents is not None:
            self._set_iob_tags(ents, words)

    def _init(self, vocab: Vocab, arr: np.ndarray, user_data: dict) -> None:
        self.vocab = vocab
        self.__dict__.pop("_pending", None)  # a Doc from the tokenizer, now replaced
        self._arr = arr
        self.user_data = user_data
        self.cats: dict[str, float] = {}
        self._spans: SpanGroups | None = None
        self.tensor: Any = None

    @classmethod
    def _from_array_unchecked(cls, vocab: Vocab, arr: np.ndarray, user_data: dict | None = None) -> Doc:
        """Wrap a prepared token array (internal fast path for DocBin and slicing)."""
        doc = cls.__new__(cls)
        doc._init(vocab, arr, user_data if user_data is not None else {})
        return doc

    @classmethod
    def _from_tokenizer(
        cls,
        vocab: Vocab,
        lex: list[int],
        spaces: list[bool],
        norms: list[tuple[int, str]] | None,
    ) -> Doc:
        """A Doc of lexeme indices, trailing-space flags and (token, NORM) overrides,
        all already valid (the tokenizer's output); its array is built when first read."""
        doc = cls.__new__(cls)
        # the attributes _init sets, in one step
        doc.__dict__ = {
            "vocab": vocab,
            "_pending": (lex, spaces, norms),
            "user_data": {},
            "cats": {},
            "_spans": None,
            "tensor": None,
        }
        return doc

    @classmethod
    def from_lex_indices(cls, vocab: Vocab, lex: np.ndarray | Sequence[int],
                         spaces: Sequence[bool] | np.ndarray | None = None) -> Doc:
        """Build a Doc straight from lexeme indices (the tokenizer's fast path)."""
        lex = np.asarray(lex, dtype=np.int64)
        n = lex.shape[0]
        arr = np.zeros((n, N_COLS), dtype=np.int64)
        arr[:, C_LEX] = lex
        arr[:, C_SPACY] = 1 if spaces is None else np.asarray(spaces, dtype=bool)
        if n > 1:
            lengths = vocab._table[lex[:-1], LENGTH_COL].astype(np.int64)
            np.cumsum(lengths + arr[:-1, C_SPACY], out=arr[1:, C_IDX])
        return cls._from_array_unchecked(vocab, arr)

    # -- construction helpers --------------------------------------------------

    @staticmethod
    def _check_len(name: str, values: Sequence, words: Sequence[str]) -> None:
        if len(values) != len(words):
            raise AnnotationError(
                f"Got {len(values)} {name} for {len(words)} words: every token needs one "
                "entry (use None for a missing value)"
            )

    def _hash_column(self, name: str, values: Sequence[str | None], words: Sequence[str]) -> np.ndarray:
        self._check_len(name, values, words)
        add = self.vocab.strings.add
        try:
            return hashes_to_i64([add(v) if v else 0 for v in values])
        except TypeError:
            for i, v in enumerate(values):
                if v is not None and not isinstance(v, str):
                    raise AnnotationError(
                        f"{name}[{i}] is {v!r} for token {i} ({words[i]!r}); expected a string or None"
                    ) from None
            raise

    def _set_heads_from_lists(self, heads: Sequence[int | None], deps: Sequence[str | None] | None,
                              words: Sequence[str]) -> None:
        arr = self._arr
        n = len(words)
        self._check_len("heads", heads, words)
        if deps is None:
            deps = ["dep" if h is not None else None for h in heads]
        dep_col = self._hash_column("deps", deps, words)
        if all(type(h) is int for h in heads):
            head_arr = np.array(heads, dtype=np.int64)
            if not ((head_arr < 0) | (head_arr >= n)).any():
                arr[:, C_HEAD] = head_arr - np.arange(n)
                arr[:, C_DEP] = dep_col
                self._sent_starts_from_tree()
                return
        rel = np.zeros(n, dtype=np.int64)
        for i, h in enumerate(heads):
            if h is None:
                dep_col[i] = 0
                continue
            if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 0 <= h < n:
                raise AnnotationError(
                    f"Head {h!r} of token {i} ({words[i]!r}) is out of range: heads are absolute "
                    f"token indices in 0..{n - 1}"
                )
            rel[i] = h - i
        arr[:, C_HEAD] = rel
        arr[:, C_DEP] = dep_col
        self._sent_starts_from_tree()

    def _set_iob_tags(self, tags: Sequence[str | None], words: Sequence[str]) -> None:
        self._check_len("ents", tags, words)
        add = self.vocab.strings.add
        iob = np.zeros(len(tags), dtype=np.int64)
        types = [0] * len(tags)
        prev_iob, prev_type = 0, 0
        for i, tag in enumerate(tags):
            if tag in _MISSING_IOB:
                cur_iob, cur_type = 0, 0
            elif tag == "O":
                cur_iob, cur_type = 2, 0
            else:
                if not isinstance(tag, str) or len(tag) < 3 or tag[1] != "-" or tag[0] not in "BIULbiul":
                    raise AnnotationError(
                        f"Invalid entity tag {tag!r} for token {i} ({words[i]!r}): use 'B-LABEL', "
                        "'I-LABEL', 'O', or None/''/'-' for missing"
                    )
                prefix, label = tag[0].upper(), tag[2:]
                cur_type = add(label)
                if prefix in "BU":
                    cur_iob = 3
                else:
                    if prev_iob not in (1, 3) or prev_type != cur_type:
                        prev = tags[i - 1] if i else None
                        raise AnnotationError(
                            f"Entity tag {tag!r} on token {i} ({words[i]!r}) continues an entity "
                            f"that was never started (previous tag: {prev!r}); start it with "
                            f"'B-{label}'"
                        )
                    cur_iob = 1
                # BILUO: an entity that ended with L or U cannot be continued.
                if prefix in "LU":
                    iob[i] = cur_iob
                    types[i] = cur_type
                    prev_iob, prev_type = 2, 0
                    continue
            iob[i] = cur_iob
            types[i] = cur_type
            prev_iob, prev_type = cur_iob, cur_type
        self._arr[:, C_ENT_IOB] = iob
        self._arr[:, C_ENT_TYPE] = hashes_to_i64(types)

    # -- extensions ------------------------------------------------------------

    @property
    def _(self) -> Underscore:
        return Underscore(self._extensions, self, self, None, None)

    # -- sequence protocol -----------------------------------------------------

    def __len__(self) -> int:
        pending = self.__dict__.get("_pending")
        if pending is not None:
            return len(pending[0])
        return self._arr.shape[0]

    @overload
    def __getitem__(self, key: int) -> Token: ...
    @overload
    def __getitem__(self, key: slice) -> Span: ...
    def __getitem__(self, key: int | slice) -> Token | Span:
        n = self._arr.shape[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise ValueError("Docs can only be sliced with step 1")
            return Span(self, start, max(start, stop))
        i = int(key)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"Token index {key} out of range for a Doc of {n} tokens")
        return Token(self, i)

    def __iter__(self) -> Iterator[Token]:
        for i in range(self._arr.shape[0]):
            yield Token(self, i)

    def __bool__(self) -> bool:
        return True

    @property
    def words(self) -> list[str]:
        """The token texts (a convenience; the same as ``[t.text for t in doc]``)."""
        texts = self.vocab._texts
        return [texts[i] for i in self._arr[:, C_LEX].tolist()]

    @property
    def spaces(self) -> list[bool]:
        return self._arr[:, C_SPACY].astype(bool).tolist()

    @property
    def text(self) -> str:
        texts = self.vocab._texts
        pending = self.__dict__.get("_pending")
        if pending is not None:
            return "".join(
                texts[lex] + " " if sp else texts[lex]
                for lex, sp in zip(pending[0], pending[1], strict=True)
            )
        return "".join(
            texts[lex] + " " if sp else texts[lex]
            for lex, sp in zip(self._arr[:, C_LEX].tolist(), self._arr[:, C_SPACY].tolist(), strict=True)
        )

    text_with_ws = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    @property
    def vector(self) -> np.ndarray:
        """The mean of the tokens' vectors."""
        return self[:].vector

    @property
    def has_vector(self) -> bool:
        return any(t.has_vector for t in self)

    @property
    def vector_norm(self) -> float:
        return vector_norm(self.vector)

    def similarity(self, other: Any) -> float:
        """Cosine similarity of the two vectors (0.0, with a warning, if one has none)."""
        return similarity(self, other)

    @property
    def spans(self) -> SpanGroups:
        if self._spans is None:
            self._spans = SpanGroups(self)
        return self._spans

    @spans.setter
    def spans(self, groups: dict) -> None:
        self._spans = SpanGroups(self)
        for key, value in groups.items():
            self._spans[key] = value

    # -- annotation state ------------------------------------------------------

    def has_annotation(self, attr: int | str, *, require_complete: bool = False) -> bool:
        """Whether any (or, with require_complete, every) token has a value for ``attr``."""
        attr = A.intify_attr(attr)
        n = len(self)
        if not n:
            return False
        if attr in LEX_COL or attr in (A.ID, A.LANG, A.SPACY, A.IDX):
            return True
        if attr == A.HEAD:
            attr = A.DEP
        if attr == A.SENT_START:
            # Heads imply sentence boundaries; the first token always starts one.
            col = self._arr[:, C_SENT_START]
            if require_complete:
                return bool(col[1:].all()) or bool(self._arr[:, C_DEP].all())
            return bool(col.any()) or bool(self._arr[:, C_DEP].any())
        col = self._arr[:, TOKEN_COL[attr]]
        return bool(col.all()) if require_complete else bool(col.any())

    @property
    def is_parsed(self) -> bool:
        return self.has_annotation(A.DEP)

    @property
    def is_sentenced(self) -> bool:
        return self.has_annotation(A.SENT_START)

    # -- dependency tree helpers -----------------------------------------------

    def _head_indices(self) -> np.ndarray:
        """Absolute head of each token; a token without a head points at itself."""
        n = len(self)
        idx = np.arange(n, dtype=np.int64)
        heads = idx + self._arr[:, C_HEAD]
        missing = (self._arr[:, C_DEP] == 0) | (heads < 0) | (heads >= n)
        heads[missing] = idx[missing]
        return heads

    def _tree_sent_starts(self) -> np.ndarray:
        """Sentence starts implied by the tree: where the root changes between neighbours."""
        root = self._head_indices()
        for _ in range(64):  # pointer jumping: depth halves each pass
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        starts = np.empty(len(root), dtype=bool)
        if len(root):
            starts[0] = True
            starts[1:] = root[1:] != root[:-1]
        return starts

    def _sent_starts_from_tree(self) -> None:
        """Write SENT_START from the tree when every token has a head."""
        dep = self._arr[:, C_DEP]
        if len(dep) and dep.all():
            self._arr[:, C_SENT_START] = np.where(self._tree_sent_starts(), 1, -1)

    def _sent_start_mask(self) -> np.ndarray:
        col = self._arr[:, C_SENT_START]
        if col.any():
            starts = col == 1
        elif self._arr[:, C_DEP].any():
            starts = self._tree_sent_starts()
        else:
            raise AnnotationError(
                "Sentence boundaries are unset: this Doc has no SENT_START values and no "
                "dependency parse. Add a sentencizer or parser to the pipeline, or set "
                "token.is_sent_start (doc.has_annotation('SENT_START') tells)."
            )
        if len(starts):
            starts[0] = True
        return starts

    @property
    def sents(self) -> Iterator[Span]:
        n = len(self)
        if not n:
            return
        starts = np.flatnonzero(self._sent_start_mask()).tolist()
        for s, e in zip(starts, [*starts[1:], n], strict=True):
            yield Span(self, s, e)

    def _sent_of(self, i: int) -> Span:
        starts = np.flatnonzero(self._sent_start_mask())
        k = int(np.searchsorted(starts, i, side="right")) - 1
        end = int(starts[k + 1]) if k + 1 < len(starts) else len(self)
        return Span(self, int(starts[k]), end)

    # -- entities ----------------------------------------------------------------

    @property
    def ents(self) -> tuple[Span, ...]:
        iob = self._arr[:, C_ENT_IOB]
        types = self._arr[:, C_ENT_TYPE]
        starts = np.flatnonzero((iob == 3) & (types != 0))
        if not len(starts):
            return ()
        not_inside = np.flatnonzero(iob != 1)
        n = len(self)
        out = []
        for s in starts.tolist():
            k = int(np.searchsorted(not_inside, s, side="right"))
            e = int(not_inside[k]) if k < len(not_inside) else n
            row = self._arr[s]
            out.append(Span(self, s, e, int(row[C_ENT_TYPE]) & MASK, int(row[C_ENT_KB_ID]) & MASK,
                            int(row[C_ENT_ID]) & MASK))
        return tuple(out)

    @ents.setter
    def ents(self, entities: Iterable[Span | tuple]) -> None:
        spans: list[Span] = []
        missing: list[Span] = []
        for ent in entities:
            span = self._as_span(ent)
            (spans if span.label else missing).append(span)
        self.set_ents(spans, missing=missing, default="outside")

    def _as_span(self, ent: Span | tuple) -> Span:
        if isinstance(ent, Span):
            if ent.doc is not self:
                raise AnnotationError(f"Entity {ent.text!r} belongs to another Doc")
            return ent
        if isinstance(ent, tuple) and len(ent) == 3:
            label, start, end = ent
            return Span(self, int(start), int(end), label=label if label is not None else "")
        raise AnnotationError(
            f"Entities must be Spans or (label, start, end) tuples, got {ent!r}"
        )

    def set_ents(
        self,
        entities: Iterable[Span | tuple],
        *,
        blocked: Iterable[Span] | None = None,
        missing: Iterable[Span] | None = None,
        outside: Iterable[Span] | None = None,
        default: str = "outside",
    ) -> None:
        """Set entities and the state of other tokens.

        ``blocked`` tokens may not be part of any entity (stored as IOB "B" with no
        type), ``missing`` tokens have unknown annotation (IOB ""), ``outside``
        tokens are known non-entities ("O"). Tokens named in none of these get
        ``default``: "outside", "missing", "blocked" or "unmodified".
        """
        if default not in ("outside", "missing", "blocked", "unmodified"):
            raise AnnotationError(
                f"Invalid default {default!r} for set_ents: use 'outside', 'missing', "
                "'blocked' or 'unmodified'"
            )
        groups = {
            "entity": [self._as_span(e) for e in entities],
            "blocked": [self._as_span(e) for e in blocked or ()],
            "missing": [self._as_span(e) for e in missing or ()],
            "outside": [self._as_span(e) for e in outside or ()],
        }
        tagged = sorted(
            ((span.start, span.end, kind, span) for kind, spans in groups.items() for span in spans),
            key=lambda t: (t[0], t[1]),
        )
        for (s1, e1, k1, a), (s2, e2, k2, b) in zip(tagged, tagged[1:], strict=False):
            if s2 < e1 and e1 > s1 and e2 > s2:
                raise AnnotationError(
                    f"Overlapping entities: {k1} {a.text!r} (tokens {s1}-{e1}"
                    f"{', ' + a.label_ if a.label_ else ''}) overlaps {k2} {b.text!r} (tokens "
                    f"{s2}-{e2}{', ' + b.label_ if b.label_ else ''}); entities cannot overlap"
                )
        for span in groups["entity"]:
            if not span.label:
                raise AnnotationError(
                    f"Entity {span.text!r} (tokens {span.start}-{span.end}) has no label"
                )
        arr = self._arr
        if default != "unmodified":
            arr[:, C_ENT_IOB] = {"outside": 2, "missing": 0, "blocked": 3}[default]
            arr[:, C_ENT_TYPE] = 0
            arr[:, C_ENT_ID] = 0
            arr[:, C_ENT_KB_ID] = 0
        for kind, iob in (("blocked", 3), ("missing", 0), ("outside", 2)):
            for span in groups[kind]:
                arr[span.start : span.end, C_ENT_IOB] = iob
                arr[span.start : span.end, C_ENT_TYPE] = 0
                arr[span.start : span.end, C_ENT_ID] = 0
                arr[span.start : span.end, C_ENT_KB_ID] = 0
        for span in groups["entity"]:
            if span.start == span.end:
                continue
            arr[span.start, C_ENT_IOB] = 3
            arr[span.start + 1 : span.end, C_ENT_IOB] = 1
            arr[span.start : span.end, C_ENT_TYPE] = to_i64(span.label)
            arr[span.start : span.end, C_ENT_KB_ID] = to_i64(span.kb_id)
            arr[span.start : span.end, C_ENT_ID] = to_i64(span.id)
        if default == "unmodified":
            self._repair_iob()

    def _repair_iob(self) -> None:
        """Turn I tokens that no longer continue an entity of their type into B."""
        iob = self._arr[:, C_ENT_IOB]
        types = self._arr[:, C_ENT_TYPE]
        if not len(iob):
            return
        prev_ok = np.zeros(len(iob), dtype=bool)
        prev_ok[1:] = np.isin(iob[:-1], (1, 3)) & (types[:-1] == types[1:]) & (types[1:] != 0)
        broken = (iob == 1) & ~prev_ok
        # A repaired B starts a new entity, which can make its successors valid again.
        iob[broken & (types != 0)] = 3
        iob[broken & (types == 0)] = 2

    # -- character spans -------------------------------------------------------

    def char_span(self, start_idx: int, end_idx: int, label: str | int = "", kb_id: str | int = "",
                  span_id: str | int = "", alignment_mode: str = "strict") -> Span | None:
        """The Span covering characters start_idx..end_idx, or None if it does not align.

        alignment_mode: "strict" (offsets must fall on token boundaries), "contract"
        (tokens entirely inside), "expand" (tokens that overlap the range).
        """
        starts = self._arr[:, C_IDX]
        ends = starts + self.vocab._table[self._arr[:, C_LEX], LENGTH_COL].astype(np.int64)
        if alignment_mode == "strict":
            i = int(np.searchsorted(starts, start_idx, side="left"))
            j = int(np.searchsorted(ends, end_idx, side="left"))
            if i >= len(self) or starts[i] != start_idx or j >= len(self) or ends[j] != end_idx:
                return None
            end = j + 1
        elif alignment_mode == "contract":
            i = int(np.searchsorted(starts, start_idx, side="left"))
            end = int(np.searchsorted(ends, end_idx, side="right"))
        elif alignment_mode == "expand":
            i = int(np.searchsorted(ends, start_idx, side="right"))
            end = int(np.searchsorted(starts, end_idx, side="left"))
        else:
            raise ValueError(
                f"Unknown alignment_mode {alignment_mode!r}: use 'strict', 'contract' or 'expand'"
            )
        if end <= i:
            return None
        return Span(self, i, end, label=label, kb_id=kb_id, span_id=span_id)

    # -- arrays (the logic lives in doc_array) -----------------------------------

    def to_array(self, attr_ids: int | str | Sequence[int | str]) -> np.ndarray:
        """Values of attributes per token as int64: 2-D for a list, 1-D for one attribute."""
        return doc_to_array(self, attr_ids)

    def from_array(self, attr_ids: int | str | Sequence[int | str], array: np.ndarray) -> Doc:
        """Set token attributes from an int64 array laid out as ``to_array`` returns it.

        Lexeme attributes (ORTH, LOWER, ...) cannot be set this way and are skipped if
        given (ORTH is checked against the Doc's tokens). Setting HEAD recomputes
        sentence starts from the tree unless SENT_START is given too.
        """
        return doc_from_array(self, attr_ids, array)

    def _recompute_idx(self) -> None:
        arr = self._arr
        arr[:, C_IDX] = 0
        if len(arr) > 1:
            lengths = self.vocab._table[arr[:-1, C_LEX], LENGTH_COL].astype(np.int64)
            np.cumsum(lengths + arr[:-1, C_SPACY], out=arr[1:, C_IDX])

    def count_by(self, attr_id: int | str, counts: dict | None = None) -> dict[int, int]:
        """Count tokens by the value of an attribute (hashes as unsigned ints)."""
        return doc_count_by(self, attr_id, counts)

    # -- copies and slices -------------------------------------------------------

    def copy(self) -> Doc:
        doc = Doc._from_array_unchecked(self.vocab, self._arr.copy(), dict(self.user_data))
        doc.cats = dict(self.cats)
        if self._spans:
            doc._spans = self._spans.copy(doc)
        doc.tensor = None if self.tensor is None else self.tensor.copy()
        return doc

    def _slice_as_doc(self, start: int, end: int, *, copy_user_data: bool = False) -> Doc:
        arr = self._arr[start:end].copy()
        n = end - start
        if n:
            heads = np.arange(n) + arr[:, C_HEAD]
            outside = (heads < 0) | (heads >= n)
            # Tokens whose head lies outside become roots of the new Doc.
            arr[outside, C_HEAD] = 0
            if arr[0, C_ENT_IOB] == 1:
                arr[0, C_ENT_IOB] = 3
            if arr[:, C_SENT_START].any() or arr[:, C_DEP].any():
                arr[0, C_SENT_START] = 1
            arr[:, C_IDX] -= arr[0, C_IDX]
            arr[-1, C_SPACY] = self._arr[end - 1, C_SPACY]
        doc = Doc._from_array_unchecked(self.vocab, arr)
        if copy_user_data:
            offset = int(self._arr[start, C_IDX]) if n else 0
            doc.user_data = _shift_user_data(self.user_data, -offset)
        return doc

    @classmethod
    def from_docs(cls, docs: Sequence[Doc], ensure_whitespace: bool = True,
                  attrs: Sequence[int | str] | None = None) -> Doc | None:
        """Concatenate Docs into one, shifting spans and extension data."""
        docs = list(docs)
        if not docs:
            return None
        vocab = docs[0].vocab
        for i, doc in enumerate(docs):
            if doc.vocab is not vocab:
                raise AnnotationError(f"Doc.from_docs: doc {i} has another Vocab than doc 0")
        arrays = []
        sentence_info = any(d._arr[:, C_SENT_START].any() or d._arr[:, C_DEP].any() for d in docs)
        for k, doc in enumerate(docs):
            arr = doc._arr.copy()
            if len(arr):
                if sentence_info:
                    arr[0, C_SENT_START] = 1
                if ensure_whitespace and k + 1 < len(docs) and not arr[-1, C_SPACY]:
                    last_text = vocab._texts[arr[-1, C_LEX]]
                    if not last_text[-1:].isspace():
                        arr[-1, C_SPACY] = 1
            arrays.append(arr)
        out = cls._from_array_unchecked(vocab, np.concatenate(arrays) if arrays else
                                        np.zeros((0, N_COLS), np.int64))
        out._recompute_idx()
        if attrs is not None:
            keep = {TOKEN_COL[a] for a in A.intify_attrs(list(attrs)) if a in TOKEN_COL}
            if A.NORM not in A.intify_attrs(list(attrs)):
                out._arr[:, C_NORM] = 0
            for col in (C_TAG, C_POS, C_MORPH, C_LEMMA, C_DEP, C_HEAD, C_SENT_START,
                        C_ENT_IOB, C_ENT_TYPE, C_ENT_ID, C_ENT_KB_ID):
                if col not in keep:
                    out._arr[:, col] = 0
        token_offset = 0
        for k, doc in enumerate(docs):
            char_offset = int(out._arr[token_offset, C_IDX]) if len(doc) else 0
            for key, group in (doc._spans or {}).items():
                shifted = group.copy(out, token_offset)
                if key in out.spans:
                    out.spans[key].extend(shifted)
                else:
                    out.spans[key] = shifted
            for key, value in _shift_user_data(doc.user_data, char_offset).items():
                if key not in out.user_data or k == 0:
                    out.user_data[key] = value
            token_offset += len(doc)
        return out

    # -- JSON (the logic lives in doc_json) ---------------------------------------

    def to_json(self, underscore: Sequence[str] | None = None) -> dict[str, Any]:
        """A JSON-serializable dict; ents, sents and spans use character offsets.

        ``{"text", "tokens": [{"id", "start", "end", "tag"?, "pos"?, "morph"?, "lemma"?,
        "dep"?, "head"?}], "ents"?: [{"start", "end", "label", "kb_id"?, "id"?}],
        "sents"?: [{"start", "end"}], "cats": {...}, "spans"?: {key: [{"start", "end",
        "label", "kb_id", "id"}]}, "_"?: {...}}``. Token fields appear only when set.
        """
        return doc_to_json(self, underscore)

    @classmethod
    def from_json(cls, vocab: Vocab, doc_json: dict[str, Any], *, validate: bool = True) -> Doc:
        """Rebuild a Doc from ``to_json`` output (tokens must tile the text)."""
        return doc_from_json(cls, vocab, doc_json, validate=validate)

    # -- bytes (a single Doc, in the DocBin format) ------------------------------

    def to_bytes(self) -> bytes:
        return DocRecords(docs=[self], store_user_data=True).to_bytes()

    def from_bytes(self, data: bytes) -> Doc:
        records = DocRecords(store_user_data=True).from_bytes(data)
        docs = list(records.iter_docs(self.vocab, Doc._from_array_unchecked))
        if len(docs) != 1:
            raise AnnotationError(f"Doc.from_bytes expected one Doc, found {len(docs)}")
        other = docs[0]
        self._init(self.vocab, other._arr, other.user_data)
        self.cats = other.cats
        if other._spans:
            self._spans = other._spans.copy(self)
        return self


def _shift_user_data(user_data: dict, offset: int) -> dict:
    """Move Token/Span extension values by ``offset`` characters (Doc values unchanged)."""
    out = {}
    for key, value in user_data.items():
        if isinstance(key, tuple) and len(key) == 4 and key[0] == "._." and key[2] is not None:
            end = key[3] + offset if key[3] is not None else None
            out[(key[0], key[1], key[2] + offset, end)] = value
        else:
            out[key] = value
    return out
