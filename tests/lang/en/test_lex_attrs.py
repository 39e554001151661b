"""English lexical attributes: like_num, norms, stop words."""

from __future__ import annotations

from treadle.lang import get_language_data, make_vocab


def test_english_lex_attrs() -> None:
    data = get_language_data("en")
    vocab = make_vocab(data)
    assert vocab["seven"].like_num and vocab["twenty-one"].like_num
    assert vocab["1,000"].like_num and vocab["3.14"].like_num and vocab["-5"].like_num
    assert not vocab["seventy-ish"].like_num and not vocab["dog"].like_num
    assert vocab["n't"].norm_ == "not"
    assert vocab["’m"].norm_ == "am"
    assert vocab["’"].norm_ == "'"
    assert vocab["Colour"].norm_ == "color"
    assert vocab["The"].is_stop and not vocab["dog"].is_stop
