"""Span: views, entities inside a span, as_doc."""

import pytest

from tests.tokens.helpers import make_parsed
from treadle.tokens import Span


def test_span_basics(doc):
    span = Span(doc, 1, 3, label="ORG", kb_id="Q30", span_id="x")
    assert span.text == "U.S. economy" and span.text_with_ws == "U.S. economy "
    assert (span.start_char, span.end_char) == (4, 16)
    assert span.label_ == "ORG" and span.kb_id_ == "Q30" and span.id_ == "x"
    assert [t.text for t in span] == ["U.S.", "economy"] and len(span) == 2
    assert span[0].text == "U.S." and span[-1].text == "economy" and span[0:1].text == "U.S."
    assert span == Span(doc, 1, 3, label="ORG", kb_id="Q30", span_id="x")
    assert span != Span(doc, 1, 3, label="LOC")
    assert len({span, Span(doc, 1, 3, label="ORG", kb_id="Q30", span_id="x")}) == 1
    assert doc[4:6].text == "3.5%"
    assert span.char_span(0, 4).text == "U.S."
    with pytest.raises(Exception, match="out of range"):
        Span(doc, 3, 99)


def test_span_ents(doc):
    doc.ents = [Span(doc, 1, 2, label="GPE"), Span(doc, 4, 6, label="PERCENT")]
    assert [e.text for e in doc[0:4].ents] == ["U.S."]
    assert [e.text for e in doc[:].ents] == ["U.S.", "3.5%"]


def test_span_as_doc(vocab):
    doc = make_parsed(vocab)
    doc.ents = [Span(doc, 2, 4, label="FOOD")]
    sub = doc[3:7].as_doc()
    assert sub.text == "pizza . He slept "
    assert sub[0].ent_iob_ == "B" and sub.ents[0].text == "pizza"
    assert sub[0].head == sub[0]  # its head fell outside the slice
    assert sub[2].head.i == 3
