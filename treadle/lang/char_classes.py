"""Character classes for tokenizer rules, built from Unicode general categories.

The stdlib ``re`` module has no ``\\p{...}`` classes, so the classes are built once at
import by scanning the code points we care about (the Basic Multilingual Plane plus the
emoji/pictograph block) and compressing them into ``a-b`` ranges. Each constant is the
*body* of a character class: use it as ``f"[{PUNCT}]"``.
"""

from __future__ import annotations

import re
import unicodedata

# Planes scanned: the BMP and the supplementary symbol/emoji blocks. Scripts outside
# these (historic scripts) gain nothing from punctuation rules.
_SCANNED = (range(0x20, 0x10000), range(0x1F000, 0x1FB00))


def _scan() -> dict[str, list[int]]:
    by_cat: dict[str, list[int]] = {}
    for block in _SCANNED:
        for cp in block:
            cat = unicodedata.category(chr(cp))
            if cat[0] in "PS":
                by_cat.setdefault(cat, []).append(cp)
    return by_cat


def _ranges(codepoints: list[int]) -> str:
    """Compress sorted code points into an escaped character-class body."""
    out: list[str] = []
    cps = sorted(set(codepoints))
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        if j == i:
            out.append(lo)
        elif j == i + 1:
            out.append(lo + hi)
        else:
            out.append(f"{lo}-{hi}")
        i = j + 1
    return "".join(out)


def _escape_chars(chars: str) -> str:
    return "".join(re.escape(c) for c in chars)


_BY_CAT = _scan()

# Quotation marks of all kinds, straight and typographic (both Pi/Pf and Po members).
QUOTE_CHARS = "'\"`´‘’‚‛“”„‟«»‹›「」『』〝〞＂＇"
QUOTES = _escape_chars(QUOTE_CHARS)
APOSTROPHES = _escape_chars("'’`‘´")

# Opening and closing punctuation: brackets (Ps/Pe) and initial/final quotes (Pi/Pf).
OPEN_PUNCT = _ranges(_BY_CAT.get("Ps", []) + _BY_CAT.get("Pi", []))
CLOSE_PUNCT = _ranges(_BY_CAT.get("Pe", []) + _BY_CAT.get("Pf", []))
OPEN_BRACKETS = _ranges(_BY_CAT.get("Ps", []))
CLOSE_BRACKETS = _ranges(_BY_CAT.get("Pe", []))
DASHES = _ranges(_BY_CAT.get("Pd", []))
# Everything in the P* categories except the connector "_" (part of identifiers).
PUNCT = _ranges(
    [cp for cat, cps in _BY_CAT.items() if cat[0] == "P" for cp in cps if chr(cp) != "_"]
)
CURRENCY = _ranges(_BY_CAT.get("Sc", []))
# Other symbols (So): pictographs, emoji, dingbats like the heart. The BMP part is one
# class ``re`` can test with a lookup table; astral emoji are one coarse range (a long
# list of astral ranges would be scanned linearly at every position).
SYMBOLS_BMP = _ranges([cp for cp in _BY_CAT.get("So", []) if cp < 0x10000])
SYMBOLS_ASTRAL = "\U0001F000-\U0001FAFF"
SYMBOLS = SYMBOLS_BMP + SYMBOLS_ASTRAL
MATH = _ranges(_BY_CAT.get("Sm", []))

# Letters only (no digits, no underscore) and letters-or-digits, usable inside [...].
ALPHA_CLASS = r"[^\W\d_]"
ALNUM_CLASS = r"[^\W_]"
ELLIPSES = r"(?:\.\.+|…+)"

# Emoji as the tokenizer keeps them whole: a pictograph, or one or two regional
# indicators (a flag is a pair), followed by what belongs to the same emoji (variation
# selectors, skin-tone modifiers, a keycap mark, the tag characters of subdivision
# flags), and more such elements joined by ZERO WIDTH JOINER (family and profession
# sequences). Pictographs are the astral symbol blocks and the So characters of the BMP
# emoji blocks (technical, miscellaneous symbols, dingbats, arrows and stars); other
# symbols (degree, copyright) are not separators inside a chunk.
_EMOJI_BMP_BLOCKS = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF))
_REGIONAL = "\U0001f1e6-\U0001f1ff"
_PICTOGRAPHS = "\U0001f000-\U0001f1e5\U0001f200-\U0001faff" + _ranges(
    [cp for cp in _BY_CAT.get("So", []) if any(lo <= cp <= hi for lo, hi in _EMOJI_BMP_BLOCKS)]
)
# Any character an emoji starts with (a class body, like the constants above).
EMOJI_CHARS = _PICTOGRAPHS + _REGIONAL
_EMOJI_EXTEND = "\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_EMOJI_ELEMENT = f"(?:[{_REGIONAL}]{{1,2}}|[{_PICTOGRAPHS}])[{_EMOJI_EXTEND}]*"
EMOJI = f"{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*"
