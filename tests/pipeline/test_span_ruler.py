"""span_ruler: spans written to doc.spans[key], filters, entities, scores, round trips."""

from __future__ import annotations

import pytest

import treadle
from treadle.config import registry
from treadle.errors import ConfigError, MatchPatternError
from treadle.language import Language
from treadle.tokens import Span
from treadle.training import Example

PATTERNS = [
    {"label": "CITY", "pattern": "New York", "id": "nyc"},
    {"label": "STATE", "pattern": "New York"},
    {"label": "ADJ_NEW", "pattern": [{"LOWER": "new"}]},
    {"label": "CITY", "pattern": [{"LOWER": "new"}, {"LOWER": "york"}, {"LOWER": "city"}]},
]


def spans(group) -> list[tuple[str, str, str]]:
    return [(s.text, s.label_, s.id_) for s in group]


def test_writes_overlapping_spans_to_default_key(nlp):
    ruler = nlp.add_pipe("span_ruler")
    ruler.add_patterns(PATTERNS)
    doc = nlp("I love New York City")
    assert spans(doc.spans["ruler"]) == [
        ("New", "ADJ_NEW", ""),
        ("New York", "CITY", "nyc"),
        ("New York", "STATE", ""),
        ("New York City", "CITY", ""),
    ]
    assert doc.ents == ()  # annotate_ents is off
    assert ruler.labels == ("ADJ_NEW", "CITY", "STATE")
    assert ruler.ids == ("nyc",)


def test_custom_key_and_two_rulers(nlp):
    nlp.add_pipe("span_ruler", name="places", config={"spans_key": "places"}).add_patterns(PATTERNS[:1])
    nlp.add_pipe("span_ruler", name="words", config={"spans_key": "words"}).add_patterns(PATTERNS[2:3])
    doc = nlp("New York is new")
    assert spans(doc.spans["places"]) == [("New York", "CITY", "nyc")]
    assert spans(doc.spans["words"]) == [("New", "ADJ_NEW", ""), ("new", "ADJ_NEW", "")]
    assert "ruler" not in doc.spans


def test_spans_filter_from_config(nlp):
    ruler = nlp.add_pipe(
        "span_ruler", config={"spans_filter": {"@misc": "treadle.first_longest_spans_filter.v1"}}
    )
    ruler.add_patterns(PATTERNS)
    doc = nlp("New York City and new")
    assert spans(doc.spans["ruler"]) == [("New York City", "CITY", ""), ("new", "ADJ_NEW", "")]
    assert "treadle.first_longest_spans_filter.v1" in registry.misc


@pytest.mark.parametrize("overwrite", [True, False])
def test_overwrite_replaces_or_extends_the_group(nlp, overwrite):
    ruler = nlp.add_pipe("span_ruler", config={"overwrite": overwrite})
    ruler.add_patterns(PATTERNS[:1])
    doc = nlp.make_doc("old New York")
    doc.spans["ruler"] = [Span(doc, 0, 1, label="OLD")]
    ruler(doc)
    expected = [("New York", "CITY", "nyc")]
    if not overwrite:
        expected = [("old", "OLD", "")] + expected
    assert spans(doc.spans["ruler"]) == expected


def test_annotate_ents_with_filters(nlp):
    ruler = nlp.add_pipe("span_ruler", config={"annotate_ents": True, "spans_key": None})
    ruler.add_patterns(PATTERNS)
    doc = nlp.make_doc("in New York City now")
    doc.ents = [Span(doc, 4, 5, label="DATE"), Span(doc, 1, 2, label="X")]
    ruler(doc)
    # New spans win over overlapping entities by default; the longest match is kept.
    assert [(e.text, e.label_) for e in doc.ents] == [("New York City", "CITY"), ("now", "DATE")]
    nlp2 = treadle.blank("en")
    keep = nlp2.add_pipe(
        "span_ruler",
        config={
            "annotate_ents": True,
            "ents_filter": {"@misc": "treadle.prioritize_existing_ents_filter.v1"},
        },
    )
    keep.add_patterns(PATTERNS)
    doc = nlp2.make_doc("in New York City now")
    doc.ents = [Span(doc, 1, 2, label="X")]
    keep(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("New", "X")]
    assert len(doc.spans["ruler"]) == 4  # the span group gets every match


def test_nothing_to_write_is_a_config_error(nlp):
    with pytest.raises(ConfigError, match="span_ruler 'span_ruler'.*spans_key = null"):
        nlp.add_pipe("span_ruler", config={"spans_key": None})


def test_remove_by_label_and_by_id(nlp):
    ruler = nlp.add_pipe("span_ruler")
    ruler.add_patterns(PATTERNS)
    ruler.remove("STATE")
    assert ruler.labels == ("ADJ_NEW", "CITY")
    ruler.remove_by_id("nyc")
    assert len(ruler) == 2
    assert spans(nlp("New York").spans["ruler"]) == [("New", "ADJ_NEW", "")]


def test_invalid_pattern_names_component(nlp):
    ruler = nlp.add_pipe("span_ruler", name="spans")
    with pytest.raises(MatchPatternError, match=r"span_ruler 'spans': pattern 0 \(label 'A'\)"):
        ruler.add_patterns([{"label": "A", "pattern": [{"LOWER": "a", "OP": "%"}]}])


def test_score_uses_spans_key(nlp):
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": "sc"})
    ruler.add_patterns(PATTERNS[:2])
    gold = nlp.make_doc("New York")
    gold.spans["sc"] = [Span(gold, 0, 2, label="CITY")]
    scores = ruler.score([Example(nlp(gold.text), gold)])
    assert scores["spans_sc_r"] == pytest.approx(1.0)
    assert scores["spans_sc_p"] == pytest.approx(0.5)
    assert "ents_f" not in scores
    weights = Language.get_factory_meta("span_ruler").default_score_weights
    assert weights["spans_ruler_f"] == 1.0


def test_round_trip_keeps_patterns_and_settings(nlp, tmp_path):
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": "found", "phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(PATTERNS)
    nlp.to_disk(tmp_path / "p")
    loaded = treadle.load(tmp_path / "p")
    again = loaded.get_pipe("span_ruler")
    assert again.patterns == PATTERNS
    assert again.spans_key == "found" and again.phrase_matcher_attr == "LOWER"
    text = "NEW YORK city"
    assert spans(loaded(text).spans["found"]) == spans(nlp(text).spans["found"])
    other = treadle.blank("en")
    other.add_pipe("span_ruler", source=loaded)
    assert spans(other(text).spans["found"]) == spans(nlp(text).spans["found"])
