"""Reject regexes that can backtrack catastrophically, before they are run.

Tokenizer rules loaded from a saved pipeline are data, not code: a tampered or broken
tokenizer file must not be able to make ``nlp(text)`` hang. Python's ``re`` backtracks,
and has no timeout, so a rule such as ``^(a+)+$`` takes time exponential in the input
length. :func:`check_regex` reads the parsed pattern and rejects:

* back-references and conditional groups (``(a)\\1``, ``(?(1)a|b)``);
* a repeated group that can match the empty string (``(a*)*``);
* a repeated group with a variable-width repeat inside whose characters can also
  follow it, within the group or in the group's next round (``(a+)+``, ``(a|aa)*``,
  ``(\\w+\\s?)*``): the same text then splits into rounds in exponentially many ways;
* alternatives under a repeat that can start with the same character (``(ab|ac)*``).

Nested repeats separated by a character neither can match stay allowed: the built-in
rules use them (``(?:[.,:/]\\d+)*`` for numbers, ``(?:\\.+\\w+)*`` in e-mail addresses).
Alternatives of single characters are compiled to one character class by ``re``, so
``(a|a)*`` is a class repeated, which cannot backtrack, and is accepted. What remains
possible is polynomial backtracking of one repeat (``\\w*\\w*x``), bounded by the
length of a whitespace-separated chunk.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

from treadle.errors import TokenizerError

if sys.version_info >= (3, 11):
    from re import _constants as _c
    from re import _parser as _p
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

MAX_PATTERN_LEN = 1_000_000

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_CHAR_OPS = {_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY}
_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}
_ANYTHING = r"[\s\S]"


def check_regex(pattern: str, flags: int = 0) -> None:
    """Raise :class:`TokenizerError` if ``pattern`` is malformed or can backtrack
    catastrophically (see the module docstring)."""
    if not isinstance(pattern, str):
        raise TokenizerError(f"a regex must be a str, got {type(pattern).__name__}")
    if len(pattern) > MAX_PATTERN_LEN:
        raise TokenizerError(f"regex of {len(pattern):,} characters is too long")
    try:
        parsed = _p.parse(pattern, flags)
    except (re.error, OverflowError, RecursionError, ValueError) as err:
        raise TokenizerError(f"invalid regex {_show(pattern)}: {err}") from None
    _walk(list(parsed), pattern, flags & (re.IGNORECASE | re.ASCII), False)


def _show(pattern: str) -> str:
    return repr(pattern if len(pattern) <= 80 else pattern[:77] + "...")


def _walk(items: list[Any], pattern: str, flags: int, in_repeat: bool) -> None:
    for op, av in items:
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            raise TokenizerError(f"regex {_show(pattern)} uses a back-reference")
        if op in _REPEATS:
            lo, hi, body = av
            body = list(body)
            if hi > 1:
                _check_repeated(body, pattern, flags)
            _walk(body, pattern, flags, in_repeat or hi > 1)
        elif op == _c.SUBPATTERN:
            _walk(list(av[-1]), pattern, flags, in_repeat)
        elif op == _c.BRANCH:
            alternatives = [list(a) for a in av[1]]
            if in_repeat:
                _check_disjoint_alternatives(alternatives, pattern, flags)
            for alt in alternatives:
                _walk(alt, pattern, flags, in_repeat)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _walk(list(av[1]), pattern, flags, in_repeat)
        elif op == getattr(_c, "ATOMIC_GROUP", None):
            _walk(list(av), pattern, flags, False)  # never backtracked into
        elif op == getattr(_c, "POSSESSIVE_REPEAT", None):
            _walk(list(av[2]), pattern, flags, False)


def _flatten(items: list[Any]) -> list[Any]:
    """The body as one sequence, groups inlined (their own repeats stay items)."""
    out: list[Any] = []
    for op, av in items:
        if op == _c.SUBPATTERN:
            out.extend(_flatten(list(av[-1])))
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero width: no characters to split between rounds
        else:
            out.append((op, av))
    return out


def _check_repeated(body: list[Any], pattern: str, flags: int) -> None:
    seq = _flatten(body)
    if _width(seq)[0] == 0:
        raise TokenizerError(
            f"regex {_show(pattern)} repeats a group that can match nothing (like (a*)*)"
        )
    for i, item in enumerate(seq):
        width = _width([item])
        if width[0] == width[1]:
            continue
        chars = _chars(item)
        # what may come right after this variable part: the next items up to the first
        # that must match a character, wrapping into the next round of the outer repeat
        for k in range(1, len(seq) + 1):
            nxt = seq[(i + k) % len(seq)]
            if _overlap(chars, _first(nxt), flags):
                raise TokenizerError(
                    f"regex {_show(pattern)} nests repeats that can split the same "
                    "text in many ways (like (a+)+): catastrophic backtracking"
                )
            if _width([nxt])[0] > 0:
                break


def _check_disjoint_alternatives(alts: list[list[Any]], pattern: str, flags: int) -> None:
    firsts = [_first_of(a) for a in alts]
    for i in range(len(firsts)):
        for j in range(i + 1, len(firsts)):
            if _overlap(firsts[i], firsts[j], flags):
                raise TokenizerError(
                    f"regex {_show(pattern)} repeats alternatives that can start alike "
                    "(like (a|ab)*): catastrophic backtracking"
                )


def _width(items: list[Any]) -> tuple[int, int]:
    lo, hi = _p.SubPattern(_p.State(), list(items)).getwidth()
    return int(lo), int(hi)


def _chars(item: Any) -> tuple[str, ...]:
    """Classes of every character ``item`` can match (approximated from above)."""
    op, av = item
    if op in _CHAR_OPS:
        return _charset(item)
    if op in _REPEATS or op == getattr(_c, "POSSESSIVE_REPEAT", None):
        return tuple(c for sub in av[2] for c in _chars(sub))
    if op == _c.SUBPATTERN:
        return tuple(c for sub in av[-1] for c in _chars(sub))
    if op == _c.BRANCH:
        return tuple(c for alt in av[1] for sub in alt for c in _chars(sub))
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return ()
    return (_ANYTHING,)


def _charset(item: Any) -> tuple[str, ...]:
    """Character-class sources matching what a one-character item matches."""
    op, av = item
    if op == _c.LITERAL:
        return (f"[{re.escape(chr(av))}]",)
    if op == _c.NOT_LITERAL:
        return (f"[^{re.escape(chr(av))}]",)
    if op == _c.ANY:
        return (_ANYTHING,)
    parts = []
    negate = ""
    for iop, iav in av:
        if iop == _c.NEGATE:
            negate = "^"
        elif iop == _c.LITERAL:
            parts.append(re.escape(chr(iav)))
        elif iop == _c.RANGE:
            parts.append(f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}")
        elif iop == _c.CATEGORY and iav in _CATEGORIES:
            parts.append(_CATEGORIES[iav])
        else:  # anything unusual: assume it may match any character
            return (_ANYTHING,)
    return (f"[{negate}{''.join(parts)}]",) if parts else (_ANYTHING,)


def _first(item: Any) -> tuple[str, ...]:
    """Classes of the characters ``item`` can start with (approximated from above)."""
    op, av = item
    if op in _CHAR_OPS:
        return _charset(item)
    if op in _REPEATS:
        return _first_of(list(av[2]))
    if op == _c.SUBPATTERN:
        return _first_of(list(av[-1]))
    if op == _c.BRANCH:
        return tuple(c for alt in av[1] for c in _first_of(list(alt)))
    return (_ANYTHING,)


def _first_of(items: list[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for item in _flatten(items):
        out.extend(_first(item))
        if _width([item])[0] > 0:
            break
    return tuple(out)


def _overlap(a: tuple[str, ...], b: tuple[str, ...], flags: int) -> bool:
    return any(_classes_overlap(x, y, flags) for x in a for y in b)


@functools.lru_cache(maxsize=4096)
def _classes_overlap(a: str, b: str, flags: int) -> bool:
    if a == _ANYTHING or b == _ANYTHING:
        return True
    return re.search(f"(?={a}){b}", _all_chars(), flags) is not None


@functools.lru_cache(maxsize=1)
def _all_chars() -> str:
    """Every code point but the surrogates: the space two classes are compared over."""
    return "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
