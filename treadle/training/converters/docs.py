"""What every reader produces (``Sentence``: one sentence's column lists) and how those
become Docs of ``n_sents`` sentences."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from treadle.errors import DataError
from treadle.tokens import Doc, Span, Vocab


@dataclass
class Sentence:
    """One sentence's columns; ``heads`` absolute within the sentence, -1 = missing."""

    words: list[str] = field(default_factory=list)
    spaces: list[bool] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    pos: list[str] = field(default_factory=list)
    morphs: list[str] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)
    ents: list[str] | None = None
    text: str | None = None
    sent_id: str | None = None
    line: int = 0  # 1-based line of the sentence's first line in its file
    source: str = "<input>"  # the file it came from, for error messages

    def __len__(self) -> int:
        return len(self.words)


def _none_if_empty(values: list[str]) -> list[str | None]:
    return [v or None for v in values]


def sentences_to_doc(vocab: Vocab, sents: list[Sentence], *, group_size: int | None = None) -> Doc:
    """One Doc holding ``sents`` in order, sentence starts marked.

    Inside each run of ``group_size`` sentences (default: all) a sentence's last token
    is followed by a space; the run's final token keeps its own spacing.
    """
    group_size = group_size or len(sents)
    words: list[str] = []
    spaces: list[bool] = []
    sent_starts: list[bool] = []
    for k, s in enumerate(sents):
        words.extend(s.words)
        sp = list(s.spaces)
        if (k + 1) % group_size and k + 1 < len(sents) and sp:
            sp[-1] = True  # sentences inside one Doc are separated by a space
        spaces.extend(sp)
        sent_starts.append(True)
        sent_starts.extend([False] * (len(s.words) - 1))
    kwargs: dict[str, Any] = {}
    if any(s.tags for s in sents):
        kwargs["tags"] = [t for s in sents for t in s.tags]
        kwargs["pos"] = _none_if_empty([p for s in sents for p in s.pos])
        kwargs["morphs"] = [m for s in sents for m in s.morphs]
        kwargs["lemmas"] = [x for s in sents for x in s.lemmas]
    if any(h >= 0 for s in sents for h in s.heads):
        heads: list[int | None] = []
        offset = 0
        for s in sents:
            heads.extend(h + offset if h >= 0 else None for h in s.heads)
            offset += len(s.words)
        kwargs["heads"] = heads
        kwargs["deps"] = _none_if_empty([d for s in sents for d in s.deps])
    if any(s.ents is not None for s in sents):
        kwargs["ents"] = [t for s in sents for t in (s.ents or ["-"] * len(s.words))]
    return Doc(vocab, words=words, spaces=spaces, sent_starts=sent_starts, **kwargs)


def _locate(vocab: Vocab, chunk: list[Sentence], err: DataError) -> DataError:
    """Rebuild sentence by sentence to name the file and line of the invalid one."""
    for sent in chunk:
        try:
            sentences_to_doc(vocab, [sent])
        except DataError as inner:
            return DataError(f"{sent.source}, sentence at line {sent.line}: {inner}")
    return err


# Sentences built into one Doc at a time before slicing it into the output Docs: the
# Doc constructor's fixed cost is paid per chunk instead of per sentence.
_CHUNK_SENTS = 512


def sentences_to_docs(sents: Iterable[Sentence], vocab: Vocab | None = None, *, n_sents: int = 1) -> Iterator[Doc]:
    """Group sentences ``n_sents`` at a time into Docs sharing ``vocab`` (a new one if None)."""
    if n_sents < 1:
        raise ValueError(f"n_sents must be at least 1, got {n_sents}")
    vocab = vocab if vocab is not None else Vocab()
    per_chunk = n_sents * max(1, _CHUNK_SENTS // n_sents)
    it = iter(sents)
    while True:
        chunk = list(islice(it, per_chunk))
        if not chunk:
            return
        try:
            big = sentences_to_doc(vocab, chunk, group_size=n_sents)
        except DataError as err:
            raise _locate(vocab, chunk, err) from None
        if len(chunk) <= n_sents:
            yield big
            continue
        start = 0
        for g in range(0, len(chunk), n_sents):
            end = start + sum(len(s.words) for s in chunk[g : g + n_sents])
            yield Span(big, start, end).as_doc()
            start = end
