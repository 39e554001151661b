"""Long inputs: the parser and ner predict over a block table computed on demand
(``TransitionModel.prediction_table``), and give the same analyses as the full table.

The parser is trained for a few steps on the EWT sample, the ner on the toy sentences
of tests/pipeline/helpers.py; the tables are forced small (blocks of 16 tokens, at most
2 held) so that one Doc of joined dev sentences spans many blocks and the stack's (or
the open entity's) reach back evicts and recomputes some of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import treadle
from tests.helpers import load_sample_examples
from tests.pipeline.helpers import trained_ner
from tests.pipeline.test_parser import parser_cfg
from treadle.language import Language
from treadle.ml import fix_random_seed
from treadle.ml.architectures.parser import BlockTable

BLOCK_ROWS = 16


@pytest.fixture(scope="module")
def parser_nlp() -> Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("parser", config=parser_cfg())
    examples = load_sample_examples(nlp, "ewt-sample-train.conllu", 80, n_sents=3, tokenize=True)
    opt = nlp.initialize(lambda: examples)
    for _ in range(2):
        for i in range(0, len(examples), 16):
            nlp.update(examples[i : i + 16], sgd=opt)
    return nlp


@pytest.fixture(scope="module")
def ner_nlp() -> Language:
    # Trained on the toy sentences: it finds entities all over the UNER dev text (a
    # few steps on the sample find none, and all-O would compare nothing).
    return trained_ner()


def dev_texts(nlp: Language, dev_file: str) -> list[str]:
    """One long text of 60 dev sentences, and two short ones to batch it with."""
    texts = [eg.reference.text for eg in load_sample_examples(nlp, dev_file, 62)]
    return [" ".join(texts[:60]), texts[60], texts[61]]


@contextmanager
def tables(nlp: Language, name: str, *, lazy: bool) -> Iterator[list[Any]]:
    """Force the full table or the block table (blocks of BLOCK_ROWS tokens, at most
    two held) on component ``name``; yields the tables its predictions made."""
    model = nlp.get_pipe(name).model
    made: list[Any] = []
    original = model.prediction_table

    def record(tokvecs: Any) -> Any:
        made.append(original(tokvecs))
        return made[-1]

    model.block_rows, model.max_blocks = BLOCK_ROWS, 2
    model.full_table_rows = 0 if lazy else 10**9
    model.prediction_table = record
    try:
        yield made
    finally:
        for attr in ("block_rows", "max_blocks", "full_table_rows", "prediction_table"):
            delattr(model, attr)


@contextmanager
def beam(nlp: Language, name: str, width: int) -> Iterator[None]:
    cfg = nlp.get_pipe(name).cfg
    before = cfg["beam_width"]
    cfg["beam_width"] = width
    try:
        yield
    finally:
        cfg["beam_width"] = before


def compare(nlp: Language, name: str, texts: list[str], read: Callable[[Any], Any]) -> None:
    with tables(nlp, name, lazy=False) as full_tables:
        full = [read(doc) for doc in nlp.pipe(texts)]
    with tables(nlp, name, lazy=True) as lazy_tables:
        lazy = [read(doc) for doc in nlp.pipe(texts)]
    assert lazy == full
    assert full_tables and not any(isinstance(t, BlockTable) for t in full_tables)
    (blocks,) = lazy_tables
    assert isinstance(blocks, BlockTable)
    # The long Doc spans many blocks and the budget held a few (two, more for a step
    # that needs more): some blocks were computed again.
    n_blocks = len(blocks.slot_of)
    assert n_blocks > 20 and blocks.computed > n_blocks and blocks.capacity * 4 < n_blocks


def parse_of(doc: Any) -> tuple[list[int], list[str], list[bool]]:
    return [t.head.i for t in doc], [t.dep_ for t in doc], [bool(t.is_sent_start) for t in doc]


def ents_of(doc: Any) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.label_) for e in doc.ents]


@pytest.mark.parametrize("width", [1, 3])
def test_parser_block_table_gives_the_full_table_parses(parser_nlp: Language, width: int) -> None:
    texts = dev_texts(parser_nlp, "ewt-sample-dev.conllu")
    with beam(parser_nlp, "parser", width):
        compare(parser_nlp, "parser", texts, parse_of)


@pytest.mark.parametrize("width", [1, 3])
def test_ner_block_table_gives_the_full_table_entities(ner_nlp: Language, width: int) -> None:
    texts = dev_texts(ner_nlp, "uner-sample-dev.iob2")
    with beam(ner_nlp, "ner", width):
        compare(ner_nlp, "ner", texts, ents_of)
    assert any(ents_of(doc) for doc in ner_nlp.pipe(texts))


def test_default_tables_switch_only_for_long_inputs(parser_nlp: Language) -> None:
    with tables(parser_nlp, "parser", lazy=False):
        model = parser_nlp.get_pipe("parser").model
        model.full_table_rows = 30
        short, long = parser_nlp.make_doc("I like green eggs ."), parser_nlp.make_doc("a " * 31)
        assert not isinstance(model.prediction_table(model.encode([short])), BlockTable)
        assert isinstance(model.prediction_table(model.encode([long])), BlockTable)
