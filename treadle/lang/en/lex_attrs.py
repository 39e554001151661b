"""English lexical attribute overrides: number words for LIKE_NUM, NORM exceptions."""

from __future__ import annotations

import re

_CARDINALS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion", "trillion", "quadrillion", "gazillion", "dozen"]
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth", "hundredth", "thousandth", "millionth", "billionth", "trillionth"]
NUMBER_WORDS: frozenset[str] = frozenset(_CARDINALS + _ORDINALS)

_NUMERIC = re.compile(r"[-+±~−]?(?:\d+(?:[.,:]\d+)*|\.\d+)(?:st|nd|rd|th)?$|\d+/\d+$")


def like_num(text: str) -> bool:
    """True for digits ("1,000", "3.14", "-5", "1/2", "21st") and number words
    ("seven", "twenty-one", "hundredth")."""
    if _NUMERIC.match(text):
        return True
    lower = text.lower()
    if lower in NUMBER_WORDS:
        return True
    if "-" in lower:
        parts = lower.split("-")
        return all(p in NUMBER_WORDS for p in parts)
    return False


# NORM exceptions: contraction pieces and spelling variants whose normal form differs
# from their lower-cased text. Applied per string by the Vocab.
NORM_EXCEPTIONS: dict[str, str] = {
    "n't": "not",
    "nt": "not",
    "'m": "am",
    "'re": "are",
    "'ve": "have",
    "'ll": "will",
    "'d": "'d",
    "'s": "'s",
    "'cause": "because",
    "cuz": "because",
    "'em": "them",
    "'til": "until",
    "til": "until",
    "ya": "you",
    "u": "you",
    "ur": "your",
    "thru": "through",
    "tho": "though",
    "pls": "please",
    "plz": "please",
    "ok": "okay",
    "o.k.": "okay",
    "&": "and",
    "colour": "color",
    "favourite": "favorite",
    "honour": "honor",
    "labour": "labor",
    "neighbour": "neighbor",
    "organise": "organize",
    "realise": "realize",
    "recognise": "recognize",
    "centre": "center",
    "theatre": "theater",
    "grey": "gray",
    "travelling": "traveling",
    "cancelled": "canceled",
}

_APOSTROPHE_VARIANTS = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_QUOTE_VARIANTS = {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "’": "'", "‘": "'"}


def norm(text: str) -> str:
    """Lower-case, unify apostrophes and quotes, then apply NORM_EXCEPTIONS."""
    if text in _QUOTE_VARIANTS:
        return _QUOTE_VARIANTS[text]
    lower = text.lower().translate(_APOSTROPHE_VARIANTS)
    return NORM_EXCEPTIONS.get(lower, lower)
