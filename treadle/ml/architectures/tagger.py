"""``treadle.Tagger.v1``: a token encoder, dropout, and a linear layer to tag scores.

The model maps ``list[Doc]`` to a :class:`Ragged` of unnormalized scores (logits),
one row per token of the batch, packed: the tagger's loss (cross-entropy) and its
prediction (argmax) both work on the packed rows, so there is no per-Doc loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.layers.linear import Linear
from treadle.ml.modules import set_module_ref
from treadle.ml.ragged import Ragged

if TYPE_CHECKING:
    from treadle.tokens import Doc


def encoder_width(tok2vec: torch.nn.Module) -> int | None:
    """The output width a token encoder declares (``width``/``nO`` attribute), if any."""
    for attr in ("width", "nO"):
        value = getattr(tok2vec, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def encode_packed(tok2vec: torch.nn.Module, docs: Sequence[Doc]) -> Ragged:
    """Run an encoder and return its rows for the whole batch packed in one Ragged.
    A batch without tokens doesn't run the encoder (some layers reject empty input)."""
    if not any(len(doc) for doc in docs):
        width = encoder_width(tok2vec) or 0
        probe = next(iter(tok2vec.parameters()), None)
        device = probe.device if probe is not None else None
        return Ragged(torch.zeros(0, width, device=device), [0] * len(docs))
    forward_ragged = getattr(tok2vec, "forward_ragged", None)
    if forward_ragged is not None:
        out = forward_ragged(docs)
        if isinstance(out, Ragged):
            return out
    out = tok2vec(docs)
    if isinstance(out, Ragged):
        return out
    seqs = list(out)
    lengths = [len(doc) for doc in docs]
    if not seqs:
        return Ragged(torch.zeros(0, 0), lengths)
    return Ragged(torch.cat(seqs, dim=0), lengths)


class Tagger(torch.nn.Module):
    """tok2vec -> dropout -> Linear(nO); ``resize_output`` grows the label set."""

    def __init__(self, tok2vec: torch.nn.Module, nO: int | None = None) -> None:
        super().__init__()
        width = encoder_width(tok2vec)
        self.tok2vec = tok2vec
        self.dropout = torch.nn.Dropout(0.0)
        # Zero-initialized output rows: a new label starts with no preference.
        self.output = Linear(nO, width, init="zeros")
        set_module_ref(self, "tok2vec", tok2vec)
        set_module_ref(self, "output_layer", self.output)

    @property
    def nO(self) -> int | None:
        return self.output.nO

    def resize_output(self, n: int) -> None:
        self.output.resize_output(n)

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        X = encode_packed(self.tok2vec, docs)
        if self.output.nO is None:
            raise ConfigError("Tagger: the number of tags (nO) is not set; initialize the tagger first")
        return X.with_data(self.output(self.dropout(X.data)))


@registry.architectures("treadle.Tagger.v1")
def make_Tagger(tok2vec: torch.nn.Module, nO: int | None = None) -> Tagger:
    return Tagger(tok2vec, nO)
