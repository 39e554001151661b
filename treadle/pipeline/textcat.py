"""``textcat``: exclusive classes for whole Docs (``textcat_multilabel``, in its own
module, is the same component with independent labels).

Both write ``doc.cats`` (label -> score). The model gives (n_docs, n_labels) logits;
``textcat`` turns them into a softmax distribution and trains with cross-entropy,
``textcat_multilabel`` into independent sigmoids trained with binary cross-entropy.
Gold labels come from the reference ``doc.cats``; a label absent from a reference's
cats is missing for that Doc and contributes no loss (multi-label), and an exclusive
Doc with no positive label is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from treadle.errors import ConfigError
from treadle.pipeline._internal.trainable import TrainablePipe
from treadle.pipeline.factories import factory
from treadle.scoring import Scorer

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

_TEXTCAT_TOK2VEC: dict[str, Any] = {
    "@architectures": "treadle.HashEmbedCNN.v1",
    "width": 96,
    "depth": 2,
    "embed_size": 10000,
    "window_size": 1,
    "maxout_pieces": 3,
    "subword_features": True,
}


def _default_model(exclusive: bool) -> dict[str, Any]:
    return {
        "@architectures": "treadle.TextCatEnsemble.v1",
        "nO": None,
        "tok2vec": dict(_TEXTCAT_TOK2VEC),
        "linear_model": {
            "@architectures": "treadle.TextCatBOW.v1",
            "exclusive_classes": exclusive,
            "ngram_size": 2,
            "no_output_layer": False,
            "nO": None,
        },
    }


def _score_weights() -> dict[str, float | None]:
    weights: dict[str, float | None] = {"cats_score": 1.0}
    for key in (
        "cats_score_desc", "cats_micro_p", "cats_micro_r", "cats_micro_f", "cats_macro_p",
        "cats_macro_r", "cats_macro_f", "cats_macro_auc", "cats_f_per_type", "cats_auc_per_type",
    ):
        weights[key] = None
    return weights


class TextCategorizer(TrainablePipe):
    """Exclusive classes: exactly one label per Doc, scores sum to 1."""

    model: torch.nn.Module
    exclusive = True

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "textcat",
        *,
        threshold: float = 0.5,
        positive_label: str | None = None,
    ) -> None:
        super().__init__(vocab, model, name, threshold=threshold, positive_label=positive_label)
        declared = getattr(model, "exclusive_classes", None)
        if declared is not None and bool(declared) != self.exclusive:
            kind = "exclusive_classes = true" if self.exclusive else "exclusive_classes = false"
            raise ConfigError(
                f"Component {name!r} ({type(self).__name__}): its model must be built with "
                f"{kind} (components.{name}.model)"
            )

    @property
    def _raw_scores(self) -> bool:
        return bool(getattr(self.model, "no_output_layer", False))

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        seen: dict[str, None] = {}
        for eg in examples:
            for label in eg.reference.cats:
                seen[label] = None
        return sorted(seen)

    def _forward(self, docs: list[Doc]) -> torch.Tensor:
        return self.model(docs)

    def _gold(self, examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
        """(n_docs, n_labels) gold values and the mask of known ones."""
        labels = self.labels
        truth = np.zeros((len(examples), len(labels)), dtype=np.float32)
        known = np.zeros((len(examples), len(labels)), dtype=bool)
        for i, eg in enumerate(examples):
            cats = eg.reference.cats
            if not cats:
                continue
            for j, label in enumerate(labels):
                value = cats.get(label)
                if value is not None:
                    truth[i, j] = float(value)
                    known[i, j] = True
        return truth, known

    def get_loss(self, examples: list[Example], scores: torch.Tensor) -> torch.Tensor | None:
        truth_np, known_np = self._gold(examples)
        if not known_np.any():
            return None
        truth = torch.from_numpy(truth_np).to(scores.device)
        known = torch.from_numpy(known_np).to(scores.device)
        if self._raw_scores:
            return (((scores - truth) ** 2) * known).sum()
        if self.exclusive:
            truth = truth * known
            totals = truth.sum(dim=1, keepdim=True)
            rows = totals.squeeze(1) > 0
            if not bool(rows.any()):
                return None
            target = truth[rows] / totals[rows]
            return -(target * F.log_softmax(scores[rows], dim=1)).sum()
        losses = F.binary_cross_entropy_with_logits(scores, truth, reduction="none")
        return (losses * known).sum()

    def _probabilities(self, scores: torch.Tensor) -> torch.Tensor:
        if self._raw_scores:
            return scores
        return torch.softmax(scores, dim=1) if self.exclusive else torch.sigmoid(scores)

    def set_annotations(self, docs: list[Doc], scores: torch.Tensor) -> None:
        if not docs:
            return
        probs = self._probabilities(scores).cpu().tolist()
        labels = self.labels
        for doc, row in zip(docs, probs, strict=True):
            doc.cats.update(zip(labels, row, strict=True))

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("labels", "multi_label", "threshold", "positive_label")}
        return Scorer.score_cats(
            examples,
            "cats",
            labels=self.labels,
            multi_label=not self.exclusive,
            positive_label=self.cfg.get("positive_label"),
            threshold=self.cfg.get("threshold", 0.5),
            **kwargs,
        )


@factory(
    "textcat",
    assigns=["doc.cats"],
    default_config={"model": _default_model(True), "threshold": 0.5, "positive_label": None},
    default_score_weights=_score_weights(),
)
def make_textcat(
    nlp: Language, name: str, model: torch.nn.Module, threshold: float = 0.5, positive_label: str | None = None
) -> TextCategorizer:
    return TextCategorizer(nlp.vocab, model, name, threshold=threshold, positive_label=positive_label)
