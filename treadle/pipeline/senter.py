"""``senter``: trainable sentence boundaries, one binary decision per token.

The model is the tagger's (``treadle.Tagger.v1``) with two fixed labels: ``"S"`` (the
token starts a sentence) and ``"I"`` (it doesn't). Prediction writes
``token.is_sent_start`` on every token (the first token of a Doc always starts one).

Gold boundaries come from the reference Doc's sentence starts, or from its parse where
it has heads but no explicit starts; they are projected onto the predicted tokens by
the alignment: a predicted token takes the value of the first gold token it covers, and
the later pieces of a gold token split in several are not sentence starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.errors import PipelineError
from treadle.pipeline._internal.labels import IGNORE, same_tokens
from treadle.pipeline.factories import factory
from treadle.pipeline.tagger import Tagger
from treadle.scoring import Scorer
from treadle.tokens.attrs import DEP, SENT_START

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

SENTER_LABELS = ("I", "S")  # index 1 = starts a sentence

# Sentence boundaries need little capacity: a narrow, shallow encoder of its own.
DEFAULT_SENTER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.Tagger.v1",
    "nO": None,
    "tok2vec": {
        "@architectures": "treadle.HashEmbedCNN.v1",
        "width": 12,
        "depth": 1,
        "embed_size": 2000,
        "window_size": 1,
        "maxout_pieces": 2,
        "subword_features": True,
    },
}


def reference_sent_starts(doc: Doc) -> np.ndarray:
    """1 (starts a sentence), -1 (doesn't) or 0 (unknown) for every token of a gold Doc:
    its SENT_START values, else the boundaries its parse implies."""
    values = doc.to_array(SENT_START).copy()
    if not len(values):
        return values
    if values.any():
        values[0] = 1
        return values
    dep = doc.to_array(DEP)
    if not dep.any():
        return values
    values = np.where(doc._tree_sent_starts(), 1, -1).astype(np.int64)
    # A token without a head makes its own "tree": its boundaries are unknown.
    unknown = dep == 0
    unknown[1:] |= dep[:-1] == 0
    values[unknown] = 0
    values[0] = 1
    return values


def aligned_sent_starts(examples: Iterable[Example]) -> np.ndarray:
    """Gold sentence starts (1/-1/0) on the predicted tokens of every example, packed."""
    parts = []
    for eg in examples:
        gold = reference_sent_starts(eg.reference)
        pred, ref = eg.predicted, eg.reference
        if same_tokens(pred, ref):
            parts.append(gold)
            continue
        x2y = eg.alignment.x2y
        lengths, starts = x2y.lengths, x2y.starts
        has = lengths > 0
        first = np.full(len(lengths), -1, dtype=np.int64)
        last = np.full(len(lengths), -1, dtype=np.int64)
        first[has] = x2y.data[starts[:-1][has]]
        last[has] = x2y.data[starts[1:][has] - 1]
        vals = np.zeros(len(lengths), dtype=np.int64)
        vals[has] = gold[first[has]]
        # Later pieces of one gold token continue the token, so its sentence.
        prev_last = np.concatenate([[-2], last[:-1]])
        vals[has & (first == prev_last)] = -1
        parts.append(vals)
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts)


class SentenceRecognizer(Tagger):
    """Assigns ``token.is_sent_start`` to every token; labels are fixed ("I", "S")."""

    def __init__(self, vocab: Vocab, model: torch.nn.Module, name: str = "senter", *, overwrite: bool = False) -> None:
        super().__init__(vocab, model, name, overwrite=overwrite)
        self.cfg.pop("label_smoothing", None)
        self.cfg["labels"] = list(SENTER_LABELS)

    def add_label(self, label: str) -> int:
        if label in SENTER_LABELS:
            return 0
        raise PipelineError(
            f"Component {self.name!r}: a senter's labels are fixed ({', '.join(SENTER_LABELS)}); "
            f"can't add {label!r}"
        )

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        super().set_cfg(cfg)
        self.cfg["labels"] = list(SENTER_LABELS)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        labels: Iterable[str] | None = None,
        **settings: Any,
    ) -> None:
        """Sizes the output for the two labels; examples, if given, are only checked."""
        super().initialize(get_examples, nlp=nlp, labels=SENTER_LABELS, **settings)

    def predict(self, docs: list[Doc]) -> Any:
        if not self._initialized:
            raise PipelineError(
                f"Component {self.name!r} is not initialized: call nlp.initialize() (or train "
                "it) before using it"
            )
        return super().predict(docs)

    def _gold_indices(self, examples: list[Example]) -> np.ndarray:
        starts = aligned_sent_starts(examples)
        return np.where(starts == 0, IGNORE, (starts == 1).astype(np.int64))

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        best = self._best_labels(docs, scores)
        if best is None:
            return
        values = np.where(best == 1, 1, -1).astype(np.int64)
        overwrite = bool(self.cfg.get("overwrite", False))
        start = 0
        for doc in docs:
            n = len(doc)
            new = values[start : start + n].copy()
            start += n
            if not n:
                continue
            new[0] = 1
            if not overwrite:
                # Keep boundaries set before (by hand, a sentencizer, a parser).
                old = doc.to_array(SENT_START)
                new = np.where(old != 0, old, new)
            doc.from_array(SENT_START, new)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_sents(examples, **kwargs)


@factory(
    "senter",
    assigns=["token.is_sent_start"],
    default_config={"model": DEFAULT_SENTER_MODEL, "overwrite": False},
    default_score_weights={"sents_f": 1.0, "sents_p": 0.0, "sents_r": 0.0},
)
def make_senter(nlp: Language, name: str, model: torch.nn.Module, overwrite: bool = False) -> SentenceRecognizer:
    return SentenceRecognizer(nlp.vocab, model, name, overwrite=overwrite)
