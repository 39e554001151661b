"""``ner``: a transition-based named entity recognizer (``doc.ents``).

The component is the shared :class:`TransitionPipe` driven by the BILUO transition
system (:mod:`treadle.pipeline._internal.transition.biluo`) and a
``treadle.TransitionBasedParser.v1`` model with ``state_type = "ner"``. Training uses
the dynamic oracle with partial annotation: tokens whose gold entity value is missing
are not penalized; gold "O" tokens, blocked tokens and, with ``incorrect_spans_key``,
spans known not to be entities of a type are respected.

Entities already on a Doc (e.g. from an ``entity_ruler`` earlier in the pipeline) are
kept; predicted entities that overlap them are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from treadle.pipeline._internal.transition.biluo import BiluoSystem
from treadle.pipeline._internal.transition_pipe import TransitionPipe
from treadle.pipeline.factories import factory
from treadle.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from treadle.scoring import Scorer

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Vocab
    from treadle.tokens.example import Example

DEFAULT_NER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.TransitionBasedParser.v1",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 64,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": dict(DEFAULT_TOK2VEC_MODEL),
}


class EntityRecognizer(TransitionPipe):
    """Predicts named entities with BILUO moves; labels are the entity types."""

    moves: BiluoSystem

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "ner",
        *,
        update_with_oracle_cut_size: int = 100,
        incorrect_spans_key: str | None = None,
        beam_width: int = 1,
        beam_density: float = 0.0,
    ) -> None:
        super().__init__(
            vocab,
            model,
            name,
            update_with_oracle_cut_size=update_with_oracle_cut_size,
            incorrect_spans_key=incorrect_spans_key,
            beam_width=beam_width,
            beam_density=beam_density,
        )

    def make_moves(self, labels: Iterable[str]) -> BiluoSystem:
        return BiluoSystem(
            labels,
            incorrect_spans_key=self.cfg.get("incorrect_spans_key"),
            extra_state_tokens=self.extra_state_tokens,
        )

    def _golds(self, examples: list[Example]) -> list[Any]:
        # One vectorized pass over the batch instead of one per Example.
        return self.moves.make_golds(examples)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        """ents_p/r/f and ents_per_type over the entity spans."""
        return Scorer.score_spans(examples, "ents", **kwargs)


@factory(
    "ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "model": DEFAULT_NER_MODEL,
        "update_with_oracle_cut_size": 100,
        "incorrect_spans_key": None,
        "beam_width": 1,
        "beam_density": 0.0,
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_ner(
    nlp: Language,
    name: str,
    model: torch.nn.Module,
    update_with_oracle_cut_size: int = 100,
    incorrect_spans_key: str | None = None,
    beam_width: int = 1,
    beam_density: float = 0.0,
) -> EntityRecognizer:
    return EntityRecognizer(
        nlp.vocab,
        model,
        name,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        incorrect_spans_key=incorrect_spans_key,
        beam_width=beam_width,
        beam_density=beam_density,
    )
