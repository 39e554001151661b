"""The plain-word fast path: rules that cannot match inside a word of letters let the
tokenizer skip its regexes on such words (treadle/lang/_plain.py)."""

from __future__ import annotations

import random
import re

import pytest

from treadle.lang import Tokenizer, get_language_data, make_vocab
from treadle.lang._plain import can_match_letters
from treadle.lang.util import compile_suffix_regex


@pytest.mark.parametrize(
    ("pattern", "can"),
    [
        (r"ish", True),
        (r"(?i:ABC)", True),
        (r"x*", True),
        (r"[^,]", True),
        (r"\w", True),
        (r".", True),
        (r"(a)\1", True),
        (r"[a-z]+(?<=\d.)", False),  # a unit after a number needs the digit
        (r"(?<=\d)x", False),
        (r"\W+", False),
        (r"\b", False),  # zero-width: splits nothing
        (r"(?=a)", False),
        (r"(?<=[a-z])-ish", False),
        (r"[\d\s]", False),
        (r"[,;:!?]+", False),
    ],
)
def test_can_match_letters(pattern: str, can: bool) -> None:
    assert can_match_letters(re.compile(pattern).search) is can


def test_rules_that_are_not_regex_methods_count_as_matching() -> None:
    assert can_match_letters(lambda s: None) is True
    assert can_match_letters(None) is False


def _en() -> Tokenizer:
    data = get_language_data("en")
    return Tokenizer.from_language_data(data, make_vocab(data))


def test_english_rules_take_the_fast_path() -> None:
    assert _en()._plain_words


def test_fast_path_agrees_with_the_full_algorithm() -> None:
    tok = _en()
    rng = random.Random(0)
    alphabets = [
        "abcdefghijklmnopqrstuvwxyz",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZkmp",
        "äöüßéñçøå",
        "абвгдежзий",
        "αβγδεζηθ",
        "日本語中文",
        "ªº",
    ]
    words = {"cannot", "gonna", "Lets", "dont", "km", "pm", "am", "ish", "xD", "XD", "e"}
    for _ in range(2000):
        alphabet = rng.choice(alphabets)
        words.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    for word in sorted(words):
        assert word.isalpha()
        expected = [text for _, text, _ in tok._split_chunk(word)]
        assert list(tok._cache_chunk(word)[0]) == expected, word


def test_a_letter_rule_turns_the_fast_path_off() -> None:
    tok = _en()
    suffixes = [r"ish(?<=[a-z]...)", *get_language_data("en").suffixes]
    tok.suffix_search = compile_suffix_regex(suffixes).search
    assert not tok._plain_words
    assert [t.text for t in tok("foolish")] == ["fool", "ish"]


def test_fast_paths_change_nothing_explain_reports() -> None:
    # the same text through the same rules with the fast paths switched off
    fast, slow = _en(), _en()
    assert fast._plain_whole
    slow._plain_words = slow._plain_whole = False
    rng = random.Random(1)
    pieces = [
        "said",
        "Hello",
        "world",
        "don't",
        "(",
        ")",
        ",",
        ".",
        "!!",
        "'s",
        "5",
        "pm",
        "e-mail",
        "U.S.",
        ":)",
        "#tag",
        "@you",
        "x@y.com",
        "🍕",
        "-",
        "/",
        "km",
        "ish",
    ]
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        assert fast.explain(text) == slow.explain(text), text
        assert [t.text for t in fast(text)] == [t.text for t in slow(text)], text
