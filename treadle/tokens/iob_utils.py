"""Entity tag schemes: character offsets, BILUO tags, IOB tags, spans.

BILUO marks each token ``B-X`` (begins a multi-token entity), ``I-X`` (inside),
``L-X`` (last), ``U-X`` (a one-token entity), ``O`` (outside) or ``-`` (unknown:
the annotation says nothing about this token). IOB2 uses only ``B``/``I``/``O``;
IOB1 starts an entity with ``I`` too and uses ``B`` only between two adjacent
entities of the same type. Both read the same way: an ``I-X`` after something other
than a ``B-X``/``I-X`` begins a new entity.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import AlignmentWarning, DataError
from treadle.tokens import Span
from treadle.tokens.attrs import IDX, LENGTH

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc

MISSING = "-"
OUTSIDE = "O"
_PREFIXES = ("B-", "I-", "L-", "U-")


def remove_bilu_prefix(label: str) -> str:
    """``"B-PER"`` -> ``"PER"``; a label without a B/I/L/U prefix is returned unchanged."""
    if label[:2] in _PREFIXES:
        return label[2:]
    return label


def _split(tag: str, i: int, allowed: str) -> tuple[str, str]:
    """(prefix letter, label) of a tag; "O"/"-" give (tag, "")."""
    if tag in (OUTSIDE, MISSING, ""):
        return (tag or OUTSIDE), ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in allowed:
        return tag[0], tag[2:]
    err = DataError(
        f"Invalid entity tag {tag!r} at token {i}: expected O, -, or "
        f"{'/'.join(allowed)} followed by '-' and a label (e.g. '{allowed[0]}-PER')."
    )
    err.token_index = i  # type: ignore[attr-defined]  # lets readers name the file line
    raise err


def iob_to_biluo(tags: Iterable[str]) -> list[str]:
    """Convert IOB1 or IOB2 tags (``"-"`` allowed for missing) to BILUO tags."""
    parsed = [_split(t, i, "BI") for i, t in enumerate(tags)]
    n = len(parsed)
    out: list[str] = []
    for i, (prefix, label) in enumerate(parsed):
        if not label:
            out.append(prefix)
            continue
        prev = parsed[i - 1] if i > 0 else ("O", "")
        nxt = parsed[i + 1] if i + 1 < n else ("O", "")
        begins = prefix == "B" or prev[1] != label
        continues = nxt[0] == "I" and nxt[1] == label
        if begins:
            out.append(f"B-{label}" if continues else f"U-{label}")
        else:
            out.append(f"I-{label}" if continues else f"L-{label}")
    return out


def biluo_to_iob(tags: Iterable[str]) -> list[str]:
    """Convert BILUO tags to IOB2 (``L`` becomes ``I``, ``U`` becomes ``B``)."""
    out = []
    for i, tag in enumerate(tags):
        prefix, label = _split(tag, i, "BILU")
        if not label:
            out.append(prefix)
        elif prefix in "BU":
            out.append(f"B-{label}")
        else:
            out.append(f"I-{label}")
    return out


def biluo_to_token_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start token, end token exclusive, label) for each entity; invalid sequences raise."""
    spans: list[tuple[int, int, str]] = []
    open_start = -1
    open_label = ""
    for i, tag in enumerate(tags):
        prefix, label = _split(tag, i, "BILU")
        if open_start >= 0 and (prefix not in "IL" or label != open_label):
            raise DataError(
                f"Invalid BILUO sequence at token {i}: entity {open_label!r} begun at "
                f"token {open_start} is not closed by an L-{open_label} tag "
                f"(found {tag!r})."
            )
        if prefix == "U":
            spans.append((i, i + 1, label))
        elif prefix == "B":
            open_start, open_label = i, label
        elif prefix in "IL":
            if open_start < 0:
                raise DataError(
                    f"Invalid BILUO sequence at token {i}: {tag!r} does not follow a "
                    f"B-{label} or I-{label} tag."
                )
            if prefix == "L":
                spans.append((open_start, i + 1, label))
                open_start, open_label = -1, ""
    if open_start >= 0:
        raise DataError(
            f"Invalid BILUO sequence: entity {open_label!r} begun at token {open_start} "
            f"is never closed (the tags end at token {len(tags) - 1})."
        )
    return spans


def doc_char_offsets(doc: Doc) -> tuple[np.ndarray, np.ndarray]:
    """Start and end character offsets of every token of ``doc``."""
    arr = doc.to_array([IDX, LENGTH])
    if len(arr) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = arr[:, 0].astype(np.int64)
    return starts, starts + arr[:, 1].astype(np.int64)


def offsets_to_biluo_tags(
    doc: Doc, entities: Iterable[Sequence[Any]], missing: str = OUTSIDE
) -> list[str]:
    """BILUO tags for ``doc`` from ``(start_char, end_char, label)`` entities.

    Tokens outside every entity get ``missing`` (``"O"``: known to be outside; ``"-"``:
    unknown). An entity whose ends do not fall on token boundaries cannot be encoded:
    its tokens get ``"-"`` and an :class:`AlignmentWarning` shows the text. Overlapping
    entities raise.
    """
    starts, ends = doc_char_offsets(doc)
    return _offsets_to_biluo(doc.text, starts, ends, entities, missing)


def _offsets_to_biluo(
    text: str,
    starts: np.ndarray,
    ends: np.ndarray,
    entities: Iterable[Sequence[Any]],
    missing: str = OUTSIDE,
) -> list[str]:
    n = len(starts)
    tags = [missing] * n
    owner = np.full(n, -1, dtype=np.int64)
    for k, ent in enumerate(entities):
        if len(ent) != 3:
            raise DataError(f"Entity {k} must be (start_char, end_char, label), got {ent!r}.")
        start_char, end_char, label = int(ent[0]), int(ent[1]), str(ent[2])
        if not (0 <= start_char < end_char <= len(text)):
            raise DataError(
                f"Entity {k} ({start_char}, {end_char}, {label!r}) is outside the text "
                f"of length {len(text)}: {text[:60]!r}"
            )
        # Tokens that overlap the entity's characters at all.
        first = int(np.searchsorted(ends, start_char, side="right"))
        last = int(np.searchsorted(starts, end_char, side="left"))  # exclusive
        touched = np.arange(first, last)
        clash = owner[touched] if len(touched) else owner[:0]
        if np.any(clash >= 0):
            other = int(clash[clash >= 0][0])
            raise DataError(
                f"Entities {other} and {k} overlap in {text[:60]!r}: one token cannot "
                f"belong to two entities ({label!r} at {start_char}-{end_char})."
            )
        owner[touched] = k
        aligned = (
            last > first
            and first < n
            and starts[first] == start_char
            and ends[last - 1] == end_char
        )
        if not aligned:
            for i in touched.tolist():
                tags[i] = MISSING
            warnings.warn(
                f"Entity {text[start_char:end_char]!r} ({start_char}, {end_char}, {label!r}) "
                f"does not fall on token boundaries in {text!r}; its tokens are marked "
                f"missing ('-') instead of being trained on.",
                AlignmentWarning,
                stacklevel=3,
            )
            continue
        if last - first == 1:
            tags[first] = f"U-{label}"
        else:
            tags[first] = f"B-{label}"
            for i in range(first + 1, last - 1):
                tags[i] = f"I-{label}"
            tags[last - 1] = f"L-{label}"
    return tags


def biluo_tags_to_offsets(doc: Doc, tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(start_char, end_char, label)`` of every entity in a BILUO tag sequence."""
    if len(tags) != len(doc):
        raise DataError(f"Got {len(tags)} entity tags for a Doc of {len(doc)} tokens.")
    starts, ends = doc_char_offsets(doc)
    return [
        (int(starts[s]), int(ends[e - 1]), label) for s, e, label in biluo_to_token_spans(tags)
    ]


def biluo_tags_to_spans(doc: Doc, tags: Sequence[str]) -> list[Span]:
    """``Span`` objects (with labels) for every entity in a BILUO tag sequence."""
    if len(tags) != len(doc):
        raise DataError(f"Got {len(tags)} entity tags for a Doc of {len(doc)} tokens.")
    return [Span(doc, s, e, label=label) for s, e, label in biluo_to_token_spans(tags)]

