"""Labels of the token classifiers (tagger, morphologizer, senter, lemmatizer).

Gold values are read from the reference Docs and projected onto the predicted tokens
through each Example's alignment; labels are stored as int64 string hashes, as Docs
store them, and mapped to class indices with one vectorized lookup per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.ml.ragged import Ragged
from treadle.tokens import Doc
from treadle.tokens.attrs import IDX, ORTH, SPACY

if TYPE_CHECKING:
    from treadle.tokens.example import Example

IGNORE = -100  # cross_entropy's ignore_index: a token without a gold value


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


def aligned_token_values(examples: Iterable[Example], attr: int | list[int]) -> np.ndarray:
    """Gold ``attr`` values on the predicted tokens of every example, concatenated;
    0 (missing) where a predicted token has no one-to-one gold token. A list of
    attributes gives one column each, as ``Doc.to_array`` does."""
    parts = []
    for eg in examples:
        ref = eg.reference.to_array(attr)
        pred, refdoc = eg.predicted, eg.reference
        if same_tokens(pred, refdoc):
            parts.append(ref)
            continue
        ok, target = eg._one_to_one()
        vals = np.zeros((len(ok), *ref.shape[1:]), dtype=np.int64)
        vals[ok] = ref[target[ok]]
        parts.append(vals)
    if not parts:
        return np.zeros((0, len(attr)) if isinstance(attr, list) else 0, dtype=np.int64)
    return np.concatenate(parts)


def same_tokens(a: Doc, b: Doc) -> bool:
    """Same tokens: same texts at the same offsets with the same trailing space (so the
    same text), compared as arrays rather than by building both texts."""
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
