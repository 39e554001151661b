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

from treadle.language import Language
from treadle.ml.ragged import Ragged
from treadle.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from treadle.pipeline.trainable import TrainablePipe
from treadle.scoring import Scorer
from treadle.tokens.attrs import TAG

if TYPE_CHECKING:
    from treadle.tokens import Doc

IGNORE = -100  # cross_entropy's ignore_index: a token without a gold tag

DEFAULT_TAGGER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.Tagger.v1",
    "nO": None,
    "tok2vec": dict(DEFAULT_TOK2VEC_MODEL),
}


def as_int64_hashes(hashes: Iterable[int]) -> np.ndarray:
    """Python (unsigned 64-bit) string hashes as the int64 bit-casts Docs store."""
    return np.asarray(list(hashes), dtype=np.uint64).view(np.int64)


class LabelIndex:
    """Maps int64 label hashes to label indices, vectorized (sorted-hash lookup)."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = hashes
        self.order = np.argsort(hashes, kind="stable")
        self.sorted = hashes[self.order]

    def lookup(self, values: np.ndarray, missing: int = IGNORE) -> np.ndarray:
        """Index of each value's label; ``missing`` for 0 (unset) and unknown hashes."""
        if not len(self.sorted):
            return np.full(values.shape, missing, dtype=np.int64)
        pos = np.searchsorted(self.sorted, values).clip(0, len(self.sorted) - 1)
        found = (self.sorted[pos] == values) & (values != 0)
        return np.where(found, self.order[pos], missing).astype(np.int64)


def aligned_token_values(examples: Iterable[Any], attr: int | list[int]) -> np.ndarray:
    """Gold ``attr`` values on the predicted tokens of every example, concatenated;
    0 (missing) where a predicted token has no one-to-one gold token. A list of
    attributes gives one column each, as ``Doc.to_array`` does."""
    parts = []
    for eg in examples:
        ref = eg.reference.to_array(attr)
        pred, refdoc = eg.predicted, eg.reference
        if _same_tokens(pred, refdoc):
            parts.append(ref)
            continue
        ok, target = eg._one_to_one()
        vals = np.zeros((len(ok), *ref.shape[1:]), dtype=np.int64)
        vals[ok] = ref[target[ok]]
        parts.append(vals)
    if not parts:
        return np.zeros((0, len(attr)) if isinstance(attr, list) else 0, dtype=np.int64)
    return np.concatenate(parts)


def _same_tokens(a: Any, b: Any) -> bool:
    """Same tokens: same texts at the same offsets with the same trailing space (so the
    same text), compared as arrays rather than by building both texts."""
    from treadle.tokens.attrs import IDX, ORTH, SPACY

    if len(a) != len(b):
        return False
    attrs = [ORTH, IDX, SPACY]
    return bool(np.array_equal(a.to_array(attrs), b.to_array(attrs)))


def packed_scores(scores: Any, docs: list[Doc]) -> torch.Tensor:
    """A model's token scores as one (n_tokens, n_labels) tensor."""
    if isinstance(scores, Ragged):
        return scores.data
    if isinstance(scores, torch.Tensor):
        return scores
    seqs = list(scores)
    return torch.cat(seqs, dim=0) if seqs else torch.zeros(0, 0)


class Tagger(TrainablePipe):
    """Assigns ``token.tag_``; labels are the tags seen in training."""

    def __init__(
        self,
        vocab: Any,
        model: Any,
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

    def _labels_from_examples(self, examples: Iterable[Any]) -> list[str]:
        seen: set[int] = set()
        for eg in examples:
            seen.update(np.unique(eg.reference.to_array(TAG)).tolist())
        seen.discard(0)
        strings = self.vocab.strings
        return sorted(strings[int(h) & 0xFFFFFFFFFFFFFFFF] for h in seen)

    def _forward(self, docs: list[Doc]) -> Any:
        return self.model(docs)

    def _gold_indices(self, examples: list[Any]) -> np.ndarray:
        """The gold label index of every predicted token of the batch (packed), IGNORE
        where the gold is missing or unknown. Subclasses change what a label is here."""
        return self._label_index().lookup(aligned_token_values(examples, TAG))

    def get_loss(self, examples: list[Any], scores: Any) -> torch.Tensor | None:
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

    def score(self, examples: Iterable[Any], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_token_attr(examples, "tag_", **kwargs)


@Language.factory(
    "tagger",
    assigns=["token.tag"],
    default_config={"model": DEFAULT_TAGGER_MODEL, "overwrite": False, "label_smoothing": 0.0},
    default_score_weights={"tag_acc": 1.0},
)
def make_tagger(
    nlp: Language, name: str, model: torch.nn.Module, overwrite: bool = False, label_smoothing: float = 0.0
) -> Tagger:
    return Tagger(nlp.vocab, model, name, overwrite=overwrite, label_smoothing=label_smoothing)
