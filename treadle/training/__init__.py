"""Training data and the training loop: Example, alignment, tag schemes, converters."""

from treadle.training.alignment import Alignment, Ragged
from treadle.training.converters import (
    conllu_to_docs,
    iob_to_docs,
    jsonl_to_docs,
    read_conllu,
    read_iob,
    read_jsonl,
)
from treadle.training.example import Example
from treadle.training.iob_utils import (
    biluo_tags_to_offsets,
    biluo_tags_to_spans,
    biluo_to_iob,
    iob_to_biluo,
    offsets_to_biluo_tags,
    remove_bilu_prefix,
)

__all__ = [
    "Alignment",
    "Example",
    "Ragged",
    "biluo_tags_to_offsets",
    "biluo_tags_to_spans",
    "biluo_to_iob",
    "conllu_to_docs",
    "iob_to_biluo",
    "iob_to_docs",
    "jsonl_to_docs",
    "offsets_to_biluo_tags",
    "read_conllu",
    "read_iob",
    "read_jsonl",
    "remove_bilu_prefix",
]
