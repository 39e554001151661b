"""English language data: contractions split as Universal Dependencies does, English
abbreviations, stop words, number words and NORM exceptions."""

from __future__ import annotations

import functools

from treadle.config import registry
from treadle.lang import base
from treadle.lang.char_classes import ALPHA_CLASS, APOSTROPHES
from treadle.lang.data import LanguageData
from treadle.lang.en.lex_attrs import like_num, norm
from treadle.lang.en.stop_words import STOP_WORDS
from treadle.lang.en.tokenizer_exceptions import english_exceptions
from treadle.tokens.attrs import LIKE_NUM, NORM

A = ALPHA_CLASS

# Clitics split off a word: "n't" (did|n't, ca|n't), "'s", "'m", "'d", "'ll", "'re", "'ve",
# with any apostrophe variant. Listed before the generic suffixes; the suffix search
# takes the leftmost match, so "n't" wins over a bare "'t".
EN_SUFFIXES: list[str] = [
    rf"[nN][{APOSTROPHES}][tT](?<={A}...)",
    rf"[{APOSTROPHES}][sSmMdD](?<={A}..)",
    rf"[{APOSTROPHES}](?:ll|LL|re|RE|ve|VE)(?<={A}...)",
]

# Hyphenated words whose first part is a bound prefix stay whole in UD English
# ("e-mail", "non-profit", "re-elect", "anti-war"); other hyphens split.
BOUND_PREFIXES = (
    "e|non|anti|pre|re|mid|post|co|pro|multi|semi|ex|sub|counter|cross|neo|psycho|mis|"
    "socio|intra|inter|micro|macro|un|ultra|extra|bi|tri|uni|quasi|pseudo|over"
)
EN_TOKEN_MATCH: list[str] = [rf"(?i:{BOUND_PREFIXES})-[^\W_]+"]


@functools.lru_cache(maxsize=1)
def _english() -> LanguageData:
    exceptions = base.base_exceptions()
    exceptions.update(english_exceptions())
    return LanguageData(
        lang="en",
        stop_words=STOP_WORDS,
        lex_attr_getters={LIKE_NUM: like_num, NORM: norm},
        tokenizer_exceptions=exceptions,
        prefixes=list(base.BASE_PREFIXES),
        suffixes=EN_SUFFIXES + list(base.BASE_SUFFIXES),
        infixes=list(base.BASE_INFIXES),
        token_match_patterns=list(base.TOKEN_MATCH_PATTERNS) + EN_TOKEN_MATCH,
        url_patterns=list(base.URL_PATTERNS),
    )


def english_language_data() -> LanguageData:
    return _english().copy()


registry.languages.register("en", func=english_language_data)
