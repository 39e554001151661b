"""``render``: Docs to HTML in one of the styles, as a fragment or a whole page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from treadle.errors import VisualizeError
from treadle.tokens import Doc, Span
from treadle.visualize._common import Window, as_windows, check_options, esc
from treadle.visualize.dep import DEP_DEFAULTS, render_dep
from treadle.visualize.ent import ENT_DEFAULTS, render_ent
from treadle.visualize.span import SPAN_DEFAULTS, render_span

STYLES: dict[str, tuple[Callable[[Window, dict[str, Any]], str], dict[str, Any]]] = {
    "dep": (render_dep, DEP_DEFAULTS),
    "ent": (render_ent, ENT_DEFAULTS),
    "span": (render_span, SPAN_DEFAULTS),
}

_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body style="font-size: 16px; font-family: Arial, sans-serif; padding: 2rem; margin: 0; color: #000; background: #fff">
{body}
</body>
</html>
"""


def render(
    docs: Doc | Span | Iterable[Doc | Span],
    style: str = "dep",
    page: bool = False,
    options: Mapping[str, Any] | None = None,
) -> str:
    """HTML for ``docs`` (a Doc, a Span or a list of them) drawn in ``style``:

    - ``"dep"``: an inline SVG per sentence (one for the whole Doc with
      ``sentences=False``, or where the Doc has no sentence boundaries), the words with
      their POS (``pos_``, else ``tag_``) and labelled arcs from heads to dependents.
      Options: ``compact``, ``distance``, ``word_spacing``, ``arrow_stroke``,
      ``arrow_width``, ``arrow_spacing``, ``font``, ``color``, ``bg``,
      ``fine_grained`` (``tag_`` first), ``sentences``.
    - ``"ent"``: the text with ``doc.ents`` marked. Options: ``ents`` (labels to show),
      ``colors`` (label -> CSS colour), ``font``.
    - ``"span"``: the tokens with the spans of ``doc.spans[spans_key]`` as bands under
      them, overlapping spans on separate levels. Options: ``spans_key`` (default
      ``"sc"``), ``colors``, ``font``.

    A Span is drawn with the arcs, entities and spans that lie wholly inside it.
    Wide drawings scroll sideways in their container. All text is HTML-escaped.
    ``page=True`` returns a whole HTML page, each Doc in a ``<figure>``."""
    if style not in STYLES:
        raise VisualizeError(f"Unknown style {style!r}; use one of: {', '.join(STYLES)}")
    draw, defaults = STYLES[style]
    opts = check_options(style, options, defaults)
    windows = as_windows(docs)
    parts = [draw(w, opts) for w in windows]
    if not page:
        return "".join(f'<div class="treadle-doc">{p}</div>' for p in parts)
    lang = windows[0].doc.vocab.lang if windows else "xx"
    body = "\n".join(f'<figure style="margin: 0 0 3rem 0">{p}</figure>' for p in parts)
    return _PAGE.format(
        lang=esc(lang if lang != "xx" else "und"), title=f"treadle {style} visualizer", body=body
    )
