"""Language data: registry lookup, the generic base, English lexical attributes, the
tokenizer factory, and a text round trip over real sentences."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from treadle.config import registry
from treadle.lang import LanguageData, Tokenizer, get_language_data, make_vocab
from treadle.tokens.attrs import LIKE_NUM, NORM

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples/data/ewt-sample-dev.conllu"
EWT_DEV = REPO.parent / "shared/data/ud_en_ewt/en_ewt-ud-dev.conllu"


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


def test_english_lex_attrs() -> None:
    data = get_language_data("en")
    vocab = make_vocab(data)
    assert vocab["seven"].like_num and vocab["twenty-one"].like_num
    assert vocab["1,000"].like_num and vocab["3.14"].like_num and vocab["-5"].like_num
    assert not vocab["seventy-ish"].like_num and not vocab["dog"].like_num
    assert vocab["n't"].norm_ == "not"
    assert vocab["’m"].norm_ == "am"
    assert vocab["’"].norm_ == "'"
    assert vocab["Colour"].norm_ == "color"
    assert vocab["The"].is_stop and not vocab["dog"].is_stop


def test_tokenizer_factory_builds_from_nlp() -> None:
    factory = registry.tokenizers.get("treadle.Tokenizer.v1")
    create = factory()
    data = get_language_data("en")
    nlp = SimpleNamespace(lang="en", vocab=make_vocab(data))
    tok = create(nlp)
    assert isinstance(tok, Tokenizer)
    assert tok.vocab is nlp.vocab
    assert [t.text for t in tok("I can't.")] == ["I", "ca", "n't", "."]
    generic = create(SimpleNamespace(lang="zz", vocab=make_vocab(get_language_data("zz"))))
    assert [t.text for t in generic("I can't.")] == ["I", "can't", "."]


def _conllu_texts(path: Path) -> list[str]:
    prefix = "# text = "
    with path.open(encoding="utf8") as fh:
        return [line[len(prefix):].rstrip("\n") for line in fh if line.startswith(prefix)]


@pytest.mark.parametrize("path", [SAMPLE, EWT_DEV], ids=["sample", "ewt-dev"])
def test_text_round_trip_on_ewt(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not available")
    texts = _conllu_texts(path)
    assert len(texts) > 100
    data = get_language_data("en")
    tok = Tokenizer.from_language_data(data, make_vocab(data))
    for text in texts:
        doc = tok(text)
        assert doc.text == text
        assert all(t.text for t in doc)
        # explain agrees with the tokenization on real text too
        assert [t for _, t in tok.explain(text)] == [t.text for t in doc]


def test_factory_uses_nlp_lang_data_when_present() -> None:
    data = get_language_data("en")
    data.tokenizer_exceptions["xyz"] = [{"ORTH": "x"}, {"ORTH": "yz"}]
    nlp = SimpleNamespace(lang="en", vocab=make_vocab(data), lang_data=data)
    tok = registry.tokenizers.get("treadle.Tokenizer.v1")()(nlp)
    assert [t.text for t in tok("xyz")] == ["x", "yz"]


def test_compile_helpers_extend_defaults() -> None:
    from treadle.errors import TokenizerError
    from treadle.lang.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    data = get_language_data("en")
    suffix = compile_suffix_regex([r"(?<=[a-z])-ish", *data.suffixes])
    assert suffix.search("big-ish").group() == "-ish"
    assert suffix.search("word.").group() == "."
    assert compile_prefix_regex(data.prefixes).search('"Hi').group() == '"'
    assert compile_prefix_regex(data.prefixes).search("Hi") is None
    assert [m.group() for m in compile_infix_regex(data.infixes).finditer("a-b/c")] == ["-", "/"]
    assert compile_suffix_regex([]).search("anything") is None
    with pytest.raises(TokenizerError, match="suffix"):
        compile_suffix_regex(["(unclosed"])
