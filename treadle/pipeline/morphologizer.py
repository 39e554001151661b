"""``morphologizer``: predicts UPOS and morphological features together.

Each label combines a token's universal POS and its features in one string, POS first
(``"POS=NOUN|Number=Sing"``; ``"POS=DET"`` for a determiner without features; ``"_"``
for a token annotated with neither POS nor features but known to have none). One
softmax over these combinations keeps the predicted POS and features consistent, and
the model is the tagger's (``treadle.Tagger.v1``): only what a label means changes.

Gold labels come from the reference Docs' POS and MORPH columns, projected onto the
predicted tokens like the tagger's tags; a token with neither is missing and doesn't
count. Settings: ``overwrite`` (replace POS and features already on a token) and
``extend`` (keep existing feature fields the prediction doesn't set).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.errors import PipelineError
from treadle.pipeline._internal.labels import IGNORE, LabelIndex, aligned_token_values
from treadle.pipeline.factories import factory
from treadle.pipeline.tagger import DEFAULT_TAGGER_MODEL, Tagger
from treadle.scoring import Scorer
from treadle.tokens import hash_string
from treadle.tokens.attrs import MORPH, POS
from treadle.tokens.morphology import EMPTY_MORPH, feats_to_dict, normalize_feats
from treadle.tokens.parts_of_speech import POS_IDS, UPOS_NAMES

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Token, Vocab
    from treadle.tokens.example import Example

DEFAULT_MORPH_MODEL: dict[str, Any] = dict(DEFAULT_TAGGER_MODEL)

POS_FIELD = "POS"
_MASK = (1 << 64) - 1


def morph_label(pos: str, feats: str) -> str:
    """The label combining a UPOS name ("" if none) and a FEATS string ("" or "_" if none)."""
    feats = "" if feats in ("", EMPTY_MORPH) else feats
    parts = ([f"{POS_FIELD}={pos}"] if pos else []) + ([feats] if feats else [])
    return "|".join(parts) or EMPTY_MORPH


def split_label(label: str) -> tuple[str, str]:
    """(UPOS name or "", canonical FEATS string or "_") of a label."""
    pos = ""
    feats = []
    for part in label.split("|"):
        if part.startswith(POS_FIELD + "="):
            pos = part[len(POS_FIELD) + 1 :]
        elif part and part != EMPTY_MORPH:
            feats.append(part)
    return pos, normalize_feats("|".join(feats))


def _as_int64(value: int) -> int:
    """An unsigned 64-bit hash as the int64 Docs store."""
    return int(np.uint64(value).view(np.int64))


class Morphologizer(Tagger):
    """Assigns ``token.pos_`` and ``token.morph`` from one combined label per token."""

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "morphologizer",
        *,
        overwrite: bool = True,
        extend: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(vocab, model, name, overwrite=overwrite, label_smoothing=label_smoothing)
        self.cfg["extend"] = extend
        # (pos id, morph hash as int64) of gold tokens -> int64 hash of their label
        self._pair_labels: dict[tuple[int, int], int] = {}
        self._parts_key: tuple[str, ...] | None = None
        self._label_pos = np.zeros(0, dtype=np.int64)
        self._label_morph = np.zeros(0, dtype=np.int64)
        self._merged: dict[tuple[int, int, bool], int] = {}

    # ------------------------------------------------------------------ labels

    def add_label(self, label: str) -> int:
        if isinstance(label, str) and label:
            pos, _ = split_label(label)  # rejects malformed features early
            if pos and pos not in POS_IDS:
                raise PipelineError(
                    f"Component {self.name!r}: label {label!r} has an unknown POS {pos!r}; "
                    f"expected one of {', '.join(UPOS_NAMES[1:])}"
                )
        return super().add_label(label)

    def _label_index(self) -> LabelIndex:
        index = super()._label_index()
        if self._parts_key != self.labels:
            strings = self.vocab.strings
            pos_ids, morphs = [], []
            for label in self.labels:
                pos, feats = split_label(label)
                pos_ids.append(POS_IDS.get(pos, 0))
                morphs.append(_as_int64(strings.add(feats)))
            self._label_pos = np.asarray(pos_ids, dtype=np.int64)
            self._label_morph = np.asarray(morphs, dtype=np.int64)
            self._parts_key = self.labels
        return index

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        seen: set[str] = set()
        for eg in examples:
            pairs = np.unique(eg.reference.to_array([POS, MORPH]), axis=0)
            for pos, morph in pairs.tolist():
                label = self._pair_label(pos, morph, eg.reference.vocab)
                if label is not None:
                    seen.add(label)
        return sorted(seen)

    def _pair_label(self, pos: int, morph: int, vocab: Vocab) -> str | None:
        """The label of a gold (POS id, MORPH hash) pair; None when both are missing."""
        if not pos and not morph:
            return None
        feats = ""
        if morph:
            key = morph & _MASK
            try:
                feats = self.vocab.strings[key]
            except KeyError:
                feats = vocab.strings[key]
        return morph_label(UPOS_NAMES[pos], feats)

    # ------------------------------------------------------------------ training

    def _gold_indices(self, examples: list[Example]) -> np.ndarray:
        values = aligned_token_values(examples, [POS, MORPH])
        if not len(values):
            return np.zeros(0, dtype=np.int64)
        # Few distinct (POS, MORPH) pairs per batch: name each once, then map back.
        pairs, inverse = np.unique(values, axis=0, return_inverse=True)
        hashes = np.zeros(len(pairs), dtype=np.int64)
        for k, (pos, morph) in enumerate(pairs.tolist()):
            cached = self._pair_labels.get((pos, morph))
            if cached is None:
                vocab = self._vocab_with(morph, examples)
                label = self._pair_label(pos, morph, vocab)
                cached = 0 if label is None else _as_int64(hash_string(label))
                self._pair_labels[(pos, morph)] = cached
            hashes[k] = cached
        return self._label_index().lookup(hashes, missing=IGNORE)[inverse.reshape(-1)]

    def _vocab_with(self, morph: int, examples: list[Example]) -> Vocab:
        """A vocab whose strings know the hash ``morph`` (ours, else a reference's)."""
        key = morph & _MASK
        if not morph or key in self.vocab.strings:
            return self.vocab
        for eg in examples:
            if key in eg.reference.vocab.strings:
                return eg.reference.vocab
        return self.vocab

    # ------------------------------------------------------------------ prediction

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        best = self._best_labels(docs, scores)
        if best is None:
            return
        self._label_index()
        pred_pos = self._label_pos[best]
        pred_morph = self._label_morph[best]
        overwrite = bool(self.cfg.get("overwrite", True))
        extend = bool(self.cfg.get("extend", False))
        start = 0
        for doc in docs:
            n = len(doc)
            pos, morph = pred_pos[start : start + n], pred_morph[start : start + n]
            start += n
            current = doc.to_array([POS, MORPH])
            cur_pos, cur_morph = current[:, 0], current[:, 1]
            # A label without POS leaves the token's POS as it was.
            keep_pos = (pos == 0) | ((cur_pos != 0) & (not overwrite))
            pos = np.where(keep_pos, cur_pos, pos)
            if extend:
                morph = self._extend(cur_morph, morph, overwrite)
            elif not overwrite:
                morph = np.where(cur_morph != 0, cur_morph, morph)
            doc.from_array([POS, MORPH], np.stack([pos, morph], axis=1))

    def _extend(self, current: np.ndarray, predicted: np.ndarray, overwrite: bool) -> np.ndarray:
        """Merge predicted features into existing ones, keeping fields not predicted;
        where both set a field, the prediction wins only with ``overwrite``."""
        out = predicted.copy()
        todo = np.flatnonzero((current != 0) & (current != predicted))
        strings = self.vocab.strings
        for i in todo.tolist():
            key = (int(current[i]), int(predicted[i]), overwrite)
            merged = self._merged.get(key)
            if merged is None:
                old = feats_to_dict(strings[key[0] & _MASK])
                new = feats_to_dict(strings[key[1] & _MASK])
                fields = {**old, **new} if overwrite else {**new, **old}
                merged = _as_int64(strings.add(normalize_feats(fields)))
                self._merged[key] = merged
            out[i] = merged
        return out

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        examples = list(examples)
        scores: dict[str, Any] = {}
        scores.update(Scorer.score_token_attr(examples, "pos_", **kwargs))
        # The key, not the string: a token annotated as having no features ("_") counts,
        # one without morphology annotation (key 0) is missing.
        scores.update(
            Scorer.score_token_attr(
                examples, "morph", getter=_morph_key, missing_values=frozenset({0}), **kwargs
            )
        )
        scores.update(Scorer.score_token_attr_per_feat(examples, "morph", **kwargs))
        return scores


def _morph_key(token: Token, attr: str) -> int:
    return int(token.morph.key)


@factory(
    "morphologizer",
    assigns=["token.morph", "token.pos"],
    default_config={
        "model": DEFAULT_MORPH_MODEL,
        "overwrite": True,
        "extend": False,
        "label_smoothing": 0.0,
    },
    default_score_weights={"pos_acc": 0.5, "morph_acc": 0.5, "morph_per_feat": None},
)
def make_morphologizer(
    nlp: Language,
    name: str,
    model: torch.nn.Module,
    overwrite: bool = True,
    extend: bool = False,
    label_smoothing: float = 0.0,
) -> Morphologizer:
    return Morphologizer(
        nlp.vocab, model, name, overwrite=overwrite, extend=extend, label_smoothing=label_smoothing
    )
