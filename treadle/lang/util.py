"""Helpers to compile tokenizer rule lists into regular expressions.

Affix rules are lists of regex *source* strings (not literal strings), so one entry can
say "a period after a letter" (``r"(?<=[a-z])\\."``). Each helper joins a list into one
alternation, anchored where the rule applies:

* prefixes are matched at the start of the string (``compile_prefix_regex(...).search``),
* suffixes at the end (``compile_suffix_regex(...).search``),
* infixes anywhere (``compile_infix_regex(...).finditer``).

Entries must not use numbered back-references (they are combined into one pattern).

Extending the defaults, e.g. to split a trailing "-ish" off words::

    from treadle.lang import get_language_data
    from treadle.lang.util import compile_suffix_regex

    data = get_language_data("en")
    suffixes = [r"(?<=[a-z])-ish", *data.suffixes]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search

Assigning ``prefix_search``, ``suffix_search``, ``infix_finditer``, ``token_match`` or
``url_match`` on a tokenizer clears its cache, so the new rule applies at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from treadle.errors import TokenizerError


def _join(entries: Iterable[str], kind: str) -> str:
    parts = [e for e in entries if e]
    for entry in parts:
        try:
            re.compile(entry)
        except re.error as err:
            raise TokenizerError(f"Invalid {kind} rule {entry!r}: {err}") from None
    return "|".join(f"(?:{p})" for p in parts)


def compile_prefix_regex(entries: Iterable[str]) -> re.Pattern[str]:
    """Compile prefix rules into a pattern whose ``.search`` finds a prefix at the start."""
    body = _join(entries, "prefix")
    return re.compile(f"^(?:{body})" if body else r"(?!)")


def compile_suffix_regex(entries: Iterable[str]) -> re.Pattern[str]:
    """Compile suffix rules into a pattern whose ``.search`` finds a suffix at the end."""
    body = _join(entries, "suffix")
    return re.compile(f"(?:{body})$" if body else r"(?!)")


def compile_infix_regex(entries: Iterable[str]) -> re.Pattern[str]:
    """Compile infix rules into a pattern whose ``.finditer`` yields the split points."""
    body = _join(entries, "infix")
    return re.compile(body if body else r"(?!)")


def compile_match_regex(entries: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """Compile whole-token patterns (token_match, url_match) into one full-match pattern."""
    body = _join(entries, "token_match")
    return re.compile(f"(?:{body})$" if body else r"(?!)", flags)
