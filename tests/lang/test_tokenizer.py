"""The rule-based tokenizer: English rules, whitespace, special cases, explain, cache,
serialization."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.helpers import REPO, SAMPLE_DATA
from treadle.config import registry
from treadle.errors import SerializationError, TokenizerError
from treadle.lang import Tokenizer, get_language_data, make_vocab
from treadle.lang.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
from treadle.tokens import Doc
from treadle.tokens.attrs import NORM, ORTH

SAMPLE = SAMPLE_DATA / "ewt-sample-dev.conllu"
EWT_DEV = REPO.parent / "shared/data/ud_en_ewt/en_ewt-ud-dev.conllu"


@pytest.fixture(scope="module")
def en_tokenizer() -> Tokenizer:
    data = get_language_data("en")
    return Tokenizer.from_language_data(data, make_vocab(data))


def fresh_en() -> Tokenizer:
    data = get_language_data("en")
    return Tokenizer.from_language_data(data, make_vocab(data))


def words(tokenizer: Tokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", ["do", "n't"]),
        ("didn't", ["did", "n't"]),
        ("can't", ["ca", "n't"]),
        ("won't", ["wo", "n't"]),
        ("Don't", ["Do", "n't"]),
        ("DON'T", ["DO", "N'T"]),
        ("don’t", ["do", "n’t"]),
        ("I'm", ["I", "'m"]),
        ("I’m", ["I", "’m"]),
        ("we'll", ["we", "'ll"]),
        ("they've", ["they", "'ve"]),
        ("you're", ["you", "'re"]),
        ("she'd", ["she", "'d"]),
        ("Frisco's", ["Frisco", "'s"]),
        ("Iran’s", ["Iran", "’s"]),
        ("cannot", ["can", "not"]),
        ("gonna", ["gon", "na"]),
        ("shouldn't've", ["should", "n't", "'ve"]),
    ],
)
def test_contractions(en_tokenizer: Tokenizer, text: str, expected: list[str]) -> None:
    assert words(en_tokenizer, text) == expected


def test_contraction_in_context(en_tokenizer: Tokenizer) -> None:
    assert words(en_tokenizer, '"Don\'t," he said.') == ['"', "Do", "n't", ",", '"', "he", "said", "."]
    assert words(en_tokenizer, "(I didn't.)") == ["(", "I", "did", "n't", ".", ")"]


def test_contraction_norms_come_from_the_vocab(en_tokenizer: Tokenizer) -> None:
    doc = en_tokenizer("I didn't, I’m sure")
    norms = {t.text: t.norm_ for t in doc}
    assert norms["n't"] == "not"
    assert norms["’m"] == "am"
    # special cases record their NORMs in the rules
    assert en_tokenizer.rules["can't"] == [{"ORTH": "ca", "NORM": "can"}, {"ORTH": "n't", "NORM": "not"}]


@pytest.mark.parametrize(
    "abbr", ["U.S.", "e.g.", "i.e.", "Mr.", "Dr.", "Inc.", "Jan.", "a.m.", "etc.", "J."]
)
def test_abbreviations_keep_their_period(en_tokenizer: Tokenizer, abbr: str) -> None:
    assert words(en_tokenizer, f"see {abbr} here") == ["see", abbr, "here"]


def test_sentence_final_period_splits(en_tokenizer: Tokenizer) -> None:
    assert words(en_tokenizer, "It rained.") == ["It", "rained", "."]
    assert words(en_tokenizer, "Mr. Smith works at Acme Inc.") == [
        "Mr.", "Smith", "works", "at", "Acme", "Inc.",
    ]


@pytest.mark.parametrize("emo", [":)", ":-(", "<3", ";)", ":D", "^_^", ":-)"])
def test_emoticons(en_tokenizer: Tokenizer, emo: str) -> None:
    assert words(en_tokenizer, f"nice {emo}") == ["nice", emo]


def test_emoticon_before_punctuation(en_tokenizer: Tokenizer) -> None:
    assert words(en_tokenizer, "great :-).") == ["great", ":-)", "."]


@pytest.mark.parametrize(
    "whole",
    [
        "http://www.example.com/path/page.html?x=1&y=2",
        "https://example.org",
        "www.adobe.com",
        "paulhastings.com",
        "kent.shoemaker@ae.ge.com",
        "3.14",
        "1,000",
        "10:30",
        "-5",
        "12/25/2005",
        "303-832-8160",
        "5,000.50",
    ],
)
def test_urls_emails_numbers_whole(en_tokenizer: Tokenizer, whole: str) -> None:
    assert words(en_tokenizer, f"see {whole}, ok") == ["see", whole, ",", "ok"]
    assert words(en_tokenizer, f"({whole}).") == ["(", whole, ")", "."]


def test_currency_percent_and_brackets(en_tokenizer: Tokenizer) -> None:
    assert words(en_tokenizer, "$5,000 and 100% (approx)") == [
        "$", "5,000", "and", "100", "%", "(", "approx", ")",
    ]
    assert words(en_tokenizer, "<spahnn@hnks.com>") == ["<", "spahnn@hnks.com", ">"]


def test_infixes(en_tokenizer: Tokenizer) -> None:
    assert words(en_tokenizer, "well-known") == ["well", "-", "known"]
    assert words(en_tokenizer, "and/or") == ["and", "/", "or"]
    assert words(en_tokenizer, "past...and") == ["past", "...", "and"]
    assert words(en_tokenizer, "Baltimore,MD") == ["Baltimore", ",", "MD"]
    # bound prefixes stay attached, as in UD English
    assert words(en_tokenizer, "e-mail non-profit") == ["e-mail", "non-profit"]


def test_whitespace_runs_become_tokens(en_tokenizer: Tokenizer) -> None:
    doc = en_tokenizer("a  b")
    assert [t.text for t in doc] == ["a", " ", "b"]
    assert [t.whitespace_ for t in doc] == [" ", "", ""]
    doc = en_tokenizer("one\ntwo \n three\t")
    assert [t.text for t in doc] == ["one", "\n", "two", "\n ", "three", "\t"]
    doc = en_tokenizer("  lead")
    assert [t.text for t in doc] == ["  ", "lead"]
    for text in ["a  b", "x \n\n y  ", " lead", "trail ", "", "   ", "\tt\t"]:
        assert en_tokenizer(text).text == text


def test_call_returns_doc(en_tokenizer: Tokenizer) -> None:
    doc = en_tokenizer("Hello, world!")
    assert isinstance(doc, Doc)
    assert doc.vocab is en_tokenizer.vocab
    assert [t.idx for t in doc] == [0, 5, 7, 12]


def test_pipe(en_tokenizer: Tokenizer) -> None:
    texts = ["One.", "Two, three.", ""]
    docs = list(en_tokenizer.pipe(iter(texts), batch_size=2))
    assert [d.text for d in docs] == texts
    assert [len(d) for d in docs] == [2, 4, 0]


def test_add_special_case() -> None:
    tok = fresh_en()
    assert words(tok, "gimme that") == ["gim", "me", "that"]
    assert words(tok, "lemmeknow.") == ["lemmeknow", "."]
    tok.add_special_case("lemmeknow", [{ORTH: "lem"}, {"ORTH": "me", "NORM": "me"}, {"orth": "know"}])
    # the cache is invalidated, and the rule applies after punctuation is split off
    assert words(tok, "lemmeknow.") == ["lem", "me", "know", "."]
    assert words(tok, "(lemmeknow)") == ["(", "lem", "me", "know", ")"]
    assert tok.rules["lemmeknow"][1] == {"ORTH": "me", "NORM": "me"}


def test_add_special_case_attr_ids_and_names() -> None:
    tok = fresh_en()
    tok.add_special_case("isnt", [{ORTH: "is"}, {ORTH: "nt", NORM: "not"}])
    assert tok.rules["isnt"] == [{"ORTH": "is"}, {"ORTH": "nt", "NORM": "not"}]


@pytest.mark.parametrize(
    "pieces",
    [
        [{"ORTH": "do"}, {"ORTH": "nt"}],  # does not join to "don't"
        [{"NORM": "do"}],  # no ORTH
        [{"ORTH": "do"}, {"ORTH": "n't", "TAG": "RB"}],  # only ORTH/NORM settable
        [{"ORTH": "do"}, {"ORTH": "n't", "NOPE": "x"}],  # unknown attribute
        ["do", "n't"],  # not dicts
    ],
)
def test_add_special_case_validates(pieces: list) -> None:
    tok = fresh_en()
    with pytest.raises(TokenizerError, match="don't"):
        tok.add_special_case("don't", pieces)


def test_special_case_with_whitespace_rejected() -> None:
    with pytest.raises(TokenizerError, match="whitespace"):
        fresh_en().add_special_case("a b", [{"ORTH": "a b"}])


def test_replacing_rules_clears_cache() -> None:
    tok = fresh_en()
    assert words(tok, "big-ish!") == ["big", "-", "ish", "!"]
    data = get_language_data("en")
    tok.token_match = None  # so "big-ish" is not kept by a whole-token rule
    tok.suffix_search = compile_suffix_regex([r"(?<=[a-z])-ish", *data.suffixes]).search
    tok.infix_finditer = compile_infix_regex([]).finditer
    assert words(tok, "big-ish!") == ["big", "-ish", "!"]
    tok.prefix_search = compile_prefix_regex([r"@@"]).search
    assert words(tok, "@@x") == ["@@", "x"]
    with pytest.raises(TokenizerError):
        tok.prefix_search = "not callable"  # type: ignore[assignment]


def test_rules_setter_replaces_all() -> None:
    tok = fresh_en()
    assert words(tok, "don't") == ["do", "n't"]
    tok.rules = {"xyz": [{"ORTH": "x"}, {"ORTH": "yz"}]}
    assert words(tok, "xyz") == ["x", "yz"]
    assert "don't" not in tok.rules
    # the suffix rule still splits the clitic without the special case
    assert words(tok, "don't") == ["do", "n't"]


def test_tokenizer_without_rules_splits_on_whitespace_only() -> None:
    tok = Tokenizer(make_vocab(get_language_data("en")))
    assert words(tok, "Hello, world!  x") == ["Hello,", "world!", " ", "x"]
    assert tok.explain("Hi, you") == [("TOKEN", "Hi,"), ("TOKEN", "you")]


EXPLAIN_TEXTS = [
    "I didn't go to the U.S. e.g. http://x.com. Don't!",
    '(Laughter.) "Hello," she said... $5,000 -5 10:30 3.14',
    "kent.shoemaker@ae.ge.com, <spahnn@hnks.com> :-). and/or well-known non-profit",
    "Reynolds\"<rreynol...@cogeco.ca> okay..won't gonna Frisco's Palestinians' I'm",
    "a  b\n\nc \t d   ",
    "***NOTICE*** ==---- A++ #1 #tag @user ~x ♥love♥ 100% (989)755-1109",
    "",
    "   ",
    "'Quoted' “curly” ‘single’ «guillemets» [brackets]{braces}",
]


@pytest.mark.parametrize("text", EXPLAIN_TEXTS)
def test_explain_agrees_with_tokenization(en_tokenizer: Tokenizer, text: str) -> None:
    explained = en_tokenizer.explain(text)
    assert [t for _, t in explained] == [t.text for t in en_tokenizer(text)]
    labels = {label for label, _ in explained}
    assert labels <= {"PREFIX", "SUFFIX", "INFIX", "TOKEN_MATCH", "URL_MATCH", "TOKEN", "SPACE", "EMOJI"} | {
        f"SPECIAL-{i}" for i in range(1, 5)
    }


def test_explain_labels(en_tokenizer: Tokenizer) -> None:
    assert en_tokenizer.explain("(don't) http://a.com/x well-known 3.14.") == [
        ("PREFIX", "("),
        ("SPECIAL-1", "do"),
        ("SPECIAL-2", "n't"),
        ("SUFFIX", ")"),
        ("URL_MATCH", "http://a.com/x"),
        ("TOKEN", "well"),
        ("INFIX", "-"),
        ("TOKEN", "known"),
        ("TOKEN_MATCH", "3.14"),
        ("SUFFIX", "."),
    ]


def test_cache_gives_same_result() -> None:
    tok = fresh_en()
    text = "The cat's (re-)entry, e.g. at 10:30!"
    first = [t.text for t in tok(text)]
    assert tok._cache["cat's"][0] == ("cat", "'s")
    assert [t.text for t in tok(text)] == first
    # a cached chunk at the end of a text gets no trailing space
    assert [t.whitespace_ for t in tok("cat's")] == ["", ""]


def test_cache_limit() -> None:
    tok = fresh_en()
    tok.max_cache = 10
    for i in range(50):
        tok(f"w{i}x")
    assert len(tok._cache) <= 10
    assert words(tok, "w3x w3x") == ["w3x", "w3x"]


def test_serialization_round_trip(tmp_path: Path) -> None:
    tok = fresh_en()
    tok.add_special_case("lemmeknow", [{"ORTH": "lem"}, {"ORTH": "me"}, {"ORTH": "know"}])
    data = tok.to_bytes()
    # a bare tokenizer loaded from the bytes behaves identically
    other = Tokenizer(tok.vocab).from_bytes(data)
    texts = EXPLAIN_TEXTS + ["lemmeknow!", "He can't, won't; I'd've."]
    for text in texts:
        assert [t.text for t in other(text)] == [t.text for t in tok(text)]
    assert other.rules == tok.rules
    path = tmp_path / "tokenizer"
    tok.to_disk(path)
    third = Tokenizer(tok.vocab).from_disk(path)
    for text in texts:
        assert third.explain(text) == tok.explain(text)
    assert data[:1] != b"\x80"  # msgpack, not a pickle


def test_serialization_exclude_and_none_rules() -> None:
    tok = fresh_en()
    tok.url_match = None
    other = fresh_en().from_bytes(tok.to_bytes())
    assert other.url_match is None
    kept = fresh_en().from_bytes(tok.to_bytes(exclude=["url_match"]))
    assert kept.url_match is not None
    excluded = fresh_en().from_bytes(fresh_en().to_bytes(), exclude=["rules"])
    assert "don't" in excluded.rules


def test_serialization_errors(tmp_path: Path) -> None:
    tok = fresh_en()
    data = tok.to_bytes()
    with pytest.raises(SerializationError):
        tok.from_bytes(data[: len(data) // 2])
    with pytest.raises(SerializationError):
        tok.from_bytes(b"\x93\x01\x02\x03")
    with pytest.raises(SerializationError, match="missing"):
        tok.from_disk(tmp_path / "missing")


def test_rules_from_constructor_and_callables() -> None:
    vocab = make_vocab(get_language_data("xx"))
    tok = Tokenizer(
        vocab,
        rules={"A.B.": [{"ORTH": "A."}, {"ORTH": "B."}]},
        prefix_search=re.compile(r"^[(]").search,
        suffix_search=re.compile(r"[).]$").search,
        infix_finditer=re.compile(r"-").finditer,
        token_match=re.compile(r"\d+-\d+$").match,
    )
    assert words(tok, "(A.B.) x-y 1-2.") == ["(", "A.", "B.", ")", "x", "-", "y", "1-2", "."]


def test_special_case_norms_reach_tokens():
    import treadle

    nlp = treadle.blank("en")
    nlp.tokenizer.add_special_case("gimme", [{"ORTH": "gim", "NORM": "give"}, {"ORTH": "me"}])
    for _ in range(2):  # second pass comes from the cache
        doc = nlp("gimme that, ok")
        assert [t.text for t in doc][:2] == ["gim", "me"]
        assert doc[0].norm_ == "give"
        assert doc[1].norm_ == "me"
    assert nlp("ca n't")[0].norm_ == nlp.vocab["ca"].norm_  # no special case: lexeme norm


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


@pytest.mark.parametrize(
    "text",
    ["", "Hello world!", "I don't wanna go  there\n\tnow ", " lead", "gonna gonna", "x" * 1500],
)
def test_tokenizer_doc_is_the_constructed_doc(text: str) -> None:
    # A Doc from the tokenizer builds its token array on first read; before that its
    # length and text come from the token lists, after it the array is what the
    # general constructor makes from the same words, spaces and special-case norms.
    import numpy as np

    tok = fresh_en()
    words_, spaces, norms = tok._tokenize_with_norms(text)
    doc = tok(text)
    assert "_pending" in doc.__dict__
    assert len(doc) == len(words_)
    assert doc.text == text
    assert "_pending" in doc.__dict__
    norm_list: list[str | None] = [None] * len(words_)
    for i, norm in norms:
        norm_list[i] = norm
    ref = Doc(tok.vocab, words=words_, spaces=spaces, norms=norm_list)
    assert np.array_equal(doc._arr, ref._arr)
    assert "_pending" not in doc.__dict__
    assert [t.norm_ for t in doc] == [t.norm_ for t in ref]
    assert doc.text == text and len(doc) == len(ref)


def test_replacing_the_vocab_clears_the_cache() -> None:
    tok = fresh_en()
    tok("cat's here")
    assert tok._cache
    data = get_language_data("en")
    tok.vocab = make_vocab(data)
    assert not tok._cache
    doc = tok("cat's here")
    assert doc.vocab is tok.vocab and [t.text for t in doc] == ["cat", "'s", "here"]
