"""CharacterCNN: list[Doc] -> (n_tokens, width), a convolution over each word's characters.

A word's characters (all of them up to ``max_chars``; a longer word keeps its first
and last ``max_chars // 2``, where prefixes and suffixes are) are embedded by code
point modulo ``rows``, convolved over windows of three characters and max-pooled over
the word, so rare and unseen words get vectors from their spelling. The network runs
once per distinct word of the batch, and each word's code points are computed once
and kept (:class:`~treadle.ml.layers.character_embed.WordTable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from treadle.errors import ConfigError
from treadle.ml.layers.character_embed import WordTable
from treadle.tokens.attrs import ORTH

if TYPE_CHECKING:
    from treadle.tokens import Doc


def word_code_points(word: str, max_chars: int) -> np.ndarray:
    """``max_chars`` code points + 1 (0 pads a short word), cut in the middle if long."""
    cps = [ord(c) + 1 for c in word]
    if len(cps) > max_chars:
        head = max_chars - max_chars // 2
        cps = cps[:head] + cps[len(cps) - max_chars // 2 :]
    out = np.zeros(max_chars, dtype=np.int64)
    out[: len(cps)] = cps
    return out


class CharacterCNN(torch.nn.Module):
    def __init__(self, width: int, *, char_dim: int = 32, max_chars: int = 16, rows: int = 2048) -> None:
        super().__init__()
        for name, value, least in (("char_width", width, 1), ("char_dim", char_dim, 1),
                                   ("max_chars", max_chars, 2), ("char_rows", rows, 2)):
            if value < least:
                raise ConfigError(f"CharacterEmbed: {name} must be at least {least}, got {value}")
        self.width, self.max_chars, self.rows = width, max_chars, rows
        self.embed = torch.nn.Embedding(rows, char_dim, padding_idx=0)
        self.conv = torch.nn.Conv1d(char_dim, width, kernel_size=3, padding=1)
        self.words = WordTable(max_chars, word_code_points)

    def forward(self, docs: Sequence[Doc]) -> torch.Tensor:
        device = self.embed.weight.device
        n = sum(len(doc) for doc in docs)
        if n == 0:
            return torch.zeros(0, self.width, device=device)
        orths = np.concatenate([doc.to_array([ORTH]).reshape(-1) for doc in docs])
        uniq, inverse = np.unique(orths, return_inverse=True)
        rows = self.words.rows(uniq, docs[0].vocab.strings)  # grows the table first
        cps = torch.from_numpy(self.words.table[rows]).to(device)
        ids = torch.where(cps > 0, (cps - 1) % (self.rows - 1) + 1, 0)
        conv = self.conv(self.embed(ids).transpose(1, 2))  # (words, width, max_chars)
        conv = conv.masked_fill((ids == 0).unsqueeze(1), float("-inf"))
        pooled = conv.amax(dim=2)  # every word has at least one character
        return pooled[torch.from_numpy(inverse.reshape(-1)).to(device)]

    def extra_repr(self) -> str:
        return f"width={self.width}, max_chars={self.max_chars}, rows={self.rows}"
