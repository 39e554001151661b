"""Corpus readers: registered functions that create ``reader(nlp) -> Iterable[Example]``.

``[corpora.train]`` names one (``@readers = "treadle.Corpus.v1"``); the training loop
calls the created reader with the ``nlp`` object each time it needs the data.

- ``treadle.Corpus.v1`` streams ``.docbin`` files: one file, or every ``*.docbin``
  below a folder (recursive, in sorted path order). The reference Doc of each Example
  is the stored Doc; the predicted Doc is ``nlp.make_doc(reference.text)``, so
  evaluation includes the tokenizer's errors. With ``gold_preproc`` the predicted Doc
  takes the reference's own words instead (one Example per reference sentence when
  sentence boundaries are annotated).
  ``max_length`` (tokens, 0 = no limit): a longer Doc is split into its reference
  sentences and each sentence within the limit is kept; a Doc without sentence
  boundaries, and any sentence still too long, is skipped.
  ``limit`` (0 = all): at most this many Examples.
  ``augmenter``: ``augmenter(nlp, example) -> Iterable[Example]``, applied to each.
- ``treadle.JsonlCorpus.v1`` reads raw text from a JSONL file (``{"text": ...}`` per
  line), e.g. for pretraining: each Example's two Docs are the tokenized text.
  Texts shorter than ``min_length`` or longer than ``max_length`` tokens (0 = no
  limit) are skipped.

Readers are plain callables, so a user reader may return any iterable of Examples,
including an endless generator (the loop then stops at ``max_steps``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treadle.config import registry
from treadle.errors import DataError
from treadle.tokens import Doc, DocBin
from treadle.tokens.example import Example

if TYPE_CHECKING:
    from treadle.language import Language

DOCBIN_SUFFIX = ".docbin"

Augmenter = Callable[[Any, Example], Iterable[Example]]
# What a ``[corpora]`` reader is: called with the nlp object, it yields Examples.
Reader = Callable[["Language"], Iterable[Example]]


def walk_corpus(path: str | Path | None, suffix: str = DOCBIN_SUFFIX) -> list[Path]:
    """The corpus files at ``path``: the file itself, or every ``*suffix`` below a folder.
    Errors carry ``setting = "path"`` so the loop can name the config key."""
    if path is None or path == "":
        raise _path_error(
            "the corpus path is not set (null). Set it in the config or on the command "
            "line, e.g. --paths.train ./train.docbin."
        )
    p = Path(path)
    if not p.exists():
        raise _path_error(f"corpus path {str(path)!r} does not exist.")
    if p.is_file():
        return [p]
    files = sorted(f for f in p.rglob(f"*{suffix}") if f.is_file())
    if not files:
        raise _path_error(f"corpus folder {str(path)!r} holds no {suffix} files.")
    return files


def _path_error(message: str) -> DataError:
    err = DataError(message)
    err.setting = "path"  # type: ignore[attr-defined]
    return err


class Corpus:
    """Reader of ``.docbin`` files (see the module docstring)."""

    def __init__(
        self,
        path: str | Path | None,
        *,
        gold_preproc: bool = False,
        max_length: int = 0,
        limit: int = 0,
        augmenter: Augmenter | None = None,
    ) -> None:
        self.path = path
        self.gold_preproc = gold_preproc
        self.max_length = max_length
        self.limit = limit
        self.augmenter = augmenter

    def __repr__(self) -> str:
        return f"<Corpus {str(self.path)!r}>"

    def __call__(self, nlp: Language) -> Iterator[Example]:
        # The file list is read up front so a bad path fails on the first next().
        files = walk_corpus(self.path)
        return self._examples(nlp, files)

    def _examples(self, nlp: Language, files: list[Path]) -> Iterator[Example]:
        n = 0
        for reference in self._read_docs(nlp, files):
            for example in self._make_examples(nlp, reference):
                if self.augmenter is not None:
                    produced = self.augmenter(nlp, example)
                else:
                    produced = (example,)
                for eg in produced:
                    if self.limit and n >= self.limit:
                        return
                    yield eg
                    n += 1

    def _read_docs(self, nlp: Language, files: list[Path]) -> Iterator[Doc]:
        for path in files:
            doc_bin = DocBin().from_disk(path)
            yield from doc_bin.get_docs(nlp.vocab)

    def _pieces(self, reference: Doc) -> list[Doc]:
        """The reference Doc, or its sentences when it is too long (max_length)."""
        if not self.max_length or len(reference) <= self.max_length:
            if self.gold_preproc and _has_sents(reference):
                return [sent.as_doc() for sent in reference.sents]
            return [reference]
        if not _has_sents(reference):
            return []
        return [
            sent.as_doc() for sent in reference.sents if len(sent) <= self.max_length
        ]

    def _make_examples(self, nlp: Language, reference: Doc) -> Iterator[Example]:
        for ref in self._pieces(reference):
            if len(ref) == 0:
                continue
            if self.gold_preproc:
                predicted = Doc(nlp.vocab, words=list(ref.words), spaces=list(ref.spaces))
            else:
                predicted = nlp.make_doc(ref.text)
            yield Example(predicted, ref)


def _has_sents(doc: Doc) -> bool:
    try:
        return bool(doc.has_annotation("SENT_START"))
    except Exception:  # a Doc class without the attribute: treat as unsegmented
        return False


class JsonlCorpus:
    """Raw text from a JSONL file (see the module docstring)."""

    def __init__(
        self,
        path: str | Path | None,
        *,
        min_length: int = 0,
        max_length: int = 0,
        limit: int = 0,
    ) -> None:
        self.path = path
        self.min_length = min_length
        self.max_length = max_length
        self.limit = limit

    def __call__(self, nlp: Language) -> Iterator[Example]:
        files = walk_corpus(self.path, suffix=".jsonl")
        return self._examples(nlp, files)

    def _examples(self, nlp: Language, files: list[Path]) -> Iterator[Example]:
        n = 0
        for path in files:
            with path.open(encoding="utf8") as fh:
                for line_no, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    text = _jsonl_text(line, path, line_no)
                    doc = nlp.make_doc(text)
                    if self.min_length and len(doc) < self.min_length:
                        continue
                    if self.max_length and len(doc) > self.max_length:
                        continue
                    if self.limit and n >= self.limit:
                        return
                    yield Example(doc, doc.copy())
                    n += 1


def _jsonl_text(line: str, path: Path, line_no: int) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}, line {line_no}: not valid JSON ({err.msg}).") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise DataError(f'{path}, line {line_no}: expected an object with a "text" string.')
    return record["text"]


@registry.readers("treadle.Corpus.v1")
def create_docbin_reader(
    path: str | None,
    gold_preproc: bool = False,
    max_length: int = 0,
    limit: int = 0,
    augmenter: Augmenter | None = None,
) -> Corpus:
    """A reader of ``.docbin`` files or folders of them."""
    return Corpus(
        path, gold_preproc=gold_preproc, max_length=max_length, limit=limit, augmenter=augmenter
    )


@registry.readers("treadle.JsonlCorpus.v1")
def create_jsonl_reader(
    path: str | None, min_length: int = 0, max_length: int = 0, limit: int = 0
) -> JsonlCorpus:
    """A reader of raw text from JSONL (``{"text": ...}`` per line)."""
    return JsonlCorpus(path, min_length=min_length, max_length=max_length, limit=limit)


__all__ = ["Corpus", "JsonlCorpus", "create_docbin_reader", "create_jsonl_reader", "walk_corpus"]
