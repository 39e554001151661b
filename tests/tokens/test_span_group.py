"""SpanGroup: doc.spans groups."""

import pytest

from treadle.errors import AnnotationError
from treadle.tokens import Doc, Span


def test_spans_groups(vocab):
    doc = Doc(vocab, ["a", "b", "c"])
    doc.spans["sc"] = [Span(doc, 0, 2, label="A"), Span(doc, 1, 3, label="B")]
    assert [s.label_ for s in doc.spans["sc"]] == ["A", "B"]
    assert doc.spans["sc"].has_overlap and doc.spans["sc"].name == "sc"
    doc.spans["sc"].append(Span(doc, 2, 3))
    assert len(doc.spans["sc"]) == 3
    other = Doc(vocab, ["x"])
    with pytest.raises(AnnotationError):
        doc.spans["sc"].append(Span(other, 0, 1))
