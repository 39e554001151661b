"""character_embed: character ids per word."""

from __future__ import annotations

import numpy as np


def test_character_ids():
    from treadle.ml.layers.character_embed import word_char_ids

    ids = word_char_ids("abcdef", 4)
    assert ((ids - np.arange(4) - 1) // 64).tolist() == [ord(c) for c in "abef"]
    short = word_char_ids("a", 4)
    assert ((short - np.arange(4) - 1) // 64).tolist() == [ord("a"), 0, 0, ord("a")]
