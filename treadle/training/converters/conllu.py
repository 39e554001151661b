"""CoNLL-U reader: sentences as column lists, then Docs.

Follows the CoNLL-U format: ten tab-separated columns per word, ``#`` comment lines
(``# text``, ``# sent_id``), a blank line after each sentence. Multiword tokens
(``3-4 didn't``) are read as their syntactic words, whose ``spaces`` make them spell
the surface form (the range line's ``SpaceAfter`` goes to the last part); with
``merge_subtokens`` the range becomes one token carrying the annotation of its head
part. Empty nodes (``5.1``) and enhanced dependencies are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from treadle.errors import DataError
from treadle.training.converters._lines import text_lines
from treadle.training.converters.docs import Sentence, sentences_to_docs

if TYPE_CHECKING:
    from treadle.tokens import Doc, Vocab


def _value(col: str) -> str:
    """The CoNLL-U placeholder ``_`` means "no value"."""
    return "" if col == "_" else col


def _space_after(misc: str) -> bool:
    return "SpaceAfter=No" not in misc


class _Reader:
    """Accumulates one sentence's lines, validating as it goes."""

    def __init__(self, source: str, merge_subtokens: bool) -> None:
        self.source = source
        self.merge = merge_subtokens

    def error(self, lineno: int, msg: str) -> DataError:
        return DataError(f"{self.source}, line {lineno}: {msg}")

    def sentence(self, lines: list[tuple[int, str]]) -> Sentence:
        sent = Sentence(line=lines[0][0], source=self.source)
        rows: list[list[str]] = []  # the syntactic words' columns
        row_lines: list[int] = []
        ranges: list[tuple[int, int, str, bool, int]] = []  # (first id, last id, form, space, line)
        for lineno, line in lines:
            if line[0] == "#":
                key, eq, value = line[1:].partition("=")
                key = key.strip()
                if eq and key == "text":
                    sent.text = value.strip()
                elif eq and key == "sent_id":
                    sent.sent_id = value.strip()
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise self.error(
                    lineno, f"expected 10 tab-separated columns, found {len(cols)}: {line[:80]!r}"
                )
            wid = cols[0]
            if wid.isdigit():
                if int(wid) != len(rows) + 1:
                    raise self.error(
                        lineno, f"word id {wid} out of sequence (expected {len(rows) + 1})"
                    )
                rows.append(cols)
                row_lines.append(lineno)
            elif "." in wid:
                continue  # empty node of the enhanced graph
            elif "-" in wid:
                first, _, last = wid.partition("-")
                if not (first.isdigit() and last.isdigit() and int(first) <= int(last)):
                    raise self.error(lineno, f"bad multiword token range {wid!r}")
                if int(first) != len(rows) + 1:
                    raise self.error(lineno, f"multiword token {wid} does not start at the next word")
                ranges.append((int(first), int(last), cols[1], _space_after(cols[9]), lineno))
            else:
                raise self.error(lineno, f"bad word id {wid!r}")
        if not rows:
            raise self.error(lines[0][0], "sentence without words")
        n = len(rows)
        for first, last, _form, _space, lineno in ranges:
            if last > n:
                raise self.error(lineno, f"multiword token {first}-{last} runs past the last word {n}")
        heads = []
        for cols, lineno in zip(rows, row_lines, strict=True):
            head = cols[6]
            if head == "_":
                heads.append(-1)
            elif head.isdigit() and int(head) <= n:
                # UD heads are 1-based with 0 for the root; the root points at itself.
                h = int(head)
                heads.append(h - 1 if h else len(heads))
            else:
                raise self.error(lineno, f"bad HEAD {head!r} (the sentence has {n} words)")
        sent.words = [c[1] for c in rows]
        sent.spaces = [_space_after(c[9]) for c in rows]
        sent.lemmas = [_value(c[2]) for c in rows]
        sent.pos = [_value(c[3]) for c in rows]
        sent.tags = [_value(c[4]) for c in rows]
        sent.morphs = [_value(c[5]) for c in rows]
        sent.heads = heads
        sent.deps = [_value(c[7]) if h >= 0 else "" for c, h in zip(rows, heads, strict=True)]
        if ranges:
            if self.merge:
                _merge_ranges(sent, ranges)
            else:
                for first, last, _form, space, _lineno in ranges:
                    for i in range(first - 1, last - 1):
                        sent.spaces[i] = False
                    sent.spaces[last - 1] = space
        return sent


def _merge_ranges(sent: Sentence, ranges: list[tuple[int, int, str, bool, int]]) -> None:
    """Collapse each multiword range into one token with its head part's annotation."""
    n = len(sent.words)
    new_index = list(range(n))  # old word -> new token
    keep: list[int] = []  # the old word whose annotation each new token takes
    forms: dict[int, tuple[str, bool]] = {}
    r = 0
    i = 0
    while i < n:
        if r < len(ranges) and ranges[r][0] - 1 == i:
            first, last, form, space, _ = ranges[r]
            lo, hi = first - 1, last  # old words lo..hi-1
            inside = range(lo, hi)
            # The head part is the one attached outside the range (or the root).
            head_part = next(
                (k for k in inside if not (lo <= sent.heads[k] < hi) or sent.heads[k] == k), lo
            )
            for k in inside:
                new_index[k] = len(keep)
            forms[len(keep)] = (form, space)
            keep.append(head_part)
            i = hi
            r += 1
        else:
            new_index[i] = len(keep)
            keep.append(i)
            i += 1
    words, spaces = [], []
    for t, old in enumerate(keep):
        if t in forms:
            words.append(forms[t][0])
            spaces.append(forms[t][1])
        else:
            words.append(sent.words[old])
            spaces.append(sent.spaces[old])
    sent.words, sent.spaces = words, spaces
    sent.tags = [sent.tags[k] for k in keep]
    sent.pos = [sent.pos[k] for k in keep]
    sent.morphs = [sent.morphs[k] for k in keep]
    sent.lemmas = [sent.lemmas[k] for k in keep]
    sent.deps = [sent.deps[k] for k in keep]
    sent.heads = [new_index[sent.heads[k]] if sent.heads[k] >= 0 else -1 for k in keep]


def _sentence_blocks(lines: Iterable[str]) -> Iterator[list[tuple[int, str]]]:
    block: list[tuple[int, str]] = []
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if line.strip():
            block.append((lineno, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def read_conllu(
    source: str | Path | Iterable[str], *, merge_subtokens: bool = False, name: str | None = None
) -> Iterator[Sentence]:
    """Yield the sentences of a CoNLL-U file (a path) or of an iterable of lines."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        reader = _Reader(name or str(path), merge_subtokens)
        for block in _sentence_blocks(text_lines(path, name)):
            if any(ln[1][0] != "#" for ln in block):
                yield reader.sentence(block)
    else:
        reader = _Reader(name or "<input>", merge_subtokens)
        for block in _sentence_blocks(source):
            if any(ln[1][0] != "#" for ln in block):
                yield reader.sentence(block)


def conllu_to_docs(
    source: str | Path | Iterable[str],
    vocab: Vocab | None = None,
    *,
    n_sents: int = 1,
    merge_subtokens: bool = False,
    name: str | None = None,
) -> Iterator[Doc]:
    """Docs of ``n_sents`` sentences each (sentence starts kept) from a CoNLL-U source."""
    sents = read_conllu(source, merge_subtokens=merge_subtokens, name=name)
    yield from sentences_to_docs(sents, vocab, n_sents=n_sents)
