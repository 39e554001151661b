"""Matcher: find sequences of tokens described by token patterns.

Matching runs in two phases per Doc. First every distinct check of every pattern
is evaluated over the whole Doc at once from ``Doc.to_array`` columns (literal and
``IN`` checks on one attribute share a single sorted lookup), giving for each
token position the set of token specs it satisfies. Then a small NFA simulation
walks the tokens once, keeping the set of partial matches alive at each position;
quantifiers are expanded into ONE/OPT/STAR steps so every possible match length
is found. Patterns only start where their first consuming token can match.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from treadle.errors import MatchPatternError
from treadle.matcher._doc_columns import DocColumns
from treadle.matcher.patterns import (
    NEG,
    ONE,
    OPT,
    STAR,
    Check,
    ExtensionCheck,
    TokenSpec,
    ValueCheck,
    compile_pattern,
    expand_op,
)
from treadle.tokens.span import Span

OnMatch = Callable[[Any, Any, int, list], Any]
GREEDY = (None, "FIRST", "LONGEST")
_EMPTY: frozenset[int] = frozenset()


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
        check_ids: dict[Check, int] = {}
        spec_ids: dict[tuple[int, ...], int] = {}
        self.patterns: list[tuple[tuple[int, int, int], ...]] = []  # (spec, kind, orig index)
        self.pattern_key: list[int] = []
        self.anchored: dict[int, list[int]] = {}
        self.floating: list[int] = []
        for k, entry in enumerate(entries):
            for specs in entry.specs:
                steps: list[tuple[int, int, int]] = []
                for spec in specs:
                    cids = tuple(sorted(check_ids.setdefault(c, len(check_ids)) for c in spec.checks))
                    sid = spec_ids.setdefault(cids, len(spec_ids))
                    steps.extend((sid, kind, spec.index) for kind in expand_op(*spec.op))
                pid = len(self.patterns)
                self.patterns.append(tuple(steps))
                self.pattern_key.append(k)
                self._index_start(pid, steps)
        self.checks = list(check_ids)
        self.specs = list(spec_ids)
        self.attrs = sorted({c.attr for c in self.checks if not isinstance(c, ExtensionCheck)})
        # Positive value checks grouped by attribute: one sorted lookup per attribute.
        groups: dict[int, dict[int, list[int]]] = {}
        self.other_checks: list[tuple[int, Check]] = []
        for cid, check in enumerate(self.checks):
            if isinstance(check, ValueCheck) and not check.negate:
                by_value = groups.setdefault(check.attr, {})
                for value in check.values:
                    by_value.setdefault(value, []).append(cid)
            else:
                self.other_checks.append((cid, check))
        self.value_groups = []
        for attr, by_value in groups.items():
            values = np.array(sorted(by_value), dtype=np.int64)
            counts = np.array([len(by_value[v]) for v in values.tolist()], dtype=np.int64)
            offsets = np.concatenate([[0], np.cumsum(counts)])
            flat = np.array([c for v in values.tolist() for c in by_value[v]], dtype=np.int64)
            self.value_groups.append((attr, values, offsets, flat, bool((counts == 1).all())))
        singles = [(s, c[0]) for s, c in enumerate(self.specs) if len(c) == 1]
        self.single_specs = np.array([s for s, _ in singles], dtype=np.int64)
        self.single_checks = np.array([c for _, c in singles], dtype=np.int64)
        self.empty_specs = [s for s, c in enumerate(self.specs) if not c]
        self.multi_specs = [(s, list(c)) for s, c in enumerate(self.specs) if len(c) > 1]

    def _index_start(self, pid: int, steps: list[tuple[int, int, int]]) -> None:
        # A match must consume its first token with one of the leading optional steps
        # or the first required one; a leading negation can start anywhere.
        anchors = []
        for sid, kind, _ in steps:
            if kind == NEG:
                self.floating.append(pid)
                return
            anchors.append(sid)
            if kind == ONE:
                break
        for sid in dict.fromkeys(anchors):
            self.anchored.setdefault(sid, []).append(pid)

    def specs_by_position(self, cols: DocColumns) -> list[frozenset[int]]:
        n = cols.n
        m = np.zeros((len(self.checks), n), dtype=bool)
        for attr, values, offsets, flat, one_each in self.value_groups:
            col = cols.column(attr)
            idx = np.searchsorted(values, col)
            np.minimum(idx, len(values) - 1, out=idx)
            pos = np.flatnonzero(values[idx] == col)
            if not len(pos):
                continue
            j = idx[pos]
            if one_each:
                m[flat[offsets[j]], pos] = True
            else:
                counts = offsets[j + 1] - offsets[j]
                rows = flat[np.repeat(offsets[j] - np.cumsum(counts) + counts, counts)
                            + np.arange(int(counts.sum()))]
                m[rows, np.repeat(pos, counts)] = True
        for cid, check in self.other_checks:
            m[cid] = check.compute(cols)
        s = np.empty((len(self.specs), n), dtype=bool)
        if len(self.single_specs):
            s[self.single_specs] = m[self.single_checks]
        if self.empty_specs:
            s[self.empty_specs] = True
        for sid, cids in self.multi_specs:
            s[sid] = m[cids].all(axis=0)
        pos, sid = np.nonzero(s.T)
        bounds = np.searchsorted(pos, np.arange(n + 1)).tolist()
        sids = sid.tolist()
        return [frozenset(sids[bounds[i] : bounds[i + 1]]) for i in range(n)]


class Matcher:
    """``Matcher(vocab, validate=True)``: rule-based matching on token patterns.

    ``add(key, patterns, on_match=None, greedy=None)`` registers patterns (lists of
    token dicts) under a string key; calling the matcher on a Doc or Span returns
    ``(match_id, start, end)`` tuples sorted by position, where ``match_id`` is
    ``vocab.strings.add(key)`` and offsets index the Doc.
    """

    def __init__(self, vocab: Any, validate: bool = True) -> None:
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
        doclike: Any,
        *,
        as_spans: bool = False,
        with_alignments: bool = False,
    ) -> list:
        """Match on a Doc or Span. Returns ``(match_id, start, end)`` tuples (plus a list
        of pattern token indices per matched token with ``with_alignments``), or Spans
        labelled with the key when ``as_spans``."""
        if isinstance(doclike, Span):
            doc, lo, hi = doclike.doc, doclike.start, doclike.end
        else:
            doc, lo, hi = doclike, 0, len(doclike)
        entries = list(self._entries.values())
        if not entries or hi <= lo:
            return []
        tables = self._tables
        if tables is None:
            tables = self._tables = _Tables(entries)
        cols = DocColumns(doc, lo, hi, tables.attrs)
        specs_at = tables.specs_by_position(cols)
        found = _simulate(tables, specs_at, with_alignments)
        matches = [(entries[k].key_hash, s, e, *rest) for k, s, e, *rest in _finish(found, entries, lo)]
        if any(entry.on_match is not None for entry in entries):
            for i, match in enumerate(list(matches)):
                callback = self._entries[self._by_hash[match[0]]].on_match
                if callback is not None:
                    callback(self, doc, i, matches)
        if as_spans:
            return [Span(doc, m[1], m[2], label=m[0]) for m in matches]
        return matches

    def pipe(self, docs: Iterable[Any], **kwargs: Any) -> Iterable[tuple[Any, list]]:
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
                if starts:
                    stack.extend(((pid, 0, i), ()) for pid in starts)
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

