"""Span getters: which stretches of each Doc the transformer reads.

Each registered function (``registry.span_getters``) builds a callable
``docs -> list[list[Span]]``: for every Doc, the possibly overlapping Spans to feed
to the model. Empty Docs give no spans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from treadle.config import registry
from treadle.errors import AnnotationError, ConfigError
from treadle.tokens import Doc, Span

SpanGetter = Callable[[Sequence[Doc]], list[list[Span]]]


def strided_spans(docs: Sequence[Doc], window: int, stride: int) -> list[list[Span]]:
    """Windows of ``window`` tokens starting every ``stride`` tokens, covering each Doc.

    The last window ends at the Doc's end; no window starts after a window that
    already reached the end (so no window is a suffix of the previous one).
    """
    out: list[list[Span]] = []
    for doc in docs:
        n = len(doc)
        spans: list[Span] = []
        start = 0
        while start < n:
            end = min(start + window, n)
            spans.append(Span(doc, start, end))
            if end == n:
                break
            start += stride
        out.append(spans)
    return out


@registry.span_getters("treadle.strided_spans.v1")
def configure_strided_spans(window: int = 128, stride: int = 96) -> SpanGetter:
    """Overlapping windows of ``window`` tokens, one every ``stride`` tokens."""
    if window <= 0 or stride <= 0:
        raise ConfigError(
            f"treadle.strided_spans.v1: window ({window}) and stride ({stride}) must both be > 0."
        )
    if stride > window:
        raise ConfigError(
            f"treadle.strided_spans.v1: stride ({stride}) must be <= window ({window}), "
            "else the tokens between windows are never read."
        )

    def get_strided_spans(docs: Sequence[Doc]) -> list[list[Span]]:
        return strided_spans(docs, window, stride)

    return get_strided_spans


def sent_spans(docs: Sequence[Doc]) -> list[list[Span]]:
    """One span per sentence; the Docs must have sentence boundaries."""
    out: list[list[Span]] = []
    for i, doc in enumerate(docs):
        try:
            out.append(list(doc.sents))
        except AnnotationError as err:
            raise AnnotationError(
                f"treadle.sent_spans.v1 needs sentence boundaries, and doc {i} of the batch "
                "has none: put a sentencizer, senter or parser before the transformer, or "
                f"use treadle.strided_spans.v1. ({err})"
            ) from err
    return out


@registry.span_getters("treadle.sent_spans.v1")
def configure_sent_spans() -> SpanGetter:
    """One span per sentence (needs a sentencizer, senter or parser upstream)."""
    return sent_spans


def doc_spans(docs: Sequence[Doc]) -> list[list[Span]]:
    """The whole Doc as one span (none for an empty Doc)."""
    return [[Span(doc, 0, len(doc))] if len(doc) else [] for doc in docs]


@registry.span_getters("treadle.doc_spans.v1")
def configure_doc_spans() -> SpanGetter:
    """Each whole Doc as one span."""
    return doc_spans
