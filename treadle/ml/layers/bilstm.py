"""BiLSTM: a Ragged of token rows -> the same rows, each seeing its whole Doc.

The batch's Docs go through ``torch.nn.LSTM`` as one packed sequence (cuDNN on a GPU,
no Python loop per token), and come back in the Ragged's own row order. Each layer is
bidirectional with ``width // 2`` units a direction, so the output keeps ``width``.
Each layer adds its output to its input (a residual connection). Between layers,
dropout at the encoder's own rate (``dropout``): a fixed setting of
the architecture, not the training's ``dropout``, which reaches the embedding.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

from treadle.errors import ConfigError
from treadle.ml.ragged import Ragged, as_ragged


class BiLSTM(torch.nn.Module):
    def __init__(self, width: int, depth: int, dropout: float = 0.0) -> None:
        super().__init__()
        if width < 2 or width % 2:
            raise ConfigError(
                f"BiLSTMEncoder: width must be an even number >= 2 (half a direction), got {width}"
            )
        if depth < 1:
            raise ConfigError(f"BiLSTMEncoder: depth must be at least 1, got {depth}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"BiLSTMEncoder: dropout must be in [0, 1), got {dropout}")
        self.width, self.depth, self.rate = width, depth, dropout
        self.layers = torch.nn.ModuleList(
            torch.nn.LSTM(width, width // 2, bidirectional=True) for _ in range(depth)
        )

    @property
    def receptive_field(self) -> None:
        """Unbounded: every row depends on its whole Doc."""
        return None

    def forward(self, X: Any) -> Ragged:
        X = as_ragged(X)
        lengths = X.lengths
        if not any(lengths):
            return X
        seqs = [s for s in X.split() if s.shape[0]]
        packed = pack_sequence(seqs, enforce_sorted=False)
        for i, lstm in enumerate(self.layers):
            inputs = packed.data
            if i and self.rate:
                packed = packed._replace(data=F.dropout(inputs, self.rate, self.training))
            out, _ = lstm(packed)
            # Residual, as the window encoders' blocks: the components see the
            # embeddings from the first step, while the LSTM learns to add context.
            packed = out._replace(data=out.data + inputs)
        padded, _ = pad_packed_sequence(packed, batch_first=True)  # (n_docs, longest, width)
        nonempty = [n for n in lengths if n]
        mask = torch.arange(padded.shape[1], device=padded.device) < torch.tensor(
            nonempty, device=padded.device
        ).unsqueeze(1)
        return X.with_data(padded[mask])  # row-major: Doc by Doc, token by token

    def extra_repr(self) -> str:
        return f"width={self.width}, depth={self.depth}, dropout={self.rate}"
