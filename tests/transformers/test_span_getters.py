"""Span getters: strided windows, sentences, whole Docs."""

from __future__ import annotations

import pytest

from treadle.config import registry
from treadle.errors import AnnotationError, ConfigError
from treadle.tokens import Doc, Span


def make_doc(vocab, n: int, sent_starts=None) -> Doc:
    return Doc(vocab, words=[f"w{i}" for i in range(n)], sent_starts=sent_starts)


def bounds(spans: list[Span]) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in spans]


def get(name: str, **kwargs):
    return registry.span_getters.get(name)(**kwargs)


@pytest.mark.parametrize(
    ("n", "window", "stride", "expected"),
    [
        (10, 4, 3, [(0, 4), (3, 7), (6, 10)]),
        (10, 4, 4, [(0, 4), (4, 8), (8, 10)]),
        (3, 4, 2, [(0, 3)]),
        (4, 4, 2, [(0, 4)]),
        (5, 4, 2, [(0, 4), (2, 5)]),
    ],
)
def test_strided_spans_cover_the_doc(vocab, n, window, stride, expected):
    doc = make_doc(vocab, n)
    (spans,) = get("treadle.strided_spans.v1", window=window, stride=stride)([doc])
    assert bounds(spans) == expected
    assert all(isinstance(s, Span) and s.doc is doc for s in spans)


def test_strided_spans_defaults_and_coverage(vocab):
    doc = make_doc(vocab, 300)
    (spans,) = get("treadle.strided_spans.v1")([doc])
    assert bounds(spans) == [(0, 128), (96, 224), (192, 300)]
    covered = set()
    for s in spans:
        covered.update(range(s.start, s.end))
    assert covered == set(range(300))


@pytest.mark.parametrize(("window", "stride"), [(0, 1), (4, 0), (-1, 2), (4, 5)])
def test_strided_spans_validate_their_settings(window, stride):
    with pytest.raises(ConfigError, match="strided_spans"):
        get("treadle.strided_spans.v1", window=window, stride=stride)


def test_strided_spans_settings_error_from_config():
    block = {"@span_getters": "treadle.strided_spans.v1", "window": 4, "stride": 8}
    with pytest.raises(ConfigError, match=r"stride \(8\) must be <= window \(4\)"):
        registry.resolve({"get_spans": block})


def test_strided_spans_resolve_from_config(vocab):
    block = {"@span_getters": "treadle.strided_spans.v1", "window": 3, "stride": 2}
    resolved = registry.resolve({"get_spans": block})
    (spans,) = resolved["get_spans"]([make_doc(vocab, 5)])
    assert bounds(spans) == [(0, 3), (2, 5)]


def test_sent_spans(vocab):
    doc = make_doc(vocab, 6, sent_starts=[True, False, False, True, False, True])
    (spans,) = get("treadle.sent_spans.v1")([doc])
    assert bounds(spans) == [(0, 3), (3, 5), (5, 6)]


def test_sent_spans_need_sentence_boundaries(vocab):
    docs = [make_doc(vocab, 2, sent_starts=[True, False]), make_doc(vocab, 3)]
    with pytest.raises(AnnotationError, match=r"sent_spans.*doc 1"):
        get("treadle.sent_spans.v1")(docs)


def test_doc_spans(vocab):
    doc = make_doc(vocab, 5)
    (spans,) = get("treadle.doc_spans.v1")([doc])
    assert bounds(spans) == [(0, 5)]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("treadle.strided_spans.v1", {}), ("treadle.sent_spans.v1", {}), ("treadle.doc_spans.v1", {})],
)
def test_empty_docs_give_no_spans(vocab, name, kwargs):
    docs = [make_doc(vocab, 0), make_doc(vocab, 2, sent_starts=[True, False])]
    spans = get(name, **kwargs)(docs)
    assert len(spans) == 2
    assert spans[0] == []
    assert len(spans[1]) == 1
