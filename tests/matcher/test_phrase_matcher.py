"""PhraseMatcher: attributes, many phrases, overlaps, remove, callbacks, spans, errors."""

from __future__ import annotations

import random

import pytest

from treadle.errors import MatchPatternError, TreadleWarning
from treadle.matcher import PhraseMatcher
from treadle.tokens import Doc, Span, Vocab


def make(vocab: Vocab, text: str, **kwargs) -> Doc:
    return Doc(vocab, text.split(), **kwargs)


def found(matcher: PhraseMatcher, doc: Doc) -> list[tuple[str, int, int]]:
    return [(doc.vocab.strings[m], s, e) for m, s, e in matcher(doc)]


def test_orth_is_case_sensitive_lower_is_not(vocab):
    doc = make(vocab, "I like New York and new york")
    orth = PhraseMatcher(vocab)
    orth.add("GPE", [make(vocab, "New York")])
    assert found(orth, doc) == [("GPE", 2, 4)]
    lower = PhraseMatcher(vocab, attr="LOWER")
    lower.add("GPE", [make(vocab, "NEW YORK")])
    assert found(lower, doc) == [("GPE", 2, 4), ("GPE", 5, 7)]
    assert lower(doc)[0][0] == vocab.strings["GPE"]


def test_overlapping_and_nested_phrases_all_returned(vocab):
    pm = PhraseMatcher(vocab, attr="lower")
    pm.add("A", [make(vocab, "new york"), make(vocab, "new york city"), make(vocab, "york")])
    pm.add("B", [make(vocab, "york city")])
    doc = make(vocab, "New York City")
    assert found(pm, doc) == [("A", 0, 2), ("A", 0, 3), ("A", 1, 2), ("B", 1, 3)]


def test_same_phrase_under_two_keys_and_duplicates(vocab):
    pm = PhraseMatcher(vocab)
    pm.add("A", [make(vocab, "x y"), make(vocab, "x y")])
    pm.add("B", [make(vocab, "x y")])
    assert found(pm, make(vocab, "x y")) == [("A", 0, 2), ("B", 0, 2)]


def test_shape_and_tag_and_lemma_attrs(vocab):
    shape = PhraseMatcher(vocab, attr="SHAPE")
    shape.add("NUM", [make(vocab, "1234 - 56")])
    assert found(shape, make(vocab, "call 9876 - 54 now")) == [("NUM", 1, 4)]
    tag = PhraseMatcher(vocab, attr="TAG")
    tag.add("DN", [make(vocab, "the dog", tags=["DT", "NN"])])
    doc = make(vocab, "a cat sat", tags=["DT", "NN", "VBD"])
    assert found(tag, doc) == [("DN", 0, 2)]
    lemma = PhraseMatcher(vocab, attr="LEMMA")
    lemma.add("BE", [make(vocab, "be", lemmas=["be"])])
    assert found(lemma, make(vocab, "was is", lemmas=["be", "be"])) == [("BE", 0, 1), ("BE", 1, 2)]


def test_annotation_attr_needs_annotated_phrase_docs(vocab):
    pm = PhraseMatcher(vocab, attr="POS")
    with pytest.raises(MatchPatternError, match=r"key 'K' \(pattern 1.*no POS annotation"):
        pm.add("K", [make(vocab, "a", pos=["DET"]), make(vocab, "b")])
    assert "K" not in pm
    lax = PhraseMatcher(vocab, attr="POS", validate=False)
    lax.add("K", [make(vocab, "b")])
    assert "K" in lax


def test_many_phrases_against_brute_force(vocab):
    rng = random.Random(3)
    words = [f"w{i}" for i in range(60)]
    phrases: dict[str, set[tuple[str, ...]]] = {}
    pm = PhraseMatcher(vocab, attr="LOWER")
    for k in range(20):
        key = f"K{k}"
        batch = {tuple(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(250)}
        phrases[key] = batch
        pm.add(key, [Doc(vocab, [w.upper() if rng.random() < 0.5 else w for w in p]) for p in batch])
    assert len(pm) == 20
    for _ in range(20):
        text = [rng.choice(words) for _ in range(50)]
        doc = Doc(vocab, text)
        expected = sorted(
            (s, e, k)
            for k, batch in phrases.items()
            for s in range(len(text))
            for e in range(s + 1, min(s + 4, len(text)) + 1)
            if tuple(text[s:e]) in batch
        )
        got = sorted((s, e, k) for k, s, e in found(pm, doc))
        assert got == expected
    assert got  # the test data does produce matches


def test_remove_and_add_after_matching(vocab):
    pm = PhraseMatcher(vocab)
    pm.add("A", [make(vocab, "a b")])
    pm.add("B", [make(vocab, "b")])
    doc = make(vocab, "a b c")
    assert found(pm, doc) == [("A", 0, 2), ("B", 1, 2)]
    pm.remove("A")
    assert "A" not in pm and len(pm) == 1
    assert found(pm, doc) == [("B", 1, 2)]
    pm.add("C", [make(vocab, "c")])  # added to the built trie
    pm.add("B", [make(vocab, "a")])  # extends a key
    assert found(pm, doc) == [("B", 0, 1), ("B", 1, 2), ("C", 2, 3)]
    with pytest.raises(KeyError):
        pm.remove("A")
    on_match, docs = pm.get("B")
    assert on_match is None and [d.text.strip() for d in docs] == ["b", "a"]


def test_callbacks_spans_and_span_input(vocab):
    seen = []

    def on_match(matcher, doc, i, matches):
        seen.append(matches[i][1:])

    pm = PhraseMatcher(vocab)
    pm.add("X", [make(vocab, "x y")], on_match=on_match)
    doc = make(vocab, "x y z x y")
    result = pm(doc, as_spans=True)
    assert seen == [(0, 2), (3, 5)]
    assert all(isinstance(s, Span) and s.label_ == "X" for s in result)
    assert [s.text for s in result] == ["x y", "x y"]
    # a Span input: matches inside it only, offsets index the Doc
    assert [(s, e) for _, s, e in pm(doc[1:5])] == [(3, 5)]


def test_empty_phrase_warns_and_is_skipped(vocab):
    pm = PhraseMatcher(vocab)
    with pytest.warns(TreadleWarning, match="empty phrase"):
        pm.add("E", [Doc(vocab, []), make(vocab, "a")])
    assert found(pm, make(vocab, "a")) == [("E", 0, 1)]


def test_invalid_inputs(vocab):
    pm = PhraseMatcher(vocab)
    with pytest.raises(MatchPatternError, match="wrap a single Doc"):
        pm.add("K", make(vocab, "a"))
    with pytest.raises(MatchPatternError, match=r"key 'K' \(pattern 0\).*got str"):
        pm.add("K", ["a b"])
    with pytest.raises(MatchPatternError, match="LOWR"):
        PhraseMatcher(vocab, attr="LOWR")
    assert pm(make(vocab, "a")) == []


def test_new_words_and_lexeme_overrides_after_first_call(vocab):
    pm = PhraseMatcher(vocab, attr="LOWER")
    pm.add("P", [make(vocab, "big apple")])
    assert found(pm, make(vocab, "the big apple")) == [("P", 1, 3)]
    vocab["Large"].lower_ = "big"  # a lexeme attribute changed after matching
    assert found(pm, make(vocab, "Large apple")) == [("P", 0, 2)]
    norm = PhraseMatcher(vocab, attr="NORM")
    norm.add("G", [make(vocab, "going to")])
    doc = Doc(vocab, ["gon", "na"], norms=["going", "to"])
    assert found(norm, doc) == [("G", 0, 2)]
