"""User extensions on Doc, Token and Span (treadle/tokens/underscore.py)."""

import pytest

from treadle.errors import TreadleError
from treadle.tokens import Doc, Span, Token, Vocab


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
