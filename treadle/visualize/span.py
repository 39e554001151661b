"""The "span" style: the tokens in a row, each span of a ``doc.spans`` group a coloured
band under its tokens with its label at the start; overlapping spans go on levels of
their own, one under the other."""

from __future__ import annotations

from typing import Any

from treadle.tokens import Span
from treadle.visualize._common import Window, esc, label_color

SPAN_DEFAULTS: dict[str, Any] = {
    "spans_key": "sc",
    "colors": {},
    "font": "Arial, sans-serif",
}
TEXT_PX = 28  # the line a token's text takes
BAND_PX = 16
GAP_PX = 3


def span_levels(spans: list[Span]) -> list[tuple[Span, int]]:
    """Each span with the lowest level no span it overlaps already holds (greedy
    interval colouring in start order, so a level is a line of disjoint spans)."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end, s.label_))
    taken: list[list[tuple[int, int]]] = []
    out = []
    for span in ordered:
        level = 0
        while level < len(taken) and any(
            span.start < end and start < span.end for start, end in taken[level]
        ):
            level += 1
        if level == len(taken):
            taken.append([])
        taken[level].append((span.start, span.end))
        out.append((span, level))
    return out


def render_span(window: Window, opts: dict[str, Any]) -> str:
    doc = window.doc
    key = opts["spans_key"]
    group = list(doc.spans[key]) if key in doc.spans else []
    levels = span_levels([s for s in group if window.holds(s) and len(s)])
    n_levels = max((lvl for _, lvl in levels), default=-1) + 1
    pad = n_levels * (BAND_PX + GAP_PX) + 6
    parts = []
    for tok in window.tokens:
        bands = []
        for k, (span, level) in enumerate(levels):
            if not span.start <= tok.i < span.end:
                continue
            top = TEXT_PX + level * (BAND_PX + GAP_PX)
            color = esc(label_color(span.label_, opts["colors"]))
            label = esc(span.label_)
            bands.append(
                f'<span class="treadle-span-band" data-span="{k}" data-level="{level}" '
                f'data-label="{label}" style="position: absolute; left: 0; right: 0; '
                f'top: {top}px; height: {BAND_PX}px; background: {color}; opacity: 0.85"></span>'
            )
            if tok.i == span.start:
                bands.append(
                    f'<span class="treadle-span-label" data-span="{k}" style="position: '
                    f"absolute; left: 0; top: {top}px; height: {BAND_PX}px; line-height: "
                    f"{BAND_PX}px; font-size: 11px; font-weight: bold; padding: 0 4px; "
                    f'background: {color}; border-radius: 3px; white-space: nowrap; z-index: 1">'
                    f"{label}</span>"
                )
        parts.append(
            f'<span class="treadle-span-token" data-i="{tok.i - window.start}" style="position: '
            f"relative; display: inline-block; vertical-align: top; white-space: pre; "
            f'line-height: {TEXT_PX}px; padding-bottom: {pad}px">{esc(tok.text_with_ws)}'
            + "".join(bands)
            + "</span>"
        )
    return (
        '<div class="treadle-spans" style="direction: ltr; font-size: 16px; '
        f'overflow-x: auto; font-family: {esc(opts["font"])}">' + "".join(parts) + "</div>"
    )
