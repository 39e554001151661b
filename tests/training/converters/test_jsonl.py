"""The JSONL reader and converter."""


import pytest

from treadle.errors import DataError
from treadle.tokens import Vocab
from treadle.training.converters import jsonl_to_docs
from treadle.training.converters.jsonl import read_jsonl


def test_jsonl_records_and_errors():
    recs = list(read_jsonl(['{"text": "Hi Ann", "entities": [[3, 6, "PER"]], "cats": {"A": 1}}', ""]))
    assert recs == [(1, {"text": "Hi Ann", "entities": [(3, 6, "PER")], "cats": {"A": 1.0}})]
    with pytest.raises(DataError, match=r"f\.jsonl, line 2: invalid JSON"):
        list(read_jsonl(['{"text": "a"}', "{oops"], name="f.jsonl"))
    with pytest.raises(DataError, match=r"line 1: unknown keys \['ents'\]"):
        list(read_jsonl(['{"text": "a", "ents": []}']))
    with pytest.raises(DataError, match=r"line 1: entity \[0, 9, 'X'\] is outside"):
        list(read_jsonl(['{"text": "a", "entities": [[0, 9, "X"]]}']))
    with pytest.raises(DataError, match=r"line 1, entities: expected \[start, end, label\]"):
        list(read_jsonl(['{"text": "a", "entities": [[0, 1]]}']))


def test_jsonl_converter_with_tokenizer_argument():
    from treadle.tokens import Doc

    vocab = Vocab()

    def tokenize(text):
        return Doc(vocab, words=text.split(" "), spaces=[True] * (text.count(" ")) + [False])

    lines = [
        '{"text": "Ann visited New York", "entities": [[0, 3, "PER"], [12, 20, "LOC"]],'
        ' "cats": {"TRAVEL": 1.0}, "spans": {"sc": [[4, 11, "ACT"]]}}',
        '{"text": "Bob left"}',
    ]
    d1, d2 = jsonl_to_docs(lines, tokenize)
    assert [(e.text, e.label_) for e in d1.ents] == [("Ann", "PER"), ("New York", "LOC")]
    assert d1.cats == {"TRAVEL": 1.0}
    assert [(s.text, s.label_) for s in d1.spans["sc"]] == [("visited", "ACT")]
    assert d2.ents == () and d2.text == "Bob left"
