"""The "dep" style: one SVG per sentence, each word with its POS under it and an arc,
labelled and with an arrow head at the dependent, from every non-root token to its head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from treadle.tokens import Token
from treadle.visualize._common import Window, esc

DEP_DEFAULTS: dict[str, Any] = {
    "compact": False,  # square arcs and narrower columns
    "distance": 175,  # the narrowest column a word gets, in px (compact: 85 unless set)
    "word_spacing": 45,  # px between the arcs' feet and the words
    "arrow_stroke": 2,
    "arrow_width": 8,
    "arrow_spacing": 4,  # px an arc's foot sits off a word's centre, so feet don't meet
    "font": "Arial, sans-serif",
    "color": "#000000",
    "bg": "#ffffff",
    "fine_grained": False,  # show tag_ instead of pos_
    "sentences": True,  # one SVG per sentence, where the Doc has sentence boundaries
}
COMPACT_DISTANCE = 85
FONT_PX = 16
LABEL_PX = 12
# A generous average glyph width (in em) for the column widths: a column must hold its
# word, or long words would run into their neighbours.
CHAR_EM = 0.62
OFFSET_X = 50


@dataclass(frozen=True)
class Arc:
    start: int  # token indices within the drawn window, start < end
    end: int
    label: str
    child: int
    head: int
    level: int


def render_dep(window: Window, opts: dict[str, Any]) -> str:
    return "".join(_render_svg(part, opts) for part in _parts(window, opts))


def _parts(window: Window, opts: dict[str, Any]) -> list[Window]:
    doc = window.doc
    if not opts["sentences"] or not doc.has_annotation("SENT_START"):
        return [window]
    parts = []
    for sent in doc.sents:
        start, end = max(sent.start, window.start), min(sent.end, window.end)
        if start < end:
            parts.append(Window(doc, start, end))
    return parts


def tag_of(token: Token, fine_grained: bool) -> str:
    if fine_grained:
        return token.tag_ or token.pos_
    return token.pos_ or token.tag_


def arcs_of(window: Window) -> list[Arc]:
    """An arc per token with a head other than itself inside the window; nested arcs
    get a higher level than every arc they enclose."""
    raw = []
    for tok in window.tokens:
        if not tok.has_dep():
            continue
        head = tok.head.i
        if head == tok.i or not window.start <= head < window.end:
            continue
        child, head = tok.i - window.start, head - window.start
        raw.append((min(child, head), max(child, head), tok.dep_, child, head))
    raw.sort(key=lambda a: a[1] - a[0])
    placed: list[Arc] = []
    for start, end, label, child, head in raw:
        inner = [a.level for a in placed if start <= a.start and a.end <= end]
        placed.append(Arc(start, end, label, child, head, max(inner, default=0) + 1))
    return placed


def _render_svg(window: Window, opts: dict[str, Any]) -> str:
    tokens = window.tokens
    distance = opts["distance"]
    if opts["compact"] and distance == DEP_DEFAULTS["distance"]:
        distance = COMPACT_DISTANCE
    words = [t.text for t in tokens]
    tags = [tag_of(t, opts["fine_grained"]) for t in tokens]
    widths = [
        max(distance, max(len(w), len(tg)) * CHAR_EM * FONT_PX + 25)
        for w, tg in zip(words, tags, strict=True)
    ]
    centres, x = [], OFFSET_X
    for w in widths:
        centres.append(x + w / 2)
        x += w
    width = x + OFFSET_X
    arcs = arcs_of(window)
    step = distance / 3
    top = LABEL_PX * 2 + 10
    base = top + max((a.level for a in arcs), default=0) * step
    word_y = base + opts["word_spacing"]
    height = word_y + FONT_PX * 2.5 + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="treadle-dep-svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" direction="ltr" '
        f'style="max-width: none; display: block; color: {esc(opts["color"])}; '
        f'background: {esc(opts["bg"])}; font-family: {esc(opts["font"])}">'
    ]
    for i, (word, tag) in enumerate(zip(words, tags, strict=True)):
        cx = centres[i]
        out.append(
            f'<text class="treadle-word" data-i="{i}" fill="currentColor" text-anchor="middle" '
            f'y="{word_y:.1f}"><tspan class="treadle-word-text" x="{cx:.1f}" '
            f'font-size="{FONT_PX}">{esc(word)}</tspan><tspan class="treadle-word-tag" '
            f'x="{cx:.1f}" dy="1.6em" font-size="{FONT_PX - 2}">{esc(tag)}</tspan></text>'
        )
    for arc in arcs:
        out.append(_arc_svg(arc, centres, base, step, opts))
    out.append("</svg>")
    return (
        '<div class="treadle-dep" style="overflow-x: auto; overflow-y: hidden; '
        f'margin-bottom: 1.5rem; background: {esc(opts["bg"])}">' + "".join(out) + "</div>"
    )


def _arc_svg(arc: Arc, centres: list[float], base: float, step: float, opts: dict) -> str:
    off = opts["arrow_spacing"]
    x1, x2 = centres[arc.start] + off, centres[arc.end] - off
    peak = arc.level * step
    if opts["compact"]:
        path = f"M{x1:.1f},{base:.1f} V{base - peak:.1f} H{x2:.1f} V{base:.1f}"
    else:
        # Control points straight above the feet: the curve leaves and lands vertically
        # (so the arrow head fits) and tops out at 3/4 of their height.
        h = peak / 0.75
        path = f"M{x1:.1f},{base:.1f} C{x1:.1f},{base - h:.1f} {x2:.1f},{base - h:.1f} {x2:.1f},{base:.1f}"
    tip = x1 if arc.child == arc.start else x2
    w = opts["arrow_width"]
    arrow = (
        f"{tip:.1f},{base:.1f} {tip - w / 2:.1f},{base - w:.1f} {tip + w / 2:.1f},{base - w:.1f}"
    )
    mid = (x1 + x2) / 2
    return (
        f'<g class="treadle-arc" data-head="{arc.head}" data-child="{arc.child}" '
        f'data-label="{esc(arc.label)}"><path class="treadle-arc-line" d="{path}" fill="none" '
        f'stroke="currentColor" stroke-width="{opts["arrow_stroke"]}"/>'
        f'<polygon class="treadle-arrow" points="{arrow}" fill="currentColor"/>'
        f'<text class="treadle-arc-label" x="{mid:.1f}" y="{base - peak - 6:.1f}" '
        f'text-anchor="middle" font-size="{LABEL_PX}" fill="currentColor">{esc(arc.label)}</text></g>'
    )
