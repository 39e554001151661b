"""Matcher: find sequences of tokens described by token patterns.

Matching runs in two phases per Doc. First every distinct token spec (a token
dict's checks) is evaluated, giving for each position the set of specs it
satisfies: specs on lexeme attributes only (ORTH, LOWER, SHAPE, IS_*, LENGTH...)
are evaluated once per word of the vocab and cached, the others over the whole
Doc at once from ``Doc.to_array`` columns (literal and ``IN`` checks on one
attribute share a single sorted lookup). Then an NFA simulation walks the tokens
once, keeping the set of partial matches alive at each position; quantifiers are
expanded into ONE/OPT/STAR steps so every possible match length is found.
Patterns only start where their first token (and, for two required leading
tokens, their second) can match.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import MatchPatternError
from treadle.matcher._checksets import CheckSet, group_by_column
from treadle.matcher._doc_columns import (
    LEXEME_ATTRS,
    DocColumns,
    LexemeColumns,
    vocab_fingerprint,
)
from treadle.matcher.patterns import (
    NEG,
    ONE,
    OPT,
    STAR,
    Check,
    ExtensionCheck,
    TokenSpec,
    compile_pattern,
    expand_op,
)
from treadle.tokens import attrs as A
from treadle.tokens._layout import C_LEX
from treadle.tokens.span import Span

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc
    from treadle.tokens.vocab import Vocab

OnMatch = Callable[["Matcher", "Doc", int, list], Any]
GREEDY = (None, "FIRST", "LONGEST")
_EMPTY: frozenset[int] = frozenset()
# Attributes only a pipeline component sets: matching on them in a Doc without any is
# almost always a pipeline-order mistake (LEMMA is left out: lookup tables may be partial).
ANNOTATED_ATTRS = (A.TAG, A.POS, A.MORPH, A.DEP)


class _KeyEntry:
    __slots__ = ("key", "key_hash", "patterns", "specs", "on_match", "greedy")

    def __init__(self, key: str, key_hash: int, on_match: OnMatch | None, greedy: str | None) -> None:
        self.key = key
        self.key_hash = key_hash
        self.patterns: list[list[dict]] = []
        self.specs: list[list[TokenSpec]] = []
        self.on_match = on_match
        self.greedy = greedy


class _Tables:
    """Everything the matching loop needs, rebuilt after add/remove."""

    def __init__(self, entries: list[_KeyEntry]) -> None:
        self.entries = entries
        self.has_callbacks = any(entry.on_match is not None for entry in entries)
        spec_ids: dict[tuple[Check, ...], int] = {}
        self.patterns: list[tuple[tuple[int, int, int], ...]] = []  # (spec, kind, orig index)
        self.pattern_key: list[int] = []
        # first spec -> (patterns to start, {second spec: patterns to start})
        self.anchored: dict[int, tuple[list[int], dict[int, list[int]]]] = {}
        self.floating: list[int] = []
        for k, entry in enumerate(entries):
            for specs in entry.specs:
                steps: list[tuple[int, int, int]] = []
                for spec in specs:
                    key = tuple(sorted(set(spec.checks), key=repr))
                    sid = spec_ids.setdefault(key, len(spec_ids))
                    steps.extend((sid, kind, spec.index) for kind in expand_op(*spec.op))
                pid = len(self.patterns)
                self.patterns.append(tuple(steps))
                self.pattern_key.append(k)
                self._index_start(pid, steps)
        specs = list(spec_ids)
        # Specs on lexeme attributes only are the same for every occurrence of a word:
        # they are evaluated once per lexeme and cached; the rest once per Doc.
        lex_sids = [s for s, checks in enumerate(specs) if all(is_lexical(c) for c in checks)]
        doc_sids = [s for s, checks in enumerate(specs) if not all(is_lexical(c) for c in checks)]
        self.lex_set = CheckSet([specs[s] for s in lex_sids])
        self.lex_sids = np.array(lex_sids, dtype=np.int64)
        self.doc_set = CheckSet([specs[s] for s in doc_sids])
        self.doc_sids = np.array(doc_sids, dtype=np.int64)
        # Annotations a pipeline component sets, with a key whose patterns read them.
        self.annotated: dict[int, str] = {}
        for entry in entries:
            for specs in entry.specs:
                for spec in specs:
                    for check in spec.checks:
                        attr = getattr(check, "attr", None)
                        if attr in ANNOTATED_ATTRS:
                            self.annotated.setdefault(attr, entry.key)
        self.lex_cache: dict[int, frozenset[int]] = {}
        self.lex_fingerprint: tuple | None = None
        self._interned: dict[tuple[int, ...], frozenset[int]] = {}

    def _index_start(self, pid: int, steps: list[tuple[int, int, int]]) -> None:
        # A match must consume its first token with one of the leading optional steps
        # or the first required one; a leading negation can start anywhere. Patterns
        # that begin with two required tokens are also keyed by the second one, so
        # thousands of literal patterns cost a dict lookup per token, not a state each.
        if len(steps) > 1 and steps[0][1] == ONE and steps[1][1] == ONE:
            _loose, by_next = self.anchored.setdefault(steps[0][0], ([], {}))
            by_next.setdefault(steps[1][0], []).append(pid)
            return
        anchors = []
        for sid, kind, _ in steps:
            if kind == NEG:
                self.floating.append(pid)
                return
            anchors.append(sid)
            if kind == ONE:
                break
        for sid in dict.fromkeys(anchors):
            self.anchored.setdefault(sid, ([], {}))[0].append(pid)

    def _intern(self, sids: list[int]) -> frozenset[int]:
        key = tuple(sids)
        found = self._interned.get(key)
        if found is None:
            found = self._interned[key] = frozenset(sids)
        return found

    def _lexeme_specs(self, vocab: Vocab, lex: list[int]) -> list[frozenset[int]]:
        # Lexeme attributes change only through explicit overrides (vocab["x"].is_stop
        # = True), which the fingerprint notices; the cache is then dropped.
        fingerprint = vocab_fingerprint(vocab)
        cache = self.lex_cache
        if fingerprint != self.lex_fingerprint:
            cache.clear()
            self.lex_fingerprint = fingerprint
        get = cache.get
        found = [get(x) for x in lex]
        if None in found:
            missing = sorted({x for x, f in zip(lex, found, strict=True) if f is None})
            if self.lex_set.n_specs:
                s = self.lex_set.spec_matrix(LexemeColumns(vocab, np.array(missing)), len(missing))
                for x, sids in zip(missing, group_by_column(s, self.lex_sids), strict=True):
                    cache[x] = self._intern(sids)
            else:
                for x in missing:
                    cache[x] = _EMPTY
            found = [cache[x] for x in lex]
        return found

    def specs_by_position(self, doc: Doc, lo: int, hi: int) -> list[frozenset[int]]:
        """For each token lo..hi-1, the ids of the specs it satisfies."""
        lex = doc._arr[lo:hi, C_LEX].tolist()
        found = self._lexeme_specs(doc.vocab, lex)
        if self.doc_set.n_specs:
            cols = DocColumns(doc, lo, hi, self.doc_set.attrs)
            s = self.doc_set.spec_matrix(cols, hi - lo)
            for i, sids in enumerate(group_by_column(s, self.doc_sids)):
                if sids:
                    found[i] = found[i].union(sids)
        return found


def is_lexical(check: Check) -> bool:
    """Whether a check depends only on the word (its lexeme), not on the occurrence."""
    return not isinstance(check, ExtensionCheck) and check.attr in LEXEME_ATTRS


class Matcher:
    """``Matcher(vocab, validate=True)``: rule-based matching on token patterns.

    ``add(key, patterns, on_match=None, greedy=None)`` registers patterns (lists of
    token dicts) under a string key; calling the matcher on a Doc or Span returns
    ``(match_id, start, end)`` tuples sorted by position, where ``match_id`` is
    ``vocab.strings.add(key)`` and offsets index the Doc.
    """

    def __init__(self, vocab: Vocab, validate: bool = True) -> None:
        self.vocab = vocab
        # Patterns are always checked as they are compiled; validate is kept for
        # API compatibility (there is no faster unchecked path to switch to).
        self.validate = validate
        self._entries: dict[str, _KeyEntry] = {}
        self._by_hash: dict[int, str] = {}
        self._tables: _Tables | None = None

    # -- registry of keys ----------------------------------------------------

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

    def add(
        self,
        key: str,
        patterns: Sequence[Sequence[dict]],
        *,
        on_match: OnMatch | None = None,
        greedy: str | None = None,
    ) -> None:
        """Add patterns under ``key`` (adding to a key extends its patterns)."""
        if not isinstance(key, str) or not key:
            raise MatchPatternError(f"Matcher keys are non-empty strings, got {key!r}")
        if greedy not in GREEDY:
            raise MatchPatternError(
                f"Invalid greedy={greedy!r} for key {key!r}: use None, 'FIRST' or 'LONGEST'"
            )
        if on_match is not None and not callable(on_match):
            raise MatchPatternError(f"on_match for key {key!r} must be callable, got {on_match!r}")
        if isinstance(patterns, (str, dict)) or not isinstance(patterns, Iterable):
            raise MatchPatternError(
                f"Invalid patterns for key {key!r}: expected a list of patterns (each a list of "
                f"token dicts), got {type(patterns).__name__}"
            )
        patterns = list(patterns)
        if not patterns:
            raise MatchPatternError(f"No patterns given for key {key!r}")
        if all(isinstance(p, dict) for p in patterns):
            raise MatchPatternError(
                f"Invalid patterns for key {key!r}: got a list of token dicts; wrap a single "
                "pattern in a list: matcher.add(key, [pattern])"
            )
        entry = self._entries.get(key)
        offset = len(entry.patterns) if entry is not None else 0
        compiled = [compile_pattern(key, offset + i, p) for i, p in enumerate(patterns)]
        if entry is None:
            entry = _KeyEntry(key, self.vocab.strings.add(key), on_match, greedy)
            self._entries[key] = entry
            self._by_hash[entry.key_hash] = key
        else:
            entry.on_match = on_match
            entry.greedy = greedy
        entry.patterns.extend(copy.deepcopy(patterns))
        entry.specs.extend(compiled)
        self._tables = None

    def remove(self, key: str) -> None:
        """Remove a key and its patterns; KeyError if it is not there."""
        name = self._key_str(key)
        if name is None or name not in self._entries:
            raise KeyError(f"The matcher has no key {key!r}")
        entry = self._entries.pop(name)
        self._by_hash.pop(entry.key_hash, None)
        self._tables = None

    def get(self, key: str | int, default: Any = None) -> tuple[OnMatch | None, list[list[dict]]] | Any:
        """``(on_match, patterns)`` for a key, or ``default``."""
        name = self._key_str(key)
        entry = self._entries.get(name) if name is not None else None
        if entry is None:
            return default
        return entry.on_match, copy.deepcopy(entry.patterns)

    @property
    def keys(self) -> list[str]:
        return list(self._entries)

    # -- matching --------------------------------------------------------------

    def __call__(
        self,
        doclike: Doc | Span,
        *,
        as_spans: bool = False,
        with_alignments: bool = False,
        allow_missing: bool = True,
    ) -> list:
        """Match on a Doc or Span. Returns ``(match_id, start, end)`` tuples (plus a list
        of pattern token indices per matched token with ``with_alignments``), or Spans
        labelled with the key when ``as_spans``.

        With ``allow_missing=False``, patterns on TAG, POS, MORPH or DEP raise
        MatchPatternError on a Doc that has no such annotation at all (a component
        missing before this one). The default allows it: rule-based components run
        on partly annotated Docs during training."""
        if isinstance(doclike, Span):
            doc, lo, hi = doclike.doc, doclike.start, doclike.end
        else:
            doc, lo, hi = doclike, 0, len(doclike)
        if not self._entries or hi <= lo:
            return []
        tables = self._tables
        if tables is None:
            tables = self._tables = _Tables(list(self._entries.values()))
        entries = tables.entries
        if tables.annotated and not allow_missing:
            for attr, key in tables.annotated.items():
                if not doc.has_annotation(attr):
                    name = A.NAMES[attr]
                    raise MatchPatternError(
                        f"The patterns of key {key!r} match on {name}, but the Doc has no {name} "
                        "annotation: put the component that sets it before this one, or call "
                        "the matcher with allow_missing=True"
                    )
        specs_at = tables.specs_by_position(doc, lo, hi)
        found = _simulate(tables, specs_at, with_alignments)
        if not found:
            return []
        matches = [(entries[k].key_hash, s, e, *rest) for k, s, e, *rest in _finish(found, entries, lo)]
        if tables.has_callbacks:
            for i, match in enumerate(list(matches)):
                callback = self._entries[self._by_hash[match[0]]].on_match
                if callback is not None:
                    callback(self, doc, i, matches)
        if as_spans:
            return [Span(doc, m[1], m[2], label=m[0]) for m in matches]
        return matches

    def pipe(self, docs: Iterable[Doc], **kwargs: Any) -> Iterator[tuple[Doc, list]]:
        """``(doc, matches)`` for each Doc."""
        for doc in docs:
            yield doc, self(doc, **kwargs)


def _simulate(tables: _Tables, specs_at: list[frozenset[int]], with_alignments: bool) -> dict:
    """Run every pattern over the positions; return {(key index, start, end): alignment}."""
    patterns = tables.patterns
    pattern_key = tables.pattern_key
    anchored = tables.anchored
    floating = tables.floating
    n = len(specs_at)
    found: dict[tuple[int, int, int], Any] = {}
    active: dict[tuple[int, int, int], Any] = {}
    for i in range(n + 1):
        here = specs_at[i] if i < n else _EMPTY
        stack = list(active.items())
        if i < n:
            for sid in here:
                starts = anchored.get(sid)
                if starts is None:
                    continue
                loose, by_next = starts
                if loose:
                    stack.extend(((pid, 0, i), ()) for pid in loose)
                if by_next and i + 1 < n:
                    following = specs_at[i + 1]
                    if len(following) <= len(by_next):
                        for sid2 in following:
                            pids = by_next.get(sid2)
                            if pids:
                                stack.extend(((pid, 0, i), ()) for pid in pids)
                    else:
                        for sid2, pids in by_next.items():
                            if sid2 in following:
                                stack.extend(((pid, 0, i), ()) for pid in pids)
            if floating:
                stack.extend(((pid, 0, i), ()) for pid in floating)
        if not stack:
            active = {}
            continue
        nxt: dict[tuple[int, int, int], Any] = {}
        seen: set[tuple[int, int, int]] = set()
        while stack:
            state, path = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            pid, p, start = state
            steps = patterns[pid]
            if p == len(steps):
                if i > start:
                    mkey = (pattern_key[pid], start, i)
                    if mkey not in found:
                        found[mkey] = path
                continue
            sid, kind, orig = steps[p]
            if kind in (OPT, STAR):
                stack.append(((pid, p + 1, start), path))
            if i == n:
                continue
            hit = sid in here
            if kind == NEG:
                hit = not hit
            if hit:
                target = (pid, p if kind == STAR else p + 1, start)
                if target not in nxt:
                    nxt[target] = (*path, orig) if with_alignments else ()
        active = nxt
    if not with_alignments:
        return {k: None for k in found}
    return found


def _finish(found: dict, entries: list[_KeyEntry], offset: int) -> list:
    """Greedy filtering per key, doc offsets, sorting by (start, end)."""
    by_key: dict[int, list[tuple[int, int, Any]]] = {}
    for (k, s, e), path in found.items():
        by_key.setdefault(k, []).append((s, e, path))
    matches: list = []
    for k, items in by_key.items():
        greedy = entries[k].greedy
        if greedy is not None:
            items = _filter_greedy(items, greedy)
        for s, e, path in items:
            if path is None:
                matches.append((k, s + offset, e + offset))
            else:
                matches.append((k, s + offset, e + offset, list(path)))
    matches.sort(key=lambda m: (m[1], m[2], m[0]))
    return matches


def _filter_greedy(items: list[tuple[int, int, Any]], greedy: str) -> list[tuple[int, int, Any]]:
    if greedy == "FIRST":
        # Earliest start wins; at the same start the longer match.
        order = sorted(items, key=lambda m: (m[0], -(m[1] - m[0])))
    else:
        # Longest wins; ties go to the earlier start.
        order = sorted(items, key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int, Any]] = []
    used = np.zeros(max(e for _, e, _ in items), dtype=bool)
    for s, e, path in order:
        if not used[s:e].any():
            used[s:e] = True
            taken.append((s, e, path))
    return taken

