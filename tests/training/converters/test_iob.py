"""The IOB reader and converter: UNER and CoNLL-2003 columns, the pipe format, errors, the sample corpus."""


import pytest

from tests.training.converters.helpers import EWT_DEV, UNER_DEV, count_blocks
from treadle.errors import DataError
from treadle.tokens import Vocab
from treadle.training.converters import iob_to_docs, read_conllu, read_iob

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


def test_iob_sample_matches_conllu_tokens():
    ud = list(read_conllu(EWT_DEV))
    ner = list(read_iob(UNER_DEV))
    assert [s.words for s in ner] == [s.words for s in ud]
    docs = list(iob_to_docs(UNER_DEV, Vocab()))
    assert len(docs) == 300
    labels = {e.label_ for d in docs for e in d.ents}
    assert labels == {"PER", "ORG", "LOC"}
    # spacing comes from the UNER file's own "# text" lines (older than UD's in places)
    assert [d.text.rstrip(" ") for d in docs] == count_blocks(UNER_DEV)[2]
