"""``tagger``: predicts one tag per token (``token.tag_``), e.g. XPOS.

The model (``treadle.Tagger.v1`` by default) gives packed logits for every token of
the batch. Gold tags come from the reference Docs, projected onto the predicted
tokens through the Example's alignment (tokens without a one-to-one gold partner,
and gold tokens without a tag, are missing and don't count). The loss is the
summed cross-entropy over the batch, computed in one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from treadle.pipeline._internal.labels import (
    IGNORE,
    LabelIndex,
    aligned_token_values,
    as_int64_hashes,
    packed_scores,
)
from treadle.pipeline._internal.trainable import TrainablePipe
from treadle.pipeline.factories import factory
from treadle.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from treadle.scoring import Scorer
from treadle.tokens.attrs import TAG

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

DEFAULT_TAGGER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.Tagger.v1",
    "nO": None,
    "tok2vec": dict(DEFAULT_TOK2VEC_MODEL),
}


class Tagger(TrainablePipe):
    """Assigns ``token.tag_``; labels are the tags seen in training."""

    model: torch.nn.Module

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "tagger",
        *,
        overwrite: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(vocab, model, name, overwrite=overwrite, label_smoothing=label_smoothing)
        self._index_key: tuple[str, ...] | None = None
        self._index: LabelIndex | None = None
        self._label_hashes = np.zeros(0, dtype=np.int64)

    def _label_index(self) -> LabelIndex:
        labels = self.labels
        if self._index_key != labels or self._index is None:
            self._label_hashes = as_int64_hashes(self.vocab.strings.add(lbl) for lbl in labels)
            self._index = LabelIndex(self._label_hashes)
            self._index_key = labels
        return self._index

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        seen: set[int] = set()
        for eg in examples:
            seen.update(np.unique(eg.reference.to_array(TAG)).tolist())
        seen.discard(0)
        strings = self.vocab.strings
        return sorted(strings[int(h) & 0xFFFFFFFFFFFFFFFF] for h in seen)

    def _forward(self, docs: list[Doc]) -> Any:
        return self.model(docs)

    def _gold_indices(self, examples: list[Example]) -> np.ndarray:
        """The gold label index of every predicted token of the batch (packed), IGNORE
        where the gold is missing or unknown. Subclasses change what a label is here."""
        return self._label_index().lookup(aligned_token_values(examples, TAG))

    def get_loss(self, examples: list[Example], scores: Any) -> torch.Tensor | None:
        logits = packed_scores(scores, [eg.predicted for eg in examples])
        gold = self._gold_indices(examples)
        if not (gold != IGNORE).any():
            return None
        target = torch.from_numpy(gold).to(logits.device)
        return F.cross_entropy(
            logits,
            target,
            ignore_index=IGNORE,
            reduction="sum",
            label_smoothing=float(self.cfg.get("label_smoothing", 0.0)),
        )

    def _best_labels(self, docs: list[Doc], scores: Any) -> np.ndarray | None:
        """The best label index of every token of ``docs`` (packed); None if no tokens."""
        if not docs:
            return None
        logits = packed_scores(scores, docs)
        if logits.shape[0] == 0:
            return None
        return logits.argmax(dim=-1).cpu().numpy()

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        best = self._best_labels(docs, scores)
        if best is None:
            return
        self._label_index()
        tags = self._label_hashes[best]
        overwrite = bool(self.cfg.get("overwrite", False))
        start = 0
        for doc in docs:
            n = len(doc)
            values = tags[start : start + n]
            start += n
            if not overwrite:
                current = doc.to_array(TAG)
                values = np.where(current == 0, values, current)
            doc.from_array(TAG, values)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_token_attr(examples, "tag_", **kwargs)


@factory(
    "tagger",
    assigns=["token.tag"],
    default_config={"model": DEFAULT_TAGGER_MODEL, "overwrite": False, "label_smoothing": 0.0},
    default_score_weights={"tag_acc": 1.0},
)
def make_tagger(
    nlp: Language, name: str, model: torch.nn.Module, overwrite: bool = False, label_smoothing: float = 0.0
) -> Tagger:
    return Tagger(nlp.vocab, model, name, overwrite=overwrite, label_smoothing=label_smoothing)
