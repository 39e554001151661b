"""Per-language data: what a tokenizer and a Vocab need to know about a language.

``get_language_data(lang)`` looks the code up in ``registry.languages`` (where each entry
is a zero-argument function returning a :class:`LanguageData`); unknown codes get the
generic base (punctuation split, URLs and numbers kept whole) under their own code.
Each call returns a fresh copy, so callers may extend the lists::

    data = get_language_data("en")
    data.suffixes.append(r"(?<=\\d)km")
    tokenizer = Tokenizer.from_language_data(data, vocab)
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from treadle.config import registry
from treadle.lang import base
from treadle.lang.util import compile_match_regex
from treadle.tokens import Vocab


@dataclass
class LanguageData:
    lang: str
    stop_words: frozenset[str] = frozenset()
    # attribute id (treadle.tokens.attrs) -> function of the string
    lex_attr_getters: dict[int, Callable[[str], Any]] = field(default_factory=dict)
    # string -> pieces, each {"ORTH": text, "NORM": optional normal form}
    tokenizer_exceptions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    prefixes: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    infixes: list[str] = field(default_factory=list)
    # whole-token patterns (regex sources), compiled to full-match functions on demand
    token_match_patterns: list[str] = field(default_factory=list)
    url_patterns: list[str] = field(default_factory=list)

    @property
    def token_match(self) -> Callable[[str], Any] | None:
        return _compile_match(tuple(self.token_match_patterns))

    @property
    def url_match(self) -> Callable[[str], Any] | None:
        return _compile_match(tuple(self.url_patterns))

    def copy(self) -> LanguageData:
        return copy.copy(self)._fresh_containers()

    def _fresh_containers(self) -> LanguageData:
        self.lex_attr_getters = dict(self.lex_attr_getters)
        self.tokenizer_exceptions = {k: [dict(p) for p in v]
                                     for k, v in self.tokenizer_exceptions.items()}
        self.prefixes = list(self.prefixes)
        self.suffixes = list(self.suffixes)
        self.infixes = list(self.infixes)
        self.token_match_patterns = list(self.token_match_patterns)
        self.url_patterns = list(self.url_patterns)
        return self


@functools.lru_cache(maxsize=64)
def _compile_match(patterns: tuple[str, ...]) -> Callable[[str], Any] | None:
    if not patterns:
        return None
    return compile_match_regex(patterns).match


@functools.lru_cache(maxsize=1)
def _generic() -> LanguageData:
    return LanguageData(
        lang="xx",
        tokenizer_exceptions=base.base_exceptions(),
        prefixes=list(base.BASE_PREFIXES),
        suffixes=list(base.BASE_SUFFIXES),
        infixes=list(base.BASE_INFIXES),
        token_match_patterns=list(base.TOKEN_MATCH_PATTERNS),
        url_patterns=list(base.URL_PATTERNS),
    )


def generic_language_data() -> LanguageData:
    """The language-independent base (registered as ``"xx"``)."""
    return _generic().copy()


registry.languages.register("xx", func=generic_language_data)


def get_language_data(lang: str) -> LanguageData:
    """Language data for ``lang``; unknown codes get the generic base under that code."""
    if lang in registry.languages:
        entry = registry.languages.get(lang)
        # Only plain factory functions are ours; other layers may register classes.
        if callable(entry) and not isinstance(entry, type):
            data = entry()
            if isinstance(data, LanguageData):
                return data
    data = generic_language_data()
    data.lang = lang
    return data


def make_vocab(lang_data: LanguageData) -> Vocab:
    """A Vocab that computes lexeme attributes with the language's getters."""
    return Vocab(
        lang=lang_data.lang,
        lex_attr_getters=dict(lang_data.lex_attr_getters),
        stop_words=set(lang_data.stop_words),
    )
