"""Rule-based tokenization and per-language data.

``get_language_data(lang)`` gives a :class:`LanguageData` (``"en"`` is complete; any other
code gets the generic base), ``Tokenizer(vocab, ...)`` splits text into a Doc, and
``registry.tokenizers("treadle.Tokenizer.v1")`` builds one for an ``nlp`` object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from treadle.config import registry
from treadle.lang import en as _en  # noqa: F401  (registers "en")
from treadle.lang.data import LanguageData, generic_language_data, get_language_data, make_vocab
from treadle.lang.tokenizer import Tokenizer

if TYPE_CHECKING:
    from treadle.language import Language


@registry.tokenizers("treadle.Tokenizer.v1")
def create_tokenizer_factory() -> Callable[[Language], Tokenizer]:
    """``[nlp.tokenizer] @tokenizers = "treadle.Tokenizer.v1"``: a function that builds
    the rule-based tokenizer for ``nlp.lang`` with ``nlp.vocab``."""

    def create_tokenizer(nlp: Language) -> Tokenizer:
        # An nlp object may carry its own (customised) language data.
        data = getattr(nlp, "lang_data", None)
        if not isinstance(data, LanguageData):
            data = get_language_data(nlp.lang)
        return Tokenizer.from_language_data(data, nlp.vocab)

    return create_tokenizer


__all__ = [
    "LanguageData",
    "Tokenizer",
    "create_tokenizer_factory",
    "generic_language_data",
    "get_language_data",
    "make_vocab",
]
