"""Token: the lexical views of a token."""

import pytest

from treadle.tokens import Token


def test_token_lexical_views(doc):
    us = doc[1]
    assert us.text == us.orth_ == "U.S." and us.lower_ == "u.s." and us.shape_ == "X.X."
    assert us.prefix_ == "U" and us.suffix_ == ".S." and us.i == 1 and us.idx == 4
    assert doc[4].like_num and doc[6].is_punct and doc[0].is_title and not doc[0].is_stop
    assert us.vocab is doc.vocab and us.doc is doc
    assert doc[1] == doc[1] and doc[1] != doc[2] and hash(doc[1]) == hash(Token(doc, 1))
    with pytest.raises(IndexError):
        doc[6].nbor()
    assert doc[-1].text == "." and doc[0].nbor(2).text == "economy"
