"""The DocBin binary format, and DocRecords: Docs as that format stores them.

File layout (all integers little-endian)::

    magic    8 bytes  b"TRDLDOCB"
    version  uint16   FORMAT_VERSION
    flags    uint16   0 (reserved)
    length   uint64   number of payload bytes that follow
    crc32    uint32   zlib.crc32 of the payload bytes
    payload  zlib-compressed msgpack map:
        attrs      [attribute ids]  (ORTH first)
        lengths    int64 bytes: tokens per doc
        tokens     int64 bytes: (total_tokens, len(attrs)) array, C order
        strings    [str]: every string a hash in ``tokens`` stands for
        cats       [dict per doc]
        spans      [per doc: {name: {"attrs": {...}, "spans": [[start, end, label, kb_id, id]]}}]
        user_data  [per doc: [[is_tuple_key, key, value], ...]] or absent

``flags`` must be 0 and the CRC must match; the inflated payload is capped in size
and every field is checked against the declared attributes and lengths before any Doc
is built (``docbin_check``), so a damaged or crafted file fails with a
SerializationError naming the file and the Doc, never loading different Docs.

Token arrays are stored as raw int64 bytes and decoded with one numpy call, so
loading is vectorized; ``iter_docs`` then yields the Docs one at a time.

DocRecords never imports the Doc class (whoever reads Docs back passes the
constructor), so ``Doc.to_bytes``/``Doc.from_bytes`` (one Doc) and ``DocBin`` (many,
plus files) both build on this module without an import cycle.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import msgpack
import numpy as np

from treadle.errors import SerializationError, TreadleError
from treadle.tokens import attrs as A
from treadle.tokens._layout import C_IDX, C_LEX, C_NORM, C_SPACY, HASH_COLS, N_COLS, TOKEN_COL
from treadle.tokens.docbin_check import decode_payload, inflate
from treadle.tokens.parts_of_speech import N_POS
from treadle.tokens.span import Span
from treadle.tokens.span_group import SpanGroup
from treadle.tokens.vocab import LENGTH_COL, LEX_COL, STRING_LEX_ATTRS, Vocab

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc

MAGIC = b"TRDLDOCB"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sHHQI")

DEFAULT_ATTRS: tuple[int, ...] = (
    A.ORTH, A.TAG, A.POS, A.MORPH, A.LEMMA, A.DEP, A.HEAD, A.SENT_START, A.ENT_IOB,
    A.ENT_TYPE, A.ENT_ID, A.ENT_KB_ID, A.SPACY,
)
_HASH_ATTRS = frozenset(
    set(STRING_LEX_ATTRS) | {a for a, col in TOKEN_COL.items() if col in HASH_COLS}
)

_R = TypeVar("_R", bound="DocRecords")


class DocRecords:
    """``DocRecords(attrs=DEFAULT_ATTRS, store_user_data=False, docs=())``: the stored
    columns, strings, cats, span groups (and user data) of some Docs, and their bytes.
    """

    def __init__(
        self,
        attrs: Iterable[int | str] = DEFAULT_ATTRS,
        store_user_data: bool = False,
        docs: Iterable[Doc] = (),
    ) -> None:
        ids = [a for a in A.intify_attrs(list(attrs)) if a != A.ORTH]
        unknown = [a for a in ids if a not in TOKEN_COL and a not in A.LEXEME_ATTRS]
        if unknown:
            raise SerializationError(f"DocBin cannot store attributes {unknown}")
        # ORTH always comes first: the words are what every Doc is rebuilt from.
        self.attrs: list[int] = [A.ORTH, *dict.fromkeys(ids)]
        self.store_user_data = store_user_data
        self.tokens: list[np.ndarray] = []
        self.strings: set[str] = set()
        self.cats: list[dict[str, Any]] = []
        self.span_groups: list[dict[str, Any]] = []
        self.user_data: list[list[Any]] = []
        self._seen_hashes: set[int] = {0}
        # The file read by from_bytes, named in the errors of iter_docs.
        self._source: str | None = None
        self._hash_cols = [k for k, a in enumerate(self.attrs) if a in _HASH_ATTRS]
        for doc in docs:
            self.add(doc)

    def __len__(self) -> int:
        return len(self.tokens)

    # -- adding ---------------------------------------------------------------

    def add(self, doc: Doc) -> None:
        """Add a Doc's stored attributes, cats, span groups (and user data if kept)."""
        array = doc.to_array(self.attrs)
        self.tokens.append(array)
        if len(array):
            hashes = np.unique(array[:, self._hash_cols].view(np.uint64))
            new = set(hashes.tolist()) - self._seen_hashes
            if new:
                lookup = doc.vocab.strings
                for h in new:
                    self.strings.add(lookup[h])  # type: ignore[arg-type]
                self._seen_hashes.update(new)
        self.cats.append(dict(doc.cats))
        groups: dict[str, Any] = {}
        for name, group in (doc._spans or {}).items():
            spans = []
            for span in group:
                spans.append([span.start, span.end, span.label_, span.kb_id_, span.id_])
            groups[name] = {"attrs": dict(group.attrs), "spans": spans}
        self.span_groups.append(groups)
        if self.store_user_data:
            items = []
            for key, value in doc.user_data.items():
                items.append([isinstance(key, tuple), list(key) if isinstance(key, tuple) else key, value])
            self.user_data.append(items)

    def merge(self, other: DocRecords) -> None:
        """Append the Docs of ``other`` (which must store the same attributes)."""
        if list(other.attrs) != list(self.attrs):
            raise SerializationError(
                f"Cannot merge DocBins storing different attributes: "
                f"{[A.NAMES[a] for a in self.attrs]} vs {[A.NAMES[a] for a in other.attrs]}"
            )
        self.tokens.extend(other.tokens)
        self.strings.update(other.strings)
        self.cats.extend(other.cats)
        self.span_groups.extend(other.span_groups)
        if self.store_user_data:
            self.user_data.extend(other.user_data if other.store_user_data else [[] for _ in other.tokens])
        self._seen_hashes.update(other._seen_hashes)

    # -- reading ----------------------------------------------------------------

    def iter_docs(self, vocab: Vocab, make_doc: Callable[[Vocab, np.ndarray], Doc]) -> Iterator[Doc]:
        """Yield the Docs one at a time, with ``vocab``; ``make_doc(vocab, token_array)``
        builds each (``Doc._from_array_unchecked``)."""
        n_docs = len(self.tokens)
        if not n_docs:
            return
        vocab.strings.update(self.strings)
        lengths = np.array([len(t) for t in self.tokens], dtype=np.int64)
        stored = np.concatenate(self.tokens) if lengths.sum() else np.zeros((0, len(self.attrs)), np.int64)
        full = self._to_token_array(vocab, stored, lengths)
        bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        for k in range(n_docs):
            try:
                doc = self._make_doc(k, vocab, make_doc, full[bounds[k] : bounds[k + 1]].copy())
            except TreadleError as err:
                # from_bytes checked the payload already; this is the last line of
                # defence, so that a Doc that still cannot be built is named.
                where = f" in {self._source}" if self._source else ""
                raise SerializationError(f"Corrupt DocBin{where}, Doc {k}: {err}") from err
            yield doc

    def _make_doc(
        self, k: int, vocab: Vocab, make_doc: Callable[[Vocab, np.ndarray], Doc], array: np.ndarray
    ) -> Doc:
        doc = make_doc(vocab, array)
        doc.cats = dict(self.cats[k])
        for name, group in self.span_groups[k].items():
            spans = [Span(doc, s, e, label, kb, sid) for s, e, label, kb, sid in group["spans"]]
            doc.spans[name] = SpanGroup(doc, name=name, attrs=group.get("attrs"), spans=spans)
        if self.store_user_data and k < len(self.user_data):
            for is_tuple, key, value in self.user_data[k]:
                doc.user_data[tuple(key) if is_tuple else key] = value
        return doc

    def _to_token_array(self, vocab: Vocab, stored: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Turn stored columns into Doc token arrays for all Docs at once."""
        total = stored.shape[0]
        full = np.zeros((total, N_COLS), dtype=np.int64)
        if not total:
            return full
        orth = stored[:, 0].view(np.uint64)
        uniq, inverse = np.unique(orth, return_inverse=True)
        strings = vocab.strings
        try:
            words = [strings[h] for h in uniq.tolist()]
        except KeyError as err:
            raise SerializationError(f"DocBin is missing the text of a token: {err}") from err
        lex = np.array([vocab.get_lex_index(w) for w in words], dtype=np.int64)
        full[:, C_LEX] = lex[inverse.reshape(-1)]
        full[:, C_SPACY] = 1
        for k, attr in enumerate(self.attrs):
            if attr in TOKEN_COL and attr != A.IDX:
                full[:, TOKEN_COL[attr]] = stored[:, k]
            elif attr == A.NORM:
                lex_norm = vocab.lex_column(A.NORM)[full[:, C_LEX]]
                full[:, C_NORM] = np.where(stored[:, k] != lex_norm, stored[:, k], 0)
            elif attr in LEX_COL and attr != A.ORTH:
                self._check_lexeme_column(vocab, attr, stored[:, k], full[:, C_LEX], lengths)
        self._validate(full, lengths, vocab)
        # Character offsets restart at every Doc: a global exclusive cumsum, minus
        # the value at each Doc's first token.
        step = vocab._table[full[:, C_LEX], LENGTH_COL].astype(np.int64) + full[:, C_SPACY]
        offsets = np.cumsum(step) - step
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        full[:, C_IDX] = offsets - np.repeat(offsets[starts[lengths > 0]], lengths[lengths > 0])
        return full

    def _check_lexeme_column(
        self, vocab: Vocab, attr: int, stored: np.ndarray, lex: np.ndarray, lengths: np.ndarray
    ) -> None:
        """A stored lexical attribute (other than NORM) is not read back: the lexeme's
        own value is. One that differs would load as different data, so it fails."""
        bad = np.flatnonzero(vocab.lex_column(attr)[lex].astype(np.int64) != stored)
        if len(bad):
            row = int(bad[0])
            bounds = np.cumsum(lengths)
            doc = int(np.searchsorted(bounds, row, side="right"))
            where = f" in {self._source}" if self._source else ""
            raise SerializationError(
                f"Corrupt DocBin{where}, Doc {doc}: token {row - int(bounds[doc] - lengths[doc])} "
                f"stores {A.NAMES[attr]} {int(stored[row])}, but its lexeme's is "
                f"{int(vocab.lex_column(attr)[lex[row]])} (read it with the vocab it was written with)"
            )

    def _validate(self, full: np.ndarray, lengths: np.ndarray, vocab: Vocab) -> None:
        """Cheap whole-array checks so a damaged payload fails loudly, not later."""
        n_tokens = full.shape[0]
        doc_start = np.repeat(np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        doc_end = doc_start + np.repeat(lengths, lengths)
        heads = np.arange(n_tokens) + full[:, TOKEN_COL[A.HEAD]]
        bad = np.flatnonzero((heads < doc_start) | (heads >= doc_end))
        if len(bad):
            raise SerializationError(f"DocBin holds a head outside its Doc (token row {int(bad[0])})")
        pos = full[:, TOKEN_COL[A.POS]]
        if ((pos < 0) | (pos >= N_POS)).any():
            raise SerializationError("DocBin holds an invalid POS value")
        iob = full[:, TOKEN_COL[A.ENT_IOB]]
        if ((iob < 0) | (iob > 3)).any():
            raise SerializationError("DocBin holds an invalid ENT_IOB value")
        cols = [TOKEN_COL[a] for a in self.attrs if a in TOKEN_COL and TOKEN_COL[a] in HASH_COLS]
        if cols:
            hashes = np.unique(full[:, cols].view(np.uint64)).tolist()
            missing = [h for h in hashes if h not in vocab.strings]
            if missing:
                raise SerializationError(
                    f"DocBin refers to {len(missing)} string(s) it does not contain (e.g. hash {missing[0]})"
                )

    # -- bytes -----------------------------------------------------------------

    def to_bytes(self) -> bytes:
        lengths = np.array([len(t) for t in self.tokens], dtype=np.int64)
        tokens = (
            np.concatenate(self.tokens) if len(self.tokens) and lengths.sum()
            else np.zeros((0, len(self.attrs)), np.int64)
        )
        payload: dict[str, Any] = {
            "attrs": list(self.attrs),
            "lengths": lengths.tobytes(),
            "tokens": np.ascontiguousarray(tokens, dtype="<i8").tobytes(),
            "strings": sorted(self.strings),
            "cats": self.cats,
            "spans": self.span_groups,
        }
        if self.store_user_data:
            payload["user_data"] = self.user_data
        try:
            packed = msgpack.packb(payload, use_bin_type=True)
        except (TypeError, ValueError) as err:
            raise SerializationError(
                f"Cannot serialize DocBin: {err} (user_data, cats and span attrs must hold "
                "JSON-like values: str, int, float, bool, None, list, dict, bytes)"
            ) from err
        body = zlib.compress(packed, 6)
        return _HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(body), zlib.crc32(body)) + body

    def from_bytes(self: _R, data: bytes, *, source: str | None = None) -> _R:
        where = f" in {source}" if source else ""
        if len(data) < _HEADER.size:
            raise SerializationError(f"Truncated DocBin{where}: {len(data)} bytes, shorter than its header")
        magic, version, flags, length, crc = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise SerializationError(f"Not a treadle DocBin{where}: bad magic bytes {magic!r}")
        if version != FORMAT_VERSION:
            raise SerializationError(
                f"Unsupported DocBin format version {version}{where}; this treadle reads version "
                f"{FORMAT_VERSION}"
            )
        if flags != 0:
            raise SerializationError(f"Corrupt DocBin{where}: unknown header flags {flags:#06x}")
        body = data[_HEADER.size :]
        if len(body) != length:
            raise SerializationError(
                f"Truncated or padded DocBin{where}: header promises {length} payload bytes, "
                f"found {len(body)}"
            )
        if zlib.crc32(body) != crc:
            raise SerializationError(f"Corrupt DocBin{where}: checksum mismatch")
        checked = decode_payload(inflate(body, where), where)
        self.__init__(attrs=checked.attrs, store_user_data=checked.user_data is not None)  # type: ignore[misc]
        self._source = source
        bounds = np.concatenate([[0], np.cumsum(checked.lengths)]).tolist()
        self.tokens = [checked.tokens[bounds[k] : bounds[k + 1]] for k in range(len(checked.lengths))]
        self.strings = set(checked.strings)
        self.cats = checked.cats
        self.span_groups = checked.spans
        if checked.user_data is not None:
            self.user_data = checked.user_data
        return self
