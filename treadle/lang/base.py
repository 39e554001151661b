"""Generic tokenizer rules shared by every language (and used alone for unknown codes).

Rules are regex source strings (see :mod:`treadle.lang.util`). The conventions follow
Universal Dependencies: punctuation is split off words, hyphens and slashes between
words are their own tokens, while URLs, e-mail addresses, numbers (``3.14``, ``1,000``,
``10:30``, ``-5``), times, dates, phone numbers and initials (``U.S.``) stay whole.
Character classes are built with the stdlib ``re`` (see :mod:`char_classes`).
"""

from __future__ import annotations

from treadle.lang.char_classes import (
    ALNUM_CLASS,
    ALPHA_CLASS,
    APOSTROPHES,
    CLOSE_BRACKETS,
    CLOSE_PUNCT,
    CURRENCY,
    DASHES,
    ELLIPSES,
    OPEN_BRACKETS,
    OPEN_PUNCT,
    QUOTES,
    SYMBOLS_ASTRAL,
    SYMBOLS_BMP,
)

A = ALPHA_CLASS
AN = ALNUM_CLASS
_NOT_PUNCT_END = r"[^\s<>\"'.,;:!?)\]}“”’]"

# Performance note: Python's ``re`` tries every alternative at every position of a
# suffix or infix search, so each rule below starts by consuming a character from a
# small class and only then checks its context with a look-behind ("n't" preceded by a
# letter is written ``[nN]'[tT](?<=[^\W\d_]...)``). Single-character rules share one
# character class.

# --- prefixes: split off the start of a chunk -------------------------------------
BASE_PREFIXES: list[str] = [
    ELLIPSES,
    rf"[{OPEN_PUNCT}{QUOTES}{SYMBOLS_BMP}%~&]",
    rf"[{SYMBOLS_ASTRAL}]",
    rf"[{CURRENCY}]+",
    # a dash run; a single minus before a digit belongs to the number ("-5")
    rf"[{DASHES}]{{2,}}",
    rf"[{DASHES}](?![\d.])",
    r"[,;:!?]+",
    r"\+(?!\d)",
    r"#(?=\d)",
    r"\*+",
    # mixed runs of "=" and "-" used as rules ("==----")
    r"[=-]*=[=-]*",
    r"\\+",
    r"/+",
    r"\|+",
    r"<+",
    r">+",
]

# --- suffixes: split off the end of a chunk ---------------------------------------
BASE_SUFFIXES: list[str] = [
    ELLIPSES,
    # runs of sentence punctuation ("?!", "!.", "..?"), not eating an abbreviation's dot
    r"[!?][.!?]*",
    r"\.(?<![A-Z]\.)[.!?]*[!?][.!?]*",
    rf":(?<={A}{A}:)[!?]+",
    # an emoticon glued to a word ("great:)")
    rf"[:;](?<={A}[:;])-?[()DP]",
    # single characters: closing brackets and quotes, period, comma, semicolon, colon,
    # opening brackets left dangling, symbols such as the heart
    rf"[{CLOSE_PUNCT}{QUOTES}{OPEN_BRACKETS}{SYMBOLS_BMP}.,;:]",
    rf"[{SYMBOLS_ASTRAL}]",
    # trailing hyphens after a word or bracket ("PS-", "speech--")
    rf"[{DASHES}](?:(?<={AN}.)|(?<=[{CLOSE_BRACKETS}].))[{DASHES}]*",
    r"%(?<=\d%)",
    # units glued to a number ("70k", "375mm", "8gb", "24hrs")
    r"[kKmp](?<=\d.)",
    r"(?:km|cm|mm|kg|mg|lb|oz|ft|mi|hr|yr|[kmgtKMGT][bB])(?<=\d..)",
    r"(?:lbs|mph|kph|hrs|min|sec|yrs|[GMk]Hz)(?<=\d...)",
    r"(?:mins|secs)(?<=\d....)",
    # times of day glued to the number ("5pm", "11:30am" -> "11:30" "am", as UD does)
    r"(?:am|pm|AM|PM)(?<=\d..)",
    r"(?:a\.m\.|p\.m\.|A\.M\.|P\.M\.)(?<=\d....)",
    rf"/(?<={AN}/)",
    rf"#(?<={A}#)",
    r"\*+",
    r"[=-]*=[=-]*",
    r"\++",
    r"<+",
    r">+",
    rf"[{CURRENCY}](?<=\d.)",
]

# --- infixes: split inside what remains -------------------------------------------
BASE_INFIXES: list[str] = [
    ELLIPSES,
    # em/en dashes and double hyphens between anything
    r"--+",
    r"[–—―]",
    # a hyphen between letters/digits ("well-known", "15-year"); kept whole where a
    # token_match rule says so (numbers, phone numbers, bound prefixes like "non-")
    rf"-(?<={AN}-)(?={AN})",
    # a comma or colon touching a letter ("Baltimore,MD", "Price:3"), never digit,digit
    rf"[,:](?<={A}.)(?={AN})",
    rf",(?<=\d,)(?={A})",
    # a slash between words ("and/or"); digit/digit stays (dates, fractions)
    rf"/(?<={A}/)(?={AN})",
    rf"/(?<=\d/)(?={A})",
    # brackets and double quotes glued inside a chunk
    rf"[{OPEN_BRACKETS}{CLOSE_BRACKETS}\"“”]",
    rf"[<>](?<={AN}.)(?=\S)",
    rf"=(?<={A}=)(?={A})",
]

# --- whole tokens -----------------------------------------------------------------
NUMBER_PATTERNS: list[str] = [
    # signed numbers with grouping/decimal/time/date separators: 3.14 1,000 10:30 -5
    r"[-+−]?\d+(?:[.,:/]\d+)*",
    r"[-+−]?\.\d+",
    # phone numbers: 303-832-8160, 235-1972, 3-5213, 713.837.1638, +1-202-555-0100
    r"\+?(?:\d{1,3}[-.\s])?(?:\d{3}[-.]){1,2}\d{4}",
    r"\d-\d{4}",
    r"\d{3}/\d{3}-\d{4}",
    # decades written with an apostrophe: '90s, '99
    rf"[{APOSTROPHES}]\d\d[sS]?",
]

ABBREVIATION_PATTERNS: list[str] = [
    # initials and dotted abbreviations: U.S. e.g. a.m. J.M. W.H.S.
    rf"(?:{A}\.){{2,}}",
    # one capital initial: "J." in "Michael J. Fox"
    r"[A-Z]\.",
]

EMAIL_PATTERN = (
    r"(?=[^@\s]*@)[\w!#$%&*+=?^`{|}~-]+(?:\.+[\w!#$%&*+=?^`{|}~-]+)*\.*@[\w-]+(?:\.[\w-]+)*"
)

WEB_PATTERNS: list[str] = [
    EMAIL_PATTERN,
    # emoticons with a repeated mouth (":-))", ":((((", ";-)))"), beyond the listed ones
    r"[:;=]'?-?(?:\){2,}|\({2,})",
    # mentions and hashtags (not "#1", which splits)
    r"@\w[\w.-]*\w|@\w",
    rf"#{A}\w*",
]

# Top-level domains common enough that "name.tld" is taken as a web address.
_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|co|us|uk|ca|de|fr|au|jp|cn|in|ru|nl|it|es|"
    "ch|se|no|eu|tv|me|ly|ie|nz|br|mx|za|kr|be|at|dk|fi|pl|cz|gr|pt|il|sg|hk|tw|ae"
)
URL_PATTERN = (
    # a mailto: link: an address, then optionally a query ("?subject=...")
    rf"(?i:mailto):{EMAIL_PATTERN}(?:\?[^\s<>\"]*{_NOT_PUNCT_END})?|"
    # scheme or www: anything without spaces that does not end in punctuation
    rf"(?:(?:https?|ftp|file)://|www\d{{0,3}}\.)(?:[^\s<>\"]*{_NOT_PUNCT_END}|[^\s<>\"]*/)?"
    # bare domains with a known TLD, optional port and path
    rf"|(?:{AN}[\w-]*\.)+(?:{_TLDS})(?::\d+)?(?:/(?:[^\s<>\"]*{_NOT_PUNCT_END})?)?"
)

# Emoticons kept as one token (checked before any affix is split).
EMOTICONS: list[str] = (
    [":)", ":-)", ":))", ":)))", ":]", ":-]", "=)", "=]", ":}", ":o)", "(:", "(-:", "((:", "[:", ";)", ";-)", ";]", "(;", ":(", ":-(", ":((", ":(((", ":[", ":-[", "=(", ")-:", ":'(", ":'-(", ":')", ":D", ":-D", ";D", "=D", "xD", "XD", ":P", ":-P", ":p", ":-p", ":b", ";P", ";p", ":O", ":-O", ":o", ":-o", ":/", ":-/", ":\\", ":-\\", ":|", ":-|", ":S", ":s", ":*", ":-*", ";*", "<3", "</3", "<33", "<333", "^_^", "^^", "^.^", "-_-", "o_O", "O_o", "o.O", "O.o", ">:(", ">:-(", ">:)", ">:-)", ":3", ":-3", "8-)", "B-)", ":x", ":-x", "=|", "=/", "=\\", "=P", "=p", "(^_^)", "(-_-)", "\\o/", ">.<", "T_T", ";_;"]
)

# Generic abbreviations shared across languages written in Latin script.
BASE_ABBREVIATIONS: list[str] = ["etc.", "vs.", "viz.", "cf.", "approx.", "ca."]

TOKEN_MATCH_PATTERNS: list[str] = NUMBER_PATTERNS + ABBREVIATION_PATTERNS + WEB_PATTERNS
URL_PATTERNS: list[str] = [URL_PATTERN]


def base_exceptions() -> dict[str, list[dict[str, str]]]:
    """Special cases every language shares: emoticons and generic abbreviations."""
    exc: dict[str, list[dict[str, str]]] = {}
    for emo in EMOTICONS:
        exc[emo] = [{"ORTH": emo}]
    for abbr in BASE_ABBREVIATIONS:
        exc[abbr] = [{"ORTH": abbr}]
    return exc
