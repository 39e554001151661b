"""check_regex: catastrophic-backtracking forms are refused, the built-in rules pass."""

from __future__ import annotations

import pytest

from treadle.errors import TokenizerError
from treadle.lang import Tokenizer, get_language_data, make_vocab
from treadle.lang.regex_safety import check_regex


@pytest.mark.parametrize(
    "pattern",
    [
        "^(a+)+$",
        "(a*)*",
        "(a|aa)*",
        r"(\w+\s?)*$",
        r"(a)\1",
        "(?:a+b?)+",
        "(.*a){10}",
        "(a{1,2})+",
        "(x+x+)+y",
        "((ab)*)*",
        "(",
    ],
)
def test_dangerous_or_broken_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(TokenizerError):
        check_regex(pattern)


@pytest.mark.parametrize(
    "pattern",
    [r"(?:[.,:/]\d+)*", r"(?:\.+[\w!#]+)*", r"(?:(?:ab)+c)+", r"\d{3}", "(?:a+b)+", "x++"],
)
def test_delimited_repeats_are_allowed(pattern: str) -> None:
    check_regex(pattern)


@pytest.mark.parametrize("lang", ["en", "xx"])
def test_builtin_rules_pass(lang: str) -> None:
    data = get_language_data(lang)
    tok = Tokenizer.from_language_data(data, make_vocab(data))
    for name in ("prefix_search", "suffix_search", "infix_finditer", "token_match", "url_match"):
        pattern = getattr(tok, name).__self__
        check_regex(pattern.pattern, pattern.flags)
