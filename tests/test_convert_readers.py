"""The CoNLL-U, IOB and JSONL readers on hand-written snippets (no Doc needed)."""

import pytest

from treadle.errors import DataError
from treadle.training.converters.conllu import read_conllu
from treadle.training.converters.iob import read_iob
from treadle.training.converters.jsonl import read_jsonl

CONLLU = """\
# newdoc id = d1
# sent_id = s1
# text = I didn't go home.
1\tI\tI\tPRON\tPRP\tCase=Nom|Number=Sing|Person=1\t4\tnsubj\t4:nsubj\t_
2-3\tdidn't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdid\tdo\tAUX\tVBD\tMood=Ind|Tense=Past\t4\taux\t4:aux\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_
4\tgo\tgo\tVERB\tVB\tVerbForm=Inf\t0\troot\t0:root\t_
4.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t4:conj\t_
5\thome\thome\tADV\tRB\t_\t4\tadvmod\t4:advmod\tSpaceAfter=No
6\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_

# sent_id = s2
# text = Ok
1\tOk\tok\tINTJ\tUH\t_\t0\troot\t0:root\t_
"""

MWT_NO_SPACE = """\
# text = gonna,
1-2\tgonna\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No
1\tgon\tgo\tVERB\tVBG\t_\t0\troot\t_\t_
2\tna\tto\tPART\tTO\t_\t1\tmark\t_\t_
3\t,\t,\tPUNCT\t,\t_\t1\tpunct\t_\t_
"""


def test_conllu_words_columns_and_comments():
    s1, s2 = list(read_conllu(CONLLU.splitlines()))
    assert s1.sent_id == "s1" and s1.text == "I didn't go home."
    assert s1.words == ["I", "did", "n't", "go", "home", "."]
    assert s1.spaces == [True, False, True, True, False, True]
    assert "".join(w + (" " if s else "") for w, s in zip(s1.words, s1.spaces, strict=True)).strip() == s1.text
    assert s1.pos == ["PRON", "AUX", "PART", "VERB", "ADV", "PUNCT"]
    assert s1.tags == ["PRP", "VBD", "RB", "VB", "RB", "."]
    assert s1.lemmas[1] == "do" and s1.morphs[2] == "" and s1.morphs[1] == "Mood=Ind|Tense=Past"
    assert s1.heads == [3, 3, 3, 3, 3, 3]  # root points at itself
    assert s1.deps == ["nsubj", "aux", "advmod", "root", "advmod", "punct"]
    assert s2.words == ["Ok"] and s2.heads == [0] and s2.line == 13


def test_conllu_range_space_after_goes_to_last_part():
    (s,) = read_conllu(MWT_NO_SPACE.splitlines())
    assert s.words == ["gon", "na", ","]
    assert s.spaces == [False, False, True]


def test_conllu_merge_subtokens():
    s1, _ = list(read_conllu(CONLLU.splitlines(), merge_subtokens=True))
    assert s1.words == ["I", "didn't", "go", "home", "."]
    assert s1.spaces == [True, True, True, False, True]
    # "did" and "n't" both attach to "go": the first part is the head part
    assert s1.pos[1] == "AUX" and s1.lemmas[1] == "do" and s1.deps[1] == "aux"
    assert s1.heads == [2, 2, 2, 2, 2]
    (s,) = read_conllu(MWT_NO_SPACE.splitlines(), merge_subtokens=True)
    # "gon" is the root of the range: its annotation wins, the comma's head is remapped
    assert s.words == ["gonna", ","] and s.spaces == [False, True]
    assert s.heads == [0, 0] and s.deps == ["root", "punct"] and s.lemmas == ["go", ","]


@pytest.mark.parametrize(
    "line,lineno,message",
    [
        ("1\tOk\tok\tINTJ\tUH\t_\t0\troot\t_", 2, "expected 10 tab-separated columns"),
        ("1\tOk\tok\tINTJ\tUH\t_\t7\troot\t_\t_", 2, "bad HEAD '7'"),
        ("1\tOk\tok\tINTJ\tUH\t_\tx\troot\t_\t_", 2, "bad HEAD 'x'"),
        ("2\tOk\tok\tINTJ\tUH\t_\t0\troot\t_\t_", 2, "out of sequence"),
    ],
)
def test_conllu_errors_name_file_and_line(line, lineno, message):
    with pytest.raises(DataError) as err:
        list(read_conllu(["# text = Ok", line], name="corpus.conllu"))
    assert f"corpus.conllu, line {lineno}" in str(err.value)
    assert message in str(err.value)


def test_conllu_missing_head_and_dep():
    (s,) = read_conllu(["1\tOk\tok\tINTJ\tUH\t_\t_\t_\t_\t_"])
    assert s.heads == [-1] and s.deps == [""] and s.pos == ["INTJ"]


UNER = """\
# sent_id = a
# text = Al-Zaman : John Smith's
1\tAl\tB-ORG\t-\t-
2\t-\tI-ORG\t-\t-
3\tZaman\tI-ORG\t-\t-
4\t:\tO\t-\t-
5\tJohn\tB-PER\t-\t-
6\tSmith\tI-PER\t-\t-
7\t's\tO\t-\t-

# sent_id = b
1\tParis\tB-LOC\t-\t-
"""


def test_iob_uner_columns_with_spacing_from_text():
    a, b = list(read_iob(UNER.splitlines()))
    assert a.words == ["Al", "-", "Zaman", ":", "John", "Smith", "'s"]
    assert a.spaces == [False, False, True, True, True, False, False]
    assert a.ents == ["B-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER", "O"]
    assert a.sent_id == "a"
    assert b.words == ["Paris"] and b.ents == ["B-LOC"] and b.spaces == [False]


def test_iob_conll2003_iob1_columns():
    lines = ["-DOCSTART- -X- -X- O", "", "EU NNP B-NP I-ORG", "rejects VBZ B-VP O",
             "German JJ B-NP I-MISC", "call NN I-NP O", "", "1996 CD I-NP O"]  # fmt: skip
    s1, s2 = list(read_iob(lines))
    assert s1.words == ["EU", "rejects", "German", "call"]
    assert s1.ents == ["B-ORG", "O", "B-MISC", "O"]
    assert s2.words == ["1996"] and s2.ents == ["O"]


def test_iob_pipe_format():
    (s,) = read_iob(["I|O like|O New|B-LOC York|I-LOC"])
    assert s.words == ["I", "like", "New", "York"]
    assert s.ents == ["O", "O", "B-LOC", "I-LOC"]
    (s,) = read_iob(["I|PRP|O like|VBP|O"])
    assert s.ents == ["O", "O"]


def test_iob_errors_name_file_and_line():
    with pytest.raises(DataError, match=r"x\.iob, line 3: .*'Q-PER'"):
        list(read_iob(["1\tA\tO", "2\tB\tO", "3\tC\tQ-PER"], name="x.iob"))
    with pytest.raises(DataError, match=r"x\.iob, line 2: expected at least 2 columns"):
        list(read_iob(["A O", "B"], name="x.iob"))
    with pytest.raises(DataError, match=r"x\.iob, line 2: expected TOKEN\|TAG"):
        list(read_iob(["A|O B|O", "C|O D"], name="x.iob"))


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
