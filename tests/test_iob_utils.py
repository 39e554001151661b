import pytest

from treadle.errors import DataError
from treadle.tokens.iob_utils import (
    biluo_to_iob,
    biluo_to_token_spans,
    iob_to_biluo,
    remove_bilu_prefix,
)


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
