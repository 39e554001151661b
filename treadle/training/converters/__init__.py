"""Corpus converters: CoNLL-U, IOB/IOB2, JSONL and ``LABEL TEXT`` files to Docs."""

from __future__ import annotations

from pathlib import Path

from treadle.training.converters.conllu import Sentence, conllu_to_docs, read_conllu
from treadle.training.converters.docs import sentences_to_doc, sentences_to_docs
from treadle.training.converters.iob import iob_to_docs, read_iob
from treadle.training.converters.jsonl import jsonl_to_docs, read_jsonl
from treadle.training.converters.textcat import read_textcat, textcat_to_docs

# "textcat" has no extension of its own: .txt is too common to claim in a folder.
CONVERTERS = ("conllu", "iob", "jsonl", "textcat")
EXTENSIONS = {
    ".conllu": "conllu",
    ".conll": "conllu",
    ".iob": "iob",
    ".iob2": "iob",
    ".bio": "iob",
    ".ner": "iob",
    ".tsv": "iob",
    ".jsonl": "jsonl",
}


def converter_for_path(path: str | Path) -> str | None:
    """The converter name for a file's extension, or None if it is not recognised."""
    return EXTENSIONS.get(Path(path).suffix.lower())


__all__ = [
    "CONVERTERS",
    "EXTENSIONS",
    "Sentence",
    "conllu_to_docs",
    "converter_for_path",
    "iob_to_docs",
    "jsonl_to_docs",
    "read_conllu",
    "read_iob",
    "read_jsonl",
    "read_textcat",
    "sentences_to_doc",
    "sentences_to_docs",
    "textcat_to_docs",
]
