"""Universal POS tags as a small integer enum (0 = unset).

The 17 UPOS tags of Universal Dependencies, plus ``SPACE`` for whitespace tokens
(the tokenizer produces them; UD never annotates them). POS values live in the
Doc's POS column as these small ids, and the names are also added to the
StringStore so ``strings["NOUN"]`` works like any other label.
"""

from __future__ import annotations

UPOS_NAMES: tuple[str, ...] = (
    "",
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART",
    "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X", "SPACE",
)
POS_IDS: dict[str, int] = {name: i for i, name in enumerate(UPOS_NAMES)}
N_POS = len(UPOS_NAMES)

(ADJ, ADP, ADV, AUX, CCONJ, DET, INTJ, NOUN, NUM, PART, PRON, PROPN, PUNCT, SCONJ, SYM,
 VERB, X, SPACE) = range(1, N_POS)
