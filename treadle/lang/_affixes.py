"""Prefix and suffix search with bounded work per strip.

The tokenizer strips affixes off a chunk one at a time. Calling the rule on the whole
remaining string after every strip costs the remaining length each time (a suffix
``search`` tries every start position), so a chunk of n strippable characters
(``((((`` or a run of double quotes) took n² steps: 4,000 characters took seconds,
a megabyte hours.

Here each strip looks only at a window of the remainder next to the end being
stripped: a prefix rule gets the first ``WINDOW`` characters, a suffix rule the last
``WINDOW`` (plus ``MARGIN`` characters of left context for its look-behinds, searched
from ``pos``). A window is doubled while the match touches its inner edge (a run such as
``"*****"`` may go on), so the work is proportional to what is stripped plus a constant.

Exactness: remainders up to ``SHORT`` characters are searched whole, exactly as before.
Longer ones give the same result unless a rule needs more than ``MARGIN`` characters of
look-around, or matches more than ``WINDOW`` characters without being a run. This holds
for rules in the documented form (``compile_prefix_regex(...).search``,
``compile_suffix_regex(...).search``: anchored at the start / the end); other callables
are called on the whole remainder and bounded by the tokenizer's per-chunk work budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

WINDOW = 8
MARGIN = 32
SHORT = WINDOW + MARGIN + 32

# A windowed rule: (chunk, lo, hi) -> the new boundary; it also returns the number of
# characters it handed to the regex engine (the work counter tests read).
Windowed = Callable[[str, int, int], "tuple[int, int]"]


def _outline(src: str) -> tuple[bool, list[tuple[int, str]]]:
    """Whether ``src`` has a top-level ``|``, and the anchors (``^ $ \\A \\Z``) outside
    character classes with their index."""
    depth = 0
    bar = False
    anchors: list[tuple[int, str]] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            nxt = src[i + 1 : i + 2]
            if nxt in ("A", "Z"):
                anchors.append((i, "\\" + nxt))
            i += 2
            continue
        if c == "[":
            # skip the class; a "]" first in it (or after "^") is a literal
            j = i + 1
            if src[j : j + 1] == "^":
                j += 1
            if src[j : j + 1] == "]":
                j += 1
            while j < n and src[j] != "]":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            bar = True
        elif c in "^$":
            anchors.append((i, c))
        i += 1
    return bar, anchors


def _pattern_of(func: Any) -> re.Pattern[str] | None:
    pattern = getattr(func, "__self__", None)
    # (whitespace and comments of a VERBOSE pattern would fool _outline)
    if (
        isinstance(pattern, re.Pattern)
        and isinstance(pattern.pattern, str)
        and not pattern.flags & re.VERBOSE
    ):
        return pattern
    return None


def start_anchored(func: Any) -> bool:
    """Whether ``func`` only ever matches at the start of its argument."""
    pattern = _pattern_of(func)
    if pattern is None:
        return False
    bar, anchors = _outline(pattern.pattern)
    if func.__name__ == "match":
        return not bar and all(i == 0 for i, _ in anchors)
    return func.__name__ == "search" and not bar and [i for i, _ in anchors] == [0]


def end_anchored(func: Any) -> bool:
    """Whether ``func`` is a ``search`` whose matches all end at the end of the string."""
    pattern = _pattern_of(func)
    if pattern is None or func.__name__ != "search":
        return False
    src = pattern.pattern
    bar, anchors = _outline(src)
    ends = {len(src) - 1: "$", len(src) - 2: "\\Z"}
    return not bar and len(anchors) == 1 and ends.get(anchors[0][0]) == anchors[0][1]


def windowed_prefix(search: Callable[..., Any]) -> Windowed:
    """Prefix end for ``chunk[lo:hi]`` from a start-anchored rule, looking at a window."""

    def prefix_end(chunk: str, lo: int, hi: int) -> tuple[int, int]:
        size = hi - lo if hi - lo <= SHORT else WINDOW + MARGIN
        work = 0
        while True:
            end = min(hi, lo + size)
            m = search(chunk[lo:end])
            work += end - lo
            # near the window's end the match may go on, or a look-ahead see too little
            if m is None or end == hi or m.end() <= end - lo - MARGIN:
                return (lo + m.end() if m is not None else lo), work
            size *= 2

    return prefix_end


def windowed_suffix(search: Callable[..., Any]) -> Windowed:
    """Suffix start for ``chunk[lo:hi]`` from an end-anchored ``search``, in a window."""

    def suffix_start(chunk: str, lo: int, hi: int) -> tuple[int, int]:
        size = WINDOW if hi - lo > SHORT else hi - lo
        work = 0
        while True:
            ws = hi - size
            if ws - MARGIN <= lo:
                # the window reaches the start: the whole remainder, exactly as a slice
                m = search(chunk[lo:hi])
                work += hi - lo
                return (lo + m.start() if m is not None else hi), work
            cs = ws - MARGIN
            m = search(chunk[cs:hi], MARGIN)
            work += hi - cs
            # a match starting at the window's edge may start further left
            if m is None or m.start() > MARGIN:
                return (cs + m.start() if m is not None else hi), work
            size *= 2

    return suffix_start
