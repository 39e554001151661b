"""FeatureExtractor: list[Doc] -> Ragged of int64 attribute ids, (n_tokens, n_attrs).

One ``doc.to_array(attrs)`` per Doc (vectorized in the Doc), one concatenation,
one transfer to the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from treadle.config import registry
from treadle.ml.ragged import Ragged
from treadle.tokens.attrs import intify_attr

if TYPE_CHECKING:
    from treadle.tokens import Doc


def attr_ids(attrs: Sequence[int | str]) -> list[int]:
    return [a if isinstance(a, int) else intify_attr(a) for a in attrs]


def extract_features(docs: Sequence[Doc], attrs: list[int], device: torch.device) -> Ragged:
    arrays = []
    lengths = []
    for doc in docs:
        arr = doc.to_array(attrs)
        if arr.ndim == 1:
            arr = arr.reshape(-1, len(attrs))
        arrays.append(arr)
        lengths.append(arr.shape[0])
    if arrays:
        data = np.concatenate(arrays, axis=0).astype(np.int64, copy=False)
    else:
        data = np.zeros((0, len(attrs)), dtype=np.int64)
    return Ragged(torch.from_numpy(data).to(device, non_blocking=True), lengths)


class FeatureExtractor(torch.nn.Module):
    def __init__(self, attrs: Sequence[int | str]) -> None:
        super().__init__()
        self.attrs = attr_ids(attrs)
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        return extract_features(docs, self.attrs, self._device_probe.device)


@registry.layers("FeatureExtractor.v1")
def make_FeatureExtractor(columns: list[int | str]) -> FeatureExtractor:
    return FeatureExtractor(columns)
