"""The CoNLL-U reader and converter: hand-written snippets, then the shipped sample."""


import pytest

from tests.training.converters.helpers import EWT_DEV, count_blocks
from treadle.errors import DataError
from treadle.tokens import Vocab
from treadle.training.converters import conllu_to_docs, read_conllu

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


def test_conllu_sample_counts_and_texts():
    n_sents, n_words, texts = count_blocks(EWT_DEV)
    docs = list(conllu_to_docs(EWT_DEV, Vocab()))
    assert len(docs) == n_sents == 300
    assert sum(len(d) for d in docs) == n_words
    assert [d.text.rstrip(" ") for d in docs] == texts
    assert docs[0].has_annotation("DEP") and docs[0].has_annotation("TAG")
    assert all(d[0].is_sent_start for d in docs)


def test_conllu_sample_grouped_and_merged():
    n_sents, n_words, texts = count_blocks(EWT_DEV)
    docs = list(conllu_to_docs(EWT_DEV, Vocab(), n_sents=7))
    assert len(docs) == -(-n_sents // 7)
    assert sum(len(d) for d in docs) == n_words
    assert sum(len(list(d.sents)) for d in docs) == n_sents
    assert [s.text.rstrip(" ") for d in docs for s in d.sents] == texts
    merged = list(conllu_to_docs(EWT_DEV, Vocab(), merge_subtokens=True))
    assert sum(len(d) for d in merged) < n_words
    assert [d.text.rstrip(" ") for d in merged] == texts
