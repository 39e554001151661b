"""Corpus readers: docbin files and folders, tokenization, gold_preproc, max_length,
limit, augmenter, JSONL text, errors naming the path."""

from __future__ import annotations

import json

import pytest

from treadle.config import registry
from treadle.errors import DataError
from treadle.tokens import Doc, DocBin
from treadle.training.corpus import Corpus, JsonlCorpus


def save(path, docs):
    db = DocBin()
    for doc in docs:
        db.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return path


def doc(nlp, words, *, spaces=None, sent_starts=None, tags=None):
    return Doc(nlp.vocab, words=words, spaces=spaces, sent_starts=sent_starts, tags=tags)


def test_reads_a_file_retokenizing_the_text(tmp_path, nlp):
    # the gold tokens split "can't" oddly; the predicted Doc comes from the tokenizer
    ref = doc(nlp, ["I", "ca", "n't", "go", "."], spaces=[True, False, True, False, False],
              tags=["PRP", "MD", "RB", "VB", "."])  # fmt: skip
    path = save(tmp_path / "a.docbin", [ref])
    (eg,) = list(Corpus(path)(nlp))
    assert eg.reference.text == "I can't go." == eg.predicted.text
    assert list(eg.predicted.words) == [t.text for t in nlp.make_doc("I can't go.")]
    assert [t.tag_ for t in eg.reference] == ["PRP", "MD", "RB", "VB", "."]
    assert not eg.predicted.has_annotation("TAG")


def test_gold_preproc_keeps_reference_words_and_splits_sentences(tmp_path, nlp):
    ref = doc(nlp, ["Hello", "there", ".", "Bye", "now", "."],
              sent_starts=[1, 0, 0, 1, 0, 0])  # fmt: skip
    path = save(tmp_path / "a.docbin", [ref])
    egs = list(Corpus(path, gold_preproc=True)(nlp))
    assert [list(eg.predicted.words) for eg in egs] == [["Hello", "there", "."], ["Bye", "now", "."]]


def test_folder_is_read_recursively_in_sorted_order(tmp_path, nlp):
    save(tmp_path / "b" / "2.docbin", [doc(nlp, ["two"])])
    save(tmp_path / "a.docbin", [doc(nlp, ["one"])])
    save(tmp_path / "b" / "c" / "3.docbin", [doc(nlp, ["three"])])
    (tmp_path / "notes.txt").write_text("ignored")
    texts = [eg.text.strip() for eg in Corpus(tmp_path)(nlp)]
    assert texts == ["one", "two", "three"]


def test_limit_and_max_length(tmp_path, nlp):
    long_doc = doc(nlp, ["a", "b", "c", ".", "d", "e", "."], sent_starts=[1, 0, 0, 0, 1, 0, 0])
    unsplittable = doc(nlp, ["x"] * 6)
    short = doc(nlp, ["ok"])
    path = save(tmp_path / "a.docbin", [long_doc, unsplittable, short])
    texts = [eg.reference.text.strip() for eg in Corpus(path, max_length=5)(nlp)]
    # the long Doc is cut into its sentences, the one without sentences is skipped
    assert texts == ["a b c .", "d e .", "ok"]
    assert len(list(Corpus(path, limit=2)(nlp))) == 2


def test_augmenter_yields_variants(tmp_path, nlp):
    path = save(tmp_path / "a.docbin", [doc(nlp, ["hi"]), doc(nlp, ["yo"])])

    def twice(nlp, example):
        yield example
        yield example.copy()

    assert len(list(Corpus(path, augmenter=twice)(nlp))) == 4


def test_registered_readers_resolve(tmp_path, nlp):
    path = save(tmp_path / "a.docbin", [doc(nlp, ["hi"])])
    resolved = registry.resolve(
        {"c": {"@readers": "treadle.Corpus.v1", "path": str(path), "limit": 1}}
    )
    assert [eg.text.strip() for eg in resolved["c"](nlp)] == ["hi"]


def test_jsonl_corpus(tmp_path, nlp):
    path = tmp_path / "texts.jsonl"
    lines = [{"text": "One two three."}, {"text": "Hi"}, {"text": "Four five six seven."}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    egs = list(JsonlCorpus(path, min_length=2)(nlp))
    assert [eg.text for eg in egs] == ["One two three.", "Four five six seven."]
    assert list(egs[0].predicted.words) == list(egs[0].reference.words)
    assert len(list(JsonlCorpus(path, max_length=4)(nlp))) == 2
    assert len(list(JsonlCorpus(path, limit=1)(nlp))) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"txt": 1}\n')
    with pytest.raises(DataError, match="bad.jsonl, line 2"):
        list(JsonlCorpus(bad)(nlp))


def test_jsonl_corpus_registered_with_its_settings(tmp_path, nlp):
    path = tmp_path / "texts.jsonl"
    texts = ["a b c", "a b c d e f g", "a", "d e f"]
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf8")
    block = {"@readers": "treadle.JsonlCorpus.v1", "path": str(path), "min_length": 2, "max_length": 5}
    reader = registry.resolve({"c": block})["c"]
    assert [eg.text for eg in reader(nlp)] == ["a b c", "d e f"]
    limited = registry.resolve({"c": {**block, "limit": 1}})["c"]
    assert [eg.text for eg in limited(nlp)] == ["a b c"]
