"""Whether an affix rule can ever match inside a word made of letters only.

Most chunks of ordinary text are plain words ("the", "Tokenizer"). When no prefix,
suffix or infix rule can match a non-empty run of letters, such a chunk is one token
(or a special case), and the tokenizer skips the five regex calls that would find
nothing. This is decided once per rule from the regex's parse tree, conservatively:
the answer is "cannot match" only when every way the pattern could match needs a
non-letter (a literal, a class without letters, a look-around that needs one:
``[kKmp](?<=\\d.)`` needs a digit before it). Anything not understood counts as "can
match", and so does any rule that is not a method of a compiled regex. Zero-width
matches never split anything (the tokenizer skips them), so they do not count.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any

if sys.version_info >= (3, 11):
    from re import _constants as _c
    from re import _parser as _p
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
# Categories that hold no letter (str.isalpha) at all.
_LETTERLESS = {_c.CATEGORY_DIGIT, _c.CATEGORY_SPACE, _c.CATEGORY_NOT_WORD}
_LARGE_RANGE = 20_000  # wider ranges are assumed to hold a letter, unscanned


def can_match_letters(rule: Callable[..., Any] | None) -> bool:
    """Whether ``rule`` (a regex method, or None) might match a non-empty part of a
    string of letters."""
    if rule is None:
        return False
    pattern = getattr(rule, "__self__", None)
    if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str):
        return True
    return _pattern_can_match(pattern.pattern, pattern.flags)


@functools.lru_cache(maxsize=256)
def _pattern_can_match(source: str, flags: int) -> bool:
    try:
        parsed = _p.parse(source, flags)
    except Exception:  # anything the parser of this Python version does not take
        return True
    folding = bool(parsed.state.flags & re.IGNORECASE)
    return _Analysis(folding).nonempty(list(parsed))


class _Analysis:
    def __init__(self, folding: bool) -> None:
        # under IGNORECASE a non-ASCII literal may fold onto a letter: assume it does
        self.folding = folding

    def sat(self, items: list[Any]) -> bool:
        """Some match (maybe empty) exists inside a string of letters."""
        return all(self._sat(op, av) for op, av in items)

    def nonempty(self, items: list[Any]) -> bool:
        """Some non-empty match exists inside a string of letters."""
        return self.sat(items) and any(self._nonempty(op, av) for op, av in items)

    def _sat(self, op: Any, av: Any) -> bool:
        if op == _c.LITERAL:
            return self._letter(av)
        if op == _c.IN:
            return self._class_has_letter(av)
        if op == _c.BRANCH:
            return any(self.sat(list(alt)) for alt in av[1])
        if op == _c.SUBPATTERN:
            return self.sat(list(av[-1]))
        if op in _REPEATS:
            return av[0] == 0 or self.sat(list(av[2]))
        if op == _c.ASSERT:
            return self.sat(list(av[1]))
        if _ATOMIC is not None and op == _ATOMIC:
            return self.sat(list(av))
        return True  # NOT_LITERAL, ANY, AT, ASSERT_NOT, group references, ...

    def _nonempty(self, op: Any, av: Any) -> bool:
        if op == _c.LITERAL:
            return self._letter(av)
        if op == _c.IN:
            return self._class_has_letter(av)
        if op == _c.BRANCH:
            return any(self.nonempty(list(alt)) for alt in av[1])
        if op == _c.SUBPATTERN:
            return self.nonempty(list(av[-1]))
        if op in _REPEATS:
            return av[1] != 0 and self.nonempty(list(av[2]))
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return False  # zero-width
        if _ATOMIC is not None and op == _ATOMIC:
            return self.nonempty(list(av))
        return True

    def _letter(self, code: int) -> bool:
        return chr(code).isalpha() or (self.folding and code > 127)

    def _class_has_letter(self, items: list[Any]) -> bool:
        for op, av in items:
            if op == _c.NEGATE:
                return True
            if op == _c.LITERAL:
                if self._letter(av):
                    return True
            elif op == _c.RANGE:
                if _range_has_letter(av[0], av[1]) or (self.folding and av[1] > 127):
                    return True
            elif op == _c.CATEGORY:
                if av not in _LETTERLESS:
                    return True
            else:
                return True
        return False


@functools.lru_cache(maxsize=1024)
def _range_has_letter(lo: int, hi: int) -> bool:
    if hi - lo > _LARGE_RANGE:
        return True
    return any(chr(cp).isalpha() for cp in range(lo, hi + 1))
