"""The tokenizer on hostile and broken input (issue 14): linear work on runs of
punctuation, tampered tokenizer files, lone surrogates and other odd text.

Linear time is checked on a work counter (``Tokenizer.work``: characters handed to the
regex engine), never on the clock. The property tests run a small fixed budget;
``TREADLE_FUZZ_EXAMPLES=N`` (or the ``slow`` test, which uses 5,000) runs more.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import treadle
from treadle.errors import DataError, SerializationError
from treadle.lang import Tokenizer, get_language_data, make_vocab
from treadle.lang.tokenizer import _EMBEDDED, _embedded
from treadle.tokens import Doc

FUZZ_EXAMPLES = int(os.environ.get("TREADLE_FUZZ_EXAMPLES", "150"))


def fresh_en() -> Tokenizer:
    data = get_language_data("en")
    return Tokenizer.from_language_data(data, make_vocab(data))


def work_for(text: str) -> int:
    tok = fresh_en()
    doc = tok(text)
    assert doc.text == text
    return tok.work


RUNS = {
    "open brackets": "(",
    "close brackets": ")",
    "double quotes": '"',
    "word then brackets": "a(",
    "clitics": "'s",
    "emoticons": ":)",
    "mixed quotes": "“”'\"",
    "dots and bangs": "!.",
    "emoji": "🍕",
    "words and emoji": "ab?🍕",
    "skin-toned emoji": "👍🏽",
    "joined emoji": "👨\u200d",
    "emoji and brackets": "(❤️",
}


@pytest.mark.parametrize("unit", list(RUNS.values()), ids=list(RUNS))
def test_work_grows_linearly_on_affix_runs(unit: str) -> None:
    # 1,000 vs 2,000 and 4,000 repetitions: the old tokenizer scanned n²/2 characters
    # here (doubling the input quadrupled the work).
    w1, w2, w4 = (work_for(unit * n) for n in (1000, 2000, 4000))
    assert w2 <= 2.3 * w1
    assert w4 <= 2.3 * w2
    assert w4 <= 200 * len(unit * 4000)


def test_work_is_small_on_ordinary_text() -> None:
    text = '"Don\'t," he said (quietly)... e.g. at 10:30, http://x.com/a?b=c!'
    assert work_for(text) <= 10 * len(text)


def test_embedded_addresses_match_finditer() -> None:
    texts = [
        "a" * 3000 + "@",
        "x@ab'y@cd",
        "a@bc@de@fg",
        "Name\"<someone@example.com>,http://a.b/c)",
        "...%a@b.com..",
        "<<a.b@c.de>>@@x@y.z" * 20,
        "http://http://" + "a" * 50 + "@",
    ]
    for text in texts:
        assert [m.span() for m in _embedded(text)] == [
            m.span() for m in _EMBEDDED.finditer(text)
        ]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_reconstructs(text: str) -> None:
    doc = fresh_en()(text)
    assert "".join(t.text_with_ws for t in doc) == text


_PUNCT_HEAVY = st.text(
    alphabet=st.sampled_from(list("()[]{}\"'“”‘’.,;:!?*-–—=+<>/\\|@#$%&~^_`…") + ["a", "1", " "]),
    max_size=400,
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(_PUNCT_HEAVY)
def test_punctuation_runs_reconstruct(text: str) -> None:
    tok = fresh_en()
    doc = tok(text)
    assert "".join(t.text_with_ws for t in doc) == text
    assert [t for _, t in tok.explain(text)] == [t.text for t in doc]


@pytest.mark.slow
@settings(max_examples=5000, deadline=None)
@given(st.one_of(st.text(max_size=400), _PUNCT_HEAVY))
def test_fuzz_long_budget(text: str) -> None:
    try:
        doc = fresh_en()(text)
    except DataError:
        assert re.search("[\ud800-\udfff]", text)
        return
    assert doc.text == text


@pytest.mark.slow
def test_megabyte_run() -> None:
    text = "(" * 1_000_000
    assert work_for(text) <= 200 * len(text)


# -- odd text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a\x00b \x00",
        "e\u0301\u0301\u0301 n\u0303",
        "\u200fשלום\u200e world \u202eabc\u202c",
        "👨\u200d👩\u200d👧\u200d👦 family 🏳️\u200d🌈",
        "x" * 100_000,
        "\ufeffstart\u2028line\x85next\x1c",
        "((" * 5000 + "don't" + "))" * 5000,
    ],
    ids=["nul", "combining", "rtl", "zwj", "long word", "odd spaces", "nested"],
)
def test_odd_text_reconstructs(text: str) -> None:
    doc = fresh_en()(text)
    assert doc.text == text


def test_lone_surrogate_is_a_clear_error() -> None:
    nlp = treadle.blank("en")
    with pytest.raises(DataError, match=r"U\+D800 at character 3"):
        nlp("ok \ud800 there")
    with pytest.raises(DataError, match="lone surrogate"):
        Doc(nlp.vocab, words=["fine", "\udc80"])
    # a valid astral character (a surrogate pair in UTF-16) is fine
    assert nlp("ok \U0001F600").text == "ok \U0001F600"


# -- tampered tokenizer files ------------------------------------------------------


def _tampered(tmp_path: Path, name: str, spec: object) -> Path:
    tok = fresh_en()
    msg = msgpack.unpackb(tok.to_bytes(), raw=False)
    msg[name] = spec
    path = tmp_path / "tokenizer"
    path.write_bytes(msgpack.packb(msg, use_bin_type=True))
    return path


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("token_match", {"pattern": "^(a+)+$", "flags": 32, "method": "match"}, r"\(a\+\)\+"),
        ("prefix_search", {"pattern": "(a*)*", "flags": 32, "method": "search"}, "match nothing"),
        ("suffix_search", {"pattern": r"(\w)\1$", "flags": 32, "method": "search"}, "back-ref"),
        ("url_match", {"pattern": "x", "flags": 32, "method": "__class__"}, "__class__"),
        ("infix_finditer", {"pattern": "x", "flags": 32, "method": "sub"}, "'sub'"),
        ("token_match", {"pattern": "x", "flags": re.DEBUG, "method": "match"}, "flags"),
        ("token_match", {"pattern": 5, "method": "match"}, "pattern"),
        ("token_match", ["x", 0, "match"], "mapping"),
        ("token_match", {"pattern": "(", "method": "match"}, "invalid regex"),
    ],
)
def test_tampered_rule_is_refused(
    tmp_path: Path, name: str, spec: object, message: str
) -> None:
    path = _tampered(tmp_path, name, spec)
    with pytest.raises(SerializationError, match=message) as info:
        fresh_en().from_disk(path)
    assert str(path) in str(info.value) and name in str(info.value)


def test_tampered_special_cases_are_refused(tmp_path: Path) -> None:
    path = _tampered(tmp_path, "rules", {"x": 5})
    with pytest.raises(SerializationError, match="pieces"):
        fresh_en().from_disk(path)


def test_tampered_pipeline_fails_to_load(tmp_path: Path) -> None:
    nlp = treadle.blank("en")
    nlp.to_disk(tmp_path / "p")
    tok_file = tmp_path / "p" / "tokenizer"
    msg = msgpack.unpackb(tok_file.read_bytes(), raw=False)
    msg["token_match"] = {"pattern": "^(a+)+$", "flags": 32, "method": "match"}
    tok_file.write_bytes(msgpack.packb(msg, use_bin_type=True))
    with pytest.raises(SerializationError, match="tokenizer"):
        treadle.load(tmp_path / "p")
    # the untouched pipeline still loads and its saved rules pass the check
    nlp.to_disk(tmp_path / "q")
    text = "(a+)+ don't"
    assert [t.text for t in treadle.load(tmp_path / "q")(text)] == [t.text for t in nlp(text)]
