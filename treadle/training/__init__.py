"""Training data and the training loop: Example, alignment, tag schemes, converters."""

from treadle.tokens.alignment import Alignment, Ragged
from treadle.tokens.example import Example
from treadle.tokens.iob_utils import (
    biluo_tags_to_offsets,
    biluo_tags_to_spans,
    biluo_to_iob,
    iob_to_biluo,
    offsets_to_biluo_tags,
    remove_bilu_prefix,
)
from treadle.training import augment, batchers, loggers, tracking  # noqa: F401  (registration)
from treadle.training.converters import (
    conllu_to_docs,
    iob_to_docs,
    jsonl_to_docs,
    read_conllu,
    read_iob,
    read_jsonl,
)
from treadle.training.corpus import Corpus, JsonlCorpus
from treadle.training.initialize import init_nlp
from treadle.training.loop import train
from treadle.training.pretrain import pretrain

__all__ = [
    "pretrain",
    "Alignment",
    "Corpus",
    "JsonlCorpus",
    "init_nlp",
    "train",
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
