"""Generic lexeme attribute getters: one function per attribute, ``str -> value``.

The Vocab calls each getter once per distinct string and stores the result in a
numpy column. Language data overrides any of them (English stop words, number
words for ``like_num``, norm exceptions) by passing ``lex_attr_getters`` to the Vocab.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from treadle.tokens import attrs

BRACKETS = frozenset("()[]{}<>")
QUOTES = frozenset(
    ['"', "'", "`", "``", "''", "‘", "’", "‚", "‛", "“", "”", "„", "‟", "«", "»", "‹", "›",
     "「", "」", "『", "』", "〝", "〞", "〟", "＂", "＇"]
)
LEFT_PUNCT = frozenset(["(", "[", "{", "<", "``", "“", "‘", "„", "‚", "«", "‹", "「", "『", "〝"])
RIGHT_PUNCT = frozenset([")", "]", "}", ">", "''", "”", "’", "»", "›", "」", "』", "〞", "〟"])

_URL_PREFIXES = ("http://", "https://", "ftp://", "www.", "mailto:", "file://")
# Common top-level domains: enough to tell "example.com" from "e.g." or "3.5".
_TLDS = frozenset(
    ["com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "uk", "us", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "ie", "pl", "cz", "ru", "ua", "cn", "jp", "kr", "in", "au", "nz", "ca", "br", "mx", "ar", "za", "info", "biz", "name", "pro", "museum", "aero", "jobs", "mobi", "tv", "me", "ly", "ai", "app", "dev", "xyz", "online", "site", "tech", "store", "blog", "eu", "asia", "gl", "gg", "fm", "im", "to", "cc", "ws", "la", "is"]
)
_EMAIL_RE = re.compile(r"^[\w.+\-!#$%&'*/=?^`{|}~]+@[\w\-]+(\.[\w\-]+)+$")


def lower(string: str) -> str:
    return string.lower()


def norm(string: str) -> str:
    return string.lower()


def prefix(string: str) -> str:
    return string[:1]


def suffix(string: str) -> str:
    return string[-3:]


# ASCII letters and digits to their shape class; other ASCII characters are kept.
_ASCII_SHAPE = str.maketrans(
    {
        **{c: "X" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        **{c: "x" for c in "abcdefghijklmnopqrstuvwxyz"},
        **{c: "d" for c in "0123456789"},
    }
)
_LONG_RUN = re.compile(r"(.)\1{4,}", re.DOTALL)


def _first_four(m: re.Match[str]) -> str:
    return m.group()[:4]


def word_shape(string: str) -> str:
    """Map letters to X/x, digits to d, keep other characters; cap each run at 4."""
    if len(string) >= 100:
        return "LONG"
    if string.isascii():
        # (the common case, without a Python step per character)
        shape = string.translate(_ASCII_SHAPE)
        # (a function replacement: a template with group references is expanded in
        # Python on every call)
        return _LONG_RUN.sub(_first_four, shape) if len(shape) > 4 else shape
    out: list[str] = []
    last = ""
    run = 0
    for char in string:
        if char.isalpha():
            shape = "X" if char.isupper() else "x"
        elif char.isdigit():
            shape = "d"
        else:
            shape = char
        if shape == last:
            run += 1
        else:
            run = 0
            last = shape
        if run < 4:
            out.append(shape)
    return "".join(out)


def length(string: str) -> int:
    return len(string)


def is_alpha(string: str) -> bool:
    return string.isalpha()


def is_ascii(string: str) -> bool:
    return string.isascii()


def is_digit(string: str) -> bool:
    return string.isdigit()


def is_lower(string: str) -> bool:
    return string.islower()


def is_upper(string: str) -> bool:
    return string.isupper()


def is_title(string: str) -> bool:
    return string.istitle()


def is_punct(string: str) -> bool:
    # (a letter or digit is never punctuation: most strings stop at the first test)
    if string[:1].isalnum():
        return False
    return bool(string) and all(unicodedata.category(c).startswith("P") for c in string)


def is_space(string: str) -> bool:
    return string.isspace()


def is_stop(string: str) -> bool:
    return False


def is_bracket(string: str) -> bool:
    return string in BRACKETS


def is_quote(string: str) -> bool:
    return string in QUOTES


def is_left_punct(string: str) -> bool:
    return string in LEFT_PUNCT


def is_right_punct(string: str) -> bool:
    return string in RIGHT_PUNCT


def is_currency(string: str) -> bool:
    if string[:1].isalnum():
        return False
    return bool(string) and all(unicodedata.category(c) == "Sc" for c in string)


def like_num(string: str) -> bool:
    """Digits with optional sign, thousands separators, decimals, or a fraction."""
    text = string.lstrip("+-±~")
    text = text.replace(",", "").replace(".", "")
    if text.isdigit():
        return True
    if text.count("/") == 1:
        num, denom = text.split("/")
        return num.isdigit() and denom.isdigit()
    return False


def like_url(string: str) -> bool:
    # every URL form below has a "." or a ":" (the prefixes all do)
    if len(string) < 4 or ("." not in string and ":" not in string):
        return False
    if any(c.isspace() for c in string):
        return False
    lowered = string.lower()
    if lowered.startswith(_URL_PREFIXES):
        return True
    if "@" in string or "." not in string:
        return False
    host = lowered.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    if "." not in host or host.startswith("."):
        return False
    labels = host.split(".")
    tld = labels[-1]
    if tld not in _TLDS:
        return False
    # Each label of a host is letters, digits and hyphens: rules out "e.g" and "3.5".
    return all(lab and all(c.isalnum() or c == "-" for c in lab) for lab in labels) and any(
        c.isalpha() for c in labels[0]
    )


def like_email(string: str) -> bool:
    return bool(_EMAIL_RE.match(string))


def lang_getter(string: str) -> str:
    return ""


# The getters as the Vocab calls them: where a getter is exactly a built-in (a str
# method, a slice, a set membership), the built-in itself, which costs a fraction of a
# Python call per new lexeme.
LEX_ATTR_GETTERS: dict[int, Callable[[str], Any]] = {
    attrs.LOWER: str.lower,
    attrs.NORM: str.lower,
    attrs.PREFIX: itemgetter(slice(None, 1)),
    attrs.SUFFIX: itemgetter(slice(-3, None)),
    attrs.SHAPE: word_shape,
    attrs.LENGTH: len,
    attrs.IS_ALPHA: str.isalpha,
    attrs.IS_ASCII: str.isascii,
    attrs.IS_DIGIT: str.isdigit,
    attrs.IS_LOWER: str.islower,
    attrs.IS_UPPER: str.isupper,
    attrs.IS_TITLE: str.istitle,
    attrs.IS_PUNCT: is_punct,
    attrs.IS_SPACE: str.isspace,
    attrs.IS_STOP: is_stop,
    attrs.IS_BRACKET: BRACKETS.__contains__,
    attrs.IS_QUOTE: QUOTES.__contains__,
    attrs.IS_LEFT_PUNCT: LEFT_PUNCT.__contains__,
    attrs.IS_RIGHT_PUNCT: RIGHT_PUNCT.__contains__,
    attrs.IS_CURRENCY: is_currency,
    attrs.LIKE_NUM: like_num,
    attrs.LIKE_URL: like_url,
    attrs.LIKE_EMAIL: like_email,
}
