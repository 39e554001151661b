"""The rule-based sentencizer."""

from __future__ import annotations

from pathlib import Path

import pytest

import treadle
from treadle.pipeline.sentencizer import DEFAULT_PUNCT_CHARS, Sentencizer, find_sentence_starts
from treadle.tokens import Doc, Vocab
from treadle.tokens.attrs import SENT_START


def make_doc(words: list[str], sent_starts: list[bool | None] | None = None) -> Doc:
    return Doc(Vocab(), words=words, sent_starts=sent_starts)


def starts(doc: Doc) -> list[int]:
    return [int(x) for x in doc.to_array(SENT_START)]


def test_splits_after_final_marks_and_trailing_quotes() -> None:
    words = ["Hi", ".", "He", "said", "“", "Stop", "!", "”", ")", "Then", "what", "?!"]
    doc = Sentencizer()(make_doc(words))
    assert starts(doc) == [1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1]
    assert [s.text for s in doc.sents] == ["Hi .", "He said “ Stop ! ” )", "Then what ?!"]


def test_no_final_mark_is_one_sentence() -> None:
    doc = Sentencizer()(make_doc(["no", "marks", "here"]))
    assert starts(doc) == [1, -1, -1]
    assert len(list(doc.sents)) == 1


def test_empty_doc() -> None:
    doc = Sentencizer()(make_doc([]))
    assert len(doc) == 0


def test_multilingual_defaults() -> None:
    for mark in ("。", "।", "؟", "።", "？"):
        assert mark in DEFAULT_PUNCT_CHARS
    doc = Sentencizer()(make_doc(["我", "来", "了", "。", "你", "呢", "？"]))
    assert starts(doc) == [1, -1, -1, -1, 1, -1, -1]
    # Abbreviations kept whole by the tokenizer do not end a sentence.
    assert find_sentence_starts(["e.g.", "this"], frozenset(".")) == [True, False]


def test_custom_punct_chars() -> None:
    sentencizer = Sentencizer(punct_chars=["|"])
    doc = sentencizer(make_doc(["a", ".", "b", "|", "c"]))
    assert starts(doc) == [1, -1, -1, -1, 1]
    with pytest.raises(ValueError, match="single characters"):
        Sentencizer(punct_chars=["||"])


def test_overwrite() -> None:
    preset = [True, True, False, None, False]  # set earlier (e.g. by hand); None = unknown
    doc = Sentencizer()(make_doc(["a", "b", ".", "c", "d"], sent_starts=preset))
    assert starts(doc) == [1, 1, -1, 1, -1]  # set ones kept; the unknown one filled
    doc = Sentencizer(overwrite=True)(make_doc(["a", "b", ".", "c", "d"], sent_starts=preset))
    assert starts(doc) == [1, -1, -1, 1, -1]


def test_in_pipeline_with_pipe_and_blank() -> None:
    nlp = treadle.blank("en")
    nlp.add_pipe("sentencizer")
    texts = ["One. Two!", "Three? Four"]
    docs = list(nlp.pipe(texts, batch_size=1))
    assert [[s.text for s in d.sents] for d in docs] == [["One.", "Two!"], ["Three?", "Four"]]
    assert [s.text for s in nlp("Hello there. How are you?").sents] == [
        "Hello there.",
        "How are you?",
    ]


def test_settings_round_trip(tmp_path: Path) -> None:
    sentencizer = Sentencizer(punct_chars=["#", "|"], overwrite=True)
    sentencizer.to_disk(tmp_path / "s")
    other = Sentencizer().from_disk(tmp_path / "s")
    assert other.punct_chars == ("#", "|") and other.overwrite is True
    third = Sentencizer().from_bytes(sentencizer.to_bytes())
    assert third.punct_chars == ("#", "|") and third.overwrite is True


def test_factory_config() -> None:
    nlp = treadle.blank("xx")
    sentencizer = nlp.add_pipe("sentencizer", config={"punct_chars": ["!"]})
    assert sentencizer.punct_chars == ("!",)
    assert nlp.config["components"]["sentencizer"]["punct_chars"] == ["!"]
    assert treadle.Language.get_factory_meta("sentencizer").default_score_weights["sents_f"] == 1.0
