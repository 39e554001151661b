"""IOB/BILUO tag conversions, and BILUO tags from character offsets."""

import pytest

from tests.tokens.helpers import make
from treadle.errors import AlignmentWarning, DataError
from treadle.tokens.iob_utils import (
    biluo_to_iob,
    biluo_to_token_spans,
    iob_to_biluo,
    remove_bilu_prefix,
)
from treadle.training import biluo_tags_to_offsets, biluo_tags_to_spans, offsets_to_biluo_tags


def test_iob2_to_biluo():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC", "O"]
    assert iob_to_biluo(tags) == ["B-PER", "L-PER", "O", "U-LOC", "B-LOC", "I-LOC", "L-LOC", "O"]


def test_iob1_to_biluo():
    # IOB1: entities start with I; B only separates two adjacent same-type entities
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"]
    assert iob_to_biluo(tags) == ["B-PER", "L-PER", "O", "U-LOC", "U-LOC", "U-ORG"]


def test_iob_type_change_starts_new_entity():
    assert iob_to_biluo(["B-PER", "I-ORG", "I-ORG"]) == ["U-PER", "B-ORG", "L-ORG"]


def test_iob_missing_kept():
    assert iob_to_biluo(["-", "B-X", "-", "I-X"]) == ["-", "U-X", "-", "U-X"]


def test_iob_invalid_tag_names_position():
    with pytest.raises(DataError, match="token 2"):
        iob_to_biluo(["O", "B-PER", "L-PER"])
    with pytest.raises(DataError, match="token 0"):
        iob_to_biluo(["PER"])


def test_biluo_to_iob_roundtrip():
    biluo = ["B-PER", "I-PER", "L-PER", "U-LOC", "O", "U-LOC", "-"]
    iob = biluo_to_iob(biluo)
    assert iob == ["B-PER", "I-PER", "I-PER", "B-LOC", "O", "B-LOC", "-"]
    assert iob_to_biluo(iob) == biluo


def test_remove_bilu_prefix():
    assert remove_bilu_prefix("B-PER") == "PER"
    assert remove_bilu_prefix("U-GPE-X") == "GPE-X"
    assert remove_bilu_prefix("PER") == "PER"


def test_biluo_token_spans_and_errors():
    assert biluo_to_token_spans(["U-A", "B-B", "I-B", "L-B", "O"]) == [(0, 1, "A"), (1, 4, "B")]
    with pytest.raises(DataError, match="token 1"):
        biluo_to_token_spans(["O", "I-A", "L-A"])
    with pytest.raises(DataError, match="token 2"):
        biluo_to_token_spans(["B-A", "I-A", "O"])
    with pytest.raises(DataError, match="token 1"):
        biluo_to_token_spans(["B-A", "L-B"])
    with pytest.raises(DataError, match="never closed"):
        biluo_to_token_spans(["O", "B-A"])


def test_offsets_to_biluo_and_back(vocab):
    doc = make(vocab, ["I", "flew", "to", "San", "Francisco", "Valley", "."], [True] * 5 + [False] * 2)
    ents = [(10, 30, "LOC")]
    tags = offsets_to_biluo_tags(doc, ents)
    assert tags == ["O", "O", "O", "B-LOC", "I-LOC", "L-LOC", "O"]
    assert biluo_tags_to_offsets(doc, tags) == ents
    spans = biluo_tags_to_spans(doc, tags)
    assert [(s.text, s.label_) for s in spans] == [("San Francisco Valley", "LOC")]
    assert offsets_to_biluo_tags(doc, [(0, 1, "PER")], missing="-") == ["U-PER"] + ["-"] * 6


def test_offsets_to_biluo_misaligned_warns_with_text(vocab):
    doc = make(vocab, ["I", "like", "London", "."], [True, True, False, False])
    with pytest.warns(AlignmentWarning) as rec:
        tags = offsets_to_biluo_tags(doc, [(7, 10, "LOC"), (0, 1, "PER")])
    assert tags == ["U-PER", "O", "-", "O"]
    msg = str(rec[0].message)
    assert "'Lon'" in msg and "I like London." in msg


def test_offsets_to_biluo_overlap_raises(vocab):
    doc = make(vocab, ["a", "b", "c"])
    with pytest.raises(DataError, match="overlap"):
        offsets_to_biluo_tags(doc, [(0, 3, "X"), (2, 5, "Y")])
