"""SpanGroup: a named, ordered list of (possibly overlapping) spans of one Doc."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, overload

from treadle.errors import AnnotationError
from treadle.tokens.span import Span

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc


class SpanGroup:
    """``SpanGroup(doc, name="", attrs=None, spans=())``; stored as ``doc.spans[name]``."""

    def __init__(self, doc: Doc, *, name: str = "", attrs: dict[str, Any] | None = None,
                 spans: Iterable[Span] = ()) -> None:
        self.doc = doc
        self.name = name
        self.attrs: dict[str, Any] = dict(attrs or {})
        self._spans: list[Span] = []
        for span in spans:
            self.append(span)

    def _check(self, span: Span) -> Span:
        if not isinstance(span, Span):
            raise AnnotationError(f"Span group {self.name!r} holds Spans, got {type(span).__name__}")
        if span.doc is not self.doc:
            raise AnnotationError(
                f"Span {span.text!r} belongs to another Doc than span group {self.name!r}"
            )
        return span

    def append(self, span: Span) -> None:
        self._spans.append(self._check(span))

    def extend(self, spans: Iterable[Span]) -> None:
        for span in spans:
            self.append(span)

    def __len__(self) -> int:
        return len(self._spans)

    def __iter__(self) -> Iterator[Span]:
        return iter(self._spans)

    @overload
    def __getitem__(self, i: int) -> Span: ...
    @overload
    def __getitem__(self, i: slice) -> SpanGroup: ...
    def __getitem__(self, i: int | slice) -> Span | SpanGroup:
        if isinstance(i, slice):
            return SpanGroup(self.doc, name=self.name, attrs=self.attrs, spans=self._spans[i])
        return self._spans[i]

    def __setitem__(self, i: int, span: Span) -> None:
        self._spans[i] = self._check(span)

    def __delitem__(self, i: int) -> None:
        del self._spans[i]

    def __bool__(self) -> bool:
        return bool(self._spans)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SpanGroup):
            return (self.name, self.attrs, self._spans) == (other.name, other.attrs, other._spans)
        if isinstance(other, list):
            return self._spans == other
        return NotImplemented

    def __repr__(self) -> str:
        return f"SpanGroup({self.name!r}, {self._spans!r})"

    @property
    def has_overlap(self) -> bool:
        ordered = sorted(self._spans, key=lambda s: (s.start, s.end))
        return any(b.start < a.end for a, b in zip(ordered, ordered[1:], strict=False))

    def copy(self, doc: Doc | None = None, offset: int = 0) -> SpanGroup:
        """A copy, optionally moved to another Doc with token indices shifted by ``offset``."""
        target = self.doc if doc is None else doc
        return SpanGroup(
            target,
            name=self.name,
            attrs=self.attrs,
            spans=[Span(target, s.start + offset, s.end + offset, s.label, s.kb_id, s.id)
                   for s in self._spans],
        )

    def to_list(self) -> list[dict[str, Any]]:
        return [
            {"start": s.start, "end": s.end, "label": s.label_, "kb_id": s.kb_id_, "id": s.id_}
            for s in self._spans
        ]


class SpanGroups(dict):
    """``doc.spans``: name -> SpanGroup; assigning a list of spans makes a group."""

    def __init__(self, doc: Doc) -> None:
        super().__init__()
        self.doc = doc

    def __setitem__(self, key: str, value: Iterable[Span] | SpanGroup) -> None:
        if isinstance(value, SpanGroup):
            if value.doc is not self.doc:
                value = value.copy(self.doc)
            value.name = key
        else:
            value = SpanGroup(self.doc, name=key, spans=value)
        super().__setitem__(key, value)

    def setdefault(self, key: str, default: Any = None) -> SpanGroup:
        if key not in self:
            self[key] = default if default is not None else []
        return self[key]

    def copy(self, doc: Doc | None = None, offset: int = 0) -> SpanGroups:  # type: ignore[override]
        target = self.doc if doc is None else doc
        out = SpanGroups(target)
        for key, group in self.items():
            dict.__setitem__(out, key, group.copy(target, offset))
        return out
