"""The lines of a corpus file, with undecodable or binary input as a ``DataError``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from treadle.errors import DataError


def text_lines(path: str | Path, name: str | None = None) -> Iterator[str]:
    """Yield the lines of a UTF-8 text file (newline kept). Decoding line by line lets
    the error name the line, and a NUL byte (never in a text corpus) marks a binary file
    before its bytes are read as tokens."""
    name = name or str(path)
    try:
        with Path(path).open("rb") as f:
            yield from _decoded(f, name)
    except OSError as err:
        raise DataError(f"Can't read {name}: {err.strerror or err}") from None


def _decoded(f: Iterable[bytes], name: str) -> Iterator[str]:
    for lineno, raw in enumerate(f, 1):
        if b"\x00" in raw:
            raise DataError(f"{name}, line {lineno}: NUL byte; is this a binary file?")
        try:
            yield raw.decode("utf8")
        except UnicodeDecodeError as err:
            raise DataError(
                f"{name}, line {lineno}: not valid UTF-8 (byte {raw[err.start]:#04x} at "
                f"column {err.start + 1}); is this a binary file?"
            ) from None
