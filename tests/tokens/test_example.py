"""Example: from_dict, alignment of gold annotations onto the predicted tokens, copies."""


import pytest

from tests.tokens.helpers import HEADS, LABELS, make
from treadle.errors import AlignmentError, AlignmentWarning, DataError
from treadle.tokens import Doc
from treadle.tokens.nonproj import deprojectivize, is_nonproj_tree
from treadle.training import Example


def test_basic_properties(vocab):
    doc = make(vocab, ["I", "like", "stuff"])
    ex = Example.from_dict(doc, {"tags": ["PRP", "VBP", "NN"]})
    assert ex.x is ex.predicted is doc
    assert ex.y is ex.reference and ex.y is not doc
    assert ex.text == doc.text == "I like stuff "
    assert [t.tag_ for t in ex.reference] == ["PRP", "VBP", "NN"]
    assert [t.tag_ for t in ex.predicted] == ["", "", ""]
    assert ex.alignment.is_identity
    assert len(ex) == 3


def test_from_dict_each_token_key(vocab):
    doc = make(vocab, ["She", "ate", "apples", "."], [True, True, False, False])
    ex = Example.from_dict(
        doc,
        {
            "tags": ["PRP", "VBD", "NNS", "."],
            "pos": ["PRON", "VERB", "NOUN", "PUNCT"],
            "morphs": ["Case=Nom", "Tense=Past", "Number=Plur", ""],
            "lemmas": ["she", "eat", "apple", "."],
            "heads": [1, 1, 1, 1],
            "deps": ["nsubj", "root", "obj", "punct"],
            "sent_starts": [1, 0, 0, 0],
            "cats": {"FOOD": 1.0, "SPORT": 0.0},
        },
    )
    y = ex.reference
    assert [t.pos_ for t in y] == ["PRON", "VERB", "NOUN", "PUNCT"]
    assert str(y[2].morph) == "Number=Plur"
    assert [t.lemma_ for t in y] == ["she", "eat", "apple", "."]
    assert [t.head.i for t in y] == [1, 1, 1, 1]
    assert [t.dep_ for t in y] == ["nsubj", "root", "obj", "punct"]
    assert y[0].is_sent_start and not y[1].is_sent_start
    assert y.cats == {"FOOD": 1.0, "SPORT": 0.0}
    d = ex.to_dict()
    assert d["words"] == ["She", "ate", "apples", "."]
    assert d["spaces"] == [True, True, False, False]
    assert d["heads"] == [1, 1, 1, 1] and d["deps"][1] == "root"
    assert d["tags"][2] == "NNS" and d["pos"][0] == "PRON" and d["lemmas"][1] == "eat"
    assert d["cats"] == {"FOOD": 1.0, "SPORT": 0.0}
    again = Example.from_dict(make(vocab, d["words"], d["spaces"]), d)
    assert again.to_dict() == d


def test_from_dict_entities_offsets_and_tags(vocab):
    words = ["Facebook", "released", "React", "in", "2014"]
    doc = make(vocab, words)
    ex = Example.from_dict(doc, {"entities": [(0, 8, "ORG"), (18, 23, "TECH")]})
    assert [(e.text, e.label_) for e in ex.reference.ents] == [("Facebook", "ORG"), ("React", "TECH")]
    ex = Example.from_dict(doc, {"entities": ["U-ORG", "O", "U-TECH", "O", "U-DATE"]})
    assert [e.label_ for e in ex.reference.ents] == ["ORG", "TECH", "DATE"]
    ex = Example.from_dict(doc, {"entities": ["B-ORG", "O", "I-TECH", "O", "-"]})  # IOB1/IOB2
    assert [e.text for e in ex.reference.ents] == ["Facebook", "React"]
    assert ex.get_aligned_ner() == ["U-ORG", "O", "U-TECH", "O", "-"]
    assert ex.to_dict()["entities"] == ["U-ORG", "O", "U-TECH", "O", "-"]


def test_from_dict_spans(vocab):
    doc = make(vocab, ["New", "York", "is", "big"])
    ex = Example.from_dict(doc, {"spans": {"sc": [(0, 8, "PLACE"), (12, 15, "SIZE")]}})
    assert [(s.text, s.label_) for s in ex.reference.spans["sc"]] == [("New York", "PLACE"), ("big", "SIZE")]
    with pytest.raises(DataError, match="token boundaries"):
        Example.from_dict(doc, {"spans": {"sc": [(0, 5, "X")]}})


def test_from_dict_unknown_key_lists_known(vocab):
    with pytest.raises(DataError) as err:
        Example.from_dict(make(vocab, ["a"]), {"tag": ["X"]})
    assert "'tag'" in str(err.value) and "tags" in str(err.value) and "entities" in str(err.value)


def test_from_dict_length_mismatch(vocab):
    with pytest.raises(DataError, match="'tags' has 1 values for 2 words"):
        Example.from_dict(make(vocab, ["a", "b"]), {"tags": ["X"]})


def test_from_dict_other_words_and_alignment(vocab):
    doc = make(vocab, ["I", "didn't", "go"])
    ex = Example.from_dict(
        doc,
        {
            "words": ["I", "did", "n't", "go"],
            "spaces": [True, False, True, False],
            "tags": ["PRP", "VBD", "RB", "VB"],
            "heads": [3, 3, 3, 3],
            "deps": ["nsubj", "aux", "neg", "root"],
        },
    )
    assert ex.alignment.x2y.tolist() == [[0], [1, 2], [3]]
    assert ex.alignment.y2x.tolist() == [[0], [1], [1], [2]]
    assert ex.get_aligned("TAG", as_string=True) == ["PRP", None, "VB"]
    heads, deps = ex.get_aligned_parse()
    # "didn't" covers "did" + "n't", both attached to "go": no single source, unknown
    assert heads == [2, None, 2] and deps == ["nsubj", None, "root"]


def test_mismatched_text_raises(vocab):
    ex = Example(make(vocab, ["a", "b"]), make(vocab, ["a", "c"]))
    with pytest.raises(AlignmentError, match="differ"):
        _ = ex.alignment


def test_get_aligned_split_gold_token(vocab):
    # predicted splits "New York" (one gold token) into two
    x = make(vocab, ["I", "love", "New", "York"])
    y = Doc(vocab, words=["I", "love", "New York"], tags=["PRP", "VBP", "NNP"],
            heads=[1, 1, 1], deps=["nsubj", "root", "obj"])  # fmt: skip
    ex = Example(x, y)
    assert ex.get_aligned("TAG", as_string=True) == ["PRP", "VBP", None, None]
    tag_hashes = ex.get_aligned("TAG")
    assert tag_hashes[0] == vocab.strings["PRP"]
    heads, deps = ex.get_aligned_parse()
    assert heads == [1, 1, 3, 1]
    assert deps == ["nsubj", "root", "subtok", "obj"]
    assert ex.get_aligned("HEAD") == heads
    assert ex.get_aligned_sent_starts() == [1, -1, -1, -1]


def test_get_aligned_merged_gold_tokens(vocab):
    # predicted merges "did" + "n't"; "n't" attaches to "did", so "did" is the head part
    x = make(vocab, ["I", "didn't", "go"])
    y = Doc(vocab, words=["I", "did", "n't", "go"], spaces=[True, False, True, False],
            heads=[3, 3, 1, 3], deps=["nsubj", "aux", "neg", "root"])  # fmt: skip
    heads, deps = Example(x, y).get_aligned_parse()
    assert heads == [2, 2, 2] and deps == ["nsubj", "aux", "root"]


def test_get_aligned_ner_misaligned_entity(vocab):
    x = make(vocab, ["Visit", "NewYork", "City", "now"])
    y = Doc(vocab, words=["Visit", "New", "York", "City", "now"],
            spaces=[True, False, True, True, False],
            ents=["O", "U-LOC", "B-LOC", "L-LOC", "O"])  # fmt: skip
    ex = Example(x, y)
    # "NewYork" straddles two gold entities: neither can be expressed
    assert ex.get_aligned_ner() == ["O", "-", "-", "O"]
    y2 = Doc(vocab, words=["Visit", "New", "York", "City", "now"],
             spaces=[True, False, True, True, False], ents=["O", "B-LOC", "I-LOC", "L-LOC", "O"])  # fmt: skip
    ents, tags = Example(x, y2).get_aligned_ents_and_ner()
    assert tags == ["O", "B-LOC", "L-LOC", "O"]
    assert [(e.text, e.label_) for e in ents] == [("NewYork City", "LOC")]


def test_aligned_spans_both_ways(vocab):
    x = make(vocab, ["a", "bc", "d"])
    y = make(vocab, ["ab", "c", "d"])
    ex = Example(x, y)
    from treadle.tokens import Span

    got = ex.get_aligned_spans_y2x([Span(y, 0, 2, label="A"), Span(y, 2, 3, label="B")])
    assert [(s.start, s.end, s.label_) for s in got] == [(0, 2, "A"), (2, 3, "B")]
    assert ex.get_aligned_spans_y2x([Span(y, 0, 1, label="A")]) == []
    got = ex.get_aligned_spans_x2y([Span(x, 2, 3, label="C")])
    assert [(s.start, s.end) for s in got] == [(2, 3)]


def test_alignment_with_whitespace_differences(vocab):
    x = Doc(vocab, words=["Hello", "\n", "world"], spaces=[False, False, False])
    y = Doc(vocab, words=["Hello", "world"], tags=["UH", "NN"])
    ex = Example(x, y)
    assert ex.alignment.x2y.tolist() == [[0], [], [1]]
    assert ex.get_aligned("TAG", as_string=True) == ["UH", None, "NN"]


def test_copy_is_independent(vocab):
    ex = Example.from_dict(make(vocab, ["a", "b"]), {"tags": ["X", "Y"]})
    ex2 = ex.copy()
    ex2.reference.cats["Z"] = 1.0
    assert "Z" not in ex.reference.cats
    assert ex2.get_aligned("TAG", as_string=True) == ["X", "Y"]


def test_example_from_dict_misaligned_entity_marks_missing(vocab):
    doc = make(vocab, ["I", "like", "London", "."], [True, True, False, False])
    with pytest.warns(AlignmentWarning):
        ex = Example.from_dict(doc, {"entities": [(7, 10, "LOC")]})
    assert ex.get_aligned_ner() == ["O", "O", "-", "O"]
    assert ex.reference.ents == ()


def test_example_aligned_parse_projectivized():
    from treadle.tokens import Doc, Vocab
    from treadle.training import Example

    words = ["A", "hearing", "is", "scheduled", "on", "the", "issue", "today", "."]
    vocab = Vocab()
    reference = Doc(vocab, words=words, heads=HEADS, deps=LABELS)
    example = Example(Doc(vocab, words=words), reference)
    heads, deps = example.get_aligned_parse(projectivize=False)
    assert (heads, deps) == (HEADS, LABELS)
    heads, deps = example.get_aligned_parse(projectivize=True)
    assert heads[6] == 3 and deps[6] == "nmod||nsubj:pass"
    assert not is_nonproj_tree(heads)
    assert deprojectivize(heads, deps) == (HEADS, LABELS)
