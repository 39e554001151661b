"""The lexical attribute getters (treadle/tokens/lex_attrs.py)."""

import pytest

from treadle.tokens import lex_attrs


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
