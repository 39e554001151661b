"""IOB/IOB2 reader for entity annotation.

Two layouts, detected per file from its first data line:

- columns, one token per line, a blank line between sentences, ``#`` comments
  (``# text`` gives the spacing when it matches the tokens): ``ID TOKEN TAG ...`` as in
  Universal NER, where the ids count 1..n in each sentence, or ``TOKEN ... TAG`` (the
  tag in the last column, as in CoNLL-2003; ``-DOCSTART-`` lines are skipped);
- one sentence per line, tokens separated by spaces, each ``TOKEN|TAG`` or
  ``TOKEN|POS|TAG``.

Tags may be IOB1 or IOB2; they are validated and normalised to IOB2.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from treadle.errors import DataError
from treadle.tokens.iob_utils import biluo_to_iob, iob_to_biluo
from treadle.training.converters._lines import text_lines
from treadle.training.converters.docs import Sentence, sentences_to_docs

if TYPE_CHECKING:
    from treadle.tokens import Doc, Vocab


def _spaces_from_text(words: list[str], text: str | None) -> list[bool]:
    """Spacing read off the sentence text when the tokens spell it; else a space after each."""
    spaces = [True] * len(words)
    if words:
        spaces[-1] = False
    if not text:
        return spaces
    pos = 0
    for i, word in enumerate(words):
        found = text.find(word, pos)
        if found < 0 or text[pos:found].strip():
            return [True] * (len(words) - 1) + [False]
        if i > 0:
            spaces[i - 1] = found > pos
        pos = found + len(word)
    spaces[-1] = False
    return spaces


def _normalise(tags: list[str], source: str, lines: list[int]) -> list[str]:
    try:
        return biluo_to_iob(iob_to_biluo(tags))
    except DataError as err:
        i = getattr(err, "token_index", 0)
        raise DataError(f"{source}, line {lines[i]}: {err}") from None


def _column_sentence(block: list[tuple[int, str]], source: str) -> Sentence | None:
    text = sent_id = None
    rows: list[list[str]] = []
    lines: list[int] = []
    for lineno, line in block:
        if line.startswith("#"):
            key, eq, value = line[1:].partition("=")
            if eq and key.strip() == "text":
                text = value.strip()
            elif eq and key.strip() == "sent_id":
                sent_id = value.strip()
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        if cols[0] == "-DOCSTART-":
            continue
        if len(cols) < 2:
            raise DataError(
                f"{source}, line {lineno}: expected at least 2 columns (token and tag), "
                f"found {len(cols)}: {line[:80]!r}"
            )
        rows.append(cols)
        lines.append(lineno)
    if not rows:
        return None
    # UNER-style: the first column counts 1..n, then token, then tag.
    with_ids = all(len(c) >= 3 and c[0] == str(i) for i, c in enumerate(rows, 1))
    if with_ids:
        words = [c[1] for c in rows]
        tags = [c[2] for c in rows]
    else:
        widths = {len(c) for c in rows}
        if len(widths) != 1:
            bad = next(i for i, c in enumerate(rows) if len(c) != len(rows[0]))
            raise DataError(
                f"{source}, line {lines[bad]}: found {len(rows[bad])} columns where the "
                f"sentence's first line has {len(rows[0])}"
            )
        words = [c[0] for c in rows]
        tags = [c[-1] for c in rows]
    ents = _normalise(tags, source, lines)
    sent = Sentence(words=words, spaces=_spaces_from_text(words, text), text=text, line=lines[0],
                    source=source)  # fmt: skip
    sent.ents = ents
    sent.sent_id = sent_id
    return sent


def _pipe_sentence(lineno: int, line: str, source: str) -> Sentence:
    words, tags = [], []
    for item in line.split():
        parts = item.split("|")
        if len(parts) < 2:
            raise DataError(f"{source}, line {lineno}: expected TOKEN|TAG, found {item!r}")
        words.append(parts[0])
        tags.append(parts[-1])
    ents = _normalise(tags, source, [lineno] * len(tags))
    sent = Sentence(words=words, spaces=[True] * (len(words) - 1) + [False], line=lineno,
                    source=source)  # fmt: skip
    sent.ents = ents
    return sent


def read_iob(source: str | Path | Iterable[str], *, name: str | None = None) -> Iterator[Sentence]:
    """Yield the sentences (words, spaces, IOB2 ``ents``) of an IOB file or lines."""
    if isinstance(source, (str, Path)):
        yield from _read_lines(text_lines(source, name), name or str(source))
    else:
        yield from _read_lines(source, name or "<input>")


def _is_pipe_format(line: str) -> bool:
    items = line.split()
    return len(items) > 0 and "\t" not in line and all("|" in it for it in items)


def _read_lines(lines: Iterable[str], source: str) -> Iterator[Sentence]:
    layout: str | None = None
    block: list[tuple[int, str]] = []
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if layout is None and line.strip() and not line.startswith("#"):
            layout = "pipe" if _is_pipe_format(line) else "columns"
        if layout == "pipe":
            if line.strip() and not line.startswith("#"):
                yield _pipe_sentence(lineno, line, source)
            continue
        if line.strip():
            block.append((lineno, line))
        elif block:
            sent = _column_sentence(block, source)
            block = []
            if sent is not None:
                yield sent
    if block and layout != "pipe":
        sent = _column_sentence(block, source)
        if sent is not None:
            yield sent


def iob_to_docs(
    source: str | Path | Iterable[str],
    vocab: Vocab | None = None,
    *,
    n_sents: int = 1,
    name: str | None = None,
) -> Iterator[Doc]:
    """Docs of ``n_sents`` sentences each, with their entities, from an IOB source."""
    yield from sentences_to_docs(read_iob(source, name=name), vocab, n_sents=n_sents)
