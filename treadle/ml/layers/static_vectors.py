"""StaticVectors: project the pretrained vectors of each token's key, read from the Docs' vocab.

The table lives in ``doc.vocab.vectors`` and is never copied into the model's
parameters nor updated: it is moved to the device once and cached (by the identity
of the numpy table; a grown table is a new array and is re-cached). Keys missing
from the table get a zero vector. Only the projection ``W`` (nO x nM) is learned.

With ``key_attr = "ORTH"`` a word missing from the table is looked up by its
lowercase form, as ``token.vector`` does. A floret table has no rows per word: the
batch's distinct words are turned into vectors on the CPU (their n-gram buckets'
mean) and only those rows are moved to the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.errors import TreadleError
from treadle.ml.layers._init import glorot_uniform_
from treadle.ml.layers.feature_extractor import attr_ids
from treadle.ml.ragged import Ragged
from treadle.tokens.attrs import LOWER, ORTH

if TYPE_CHECKING:
    from treadle.tokens import Doc, Vectors


class StaticVectors(torch.nn.Module):
    def __init__(self, nO: int, nM: int | None = None, *, dropout: float = 0.0, key_attr: str | int = "ORTH"):
        super().__init__()
        self.nO, self.nM = nO, nM
        self.key_attr = attr_ids([key_attr])[0]
        self.weight = torch.nn.Parameter(torch.empty(nO, nM or 0))
        if nM:
            glorot_uniform_(self.weight, nM, nO)
        self.dropout = torch.nn.Dropout(dropout) if dropout > 0 else None
        # Read by Language.initialize: a model holding this layer needs the vocab's vectors.
        self.requires_vectors = True
        self._table_src: Any = None  # the numpy table the cache was made from (held: ids stay valid)
        self._table: torch.Tensor | None = None

    def _device_table(self, vectors: Vectors) -> torch.Tensor:
        data = vectors.data
        device = self.weight.device
        dtype = self.weight.dtype
        if (
            self._table is None
            or self._table_src is not data
            or self._table.device != device
            or self._table.dtype != dtype
        ):
            t = torch.as_tensor(np.asarray(data, dtype=np.float32))
            # One extra zero row for keys without a vector (row -1 -> last row).
            t = torch.cat([t, t.new_zeros(1, t.shape[1])], dim=0).to(device, dtype)
            self._table_src, self._table = data, t
        return self._table

    def set_input_width(self, nM: int) -> None:
        """Create ``W`` for vectors of width ``nM`` if it has no shape yet. Called at
        initialize, before the optimizer sees the parameters: a ``W`` made later, in a
        first forward, would be a parameter the optimizer never updates."""
        if self.weight.shape[1] != 0:
            return
        with torch.no_grad():
            w = glorot_uniform_(torch.empty(self.nO, nM, device=self.weight.device), nM, self.nO)
        self.weight = torch.nn.Parameter(w)
        self.nM = nM

    def adopt_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        shape = shapes.get("weight")
        if shape is not None and tuple(self.weight.shape) != shape and self.weight.shape[1] == 0:
            self.weight = torch.nn.Parameter(torch.zeros(shape, device=self.weight.device))
            self.nM = shape[1]

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        lengths = [len(doc) for doc in docs]
        if not docs:
            return Ragged(self.weight.new_zeros(0, self.nO), [])
        vectors = docs[0].vocab.vectors
        if vectors is None or vectors.data.size == 0:
            raise TreadleError(
                "StaticVectors: the Docs' vocab has no vectors; load a vectors table "
                "([initialize] vectors) or set include_static_vectors = false."
            )
        table = self._device_table(vectors)
        if self.weight.shape[1] == 0:
            self.set_input_width(table.shape[1])
        elif self.weight.shape[1] != table.shape[1]:
            raise TreadleError(
                f"StaticVectors: vectors have width {table.shape[1]} but the layer expects {self.weight.shape[1]}"
            )
        cols = [self.key_attr, LOWER] if self.key_attr == ORTH else [self.key_attr]
        keys = np.concatenate([doc.to_array(cols).reshape(len(doc), len(cols)) for doc in docs])
        if vectors.floret is not None:
            uniq, inverse = np.unique(keys[:, 0], return_inverse=True)
            strings = docs[0].vocab.strings
            words = [strings[int(k)] for k in uniq]
            rows_np = np.asarray(vectors.vectors_for(words), dtype=np.float32)
            table = torch.from_numpy(rows_np).to(self.weight.device, self.weight.dtype)
            rows = inverse.reshape(-1).astype(np.int64)
        else:
            rows = self._rows(vectors, keys, table.shape[0] - 1)
        rows_t = torch.from_numpy(rows).to(table.device)
        # The table is a constant: only W receives gradients.
        Y = F.linear(F.embedding(rows_t, table), self.weight)
        if self.dropout is not None:
            Y = self.dropout(Y)
        return Ragged(Y, lengths)


    @staticmethod
    def _rows(vectors: Vectors, keys: np.ndarray, missing: int) -> np.ndarray:
        """Row of each token's key, then of its lowercase form (second column, if any)."""
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        rows = np.asarray(vectors.find(uniq[:, 0]), dtype=np.int64)
        if uniq.shape[1] > 1:
            absent = rows < 0
            rows[absent] = vectors.find(uniq[absent, 1])
        rows[rows < 0] = missing
        return rows[inverse.reshape(-1)]


@registry.architectures("treadle.StaticVectors.v1")
def make_StaticVectors(
    nO: int, nM: int | None = None, dropout: float | None = None, key_attr: str = "ORTH"
) -> StaticVectors:
    return StaticVectors(nO, nM, dropout=dropout or 0.0, key_attr=key_attr)
