"""Generic lexeme attribute getters: one function per attribute, ``str -> value``.

The Vocab calls each getter once per distinct string and stores the result in a
numpy column. Language data overrides any of them (English stop words, number
words for ``like_num``, norm exceptions) by passing ``lex_attr_getters`` to the Vocab.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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


def word_shape(string: str) -> str:
    """Map letters to X/x, digits to d, keep other characters; cap each run at 4."""
    if len(string) >= 100:
        return "LONG"
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
    if len(string) < 4 or any(c.isspace() for c in string):
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


LEX_ATTR_GETTERS: dict[int, Callable[[str], Any]] = {
    attrs.LOWER: lower,
    attrs.NORM: norm,
    attrs.PREFIX: prefix,
    attrs.SUFFIX: suffix,
    attrs.SHAPE: word_shape,
    attrs.LENGTH: length,
    attrs.IS_ALPHA: is_alpha,
    attrs.IS_ASCII: is_ascii,
    attrs.IS_DIGIT: is_digit,
    attrs.IS_LOWER: is_lower,
    attrs.IS_UPPER: is_upper,
    attrs.IS_TITLE: is_title,
    attrs.IS_PUNCT: is_punct,
    attrs.IS_SPACE: is_space,
    attrs.IS_STOP: is_stop,
    attrs.IS_BRACKET: is_bracket,
    attrs.IS_QUOTE: is_quote,
    attrs.IS_LEFT_PUNCT: is_left_punct,
    attrs.IS_RIGHT_PUNCT: is_right_punct,
    attrs.IS_CURRENCY: is_currency,
    attrs.LIKE_NUM: like_num,
    attrs.LIKE_URL: like_url,
    attrs.LIKE_EMAIL: like_email,
}
