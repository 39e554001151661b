"""PhraseMatcher: find many phrases (given as Docs) by one token attribute.

Each phrase is reduced to the tuple of its tokens' attribute values (hashes from
``Doc.to_array``) and stored in a trie of nested dicts keyed by those ints. A Doc
is matched by reading its attribute column once and walking the trie from each
token; a walk stops at the first value with no continuation, so most tokens cost
a single dict lookup however many phrases there are.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from treadle.errors import MatchPatternError, TreadleError, TreadleWarning
from treadle.matcher._doc_columns import LEXEME_ATTRS, LexemeValues
from treadle.tokens import attrs as A
from treadle.tokens.doc import Doc
from treadle.tokens.span import Span

if TYPE_CHECKING:
    from treadle.tokens.vocab import Vocab

OnMatch = Callable[["PhraseMatcher", Doc, int, list], Any]
# Attributes a pipeline component sets: a phrase Doc without them matches nothing useful.
_ANNOTATION_ATTRS = {
    A.TAG: "TAG", A.POS: "POS", A.MORPH: "MORPH", A.LEMMA: "LEMMA", A.DEP: "DEP",
    A.ENT_TYPE: "ENT_TYPE", A.ENT_IOB: "ENT_IOB", A.SENT_START: "SENT_START",
}


class _PhraseEntry:
    __slots__ = ("key", "key_hash", "docs", "phrases", "on_match")

    def __init__(self, key: str, key_hash: int, on_match: OnMatch | None) -> None:
        self.key = key
        self.key_hash = key_hash
        self.docs: list[Doc | Span] = []
        self.phrases: list[tuple[int, ...]] = []
        self.on_match = on_match


class PhraseMatcher:
    """``PhraseMatcher(vocab, attr="ORTH", validate=True)``.

    ``add(key, docs, on_match=None)`` registers phrases given as Docs (e.g. from
    ``nlp.make_doc``, or ``nlp(text)`` when matching on TAG/POS/LEMMA...); calling it
    on a Doc or Span returns ``(match_id, start, end)`` tuples, or Spans with
    ``as_spans=True``. Matches of one key may overlap; all are returned.
    """

    def __init__(self, vocab: Vocab, attr: str | int = "ORTH", validate: bool = True) -> None:
        self.vocab = vocab
        try:
            self.attr = A.intify_attr(attr)
        except TreadleError as err:
            raise MatchPatternError(f"PhraseMatcher attr={attr!r}: {err}") from None
        if self.attr in (A.HEAD, A.IDX):
            raise MatchPatternError(
                f"PhraseMatcher attr={attr!r}: positions and head offsets are not token values to "
                "match on; use ORTH, LOWER, NORM, TAG, POS, LEMMA, SHAPE, ..."
            )
        self.attr_name = A.NAMES[self.attr]
        self.validate = validate
        self._entries: dict[str, _PhraseEntry] = {}
        self._by_hash: dict[int, str] = {}
        self._trie: dict | None = None
        self._lex_values = LexemeValues(self.attr) if self.attr in LEXEME_ATTRS else None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return self._key_str(key) in self._entries

    def _key_str(self, key: object) -> str | None:
        if isinstance(key, str):
            return key
        if isinstance(key, int) and not isinstance(key, bool):
            return self._by_hash.get(key & ((1 << 64) - 1))
        return None

    def _phrase_values(self, key: str, index: int, doc: Any) -> tuple[int, ...] | None:
        if not isinstance(doc, (Doc, Span)):
            raise MatchPatternError(
                f"Invalid phrase for key {key!r} (pattern {index}): phrases are Docs (e.g. from "
                f"nlp.make_doc(text)), got {type(doc).__name__} {doc!r:.60}"
            )
        if not len(doc):
            warnings.warn(
                f"PhraseMatcher: skipping the empty phrase {index} of key {key!r}",
                TreadleWarning, stacklevel=3,
            )
            return None
        if self.validate and self.attr in _ANNOTATION_ATTRS and not doc.has_annotation(self.attr):
            raise MatchPatternError(
                f"Invalid phrase for key {key!r} (pattern {index}, {doc.text!r:.60}): the "
                f"PhraseMatcher matches on {self.attr_name} but this Doc has no {self.attr_name} "
                "annotation; build phrase Docs with nlp(text) (or nlp.pipe) rather than "
                "nlp.make_doc(text), or match on ORTH/LOWER"
            )
        return tuple(doc.to_array(self.attr).tolist())

    def add(self, key: str, docs: Sequence[Doc | Span], *, on_match: OnMatch | None = None) -> None:
        """Add phrases (Docs) under ``key``; adding to a key extends its phrases."""
        if not isinstance(key, str) or not key:
            raise MatchPatternError(f"PhraseMatcher keys are non-empty strings, got {key!r}")
        if on_match is not None and not callable(on_match):
            raise MatchPatternError(f"on_match for key {key!r} must be callable, got {on_match!r}")
        if isinstance(docs, (Doc, Span, str)) or not isinstance(docs, Iterable):
            raise MatchPatternError(
                f"Invalid phrases for key {key!r}: expected a list of Docs, got "
                f"{type(docs).__name__}; wrap a single Doc in a list"
            )
        docs = list(docs)
        entry = self._entries.get(key)
        offset = len(entry.docs) if entry is not None else 0
        phrases = [self._phrase_values(key, offset + i, d) for i, d in enumerate(docs)]
        if entry is None:
            entry = _PhraseEntry(key, self.vocab.strings.add(key), on_match)
            self._entries[key] = entry
            self._by_hash[entry.key_hash] = key
        else:
            entry.on_match = on_match
        entry.docs.extend(docs)
        new = [p for p in phrases if p is not None]
        entry.phrases.extend(new)
        if self._trie is not None:
            for phrase in new:
                self._insert(self._trie, phrase, entry.key_hash)

    def remove(self, key: str) -> None:
        """Remove a key and its phrases; KeyError if it is not there."""
        name = self._key_str(key)
        if name is None or name not in self._entries:
            raise KeyError(f"The phrase matcher has no key {key!r}")
        entry = self._entries.pop(name)
        self._by_hash.pop(entry.key_hash, None)
        self._trie = None

    def get(self, key: str | int, default: Any = None) -> tuple[OnMatch | None, list[Doc | Span]] | Any:
        """``(on_match, phrase docs)`` for a key, or ``default``."""
        name = self._key_str(key)
        entry = self._entries.get(name) if name is not None else None
        return default if entry is None else (entry.on_match, list(entry.docs))

    @property
    def keys(self) -> list[str]:
        return list(self._entries)

    @staticmethod
    def _insert(trie: dict, phrase: tuple[int, ...], key_hash: int) -> None:
        children = trie
        node: list = []
        for value in phrase:
            node = children.get(value)
            if node is None:
                node = children[value] = [{}, None]
            children = node[0]
        if node[1] is None:
            node[1] = [key_hash]
        elif key_hash not in node[1]:
            node[1].append(key_hash)

    def _build(self) -> dict:
        trie: dict = {}
        for entry in self._entries.values():
            for phrase in entry.phrases:
                self._insert(trie, phrase, entry.key_hash)
        return trie

    def __call__(self, doclike: Doc | Span, *, as_spans: bool = False) -> list:
        """Match on a Doc or Span (offsets index the Doc)."""
        if isinstance(doclike, Span):
            doc, lo, hi = doclike.doc, doclike.start, doclike.end
        else:
            doc, lo, hi = doclike, 0, len(doclike)
        if not self._entries or hi <= lo:
            return []
        trie = self._trie
        if trie is None:
            trie = self._trie = self._build()
        if self._lex_values is not None:
            values = self._lex_values.of_tokens(doc, lo, hi)
        else:
            values = doc.to_array(self.attr)[lo:hi].tolist()
        # The walk yields matches by start, then end: already in the promised order
        # (keys of one span in the order their phrase was first added).
        matches = _walk(trie, values, lo)
        if matches and any(e.on_match is not None for e in self._entries.values()):
            for i, match in enumerate(list(matches)):
                name = self._by_hash.get(match[0])
                callback = self._entries[name].on_match if name is not None else None
                if callback is not None:
                    callback(self, doc, i, matches)
        if as_spans:
            return [Span(doc, s, e, label=k) for k, s, e in matches]
        return matches

    def pipe(self, docs: Iterable[Doc], **kwargs: Any) -> Iterator[tuple[Doc, list]]:
        """``(doc, matches)`` for each Doc."""
        for doc in docs:
            yield doc, self(doc, **kwargs)


def _walk(trie: dict, values: list[int], offset: int) -> list[tuple[int, int, int]]:
    """All (key hash, start, end) phrase occurrences in ``values``.

    A trie node is ``[children, key hashes of phrases ending here or None]``."""
    n = len(values)
    out: list[tuple[int, int, int]] = []
    get = trie.get
    for i, value in enumerate(values):
        node = get(value)
        j = i
        while node is not None:
            children, ends = node
            j += 1
            if ends is not None:
                for key_hash in ends:
                    out.append((key_hash, i + offset, j + offset))
            if j == n or not children:
                break
            node = children.get(values[j])
    return out
