"""CharacterIds: list[Doc] -> Ragged (n_tokens, nC) int64 of each word's first and last characters.

The first ``ceil(nC/2)`` and last ``floor(nC/2)`` Unicode code points of every word
(0 where the word is shorter), combined with their position so each position gets
its own embedding rows. Characters are computed once per distinct ORTH hash and
cached in the layer (a numpy table indexed through a dict): a batch only loops over
the words it has not seen before.
"""

from __future__ import annotations

from collections.abc import Sequence
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


class CharacterIds(torch.nn.Module):
    def __init__(self, nC: int) -> None:
        super().__init__()
        self.nC = nC
        self._row_of: dict[int, int] = {}
        self._table = np.zeros((0, nC), dtype=np.int64)
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    def _rows(self, orths: np.ndarray, strings: StringStore) -> np.ndarray:
        uniq, inverse = np.unique(orths, return_inverse=True)
        row_of = self._row_of
        new = [int(h) for h in uniq.tolist() if int(h) not in row_of]
        if new:
            start = self._table.shape[0]
            block = np.stack([word_char_ids(strings[h & ((1 << 64) - 1)], self.nC) for h in new])
            self._table = np.concatenate([self._table, block])
            for i, h in enumerate(new):
                row_of[h] = start + i
        uniq_rows = np.fromiter((row_of[int(h)] for h in uniq.tolist()), dtype=np.int64, count=len(uniq))
        return uniq_rows[inverse]

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        lengths = [len(doc) for doc in docs]
        device = self._device_probe.device
        if not docs or sum(lengths) == 0:
            return Ragged(torch.zeros(0, self.nC, dtype=torch.long, device=device), lengths)
        orths = np.concatenate([doc.to_array([ORTH]).reshape(-1) for doc in docs])
        rows = self._rows(orths, docs[0].vocab.strings)
        return Ragged(torch.from_numpy(self._table[rows]).to(device), lengths)
