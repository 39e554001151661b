"""Text classification architectures: bag-of-n-grams, CNN, and their ensemble.

Each maps ``list[Doc]`` to a (n_docs, nO) tensor of unnormalized scores (logits);
the component applies softmax (exclusive classes) or a sigmoid (multi-label). Every
model can grow its output (``resize_output``) keeping the learned label weights.

- ``treadle.TextCatBOW.v1``: hashed unigrams..n-grams of lowercased words summed
  into a sparse linear layer (an embedding-bag over hash buckets): fast, strong on
  short texts. With ``mark_edges`` the n-grams also see a start and an end marker,
  so "<start> how" differs from "how" anywhere in the text.
- ``treadle.TextCatCNN.v1``: a token encoder, mean and max pooling over each Doc's
  tokens, dropout, a linear output layer.
- ``treadle.TextCatEnsemble.v1``: the CNN's and the bag-of-words model's logits
  summed — one linear model over both feature sets, trained jointly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.architectures.tagger import encode_packed, encoder_width
from treadle.ml.layers.linear import Linear
from treadle.ml.layers.reduce import ReduceMax, ReduceMean
from treadle.ml.modules import set_module_ref
from treadle.tokens.attrs import LOWER

if TYPE_CHECKING:
    from treadle.tokens import Doc

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
# Pseudo-word ids for the Doc edges (with mark_edges). Lexeme ids are string hashes,
# so any two fixed 64-bit values serve: a collision is as unlikely as between words.
_START = np.uint64(0x5BD1E9955BD1E995)
_END = np.uint64(0x2545F4914F6CDD1D)


def _mix(x: np.ndarray) -> np.ndarray:
    """A 64-bit finalizer (splitmix64); uint64 arithmetic wraps around."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _with_edges(ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch's word ids with each Doc wrapped in _START ... _END, and new lengths."""
    lengths = lengths + 2
    ends = np.cumsum(lengths)
    starts = ends - lengths
    out = np.empty(int(ends[-1]), dtype=np.uint64)
    words = np.ones(len(out), dtype=bool)
    words[starts] = False
    words[ends - 1] = False
    out[starts] = _START
    out[ends - 1] = _END
    out[words] = ids
    return out, lengths


def ngram_features(
    docs: Sequence[Doc], ngram_size: int, n_buckets: int, mark_edges: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Hash buckets of every 1..ngram_size-gram of lowercased words, and the Doc each
    belongs to. n-grams never cross Doc edges. Vectorized over the whole batch.

    ``mark_edges`` wraps each Doc in start/end pseudo-words first, which gives the
    n-grams at the edges their own features: where a word stands matters for short
    texts (a question's first words say most about its type)."""
    lowers = [doc.to_array(LOWER) for doc in docs]
    lengths = np.fromiter((len(a) for a in lowers), dtype=np.int64, count=len(lowers))
    if not len(docs) or not (mark_edges or lengths.sum()):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ids = np.concatenate(lowers).view(np.uint64)
    if mark_edges:
        ids, lengths = _with_edges(ids, lengths)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    buckets, owners = [], []
    with np.errstate(over="ignore"):
        h = ids.copy()
        for n in range(1, ngram_size + 1):
            if n > 1:
                # extend each (n-1)-gram starting at i with the word at i + n - 1
                h = h[:-1] * _GOLD + ids[n - 1 :]
            starts_doc = doc_of[: len(h)]
            valid = starts_doc == doc_of[n - 1 :]
            key = _mix(h[valid] ^ np.uint64(n))
            buckets.append((key % np.uint64(n_buckets)).astype(np.int64))
            owners.append(starts_doc[valid])
    return np.concatenate(buckets), np.concatenate(owners)


class SparseLinear(torch.nn.Module):
    """Sums the rows of a (n_buckets, nO) table for each Doc's feature buckets, plus a
    bias. Output columns can be added (new labels) keeping the others."""

    def __init__(self, nO: int | None, n_buckets: int) -> None:
        super().__init__()
        self.nO = nO
        self.n_buckets = n_buckets
        self.weight = torch.nn.Parameter(torch.zeros(n_buckets, nO or 0))
        self.bias = torch.nn.Parameter(torch.zeros(nO or 0))

    def resize_output(self, nO: int) -> None:
        old = self.weight.shape[1]
        keep = min(old, nO)
        w = self.weight.new_zeros(self.n_buckets, nO)
        b = self.bias.new_zeros(nO)
        with torch.no_grad():
            w[:, :keep] = self.weight[:, :keep]
            b[:keep] = self.bias[:keep]
        self.weight = torch.nn.Parameter(w)
        self.bias = torch.nn.Parameter(b)
        self.nO = nO

    def adopt_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        shape = shapes.get("weight")
        if shape is not None and tuple(self.weight.shape) != shape:
            self.n_buckets = shape[0]
            self.weight = torch.nn.Parameter(self.weight.new_zeros(shape))
            self.bias = torch.nn.Parameter(self.bias.new_zeros(shape[1]))
            self.nO = shape[1]

    def forward(self, buckets: torch.Tensor, owners: torch.Tensor, n_docs: int) -> torch.Tensor:
        out = self.weight.new_zeros(n_docs, self.weight.shape[1])
        if buckets.numel():
            out = out.index_add(0, owners, F.embedding(buckets, self.weight))
        return out + self.bias

    def extra_repr(self) -> str:
        return f"nO={self.nO}, n_buckets={self.n_buckets}"


class TextCatBOW(torch.nn.Module):
    def __init__(
        self,
        exclusive_classes: bool,
        ngram_size: int,
        no_output_layer: bool,
        nO: int | None = None,
        length: int = 262144,
        mark_edges: bool = False,
    ) -> None:
        super().__init__()
        if ngram_size < 1:
            raise ConfigError(f"TextCatBOW: ngram_size must be at least 1, got {ngram_size}")
        self.exclusive_classes = exclusive_classes
        self.ngram_size = ngram_size
        self.mark_edges = mark_edges
        self.no_output_layer = no_output_layer
        self.linear = SparseLinear(nO, length)
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)
        set_module_ref(self, "output_layer", self.linear)

    @property
    def nO(self) -> int | None:
        return self.linear.nO

    def resize_output(self, n: int) -> None:
        self.linear.resize_output(n)

    def forward(self, docs: Sequence[Doc]) -> torch.Tensor:
        buckets, owners = ngram_features(
            docs, self.ngram_size, self.linear.n_buckets, self.mark_edges
        )
        device = self._device_probe.device
        return self.linear(
            torch.from_numpy(buckets).to(device), torch.from_numpy(owners).to(device), len(docs)
        )


class PooledDocEncoder(torch.nn.Module):
    """tok2vec, then each Doc's mean and max token vector, concatenated (2 * width)."""

    def __init__(self, tok2vec: torch.nn.Module) -> None:
        super().__init__()
        self.tok2vec = tok2vec
        self.mean = ReduceMean()
        self.max = ReduceMax()
        width = encoder_width(tok2vec)
        self.width = 2 * width if width is not None else None
        set_module_ref(self, "tok2vec", tok2vec)

    def forward(self, docs: Sequence[Doc]) -> torch.Tensor:
        X = encode_packed(self.tok2vec, docs)
        return torch.cat([self.mean(X), self.max(X)], dim=1)


class TextCatCNN(torch.nn.Module):
    def __init__(self, tok2vec: torch.nn.Module, exclusive_classes: bool, nO: int | None = None) -> None:
        super().__init__()
        self.exclusive_classes = exclusive_classes
        self.no_output_layer = False
        self.encoder = PooledDocEncoder(tok2vec)
        self.dropout = torch.nn.Dropout(0.0)
        self.output = Linear(nO, self.encoder.width, init="zeros")
        set_module_ref(self, "tok2vec", tok2vec)
        set_module_ref(self, "output_layer", self.output)

    @property
    def nO(self) -> int | None:
        return self.output.nO

    def resize_output(self, n: int) -> None:
        self.output.resize_output(n)

    def forward(self, docs: Sequence[Doc]) -> torch.Tensor:
        return self.output(self.dropout(self.encoder(docs)))


class TextCatEnsemble(torch.nn.Module):
    """The CNN's logits plus the bag-of-words model's logits."""

    def __init__(self, tok2vec: torch.nn.Module, linear_model: torch.nn.Module, nO: int | None = None) -> None:
        super().__init__()
        self.exclusive_classes = bool(getattr(linear_model, "exclusive_classes", True))
        self.no_output_layer = False
        self.cnn = TextCatCNN(tok2vec, self.exclusive_classes, nO)
        self.linear_model = linear_model
        if nO is not None:
            self.resize_output(nO)
        set_module_ref(self, "tok2vec", tok2vec)

    @property
    def nO(self) -> int | None:
        return self.cnn.nO

    def resize_output(self, n: int) -> None:
        self.cnn.resize_output(n)
        self.linear_model.resize_output(n)

    def forward(self, docs: Sequence[Doc]) -> torch.Tensor:
        return self.cnn(docs) + self.linear_model(docs)


@registry.architectures("treadle.TextCatBOW.v1")
def make_TextCatBOW(
    exclusive_classes: bool,
    ngram_size: int = 1,
    no_output_layer: bool = False,
    nO: int | None = None,
    length: int = 262144,
    mark_edges: bool = False,
) -> TextCatBOW:
    # mark_edges defaults off so configs written before it existed keep their features
    # (and trained weights their meaning); the starter configs switch it on.
    return TextCatBOW(exclusive_classes, ngram_size, no_output_layer, nO, length, mark_edges)


@registry.architectures("treadle.TextCatCNN.v1")
def make_TextCatCNN(tok2vec: torch.nn.Module, exclusive_classes: bool, nO: int | None = None) -> TextCatCNN:
    return TextCatCNN(tok2vec, exclusive_classes, nO)


@registry.architectures("treadle.TextCatEnsemble.v1")
def make_TextCatEnsemble(
    tok2vec: torch.nn.Module, linear_model: torch.nn.Module, nO: int | None = None
) -> TextCatEnsemble:
    return TextCatEnsemble(tok2vec, linear_model, nO)
