"""The regex compile helpers (treadle/lang/util.py)."""

from __future__ import annotations

import pytest

from treadle.lang import get_language_data


def test_compile_helpers_extend_defaults() -> None:
    from treadle.errors import TokenizerError
    from treadle.lang.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    data = get_language_data("en")
    suffix = compile_suffix_regex([r"(?<=[a-z])-ish", *data.suffixes])
    assert suffix.search("big-ish").group() == "-ish"
    assert suffix.search("word.").group() == "."
    assert compile_prefix_regex(data.prefixes).search('"Hi').group() == '"'
    assert compile_prefix_regex(data.prefixes).search("Hi") is None
    assert [m.group() for m in compile_infix_regex(data.infixes).finditer("a-b/c")] == ["-", "/"]
    assert compile_suffix_regex([]).search("anything") is None
    with pytest.raises(TokenizerError, match="suffix"):
        compile_suffix_regex(["(unclosed"])
