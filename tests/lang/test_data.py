"""Language data (treadle/lang/data.py): registry lookup, copies, the generic base for
unknown languages."""

from __future__ import annotations

from treadle.config import registry
from treadle.lang import LanguageData, Tokenizer, get_language_data, make_vocab
from treadle.tokens.attrs import LIKE_NUM, NORM


def test_registered_languages() -> None:
    assert "en" in registry.languages
    assert "xx" in registry.languages
    en = get_language_data("en")
    assert isinstance(en, LanguageData)
    assert en.lang == "en"
    assert "the" in en.stop_words
    assert LIKE_NUM in en.lex_attr_getters and NORM in en.lex_attr_getters
    assert en.tokenizer_exceptions["don't"][1]["NORM"] == "not"


def test_get_language_data_returns_copies() -> None:
    a = get_language_data("en")
    a.suffixes.append("zzz")
    a.tokenizer_exceptions["don't"][0]["ORTH"] = "XX"
    b = get_language_data("en")
    assert "zzz" not in b.suffixes
    assert b.tokenizer_exceptions["don't"][0]["ORTH"] == "do"


def test_unknown_language_gets_generic_base() -> None:
    data = get_language_data("zz")
    assert data.lang == "zz"
    vocab = make_vocab(data)
    assert vocab.lang == "zz"
    tok = Tokenizer.from_language_data(data, vocab)
    text = "Hallo, Welt! Siehe http://example.org/a?b=1. Preis: 3.14 (ca. 1,000) -5 :)"
    assert [t.text for t in tok(text)] == [
        "Hallo", ",", "Welt", "!", "Siehe", "http://example.org/a?b=1", ".", "Preis", ":",
        "3.14", "(", "ca.", "1,000", ")", "-5", ":)",
    ]
    # no English contractions in the generic base as special cases
    assert "don't" not in data.tokenizer_exceptions
