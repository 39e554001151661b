"""The data model: strings, vocab, Doc/Token/Span, span groups, vectors, DocBin."""

from treadle.tokens import attrs
from treadle.tokens.doc import Doc
from treadle.tokens.docbin import DocBin
from treadle.tokens.morphology import MorphAnalysis
from treadle.tokens.span import Span
from treadle.tokens.span_group import SpanGroup, SpanGroups
from treadle.tokens.strings import StringStore, hash_string
from treadle.tokens.token import Token
from treadle.tokens.vectors import Vectors
from treadle.tokens.vocab import Lexeme, Vocab

__all__ = [
    "attrs",
    "Doc",
    "DocBin",
    "Lexeme",
    "MorphAnalysis",
    "Span",
    "SpanGroup",
    "SpanGroups",
    "StringStore",
    "Token",
    "Vectors",
    "Vocab",
    "hash_string",
]


def __getattr__(name: str):
    # DocBin is imported on first use: most callers never need it.
    if name == "DocBin":
        return DocBin
    raise AttributeError(f"module 'treadle.tokens' has no attribute {name!r}")
