"""``LABEL TEXT`` lines: one text classification example per line.

The label is everything before the first tab or space, the text everything after it.
Each Doc's ``cats`` is one-hot over every label the file holds (exclusive classes),
so each Doc names all the classes, the one it belongs to with 1.0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from treadle.errors import DataError
from treadle.training.converters._lines import text_lines

if TYPE_CHECKING:
    from treadle.tokens import Doc

_SPLIT = re.compile(r"[ \t]")


def read_textcat(
    source: str | Path | Iterable[str], *, name: str | None = None
) -> list[tuple[int, str, str]]:
    """``(line number, label, text)`` for each non-blank line. All of them at once: the
    labels must be known before the first Doc's one-hot cats can be written."""
    if isinstance(source, (str, Path)):
        lines: Iterable[str] = text_lines(source, name)
        name = name or str(source)
    else:
        lines, name = source, name or "<input>"
    out = []
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = _SPLIT.split(line.lstrip(" \t"), maxsplit=1)
        text = parts[1].strip() if len(parts) == 2 else ""
        if not text:
            raise DataError(
                f"{name}, line {lineno}: expected 'LABEL TEXT' (a label, a tab or space, "
                f"then the text), got {line!r:.80}"
            )
        out.append((lineno, parts[0], text))
    return out


def textcat_to_docs(
    path: str | Path, make_doc: Callable[[str], Doc], *, name: str | None = None
) -> Iterator[Doc]:
    """Docs tokenized by ``make_doc``, with one-hot ``cats`` over the file's labels."""
    records = read_textcat(path, name=name)
    labels = sorted({label for _, label, _ in records})
    for _, label, text in records:
        doc = make_doc(text)
        doc.cats = {lab: float(lab == label) for lab in labels}
        yield doc


__all__ = ["read_textcat", "textcat_to_docs"]
