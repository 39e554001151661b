"""What every style shares: the input to render, escaping, colours, option checks."""

from __future__ import annotations

import html
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from treadle.errors import VisualizeError
from treadle.tokens import Doc, Span, Token


@dataclass(frozen=True)
class Window:
    """The tokens ``start..end-1`` of ``doc`` to draw: a whole Doc or one of its Spans.

    A Span is drawn as a window onto its Doc rather than copied (``Span.as_doc``), so that
    ``doc.spans`` groups and entities keep their offsets."""

    doc: Doc
    start: int
    end: int

    @property
    def tokens(self) -> list[Token]:
        return [self.doc[i] for i in range(self.start, self.end)]

    def holds(self, span: Span) -> bool:
        return self.start <= span.start and span.end <= self.end


def as_windows(docs: Doc | Span | Iterable[Doc | Span]) -> list[Window]:
    if isinstance(docs, (Doc, Span)):
        docs = [docs]
    elif isinstance(docs, (str, bytes)) or not isinstance(docs, Iterable):
        raise VisualizeError(
            f"render expects a Doc, a Span or a list of them, not {type(docs).__name__}"
        )
    out = []
    for i, item in enumerate(docs):
        if isinstance(item, Doc):
            out.append(Window(item, 0, len(item)))
        elif isinstance(item, Span):
            out.append(Window(item.doc, item.start, item.end))
        else:
            raise VisualizeError(
                f"render: item {i} is {type(item).__name__}; expected a Doc or a Span"
            )
    return out


def esc(text: str) -> str:
    """Text for HTML or SVG, element content and quoted attribute values alike."""
    return html.escape(str(text), quote=True)


# Default entity/span colours for the usual NER labels (OntoNotes and UNER names);
# other labels get one of PALETTE chosen by a stable hash of the label, so a label has
# the same colour on every run and in every process.
LABEL_COLORS = {
    "PERSON": "#aa9cfc",
    "PER": "#aa9cfc",
    "ORG": "#7aecec",
    "GPE": "#feca74",
    "LOC": "#ff9561",
    "NORP": "#c887fb",
    "FAC": "#9cc9cc",
    "PRODUCT": "#bfeeb7",
    "EVENT": "#ffeb80",
    "WORK_OF_ART": "#f0d0ff",
    "LAW": "#ff8197",
    "LANGUAGE": "#e4e7d2",
    "DATE": "#bfe1d9",
    "TIME": "#bfe1d9",
    "PERCENT": "#e4e7d2",
    "MONEY": "#e4e7d2",
    "QUANTITY": "#e4e7d2",
    "ORDINAL": "#e4e7d2",
    "CARDINAL": "#e4e7d2",
    "MISC": "#ddd6fe",
}
PALETTE = (
    "#fde68a", "#a7f3d0", "#bfdbfe", "#fbcfe8", "#ddd6fe", "#fed7aa",
    "#bbf7d0", "#c7d2fe", "#fecaca", "#99f6e4", "#e9d5ff", "#d9f99d",
)  # fmt: skip


def label_color(label: str, colors: Mapping[str, str]) -> str:
    if label in colors:
        return colors[label]
    if label in LABEL_COLORS:
        return LABEL_COLORS[label]
    return PALETTE[zlib.crc32(label.encode("utf8")) % len(PALETTE)]


def check_options(
    style: str, options: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``defaults`` updated with ``options``; an unknown key or a value of the wrong type
    fails naming the key, the style and what it takes."""
    if options is None:
        return dict(defaults)
    if not isinstance(options, Mapping):
        raise VisualizeError(f"options must be a dict, not {type(options).__name__}")
    out = dict(defaults)
    for key, value in options.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise VisualizeError(f"Unknown option {key!r} for style {style!r}; it takes: {known}")
        out[key] = _checked(style, key, value, defaults[key])
    return out


def _checked(style: str, key: str, value: Any, default: Any) -> Any:
    where = f"options[{key!r}] (style {style!r})"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise VisualizeError(f"{where} must be true or false, not {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise VisualizeError(f"{where} must be a number >= 0, not {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise VisualizeError(f"{where} must be a string, not {value!r}")
    elif isinstance(default, dict):
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise VisualizeError(f"{where} must map labels to CSS colours (strings)")
        return dict(value)
    elif default is None and value is not None:
        # A label filter: None for every label, else a list of labels.
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(
            isinstance(v, str) for v in value
        ):
            raise VisualizeError(f"{where} must be a list of labels, not {value!r}")
        return list(value)
    return value
