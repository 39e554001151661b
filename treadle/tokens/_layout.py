"""Column layout of a Doc's token array and small helpers shared by Doc, Token, Span.

A Doc stores all per-token values in one int64 array of shape (n_tokens, N_COLS).
String-valued columns hold 64-bit hashes bit-cast to int64 (read them back with
``value & MASK``); HEAD holds the offset to the head (0 for roots and missing).
"""

from __future__ import annotations

import numpy as np

from treadle.tokens import attrs

C_LEX = 0  # lexeme index into the Vocab's table
C_SPACY = 1
C_IDX = 2
C_TAG = 3
C_POS = 4
C_MORPH = 5
C_LEMMA = 6
C_DEP = 7
C_HEAD = 8
C_SENT_START = 9
C_ENT_IOB = 10
C_ENT_TYPE = 11
C_ENT_ID = 12
C_ENT_KB_ID = 13
C_NORM = 14  # per-token NORM override (0 = use the lexeme's norm)
N_COLS = 15

TOKEN_COL: dict[int, int] = {
    attrs.SPACY: C_SPACY,
    attrs.IDX: C_IDX,
    attrs.TAG: C_TAG,
    attrs.POS: C_POS,
    attrs.MORPH: C_MORPH,
    attrs.LEMMA: C_LEMMA,
    attrs.DEP: C_DEP,
    attrs.HEAD: C_HEAD,
    attrs.SENT_START: C_SENT_START,
    attrs.ENT_IOB: C_ENT_IOB,
    attrs.ENT_TYPE: C_ENT_TYPE,
    attrs.ENT_ID: C_ENT_ID,
    attrs.ENT_KB_ID: C_ENT_KB_ID,
}
# Token columns holding string hashes (POS holds a small enum, see parts_of_speech).
HASH_COLS = frozenset({C_TAG, C_MORPH, C_LEMMA, C_DEP, C_ENT_TYPE, C_ENT_ID, C_ENT_KB_ID})

MASK = (1 << 64) - 1
_SIGN = 1 << 63

IOB_NAMES = ("", "I", "O", "B")
IOB_IDS = {"": 0, "I": 1, "O": 2, "B": 3}


def to_i64(value: int) -> int:
    """Bit-cast an unsigned 64-bit hash to the signed value stored in int64 arrays."""
    return value - (1 << 64) if value >= _SIGN else value


def hashes_to_i64(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.uint64).view(np.int64)
