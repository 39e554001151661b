"""The "ent" style: the text, each entity in a coloured mark with its label."""

from __future__ import annotations

from typing import Any

from treadle.visualize._common import Window, esc, label_color

ENT_DEFAULTS: dict[str, Any] = {
    "ents": None,  # labels to show; None for all
    "colors": {},  # label -> CSS colour, over the default palette
    "font": "Arial, sans-serif",
}

_MARK = (
    "padding: 0.25em 0.4em; margin: 0 0.2em; line-height: 1; border-radius: 0.35em; "
    "box-decoration-break: clone; -webkit-box-decoration-break: clone"
)
_LABEL = (
    "font-size: 0.75em; font-weight: bold; line-height: 1; vertical-align: middle; "
    "margin-left: 0.5rem"
)


def render_ent(window: Window, opts: dict[str, Any]) -> str:
    doc = window.doc
    keep = opts["ents"]
    ents = [
        e for e in doc.ents
        if window.holds(e) and (keep is None or e.label_ in keep)
    ]  # fmt: skip
    begin = doc[window.start].idx if window.end > window.start else 0
    finish = doc[window.end - 1].idx + len(doc[window.end - 1]) if window.end > window.start else 0
    text = doc.text
    parts, at = [], begin
    for ent in ents:
        parts.append(esc(text[at : ent.start_char]))
        color = esc(label_color(ent.label_, opts["colors"]))
        label = esc(ent.label_)
        parts.append(
            f'<mark class="treadle-entity" data-label="{label}" style="background: {color}; '
            f'{_MARK}"><span class="treadle-entity-text">{esc(ent.text)}</span>'
            f'<span class="treadle-entity-label" style="{_LABEL}">{label}</span></mark>'
        )
        at = ent.end_char
    parts.append(esc(text[at:finish]))
    # pre-wrap keeps the Doc's own spaces and newlines; overflow-x catches a word too
    # long for the line.
    return (
        '<div class="treadle-ents" style="line-height: 2.5; direction: ltr; '
        f'white-space: pre-wrap; overflow-x: auto; font-family: {esc(opts["font"])}">'
        + "".join(parts)
        + "</div>"
    )
