"""The lexical attribute getters (treadle/tokens/lex_attrs.py)."""

import pytest

from treadle.tokens import attrs, lex_attrs


@pytest.mark.parametrize(
    "text,shape",
    [("Hello", "Xxxxx"), ("Hellooooo", "Xxxxx"), ("1999", "dddd"), ("12345", "dddd"),
     ("C3PO", "XdXX"), ("e-mail", "x-xxxx"), ("...", "..."), ("U.S.", "X.X.")],
)
def test_word_shape(text, shape):
    assert lex_attrs.word_shape(text) == shape


@pytest.mark.parametrize(
    "text,expected",
    [("10", True), ("10,000", True), ("3.14", True), ("-5", True), ("1/2", True),
     ("ten", False), ("a1", False), ("", False)],
)
def test_like_num(text, expected):
    assert lex_attrs.like_num(text) is expected


@pytest.mark.parametrize(
    "text,expected",
    [("http://example.com", True), ("www.google.com", True), ("example.com", True),
     ("github.com/x/y", True), ("e.g.", False), ("3.5", False), ("hello", False),
     ("a@b.com", False), ("U.S.", False)],
)
def test_like_url(text, expected):
    assert lex_attrs.like_url(text) is expected


def test_like_email():
    assert lex_attrs.like_email("john.doe+x@mail.example.org")
    assert not lex_attrs.like_email("john@")
    assert not lex_attrs.like_email("@handle")


def _shape_reference(string: str) -> str:
    # the definition, one character at a time
    out, last, run = [], "", 0
    for char in string:
        shape = ("X" if char.isupper() else "x") if char.isalpha() else char
        shape = "d" if char.isdigit() else shape
        run = run + 1 if shape == last else 0
        last = shape
        if run < 4:
            out.append(shape)
    return "".join(out)


_PROBES = ["Hello", "aaaaaaab", "!!!!!!", "x.....y", "ABCDEFGH12345678", "Ünïcødé", "naïve",
           "Straße", "ÉCOLE", "١٢٣٤٥٦", "e-mail", "", "a", "'s", "$100", "…", "(", "«",
           "www.example.com", "A1b2C3", "zzzzZZZZzzzz", "\n", "  ", "🍕🍕🍕🍕🍕🍕"]


@pytest.mark.parametrize("text", _PROBES)
def test_word_shape_matches_definition(text):
    assert lex_attrs.word_shape(text) == _shape_reference(text)


@pytest.mark.parametrize("text", _PROBES)
def test_default_getters_match_the_named_functions(text):
    # the table maps some attributes to built-ins; they must agree with the functions
    named = {
        "LOWER": lex_attrs.lower, "NORM": lex_attrs.norm, "PREFIX": lex_attrs.prefix,
        "SUFFIX": lex_attrs.suffix, "LENGTH": lex_attrs.length, "IS_ALPHA": lex_attrs.is_alpha,
        "IS_ASCII": lex_attrs.is_ascii, "IS_DIGIT": lex_attrs.is_digit,
        "IS_LOWER": lex_attrs.is_lower, "IS_UPPER": lex_attrs.is_upper,
        "IS_TITLE": lex_attrs.is_title, "IS_SPACE": lex_attrs.is_space,
        "IS_BRACKET": lex_attrs.is_bracket, "IS_QUOTE": lex_attrs.is_quote,
        "IS_LEFT_PUNCT": lex_attrs.is_left_punct, "IS_RIGHT_PUNCT": lex_attrs.is_right_punct,
    }
    for name, func in named.items():
        getter = lex_attrs.LEX_ATTR_GETTERS[attrs.IDS[name]]
        assert getter(text) == func(text), name


@pytest.mark.parametrize(
    "text,punct,currency",
    [("!", True, False), ("?!", True, False), ("a!", False, False), ("$", False, True),
     ("$$", False, True), ("1$", False, False), ("", False, False)],
)
def test_punct_and_currency(text, punct, currency):
    assert lex_attrs.is_punct(text) is punct
    assert lex_attrs.is_currency(text) is currency
