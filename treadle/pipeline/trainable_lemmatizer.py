"""``trainable_lemmatizer``: predicts an edit tree per token and applies it.

Initialization reads the (form, lemma) pairs of the training data, turns each into an
edit tree (treadle/pipeline/_internal/edit_tree.py) and keeps the trees seen at least
``min_tree_freq`` times: those are the component's labels (tree ids). The model
(``treadle.Tagger.v1`` by default) scores every label for every token; the loss is the
cross-entropy against the gold pair's tree (a token whose tree was dropped as rare, or
whose gold lemma is missing, doesn't count).

Prediction takes the ``top_k`` best trees per token in order and keeps the first that
applies to the form; when none does, the ``backoff`` decides: ``"orth"`` (the form
itself), ``"lower"`` (its lowercase) or None (leave the lemma unset).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from treadle.errors import DataError, PipelineError, SerializationError
from treadle.pipeline._internal.edit_tree import EditTrees
from treadle.pipeline._internal.labels import IGNORE, aligned_token_values, packed_scores
from treadle.pipeline._internal.serialize import MSGPACK, Part
from treadle.pipeline._internal.trainable import (
    MODEL_FILE,
    TrainablePipe,
    _check_examples,
    check_label_list,
)
from treadle.pipeline.factories import factory
from treadle.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from treadle.scoring import Scorer
from treadle.tokens.attrs import LEMMA, LOWER, ORTH

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

TREES_FILE = "trees.msgpack"
BACKOFFS = ("orth", "lower", None)
MASK64 = 0xFFFFFFFFFFFFFFFF

DEFAULT_LEMMATIZER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.Tagger.v1",
    "nO": None,
    "tok2vec": dict(DEFAULT_TOK2VEC_MODEL),
}


class EditTreeLemmatizer(TrainablePipe):
    """Assigns ``token.lemma_`` by predicting which edit tree turns the form into it."""

    model: torch.nn.Module

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "trainable_lemmatizer",
        *,
        backoff: str | None = "orth",
        min_tree_freq: int = 3,
        overwrite: bool = False,
        top_k: int = 1,
    ) -> None:
        if backoff not in BACKOFFS:
            raise PipelineError(
                f"Component {name!r}: backoff must be 'orth', 'lower' or null, got {backoff!r}"
            )
        if not isinstance(top_k, int) or top_k < 1:
            raise PipelineError(f"Component {name!r}: top_k must be an integer >= 1, got {top_k!r}")
        if not isinstance(min_tree_freq, int) or min_tree_freq < 1:
            raise PipelineError(
                f"Component {name!r}: min_tree_freq must be an integer >= 1, got {min_tree_freq!r}"
            )
        super().__init__(
            vocab,
            model,
            name,
            backoff=backoff,
            min_tree_freq=min_tree_freq,
            overwrite=overwrite,
            top_k=top_k,
        )
        self.trees = EditTrees()
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._class_of_tree: dict[int, int] = {t: i for i, t in enumerate(self.labels)}
        # (orth hash, lemma hash) -> class index or IGNORE: the gold side of the loss.
        self._gold_cache: dict[tuple[int, int], int] = {}
        # (class index, orth hash) -> lemma hash, 0 when the tree doesn't apply.
        self._lemma_cache: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------ labels = tree ids

    @property
    def labels(self) -> tuple[int, ...]:
        return tuple(int(t) for t in self.cfg.get("labels", ()))

    @property
    def label_data(self) -> dict[str, Any]:
        return {"trees": self.trees.to_json(), "labels": list(self.labels)}

    def add_label(self, label: Any) -> int:
        """Add the tree ``label`` (an id in ``self.trees``); 1 if new, 0 if known."""
        if not isinstance(label, int) or label not in self.trees:
            raise PipelineError(
                f"Component {self.name!r}: a label is the id of an edit tree in its store "
                f"(0..{len(self.trees) - 1}), got {label!r}"
            )
        if label in self.labels:
            return 0
        self.cfg["labels"] = [*self.labels, label]
        self._reset_caches()
        if self._initialized:
            self._resize_output(len(self.labels))
        return 1

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        labels: Any = None,
        **settings: Any,
    ) -> None:
        """Learn the trees from the examples' (form, lemma) pairs, or take ``labels``
        (the ``label_data`` of a trained lemmatizer: its trees and their ids)."""
        if self.model is None:
            raise self._not_yet("initialize")
        if labels is not None:
            self._set_label_data(labels)
        elif get_examples is not None:
            if not callable(get_examples):
                raise PipelineError(
                    f"Component {self.name!r}: initialize(get_examples=...) expects a function "
                    f"returning Examples, got {type(get_examples).__name__}"
                )
            self._learn_trees(_check_examples(get_examples(), self.name))
        if not self.labels:
            raise DataError(
                f"Component {self.name!r} found no edit trees: give examples with lemmas (a "
                f"tree must be seen at least min_tree_freq={self.cfg['min_tree_freq']} times), "
                f"or labels in [initialize.components.{self.name}]"
            )
        self._resize_output(len(self.labels))
        self._initialized = True

    def _set_label_data(self, data: Any) -> None:
        where = f"component {self.name!r}: labels"
        if not isinstance(data, dict) or "trees" not in data or "labels" not in data:
            raise DataError(f"{where}: expected {{'trees': [...], 'labels': [...]}} (its label_data)")
        trees = EditTrees().from_json(data["trees"], where=where)
        ids = [int(t) for t in data["labels"]]
        bad = [t for t in ids if t not in trees]
        if bad:
            raise DataError(f"{where}: tree ids {bad[:5]} are not in the given trees")
        self.trees = trees
        self.cfg["labels"] = ids
        self._reset_caches()

    def _learn_trees(self, examples: list[Example]) -> None:
        pair_counts: Counter[tuple[int, int]] = Counter()
        for eg in examples:
            arr = eg.reference.to_array([ORTH, LEMMA])
            arr = arr[arr[:, 1] != 0]
            pair_counts.update(zip(arr[:, 0].tolist(), arr[:, 1].tolist(), strict=True))
        strings = self.vocab.strings
        scratch = EditTrees()
        tree_counts: Counter[int] = Counter()
        example_pair: dict[int, tuple[str, str]] = {}
        for (orth, lemma), n in pair_counts.items():
            pair = (strings[orth & MASK64], strings[lemma & MASK64])
            tree = scratch.add(*pair)
            tree_counts[tree] += n
            example_pair.setdefault(tree, pair)
        min_freq = int(self.cfg["min_tree_freq"])
        kept = [t for t, n in tree_counts.items() if n >= min_freq]
        kept.sort(key=lambda t: (-tree_counts[t], t))
        # A fresh store holding only the kept trees keeps the saved store small.
        trees = EditTrees()
        self.cfg["labels"] = [trees.add(*example_pair[t]) for t in kept]
        self.trees = trees
        self._reset_caches()

    # ------------------------------------------------------------------ training

    def _forward(self, docs: list[Doc]) -> Any:
        return self.model(docs)

    def _gold_classes(self, orths: np.ndarray, lemmas: np.ndarray) -> np.ndarray:
        """Class index of each token's gold tree; IGNORE where unknown or missing."""
        gold = np.full(len(orths), IGNORE, dtype=np.int64)
        has = np.flatnonzero(lemmas != 0)
        if not len(has):
            return gold
        pairs = np.stack([orths[has], lemmas[has]], axis=1)
        uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
        cache, strings = self._gold_cache, self.vocab.strings
        classes = np.empty(len(uniq), dtype=np.int64)
        for i, (orth, lemma) in enumerate(uniq.tolist()):
            cls = cache.get((orth, lemma))
            if cls is None:
                tree = self.trees.find(strings[orth & MASK64], strings[lemma & MASK64])
                cls = IGNORE if tree is None else self._class_of_tree.get(tree, IGNORE)
                cache[(orth, lemma)] = cls
            classes[i] = cls
        gold[has] = classes[inverse.reshape(-1)]
        return gold

    def get_loss(self, examples: list[Example], scores: Any) -> torch.Tensor | None:
        docs = [eg.predicted for eg in examples]
        logits = packed_scores(scores, docs)
        orths = _concat([doc.to_array(ORTH) for doc in docs])
        gold = self._gold_classes(orths, aligned_token_values(examples, LEMMA))
        if not (gold != IGNORE).any():
            return None
        target = torch.from_numpy(gold).to(logits.device)
        return F.cross_entropy(logits, target, ignore_index=IGNORE, reduction="sum")

    # ------------------------------------------------------------------ prediction

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        if not docs:
            return
        logits = packed_scores(scores, docs)
        n_tokens = sum(len(doc) for doc in docs)
        if n_tokens == 0:
            return
        if logits.shape[0] != n_tokens:
            raise PipelineError(
                f"Component {self.name!r}: the model gave {logits.shape[0]} rows for {n_tokens} tokens"
            )
        k = min(int(self.cfg.get("top_k", 1)), logits.shape[1])
        candidates = logits.topk(k, dim=-1).indices.cpu().tolist() if k else [[]] * n_tokens
        overwrite = bool(self.cfg.get("overwrite", False))
        backoff = self.cfg.get("backoff", "orth")
        start = 0
        for doc in docs:
            n = len(doc)
            orths = doc.to_array(ORTH)
            lemmas = self._lemmas(orths, candidates[start : start + n])
            start += n
            missing = lemmas == 0
            if missing.any() and backoff is not None:
                fallback = orths if backoff == "orth" else doc.to_array(LOWER)
                lemmas = np.where(missing, fallback, lemmas)
            if not overwrite:
                current = doc.to_array(LEMMA)
                lemmas = np.where(current == 0, lemmas, current)
            doc.from_array(LEMMA, lemmas)

    def _lemmas(self, orths: np.ndarray, candidates: list[list[int]]) -> np.ndarray:
        """The lemma hash of the first applicable candidate tree per token (0: none)."""
        out = np.zeros(len(orths), dtype=np.int64)
        cache, labels, strings = self._lemma_cache, self.labels, self.vocab.strings
        for i, (orth, classes) in enumerate(zip(orths.tolist(), candidates, strict=True)):
            for cls in classes:
                key = (cls, orth)
                lemma = cache.get(key)
                if lemma is None:
                    text = self.trees.apply(labels[cls], strings[orth & MASK64])
                    lemma = 0 if text is None else _as_int64(strings.add(text))
                    cache[key] = lemma
                if lemma:
                    out[i] = lemma
                    break
        return out

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_token_attr(examples, "lemma_", **kwargs)

    # ------------------------------------------------------------------ serialization

    def serialization_parts(self) -> dict[str, Part]:
        # Trees first: the labels read with cfg are ids of trees in the store.
        trees = Part(TREES_FILE, self.trees.to_json, self._load_trees, codec=MSGPACK)
        return {"trees": trees, **super().serialization_parts()}

    def _load_trees(self, data: Any, where: str) -> None:
        self.trees = EditTrees().from_json(data, where=where)

    def _after_cfg(self, where: str) -> None:
        check_label_list(self.cfg.get("labels", []), where, int)
        self._reset_caches()
        if self.labels:
            self._resize_output(len(self.labels))
        self._check_labels(where)

    def _check_labels(self, where: str) -> None:
        bad = [t for t in self.labels if t not in self.trees]
        if bad:
            raise SerializationError(f"{where}: labels name edit trees {bad[:5]} missing from its tree store")


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _as_int64(h: int) -> int:
    """A uint64 string hash as the int64 Docs store."""
    return h - (1 << 64) if h >= (1 << 63) else h


@factory(
    "trainable_lemmatizer",
    assigns=["token.lemma"],
    default_config={
        "model": DEFAULT_LEMMATIZER_MODEL,
        "backoff": "orth",
        "min_tree_freq": 3,
        "overwrite": False,
        "top_k": 1,
    },
    default_score_weights={"lemma_acc": 1.0},
)
def make_edit_tree_lemmatizer(
    nlp: Language,
    name: str,
    model: torch.nn.Module,
    backoff: str | None = "orth",
    min_tree_freq: int = 3,
    overwrite: bool = False,
    top_k: int = 1,
) -> EditTreeLemmatizer:
    return EditTreeLemmatizer(
        nlp.vocab,
        model,
        name,
        backoff=backoff,
        min_tree_freq=min_tree_freq,
        overwrite=overwrite,
        top_k=top_k,
    )


__all__ = ["EditTreeLemmatizer", "MODEL_FILE", "TREES_FILE", "make_edit_tree_lemmatizer"]
