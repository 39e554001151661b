"""Token and Span views, MorphAnalysis, user extensions."""

import pytest

from treadle.errors import TreadleError
from treadle.tokens import Doc, MorphAnalysis, Span, Token, Vocab


@pytest.fixture
def doc():
    return Doc(Vocab(), ["The", "U.S.", "economy", "grew", "3.5", "%", "."],
               spaces=[True, True, True, True, False, False, False])


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


def test_span_basics(doc):
    span = Span(doc, 1, 3, label="ORG", kb_id="Q30", span_id="x")
    assert span.text == "U.S. economy" and span.text_with_ws == "U.S. economy "
    assert (span.start_char, span.end_char) == (4, 16)
    assert span.label_ == "ORG" and span.kb_id_ == "Q30" and span.id_ == "x"
    assert [t.text for t in span] == ["U.S.", "economy"] and len(span) == 2
    assert span[0].text == "U.S." and span[-1].text == "economy" and span[0:1].text == "U.S."
    assert span == Span(doc, 1, 3, label="ORG", kb_id="Q30", span_id="x")
    assert span != Span(doc, 1, 3, label="LOC")
    assert len({span, Span(doc, 1, 3, label="ORG", kb_id="Q30", span_id="x")}) == 1
    assert doc[4:6].text == "3.5%"
    assert span.char_span(0, 4).text == "U.S."
    with pytest.raises(Exception, match="out of range"):
        Span(doc, 3, 99)


def test_span_ents(doc):
    doc.ents = [Span(doc, 1, 2, label="GPE"), Span(doc, 4, 6, label="PERCENT")]
    assert [e.text for e in doc[0:4].ents] == ["U.S."]
    assert [e.text for e in doc[:].ents] == ["U.S.", "3.5%"]


def test_morph_analysis():
    vocab = Vocab()
    m = MorphAnalysis(vocab, "PronType=Rel,Int|Number=Sing")
    assert str(m) == "Number=Sing|PronType=Int,Rel"
    assert m.get("PronType") == ["Int", "Rel"] and m.get("Tense") == []
    assert "PronType=Rel" in m and "Number=Plur" not in m
    assert list(m) == ["Number=Sing", "PronType=Int", "PronType=Rel"]
    assert m == "PronType=Int,Rel|Number=Sing"
    assert MorphAnalysis(vocab, {"Number": "Plur"}).to_dict() == {"Number": "Plur"}
    assert str(MorphAnalysis(vocab, "_")) == "" and not MorphAnalysis(vocab, "")


def test_extensions_default_getter_method_setter():
    vocab = Vocab()
    Doc.set_extension("topic", default=None, force=True)
    Token.set_extension("is_x", getter=lambda t: t.text == "x", force=True)
    Span.set_extension("shout", method=lambda s, n: s.text.upper() + "!" * n, force=True)
    store = {}
    Token.set_extension("note", getter=lambda t: store.get(t.i), setter=lambda t, v: store.__setitem__(t.i, v),
                        force=True)
    Token.set_extension("flag", default=False, force=True)
    try:
        doc = Doc(vocab, ["a", "x", "b"])
        assert doc._.topic is None
        doc._.topic = "letters"
        assert doc._.topic == "letters" and doc.user_data[("._.", "topic", None, None)] == "letters"
        assert doc[1]._.is_x and not doc[0]._.is_x
        assert doc[0:2]._.shout(2) == "A X!!"
        doc[2]._.note = "hi"
        assert store == {2: "hi"} and doc[2]._.note == "hi"
        doc[0]._.flag = True
        assert doc[0]._.flag and not doc[1]._.flag
        assert doc.copy()[0]._.flag  # values live in user_data, so copies keep them
        with pytest.raises(AttributeError, match="no setter"):
            doc[1]._.is_x = False
        with pytest.raises(AttributeError, match="no extension 'missing'"):
            _ = doc._.missing
        with pytest.raises(TreadleError, match="already registered"):
            Doc.set_extension("topic", default=1)
        with pytest.raises(TreadleError, match="only one"):
            Doc.set_extension("both", default=1, getter=lambda d: 1)
        assert Doc.has_extension("topic") and Doc.get_extension("topic")[0] is None
    finally:
        Doc.remove_extension("topic")
        Token.remove_extension("is_x")
        Token.remove_extension("note")
        Token.remove_extension("flag")
        Span.remove_extension("shout")
    assert not Doc.has_extension("topic")
