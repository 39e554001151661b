"""attribute_ruler: fine tags to UPOS, lemma fixes, indices, precedence, errors,
initialize from files, scores, round trips, on hand-made Docs."""

from __future__ import annotations

import json

import pytest

import treadle
from treadle.errors import DataError, MatchPatternError, SerializationError
from treadle.language import Language
from treadle.tokens import Doc, Token
from treadle.training import Example

TAG_MAP = {
    "NN": {"POS": "NOUN", "Number": "sing"},
    "NNS": {"POS": "NOUN", "Number": "plur"},
    "VBZ": {"POS": "VERB", "Number": "sing", "Person": "3"},
    "DT": {"POS": "DET"},
}


def tagged(nlp: Language, words: list[str], tags: list[str]) -> Doc:
    return Doc(nlp.vocab, words=words, tags=tags)


def test_tag_map_maps_fine_tags_to_upos_and_features(nlp):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.load_from_tag_map(TAG_MAP)
    doc = ruler(tagged(nlp, ["the", "dog", "barks"], ["DT", "NN", "VBZ"]))
    assert [t.pos_ for t in doc] == ["DET", "NOUN", "VERB"]
    assert [str(t.morph) for t in doc] == ["", "Number=sing", "Number=sing|Person=3"]
    assert len(ruler) == 4


def test_fix_lemmas_and_later_rules_win(nlp):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": {"IN": ["is", "was", "are"]}}]], {"LEMMA": "be", "POS": "AUX"})
    ruler.add([[{"LOWER": "was"}]], {"LEMMA": "BE-PAST"})
    doc = nlp.make_doc("It was and is")
    doc[1].lemma_ = "wa"  # a wrong lemma from an earlier component gets fixed
    ruler(doc)
    assert [t.lemma_ for t in doc] == ["", "BE-PAST", "", "be"]
    assert [t.pos_ for t in doc] == ["", "AUX", "", "AUX"]


def test_index_within_match_positive_and_negative(nlp):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add_patterns(
        [
            {"patterns": [[{"LOWER": "new"}, {"LOWER": "york"}, {"LOWER": "city"}]], "attrs": {"TAG": "NNP"}, "index": 1},
            {"patterns": [[{"LOWER": "new"}, {"LOWER": "york"}, {"LOWER": "city"}]], "attrs": {"NORM": "town"}, "index": -1},
            {"patterns": [[{"LOWER": "a"}, {"LOWER": "b", "OP": "+"}]], "attrs": {"TAG": "LAST"}, "index": -1},
        ]
    )
    doc = nlp("New York City a b b")
    # "a b+" matches both "a b" and "a b b": each match's last token gets the tag.
    assert [t.tag_ for t in doc] == ["", "NNP", "", "", "LAST", "LAST"]
    assert doc[2].norm_ == "town" and doc[1].norm_ == "york"


def test_index_outside_match_is_an_error_at_call_time(nlp):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "a"}, {"LOWER": "b"}]], {"TAG": "X"}, index=2)
    with pytest.raises(DataError, match=r"attribute_ruler 'attribute_ruler': rule 0 has index 2, outside its match 'a b'"):
        nlp("a b")


def test_morph_as_dict_and_string_and_extension(nlp):
    Token.set_extension("test_ar_flag", default=None, force=True)
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "cats"}]], {"MORPH": {"Number": "Plur"}, "_": {"test_ar_flag": "yes"}})
    ruler.add([[{"LOWER": "ran"}]], {"MORPH": "Tense=Past|VerbForm=Fin"})
    doc = nlp("cats ran")
    assert str(doc[0].morph) == "Number=Plur" and doc[0]._.test_ar_flag == "yes"
    assert str(doc[1].morph) == "Tense=Past|VerbForm=Fin"
    assert doc[1]._.test_ar_flag is None


def test_morph_rules(nlp):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.load_from_morph_rules({"VBZ": {"is": {"LEMMA": "be", "POS": "AUX", "Mood": "Ind"}}})
    doc = ruler(tagged(nlp, ["it", "is", "is"], ["PRP", "VBZ", "NN"]))
    assert [t.lemma_ for t in doc] == ["", "be", ""]
    assert doc[1].pos_ == "AUX" and str(doc[1].morph) == "Mood=Ind"


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {"COLOUR": "x"}}, r"rule 1 \(attrs .*\): attribute 'COLOUR' cannot be set"),
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {"POS": "NOUNISH"}}, r"rule 1 .*POS 'NOUNISH' is not a universal tag"),
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {"ORTH": "b"}}, r"rule 1 .*ORTH cannot be changed"),
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {"MORPH": "Number"}}, r"rule 1 .*Invalid morphological feature"),
        ({"patterns": [{"LOWER": "a"}], "attrs": {"TAG": "X"}}, r"rule 1 .*'patterns' must be a non-empty list"),
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {}}, r"rule 1: 'attrs' must be a non-empty dict"),
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {"TAG": "X"}, "index": "0"}, r"rule 1 .*'index' must be an integer"),
        ({"patterns": [[{"LOWER": "a"}]], "attrs": {"TAG": "X"}, "where": 1}, r"rule 1: unknown key\(s\) 'where'"),
        ({"patterns": [[{"LOWR": "a"}]], "attrs": {"TAG": "X"}}, r"rule 1 .*unknown token attribute 'LOWR'"),
    ],
)
def test_invalid_rules_name_the_rule_and_component(nlp, rule, message):
    ruler = nlp.add_pipe("attribute_ruler", name="fixes")
    with pytest.raises(MatchPatternError, match=r"attribute_ruler 'fixes': " + message):
        ruler.add_patterns([{"patterns": [[{"LOWER": "ok"}]], "attrs": {"TAG": "OK"}}, rule])
    assert len(ruler) == 0
    assert nlp("ok")[0].tag_ == ""


def test_initialize_from_list_file_tag_map(nlp, tmp_path):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "x"}]], {"TAG": "OLD"})
    ruler.initialize(nlp=nlp)
    assert len(ruler) == 1  # nothing given: kept
    rules = [{"patterns": [[{"LOWER": "dogs"}]], "attrs": {"LEMMA": "dog"}}]
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    ruler.initialize(nlp=nlp, patterns=str(tmp_path / "rules.json"), tag_map={"NN": {"POS": "NOUN"}})
    assert ruler.patterns == [
        {"patterns": [[{"LOWER": "dogs"}]], "attrs": {"LEMMA": "dog"}, "index": 0},
        {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "NOUN"}, "index": 0},
    ]
    (tmp_path / "rules.jsonl").write_text(json.dumps(rules[0]) + "\n\n" + '{"patterns": [[{"LOWER": "a"}]], "attrs": {"POS": "ADJECTIVE"}}\n')
    with pytest.raises(MatchPatternError, match=r"rules\.jsonl, line 3 .*POS 'ADJECTIVE'"):
        ruler.initialize(nlp=nlp, patterns=tmp_path / "rules.jsonl")
    (tmp_path / "broken.jsonl").write_text('{"patterns": \n')
    with pytest.raises(DataError, match=r"broken\.jsonl, line 1: invalid JSON"):
        ruler.initialize(nlp=nlp, patterns=str(tmp_path / "broken.jsonl"))


def test_score_reports_the_attributes_it_sets(nlp):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.load_from_tag_map({"NN": {"POS": "NOUN"}, "VBZ": {"POS": "VERB"}})
    gold = Doc(nlp.vocab, words=["dog", "barks"], tags=["NN", "VBZ"], pos=["NOUN", "AUX"])
    pred = Doc(nlp.vocab, words=["dog", "barks"], tags=["NN", "VBZ"])
    scores = ruler.score([Example(ruler(pred), gold)])
    assert scores["pos_acc"] == pytest.approx(0.5)
    assert "tag_acc" not in scores and "lemma_acc" not in scores
    weights = Language.get_factory_meta("attribute_ruler").default_score_weights
    assert weights["pos_acc"] == 0.0  # shown in the table, not weighted


def test_to_disk_load_and_bytes_round_trip(nlp, tmp_path):
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.load_from_tag_map(TAG_MAP)
    ruler.add([[{"LOWER": "barks"}]], {"LEMMA": "bark"}, index=-1)
    nlp.to_disk(tmp_path / "p")
    loaded = treadle.load(tmp_path / "p")
    assert loaded.get_pipe("attribute_ruler").patterns == ruler.patterns
    doc = loaded(tagged(loaded, ["dog", "barks"], ["NN", "VBZ"]))
    assert [(t.pos_, t.lemma_) for t in doc] == [("NOUN", ""), ("VERB", "bark")]
    other = treadle.blank("en")
    fresh = other.add_pipe("attribute_ruler").from_bytes(ruler.to_bytes())
    assert fresh.patterns == ruler.patterns
    (tmp_path / "p" / "attribute_ruler" / "patterns.json").write_text('[{"patterns": 1}]')
    with pytest.raises(SerializationError, match="attribute_ruler"):
        treadle.load(tmp_path / "p")


def test_empty_doc_and_no_rules(nlp):
    nlp.add_pipe("attribute_ruler")
    assert len(nlp("")) == 0
    assert nlp("dog")[0].pos_ == ""


def test_matcher_error_in_a_rule_file_names_file_and_line(nlp, tmp_path):
    ruler = nlp.add_pipe("attribute_ruler")
    good = {"patterns": [[{"LOWER": "a"}]], "attrs": {"TAG": "DT"}}
    bad = {"patterns": [[{"LOWER": "b", "OP": "%"}]], "attrs": {"TAG": "X"}}
    (tmp_path / "rules.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(MatchPatternError, match=r"rules\.jsonl, line 2 \(attrs .*unknown operator '%'"):
        ruler.initialize(nlp=nlp, patterns=tmp_path / "rules.jsonl")
    assert len(ruler) == 0
