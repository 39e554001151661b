"""Token-to-vector architectures: embedding layers, window encoders, and their combination.

An *embed* module maps ``list[Doc]`` to a :class:`Ragged` of (n_tokens, width) rows;
an *encode* module maps a Ragged to a Ragged of the same rows; :class:`Tok2Vec`
chains them and returns one (n_tokens, width) tensor per Doc — the contract of a
token-level encoder (``forward_ragged`` gives the packed rows instead). The whole
batch is embedded and encoded at once; window layers never cross Doc edges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.layers.bilstm import BiLSTM
from treadle.ml.layers.char_cnn import CharacterCNN
from treadle.ml.layers.character_embed import CharacterIds
from treadle.ml.layers.expand_window import ExpandWindow
from treadle.ml.layers.feature_extractor import attr_ids, extract_features
from treadle.ml.layers.hash_embed import HashEmbed
from treadle.ml.layers.maxout import Maxout
from treadle.ml.layers.mish import Mish
from treadle.ml.layers.residual import Residual
from treadle.ml.layers.static_vectors import StaticVectors
from treadle.ml.layers.with_ragged import OnRows
from treadle.ml.modules import set_module_ref
from treadle.ml.ragged import Ragged, as_ragged

if TYPE_CHECKING:
    from treadle.tokens import Doc


class MultiHashEmbed(torch.nn.Module):
    """One HashEmbed per attribute (+ static vectors), concatenated, mixed by a
    layer-normalized maxout layer to ``width``."""

    def __init__(
        self,
        width: int,
        attrs: Sequence[int | str],
        rows: Sequence[int],
        include_static_vectors: bool = False,
        *,
        maxout_pieces: int = 3,
        dropout: float = 0.0,
        chars: CharacterCNN | None = None,
    ) -> None:
        super().__init__()
        if len(attrs) != len(rows):
            raise ConfigError(
                f"MultiHashEmbed: {len(attrs)} attrs but {len(rows)} rows; give one row count per attribute"
            )
        self.width = width
        self.attrs = attr_ids(attrs)
        self.embeds = torch.nn.ModuleList(
            HashEmbed(width, int(n), seed=7 + i, column=i) for i, n in enumerate(rows)
        )
        self.static_vectors = StaticVectors(width) if include_static_vectors else None
        self.chars = chars
        n_in = width * (len(self.attrs) + (1 if include_static_vectors else 0))
        n_in += chars.width if chars is not None else 0
        self.mix = Maxout(width, n_in, maxout_pieces, normalize=True, dropout=dropout)
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        feats = extract_features(docs, self.attrs, self._device_probe.device)
        extra = [self.static_vectors(docs).data] if self.static_vectors is not None else []
        if self.chars is not None:
            extra.append(self.chars(docs))

        def parts(rows: slice) -> list[torch.Tensor]:
            out = [embed(feats.data[rows]) for embed in self.embeds]
            return [*out, *(x[rows] for x in extra)]

        return feats.with_data(mix_in_chunks(self.mix, feats.data.shape[0], parts))


class CharacterEmbed(torch.nn.Module):
    """The first and last ``nC`` characters of each word (``nM`` dims each), with a NORM
    embedding (plus PREFIX/SUFFIX/SHAPE and static vectors if asked), mixed to ``width``."""

    def __init__(
        self,
        width: int,
        rows: int,
        nM: int,
        nC: int,
        also_embed_subwords: bool = False,
        also_use_static_vectors: bool = False,
        *,
        char_rows: int = 4096,
    ) -> None:
        super().__init__()
        self.width, self.nM, self.nC = width, nM, nC
        self.chars = CharacterIds(nC)
        self.char_embed = HashEmbed(nM, char_rows, seed=101, n_hashes=2)
        attrs = ["NORM"] + (["PREFIX", "SUFFIX", "SHAPE"] if also_embed_subwords else [])
        self.attrs = attr_ids(attrs)
        self.embeds = torch.nn.ModuleList(
            HashEmbed(width, rows if i == 0 else max(1, rows // 2), seed=11 + i, column=i)
            for i in range(len(attrs))
        )
        self.static_vectors = StaticVectors(width) if also_use_static_vectors else None
        n_in = nM * nC + width * (len(attrs) + (1 if also_use_static_vectors else 0))
        self.mix = Maxout(width, n_in, 3, normalize=True)
        self.register_buffer("_device_probe", torch.zeros(0), persistent=False)

    def forward(self, docs: Sequence[Doc]) -> Ragged:
        feats = extract_features(docs, self.attrs, self._device_probe.device)
        chars = self.chars(docs).data  # (n, nC)
        vectors = self.static_vectors(docs).data if self.static_vectors is not None else None

        def parts(rows: slice) -> list[torch.Tensor]:
            c = chars[rows]
            out = [self.char_embed(c.reshape(-1)).reshape(c.shape[0], self.nC * self.nM)]
            out.extend(embed(feats.data[rows]) for embed in self.embeds)
            return out if vectors is None else [*out, vectors[rows]]

        return feats.with_data(mix_in_chunks(self.mix, chars.shape[0], parts))


# Without a graph (prediction), a batch with more token rows than this is encoded a
# piece at a time, so a long Doc's memory is its own rows plus one piece's work.
CHUNK_ROWS = 16_384


def mix_in_chunks(
    mix: torch.nn.Module, n: int, parts: Callable[[slice], list[torch.Tensor]]
) -> torch.Tensor:
    """``mix(cat(parts(rows), dim=1))`` over all ``n`` rows; without a graph, a block of
    rows at a time (the rows are independent), so a long Doc's per-attribute
    embeddings and their concatenation never exist whole."""
    if torch.is_grad_enabled() or n <= CHUNK_ROWS:
        return mix(torch.cat(parts(slice(0, n)), dim=1))
    out: torch.Tensor | None = None
    for start in range(0, n, CHUNK_ROWS):
        block = mix(torch.cat(parts(slice(start, start + CHUNK_ROWS)), dim=1))
        if out is None:
            out = block.new_empty((n, *block.shape[1:]))
        out[start : start + block.shape[0]] = block
    assert out is not None
    return out


def _encode_in_pieces(blocks: torch.nn.Module, X: Ragged, margin: int) -> Ragged:
    """The window encoder's output, computed over pieces of at most CHUNK_ROWS rows.

    Short Docs go together in one piece; a longer Doc is cut into spans, each encoded
    with ``margin`` rows of context on both sides (the encoder's receptive field), of
    which only the span's own rows are kept: exactly the rows of the whole Doc."""
    out = torch.empty_like(X.data)
    pending: list[int] = []  # lengths of the short Docs waiting, from row ``first``
    first = 0

    def flush() -> None:
        total = sum(pending)
        if total:
            Y = blocks(Ragged(X.data[first : first + total], pending))
            out[first : first + total] = Y.data
        pending.clear()

    start = 0
    for length in X.lengths:
        if length > CHUNK_ROWS:
            flush()
            core = max(1, CHUNK_ROWS - 2 * margin)
            for a in range(start, start + length, core):
                b = min(a + core, start + length)
                lo, hi = max(start, a - margin), min(start + length, b + margin)
                Y = blocks(Ragged(X.data[lo:hi], [hi - lo]))
                out[a:b] = Y.data[a - lo : b - lo]
        else:
            if start - first + length > CHUNK_ROWS:
                flush()
            if not pending:
                first = start
            pending.append(length)
        start += length
    flush()
    return X.with_data(out)


class WindowEncoder(torch.nn.Module):
    """``depth`` residual blocks, each: neighbours within ``window_size`` concatenated, then
    a layer-normalized maxout (or Mish) layer back to ``width``."""

    def __init__(self, width: int, window_size: int, depth: int, *, activation: str, maxout_pieces: int = 3):
        super().__init__()
        self.width, self.window_size, self.depth = width, window_size, depth
        n_in = width * (2 * window_size + 1)
        blocks = []
        for _ in range(depth):
            if activation == "maxout":
                layer: torch.nn.Module = Maxout(width, n_in, maxout_pieces, normalize=True)
            else:
                layer = Mish(width, n_in, normalize=True)
            blocks.append(Residual(torch.nn.Sequential(ExpandWindow(window_size), OnRows(layer))))
        self.blocks = torch.nn.Sequential(*blocks)

    @property
    def receptive_field(self) -> int:
        """How many rows on each side an output row depends on."""
        return self.depth * self.window_size

    def forward(self, X: Any) -> Ragged:
        X = as_ragged(X)
        if torch.is_grad_enabled() or X.data.shape[0] <= CHUNK_ROWS:
            return self.blocks(X)
        return _encode_in_pieces(self.blocks, X, self.receptive_field)


class Tok2Vec(torch.nn.Module):
    """``embed`` then ``encode``: list[Doc] -> one (n_tokens, width) tensor per Doc."""

    def __init__(self, embed: torch.nn.Module, encode: torch.nn.Module) -> None:
        super().__init__()
        self.embed = embed
        self.encode = encode
        self.width = getattr(encode, "width", getattr(embed, "width", None))
        set_module_ref(self, "tok2vec", self)
        set_module_ref(self, "embed", embed)
        set_module_ref(self, "encode", encode)

    def forward_ragged(self, docs: Sequence[Doc]) -> Ragged:
        X = self.embed(docs)
        if not isinstance(X, Ragged):
            X = as_ragged(X)
        return self.encode(X)

    def forward(self, docs: Sequence[Doc]) -> list[torch.Tensor]:
        return self.forward_ragged(docs).split()


@registry.architectures("treadle.MultiHashEmbed.v1")
def make_MultiHashEmbed(
    width: int,
    attrs: list[str | int],
    rows: list[int],
    include_static_vectors: bool = False,
) -> MultiHashEmbed:
    return MultiHashEmbed(width, attrs, rows, include_static_vectors)


@registry.architectures("treadle.MultiHashEmbed.v2")
def make_MultiHashEmbed_v2(
    width: int,
    attrs: list[str | int],
    rows: list[int],
    include_static_vectors: bool = False,
) -> MultiHashEmbed:
    """v1's hash embeddings; with ``include_static_vectors`` also a learned projection
    of each token's static vector, read from the Docs' vocab at every call, so the
    table is neither a parameter nor saved with the component (it is saved once,
    with the vocab)."""
    return MultiHashEmbed(width, attrs, rows, include_static_vectors)


@registry.architectures("treadle.CharacterEmbed.v1")
def make_CharacterEmbed(
    width: int,
    rows: int,
    nM: int,
    nC: int,
    also_embed_subwords: bool = False,
    also_use_static_vectors: bool = False,
) -> CharacterEmbed:
    return CharacterEmbed(width, rows, nM, nC, also_embed_subwords, also_use_static_vectors)


@registry.architectures("treadle.CharacterEmbed.v2")
def make_CharacterEmbed_v2(
    width: int,
    attrs: list[str | int],
    rows: list[int],
    include_static_vectors: bool = False,
    char_width: int = 64,
    char_dim: int = 32,
    max_chars: int = 16,
) -> MultiHashEmbed:
    """MultiHashEmbed.v2's hash embeddings (and static vectors) plus a character CNN
    (``char_width`` filters over three-character windows of each word, max-pooled), so
    a rare or unseen word is embedded from its spelling too."""
    chars = CharacterCNN(char_width, char_dim=char_dim, max_chars=max_chars)
    return MultiHashEmbed(width, attrs, rows, include_static_vectors, chars=chars)


@registry.architectures("treadle.BiLSTMEncoder.v1")
def make_BiLSTMEncoder(width: int, depth: int, dropout: float = 0.0) -> BiLSTM:
    """``depth`` bidirectional LSTM layers (``width // 2`` units a direction) over each
    Doc: every row sees the whole Doc, not a window. Slower than the window encoders
    on a CPU, usually more accurate."""
    return BiLSTM(width, depth, dropout)


@registry.architectures("treadle.MaxoutWindowEncoder.v1")
def make_MaxoutWindowEncoder(width: int, window_size: int, maxout_pieces: int, depth: int) -> WindowEncoder:
    return WindowEncoder(width, window_size, depth, activation="maxout", maxout_pieces=maxout_pieces)


@registry.architectures("treadle.MishWindowEncoder.v1")
def make_MishWindowEncoder(width: int, window_size: int, depth: int) -> WindowEncoder:
    return WindowEncoder(width, window_size, depth, activation="mish")


@registry.architectures("treadle.Tok2Vec.v1")
def make_Tok2Vec(embed: torch.nn.Module, encode: torch.nn.Module) -> Tok2Vec:
    return Tok2Vec(embed, encode)


@registry.architectures("treadle.Tok2Vec.v2")
def make_Tok2Vec_v2(embed: torch.nn.Module, encode: torch.nn.Module) -> Tok2Vec:
    """``embed`` then ``encode``; any embedding (MultiHashEmbed, CharacterEmbed) with
    any encoder (the window CNNs or ``treadle.BiLSTMEncoder.v1``). The same network as
    v1, which stays for existing configs."""
    return Tok2Vec(embed, encode)


@registry.architectures("treadle.HashEmbedCNN.v1")
def make_HashEmbedCNN(
    width: int,
    depth: int,
    embed_size: int,
    window_size: int,
    maxout_pieces: int,
    subword_features: bool,
    pretrained_vectors: bool | None = None,
) -> Tok2Vec:
    """The standard small encoder: NORM (+PREFIX, SUFFIX, SHAPE) hash embeddings of
    ``embed_size`` rows (half for the subword attributes), a maxout window CNN."""
    if subword_features:
        attrs: list[str | int] = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
        rows = [embed_size, max(1, embed_size // 2), max(1, embed_size // 2), max(1, embed_size // 2)]
    else:
        attrs, rows = ["NORM"], [embed_size]
    embed = MultiHashEmbed(width, attrs, rows, include_static_vectors=bool(pretrained_vectors))
    encode = WindowEncoder(width, window_size, depth, activation="maxout", maxout_pieces=maxout_pieces)
    return Tok2Vec(embed, encode)
