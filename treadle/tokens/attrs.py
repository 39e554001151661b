"""Attribute ids: the shared vocabulary of ``Doc.to_array``, ``DocBin``, matchers and
feature extractors.

Ids are small stable integers (they are written into ``.docbin`` files, so never
renumber them; only append). Lexeme attributes (computed once per string by the
Vocab) come first, then token attributes stored per token in the Doc.
"""

from __future__ import annotations

from treadle.errors import TreadleError

# --- lexeme attributes: boolean flags ---
IS_ALPHA = 1
IS_ASCII = 2
IS_DIGIT = 3
IS_LOWER = 4
IS_PUNCT = 5
IS_SPACE = 6
IS_TITLE = 7
IS_UPPER = 8
LIKE_URL = 9
LIKE_NUM = 10
LIKE_EMAIL = 11
IS_STOP = 12
IS_BRACKET = 13
IS_QUOTE = 14
IS_LEFT_PUNCT = 15
IS_RIGHT_PUNCT = 16
IS_CURRENCY = 17

# --- lexeme attributes: strings (stored as 64-bit hashes) and ints ---
ORTH = 64
LOWER = 65
NORM = 66
SHAPE = 67
PREFIX = 68
SUFFIX = 69
LENGTH = 70
LANG = 71
ID = 72

# --- token attributes (per occurrence, stored in the Doc) ---
TAG = 80
POS = 81
MORPH = 82
LEMMA = 83
DEP = 84
HEAD = 85  # relative offset to the head (0 = root or missing, see DEP)
SENT_START = 86  # 1 = starts a sentence, -1 = does not, 0 = unknown
ENT_IOB = 87  # 0 = missing, 1 = I, 2 = O, 3 = B
ENT_TYPE = 88
ENT_ID = 89
ENT_KB_ID = 90
SPACY = 91  # 1 if the token is followed by a space
IDX = 92  # character offset of the token in the text

FLAG_ATTRS: tuple[int, ...] = (
    IS_ALPHA, IS_ASCII, IS_DIGIT, IS_LOWER, IS_PUNCT, IS_SPACE, IS_TITLE, IS_UPPER,
    LIKE_URL, LIKE_NUM, LIKE_EMAIL, IS_STOP, IS_BRACKET, IS_QUOTE, IS_LEFT_PUNCT,
    IS_RIGHT_PUNCT, IS_CURRENCY,
)
LEXEME_ATTRS: tuple[int, ...] = FLAG_ATTRS + (ORTH, LOWER, NORM, SHAPE, PREFIX, SUFFIX, LENGTH, LANG, ID)
TOKEN_ATTRS: tuple[int, ...] = (
    TAG, POS, MORPH, LEMMA, DEP, HEAD, SENT_START, ENT_IOB, ENT_TYPE, ENT_ID, ENT_KB_ID, SPACY, IDX,
)

NAMES: dict[int, str] = {
    value: name
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, int) and not name.startswith("_")
}
IDS: dict[str, int] = {name: value for value, name in NAMES.items()}
# Aliases users write in patterns and configs.
IDS["TEXT"] = ORTH
IDS["SENT_START"] = SENT_START
IDS["IS_SENT_START"] = SENT_START


def intify_attr(name: int | str) -> int:
    """Turn an attribute name (``"NORM"``, ``"norm"``) or id into its id."""
    if isinstance(name, int):
        if name not in NAMES:
            raise TreadleError(f"Unknown attribute id {name}.")
        return name
    key = name.upper()
    if key.endswith("_") and key[:-1] in IDS:
        key = key[:-1]
    if key not in IDS:
        raise TreadleError(
            f"Unknown attribute {name!r}. Known attributes: {', '.join(sorted(IDS))}."
        )
    return IDS[key]


def intify_attrs(names: list[int | str] | tuple[int | str, ...]) -> list[int]:
    return [intify_attr(n) for n in names]
