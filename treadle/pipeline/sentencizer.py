"""``sentencizer``: rule-based sentence boundaries from punctuation.

A sentence ends at a token made only of sentence-final marks (``.``, ``?!``, ``。``,
``।`` ...). The sentence then takes in any closing quotes, brackets and further
marks that follow (``He said "Stop!" Then`` ends after ``"``), and the next token
starts a new sentence. Boundaries are written to SENT_START on every token.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.pipeline._internal.pipe import Pipe
from treadle.pipeline.factories import factory
from treadle.tokens.attrs import SENT_START

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc

# Sentence-final marks across scripts. Latin, Greek and Cyrillic use ASCII marks and
# the ellipsis; the rest are script-specific full stops and question/exclamation marks.
DEFAULT_PUNCT_CHARS: tuple[str, ...] = tuple(
    ".!?…‼‽⁇⁈⁉⸮"  # Latin and general
    "\u037e"  # Greek question mark
    "։՜՞"  # Armenian
    "׃"  # Hebrew sof pasuq
    "؟۔؞"  # Arabic, Urdu
    "܀܁܂"  # Syriac
    "߹"  # NKo
    "।॥"  # Devanagari (Hindi, Marathi, Nepali, Sanskrit)
    "။"  # Myanmar
    "።፧፨"  # Ethiopic
    "។៕"  # Khmer
    "།"  # Tibetan
    "෴"  # Sinhala
    "᠃᠉"  # Mongolian
    "。！？．｡︒﹒﹖﹗"  # CJK, full and small width forms
)

# Tokens that close a sentence after its final mark: quotes and closing brackets.
CLOSING_CHARS: frozenset[str] = frozenset("\"'”’»›)]}」』）］｝】〕〗〙〛〉》〞")


def find_sentence_starts(words: Sequence[str], punct_chars: frozenset[str]) -> list[bool]:
    """For each word, whether it starts a sentence (the first one always does)."""
    starts = [False] * len(words)
    if not words:
        return starts
    starts[0] = True
    after_final = False
    for i, word in enumerate(words):
        stripped = word.strip()
        is_final = bool(stripped) and all(ch in punct_chars for ch in stripped)
        if after_final:
            # Whitespace, more marks, closing quotes and brackets stay with the
            # sentence they follow.
            trails = all(ch in CLOSING_CHARS or ch in punct_chars for ch in stripped)
            if not trails:
                starts[i] = True
                after_final = False
                continue
        if is_final:
            after_final = True
    return starts


class Sentencizer(Pipe):
    """Splits Docs into sentences on punctuation; no model, no training."""

    def __init__(
        self,
        name: str = "sentencizer",
        *,
        punct_chars: Iterable[str] | None = None,
        overwrite: bool = False,
    ) -> None:
        super().__init__(name)
        self.punct_chars = punct_chars
        self.overwrite = overwrite

    @property
    def punct_chars(self) -> tuple[str, ...]:
        return self._punct_chars

    @punct_chars.setter
    def punct_chars(self, value: Iterable[str] | None) -> None:
        chars = DEFAULT_PUNCT_CHARS if value is None else tuple(value)
        if isinstance(value, str):
            chars = tuple(value)  # "。.!" means each character
        for ch in chars:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(
                    f"sentencizer {self.name!r}: punct_chars must be single characters, got {ch!r}"
                )
        self._punct_chars = chars
        self._punct_set = frozenset(chars)

    def __call__(self, doc: Doc) -> Doc:
        self._annotate(doc)
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            self._annotate(doc)
            yield doc

    def _annotate(self, doc: Doc) -> None:
        if len(doc) == 0:
            return
        starts = find_sentence_starts([t.text for t in doc], self._punct_set)
        new = np.where(np.asarray(starts, dtype=bool), 1, -1).astype(np.int64)
        if not self.overwrite:
            # Keep boundaries already set (by a parser, or by hand); fill the rest.
            old = np.asarray(doc.to_array(SENT_START), dtype=np.int64).reshape(-1)
            new = np.where(old != 0, old, new)
        doc.from_array([SENT_START], new.reshape(-1, 1))

    def get_cfg(self) -> dict[str, Any]:
        return {"punct_chars": list(self.punct_chars), "overwrite": self.overwrite}

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        if "punct_chars" in cfg:
            self.punct_chars = cfg["punct_chars"]
        if "overwrite" in cfg:
            self.overwrite = bool(cfg["overwrite"])


@factory(
    "sentencizer",
    default_config={"punct_chars": None, "overwrite": False},
    assigns=["token.is_sent_start", "doc.sents"],
    default_score_weights={"sents_f": 1.0, "sents_p": 0.0, "sents_r": 0.0},
)
def make_sentencizer(
    nlp: Language, name: str, punct_chars: list[str] | None, overwrite: bool
) -> Sentencizer:
    return Sentencizer(name, punct_chars=punct_chars, overwrite=overwrite)
