"""Doc construction, validation, arrays, entities, sentences, JSON, bytes, copies."""


import numpy as np
import pytest

from tests.tokens.helpers import make_doc, make_parsed
from treadle.errors import AnnotationError, DataError
from treadle.tokens import Doc, Span, Vocab, hash_string
from treadle.tokens import attrs as A


def test_text_spaces_and_offsets(vocab):
    doc = Doc(vocab, ["Hello", ",", "world", "!"], spaces=[False, True, False, False])
    assert doc.text == "Hello, world!"
    assert [t.idx for t in doc] == [0, 5, 7, 12]
    assert [t.whitespace_ for t in doc] == ["", " ", "", ""]
    assert doc[1].text_with_ws == ", "
    assert len(doc) == 4 and len(doc[2]) == 5
    assert [t.text for t in doc] == doc.words == ["Hello", ",", "world", "!"]
    assert Doc(vocab, ["a", "b"]).text == "a b "  # default: a space after every token
    assert len(Doc(vocab)) == 0


def test_words_with_spaces_and_whitespace_tokens(vocab):
    doc = Doc(vocab, ["New York", "  ", "x"], spaces=[True, False, False])
    assert doc.text == "New York   x"
    assert doc[1].is_space and doc[2].idx == 11


def test_invalid_construction_names_token(vocab):
    with pytest.raises(AnnotationError, match="Word 1 is an empty string"):
        Doc(vocab, ["a", "", "b"])
    with pytest.raises(AnnotationError, match="3 spaces for 2 words"):
        Doc(vocab, ["a", "b"], spaces=[True, True, False])
    with pytest.raises(AnnotationError, match=r"Head 5 of token 1 \('b'\) is out of range"):
        Doc(vocab, ["a", "b"], heads=[0, 5])
    with pytest.raises(AnnotationError, match=r"Unknown POS 'NOUNISH' for token 1 \('b'\)"):
        Doc(vocab, ["a", "b"], pos=["NOUN", "NOUNISH"])
    with pytest.raises(AnnotationError, match=r"token 1 \('b'\)"):
        Doc(vocab, ["a", "b"], ents=["O", "I-ORG"])
    with pytest.raises(AnnotationError, match="2 tags for 3 words"):
        Doc(vocab, ["a", "b", "c"], tags=["X", "Y"])
    with pytest.raises(AnnotationError, match="Invalid entity tag"):
        Doc(vocab, ["a"], ents=["ORG"])
    with pytest.raises(AnnotationError, match="Invalid morphology"):
        Doc(vocab, ["a"], morphs=["Number"])
    # AnnotationError is a DataError (treadle) and a ValueError (Python convention).
    assert issubclass(AnnotationError, DataError) and issubclass(AnnotationError, ValueError)


def test_annotations_and_missing_values(vocab):
    doc = Doc(
        vocab, ["I", "like", "cats"],
        tags=["PRP", None, "NNS"], pos=["PRON", "VERB", None],
        morphs=["Person=1|Case=Nom", "_", None], lemmas=["I", "like", None],
    )
    assert [t.tag_ for t in doc] == ["PRP", "", "NNS"]
    assert [t.pos_ for t in doc] == ["PRON", "VERB", ""]
    assert str(doc[0].morph) == "Case=Nom|Person=1"  # canonical order
    assert doc[0].morph.get("Person") == ["1"] and "Case=Nom" in doc[0].morph
    assert doc[0].morph.to_dict() == {"Case": "Nom", "Person": "1"}
    # "_" is an annotated empty analysis; None is missing.
    assert str(doc[1].morph) == "" and doc.to_array(A.MORPH)[1] != 0
    assert doc.to_array(A.MORPH)[2] == 0
    assert doc.has_annotation("TAG") and not doc.has_annotation("TAG", require_complete=True)
    assert not doc.has_annotation("DEP") and not doc.has_annotation("ENT_IOB")
    assert doc[2].lemma_ == "" and doc[0].lemma_ == "I"
    assert doc[0].pos == 11 and "PRON" in vocab.strings


def test_settable_token_attributes(vocab):
    doc = Doc(vocab, ["a", "b", "c"])
    doc[0].tag_ = "DT"
    doc[0].pos_ = "DET"
    doc[0].lemma_ = "A"
    doc[1].morph = "Number=Plur|Gender=Fem"
    doc[2].ent_type_ = "ORG"
    doc[2].ent_iob_ = "B"
    doc[1].is_sent_start = False
    assert (doc[0].tag_, doc[0].pos_, doc[0].lemma_) == ("DT", "DET", "A")
    assert str(doc[1].morph) == "Gender=Fem|Number=Plur"
    assert doc.ents[0].text == "c" and doc.ents[0].label_ == "ORG"
    assert doc[1].is_sent_start is False and doc[2].is_sent_start is None
    with pytest.raises(AnnotationError, match=r"token 0 \('a'\)"):
        doc[0].pos_ = "BOGUS"


def test_to_array_and_from_array_round_trip(vocab):
    doc = make_parsed(vocab)
    doc[3].tag_ = "NN"
    attrs = [A.ORTH, A.LOWER, A.TAG, A.HEAD, A.DEP, A.SPACY, A.IS_PUNCT, A.LENGTH]
    arr = doc.to_array(attrs)
    assert arr.dtype == np.int64 and arr.shape == (8, len(attrs))
    assert arr[0, 0] == np.uint64(hash_string("She")).view(np.int64)
    assert arr[1, 1] == np.uint64(hash_string("ate")).view(np.int64)
    assert arr[:, 3].tolist() == [1, 0, 1, -2, -3, 1, 0, -1]  # relative heads
    assert arr[:, 6].tolist() == [0, 0, 0, 0, 1, 0, 0, 1]
    assert doc.to_array("HEAD").shape == (8,)
    other = Doc(vocab, doc.words)
    other.from_array([A.HEAD, A.DEP, A.TAG], doc.to_array([A.HEAD, A.DEP, A.TAG]))
    assert [t.head.i for t in other] == [t.head.i for t in doc]
    assert other[3].tag_ == "NN"
    assert [s.text for s in other.sents] == [s.text for s in doc.sents]


def test_from_array_validates(vocab):
    doc = Doc(vocab, ["a", "b"])
    with pytest.raises(AnnotationError, match=r"token 1 \('b'\) points outside"):
        doc.from_array([A.HEAD], np.array([[0], [5]]))
    with pytest.raises(AnnotationError, match="shape"):
        doc.from_array([A.TAG, A.DEP], np.zeros((2, 1), dtype=np.int64))
    with pytest.raises(AnnotationError, match="POS value 99"):
        doc.from_array(A.POS, np.array([0, 99]))


def test_tree_navigation(vocab):
    doc = make_parsed(vocab)
    ate, pizza = doc[1], doc[3]
    assert ate.head == ate and ate.dep_ == "ROOT"
    assert [t.text for t in ate.children] == ["She", "pizza", "."]
    assert [t.text for t in ate.lefts] == ["She"] and [t.text for t in ate.rights] == ["pizza", "."]
    assert ate.n_lefts == 1 and ate.n_rights == 2
    assert [t.text for t in pizza.subtree] == ["the", "pizza"]
    assert [t.text for t in ate.subtree] == ["She", "ate", "the", "pizza", "."]
    assert [t.i for t in doc[2].ancestors] == [3, 1]
    assert ate.is_ancestor(doc[2]) and not pizza.is_ancestor(doc[0])
    assert pizza.left_edge.i == 2 and pizza.right_edge.i == 3
    assert doc[2:4].root == pizza and doc[0:5].root == ate
    assert doc[0].has_head() and doc[0].nbor().text == "ate"
    # Re-attach "the" to "ate".
    doc[2].head = ate
    assert [t.text for t in pizza.subtree] == ["pizza"]


def test_missing_heads(vocab):
    doc = Doc(vocab, ["a", "b", "c"], heads=[1, None, 1], deps=["x", None, "y"])
    assert not doc[1].has_head() and doc[0].has_head()
    assert doc[1].head == doc[1]
    assert not doc.has_annotation("DEP", require_complete=True)


def test_sents_from_heads_and_sent_starts(vocab):
    doc = make_parsed(vocab)
    assert [s.text for s in doc.sents] == ["She ate the pizza .", "He slept ."]
    assert doc[6].sent.start == 5 and doc[6].is_sent_start is False and doc[5].is_sent_start
    assert doc[4].is_sent_end and not doc[3].is_sent_end
    assert doc.has_annotation("SENT_START")
    doc2 = Doc(vocab, ["A", ".", "B", "."], sent_starts=[True, False, True, False])
    assert [s.text for s in doc2.sents] == ["A .", "B ."]
    assert doc2[3].sent.text == "B ." and doc2[2:4].sent.start == 2


def test_sents_unset_raises(vocab):
    doc = Doc(vocab, ["no", "boundaries"])
    assert not doc.has_annotation("SENT_START")
    with pytest.raises(AnnotationError, match="Sentence boundaries are unset"):
        list(doc.sents)


def test_ents_from_iob_and_setter(vocab):
    doc = Doc(vocab, ["I", "love", "New", "York", "and", "Paris"],
              ents=["O", "O", "B-GPE", "I-GPE", "O", "B-GPE"])
    assert [(e.text, e.label_, e.start, e.end) for e in doc.ents] == [
        ("New York", "GPE", 2, 4), ("Paris", "GPE", 5, 6)]
    assert [t.ent_iob_ for t in doc] == ["O", "O", "B", "I", "O", "B"]
    doc.ents = [Span(doc, 0, 1, label="PER"), ("LOC", 5, 6)]
    assert [(e.text, e.label_) for e in doc.ents] == [("I", "PER"), ("Paris", "LOC")]
    assert doc[3].ent_iob_ == "O"
    # BILUO input works too.
    doc2 = Doc(vocab, ["New", "York", "Paris"], ents=["B-GPE", "L-GPE", "U-GPE"])
    assert [e.text for e in doc2.ents] == ["New York", "Paris"]
    # Missing values: None, "" and "-" all mean unknown.
    doc3 = Doc(vocab, ["a", "b", "c"], ents=[None, "-", ""])
    assert not doc3.has_annotation("ENT_IOB")


def test_overlapping_ents_raise_naming_both(vocab):
    doc = Doc(vocab, ["New", "York", "City", "Hall"])
    with pytest.raises(AnnotationError, match=r"'New York'.*overlaps.*'York City'"):
        doc.ents = [Span(doc, 0, 2, label="GPE"), Span(doc, 1, 3, label="LOC")]


def test_set_ents_missing_blocked_outside(vocab):
    doc = Doc(vocab, ["a", "b", "c", "d", "e"])
    doc.set_ents([Span(doc, 0, 1, label="X")], blocked=[Span(doc, 1, 2)],
                 missing=[Span(doc, 2, 3)], outside=[Span(doc, 3, 4)], default="missing")
    assert [t.ent_iob_ for t in doc] == ["B", "B", "", "O", ""]
    assert [t.ent_type_ for t in doc] == ["X", "", "", "", ""]
    assert [e.text for e in doc.ents] == ["a"]  # blocked tokens are no entity
    doc.set_ents([Span(doc, 3, 5, label="Y")], default="unmodified")
    assert [t.ent_iob_ for t in doc] == ["B", "B", "", "B", "I"]
    doc.set_ents([], default="outside")
    assert [t.ent_iob_ for t in doc] == ["O"] * 5
    with pytest.raises(AnnotationError, match="overlaps"):
        doc.set_ents([Span(doc, 0, 2, label="X")], blocked=[Span(doc, 1, 2)])
    with pytest.raises(AnnotationError, match="default"):
        doc.set_ents([], default="nope")


def test_unmodified_repairs_cut_entities(vocab):
    doc = Doc(vocab, ["a", "b", "c"], ents=["B-X", "I-X", "I-X"])
    doc.set_ents([Span(doc, 0, 1, label="Y")], default="unmodified")
    assert [(e.text, e.label_) for e in doc.ents] == [("a", "Y"), ("b c", "X")]


def test_char_span_alignment_modes(vocab):
    doc = Doc(vocab, ["Hello", "big", "world"])  # "Hello big world "
    assert doc.char_span(6, 9).text == "big"
    assert doc.char_span(0, 15, label="X").label_ == "X"
    assert doc.char_span(7, 9) is None
    assert doc.char_span(7, 12, alignment_mode="contract") is None
    assert doc.char_span(4, 12, alignment_mode="contract").text == "big"
    assert doc.char_span(7, 12, alignment_mode="expand").text == "big world"
    with pytest.raises(ValueError):
        doc.char_span(0, 5, alignment_mode="fuzzy")


def test_json_round_trip(vocab):
    doc = make_parsed(vocab)
    doc[0].tag_ = "PRP"
    doc[0].pos_ = "PRON"
    doc[0].morph = "Case=Nom"
    doc[1].lemma_ = "eat"
    doc.ents = [Span(doc, 3, 4, label="FOOD")]
    doc.cats = {"FOOD": 1.0}
    doc.spans["s"] = [Span(doc, 2, 4, label="NP")]
    data = doc.to_json()
    assert data["ents"] == [{"start": 12, "end": 17, "label": "FOOD"}]
    assert data["tokens"][0] == {"id": 0, "start": 0, "end": 3, "tag": "PRP", "morph": "Case=Nom",
                                 "dep": "nsubj", "pos": "PRON", "head": 1}
    assert data["sents"] == [{"start": 0, "end": 19}, {"start": 20, "end": 30}]
    back = Doc.from_json(Vocab(), data)
    assert back.to_json() == data
    assert back.text == doc.text and back[1].lemma_ == "eat" and back.cats == {"FOOD": 1.0}


def test_from_json_rejects_misaligned(vocab):
    with pytest.raises(AnnotationError, match="does not align"):
        Doc.from_json(vocab, {"text": "ab cd", "tokens": [{"id": 0, "start": 0, "end": 2},
                                                          {"id": 1, "start": 3, "end": 5}],
                              "ents": [{"start": 1, "end": 5, "label": "X"}]})


def test_copy_is_independent(vocab):
    doc = make_parsed(vocab)
    doc.cats["a"] = 1.0
    doc.spans["g"] = [Span(doc, 0, 1)]
    copy = doc.copy()
    copy[0].tag_ = "CHANGED"
    copy.cats["a"] = 0.0
    assert doc[0].tag_ == "" and doc.cats["a"] == 1.0
    assert copy.spans["g"][0].doc is copy
    assert copy.to_json()["tokens"][1] == doc.to_json()["tokens"][1]


def test_from_docs_shifts_annotations(vocab):
    d1 = Doc(vocab, ["Hi", "Ann"], spaces=[True, False], ents=["O", "B-PER"])
    d2 = make_parsed(vocab)
    d2.spans["g"] = [Span(d2, 2, 4, label="NP")]
    merged = Doc.from_docs([d1, d2])
    assert merged.text == "Hi Ann " + d2.text
    assert [e.text for e in merged.ents] == ["Ann"]
    assert merged[4].head.i == 5 and merged[3].head.i == 3
    assert merged.spans["g"][0].text == "the pizza" and merged.spans["g"][0].start == 4
    assert merged[2].is_sent_start
    assert Doc.from_docs([d1, d2], ensure_whitespace=False).text.startswith("Hi AnnShe")


def test_count_by(vocab):
    doc = Doc(vocab, ["a", "b", "a"])
    assert doc.count_by(A.ORTH) == {hash_string("a"): 2, hash_string("b"): 1}
    assert doc.count_by("LENGTH") == {1: 3}


def test_per_token_norm_overrides_lexeme(vocab):
    doc = Doc(vocab, ["ca", "n't", "ca"], norms=["can", None, None])
    assert [t.norm_ for t in doc] == ["can", "n't", "ca"]
    doc[1].norm_ = "not"
    norms = doc.to_array(A.NORM)
    assert norms[0] == np.uint64(hash_string("can")).view(np.int64)
    assert norms[2] == np.uint64(hash_string("ca")).view(np.int64)
    assert vocab["ca"].norm_ == "ca"  # the lexeme is untouched
    other = Doc(vocab, doc.words).from_array([A.NORM], doc.to_array([A.NORM]))
    assert [t.norm_ for t in other] == ["can", "not", "ca"]
    from treadle.tokens import DocBin

    back = next(DocBin(attrs=["ORTH", "NORM"], docs=[doc]).get_docs(Vocab()))
    assert [t.norm_ for t in back] == ["can", "not", "ca"]


def test_doc_to_bytes_round_trip():
    vocab = Vocab()
    doc = make_doc(vocab)
    back = Doc(Vocab()).from_bytes(doc.to_bytes())
    assert back.to_json() == doc.to_json()
