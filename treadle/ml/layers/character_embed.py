"""CharacterIds: list[Doc] -> Ragged (n_tokens, nC) int64 of each word's first and last characters.

The first ``ceil(nC/2)`` and last ``floor(nC/2)`` Unicode code points of every word
(0 where the word is shorter), combined with their position so each position gets
its own embedding rows. Characters are computed once per distinct ORTH hash and
cached in the layer (a numpy table indexed through a dict): a batch only loops over
the words it has not seen before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from treadle.ml.ragged import Ragged
from treadle.tokens.attrs import ORTH

if TYPE_CHECKING:
    from treadle.tokens import Doc, StringStore


def word_char_ids(word: str, nC: int) -> np.ndarray:
    """Position-specific ids of the first/last characters: ``code point * 64 + slot + 1``."""
    head = (nC + 1) // 2
    tail = nC - head
    out = np.zeros(nC, dtype=np.int64)
    cps = [ord(c) for c in word]
    first = cps[:head]
    out[: len(first)] = first
    if tail and cps:
        last = cps[-tail:]  # right-aligned in the tail slots (short words repeat in both halves)
        out[nC - len(last) :] = last
    return out * 64 + np.arange(nC) + 1


class WordTable:
    """A row of ``width`` ints per word, computed by ``encode(word, width)`` once per
    distinct ORTH hash and kept (a numpy table indexed through a dict), so a batch
    only pays for the words it has not seen before."""

    def __init__(self, width: int, encode: Callable[[str, int], np.ndarray]) -> None:
        self.width, self.encode = width, encode
        self._row_of: dict[int, int] = {}
        self.table = np.zeros((0, width), dtype=np.int64)

    def rows(self, orths: np.ndarray, strings: StringStore) -> np.ndarray:
        """The table row of each of ``orths`` (ORTH hashes), adding the new words."""
        row_of = self._row_of
        new = [h for h in dict.fromkeys(orths.tolist()) if h not in row_of]
        if new:
            start = self.table.shape[0]
            block = np.stack([self.encode(strings[h & ((1 << 64) - 1)], self.width) for h in new])
            self.table = np.concatenate([self.table, block])
            for i, h in enumerate(new):
                row_of[h] = start + i
        return np.fromiter((row_of[h] for h in orths.tolist()), dtype=np.int64, count=len(orths))


class CharacterIds(torch.nn.Module):
    def __init__(self, nC: int) -> None:
        super().__init__()
        self.nC = nC
        self.words = WordTable(nC, word_char_ids)
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        lengths = [len(doc) for doc in docs]
        device = self._device_probe.device
        if not docs or sum(lengths) == 0:
            return Ragged(torch.zeros(0, self.nC, dtype=torch.long, device=device), lengths)
        orths = np.concatenate([doc.to_array([ORTH]).reshape(-1) for doc in docs])
        uniq, inverse = np.unique(orths, return_inverse=True)
        rows = self.words.rows(uniq, docs[0].vocab.strings)[inverse]
        return Ragged(torch.from_numpy(self.words.table[rows]).to(device), lengths)
