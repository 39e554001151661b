"""Pretraining objectives: small heads put on a tok2vec's output for ``treadle pretrain``.

A registered objective (``[pretraining.objective]``) returns an :class:`Objective`
builder; ``treadle pretrain`` calls it with the vocab and the tok2vec's output width
to get a head, an ``nn.Module`` whose ``get_loss(docs, X)`` scores the tok2vec rows
``X`` (n_tokens, width) of ``docs`` against a target read off the words themselves.
Only the tok2vec's weights are saved; the head is thrown away after pretraining.

- ``treadle.PretrainCharacters.v1``: predict the first and last ``n_characters``
  UTF-8 bytes of each word, one 256-way classification per byte position (positions
  past the end of a short word predict the 0 byte, which text never contains).
- ``treadle.PretrainVectors.v1``: predict the word's row in ``vocab.vectors`` with a
  cosine or L2 loss; words without a vector do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.layers.maxout import Maxout
from treadle.tokens.attrs import ORTH

if TYPE_CHECKING:
    from treadle.tokens import Doc, Vocab

N_BYTE_CLASSES = 256

# A registered objective: (vocab, tok2vec width) -> the head that computes the loss.
Objective = Callable[["Vocab", int], "PretrainHead"]


class PretrainHead(torch.nn.Module):
    """A maxout hidden layer and a linear output on the tok2vec's rows."""

    def __init__(self, width: int, hidden_size: int, maxout_pieces: int, n_out: int) -> None:
        super().__init__()
        self.hidden = Maxout(hidden_size, width, maxout_pieces, normalize=True)
        self.output = torch.nn.Linear(hidden_size, n_out)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.output(self.hidden(X))

    def get_loss(self, docs: Sequence[Doc], X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def _orths(docs: Sequence[Doc]) -> np.ndarray:
    if not docs:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate([doc.to_array([ORTH]).reshape(-1) for doc in docs]).astype(np.uint64)


def word_bytes(word: str, n_characters: int) -> np.ndarray:
    """The first and last ``n_characters`` UTF-8 bytes of ``word`` (0-padded)."""
    data = word.encode("utf8")
    out = np.zeros(2 * n_characters, dtype=np.int64)
    head = data[:n_characters]
    tail = data[-n_characters:] if data else b""
    out[: len(head)] = list(head)
    out[2 * n_characters - len(tail) :] = list(tail)
    return out


class CharacterHead(PretrainHead):
    def __init__(self, width: int, hidden_size: int, maxout_pieces: int, n_characters: int) -> None:
        super().__init__(width, hidden_size, maxout_pieces, 2 * n_characters * N_BYTE_CLASSES)
        self.n_characters = n_characters
        # Targets by ORTH hash: a corpus repeats its words, so each is encoded once.
        self._targets: dict[int, np.ndarray] = {}

    def targets(self, docs: Sequence[Doc]) -> torch.Tensor:
        cache, n = self._targets, self.n_characters
        rows = []
        for doc in docs:
            for token in doc:
                target = cache.get(token.orth)
                if target is None:
                    target = cache[token.orth] = word_bytes(token.text, n)
                rows.append(target)
        if not rows:
            return torch.zeros(0, 2 * n, dtype=torch.long)
        return torch.from_numpy(np.stack(rows))

    def get_loss(self, docs: Sequence[Doc], X: torch.Tensor) -> torch.Tensor:
        scores = self(X).reshape(-1, N_BYTE_CLASSES)
        truth = self.targets(docs).to(X.device).reshape(-1)
        return F.cross_entropy(scores, truth)


class VectorsHead(PretrainHead):
    def __init__(self, width: int, hidden_size: int, maxout_pieces: int, loss: str, vocab: Vocab) -> None:
        self.vectors = vocab.vectors
        super().__init__(width, hidden_size, maxout_pieces, self.vectors.shape[1])
        self.loss = loss
        # The table on the model's device, copied there once (not per batch).
        self._table: torch.Tensor | None = None

    def table(self, device: torch.device) -> torch.Tensor:
        if self._table is None or self._table.device != device:
            self._table = torch.from_numpy(self.vectors.data).to(device)
        return self._table

    def get_loss(self, docs: Sequence[Doc], X: torch.Tensor) -> torch.Tensor:
        rows = torch.from_numpy(self.vectors.find(_orths(docs))).to(X.device)
        known = rows >= 0
        if not bool(known.any()):
            # Keeps the graph (and a zero gradient) for a batch without known words.
            return self(X[:0]).sum()
        truth = self.table(X.device)[rows[known]]
        guess = self(X[known])
        if self.loss == "cosine":
            return (1.0 - F.cosine_similarity(guess, truth, dim=1, eps=1e-8)).mean()
        return ((guess - truth) ** 2).sum(dim=1).mean()


@registry.architectures("treadle.PretrainCharacters.v1")
def create_pretrain_characters(
    maxout_pieces: int = 3, hidden_size: int = 300, n_characters: int = 4
) -> Objective:
    """Predict each word's first and last ``n_characters`` bytes from its context."""
    if n_characters < 1:
        raise ConfigError(f"pretraining.objective.n_characters must be at least 1, got {n_characters}.")

    def build(vocab: Vocab, width: int) -> PretrainHead:
        return CharacterHead(width, hidden_size, maxout_pieces, n_characters)

    return build


@registry.architectures("treadle.PretrainVectors.v1")
def create_pretrain_vectors(
    maxout_pieces: int = 3, hidden_size: int = 300, loss: Literal["cosine", "L2"] = "cosine"
) -> Objective:
    """Predict each word's static vector (``vocab.vectors``) with a cosine or L2 loss."""
    if loss not in ("cosine", "L2"):
        raise ConfigError(f'pretraining.objective.loss must be "cosine" or "L2", got {loss!r}.')

    def build(vocab: Vocab, width: int) -> PretrainHead:
        if vocab.vectors.shape[1] == 0 or vocab.vectors.n_keys == 0:
            raise ConfigError(
                "pretraining.objective = treadle.PretrainVectors.v1 predicts static word "
                "vectors, but the vocab has none: set initialize.vectors (e.g. "
                "--paths.vectors) to a vectors table, or use treadle.PretrainCharacters.v1."
            )
        return VectorsHead(width, hidden_size, maxout_pieces, loss, vocab)

    return build


__all__ = [
    "CharacterHead",
    "Objective",
    "PretrainHead",
    "VectorsHead",
    "create_pretrain_characters",
    "create_pretrain_vectors",
    "word_bytes",
]
