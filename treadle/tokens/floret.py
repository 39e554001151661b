"""Subword hashing for floret-style vector tables: a vector for any word.

A floret table has no row per word: each row is a hash bucket, and a word's vector
is the mean of the buckets of its character n-grams. The scheme here:

- the word is wrapped in the begin/end markers (``bow``/``eow``, ``<``/``>`` by
  default), e.g. ``<cat>``;
- its n-grams are the whole wrapped word plus every substring of it of ``minn`` to
  ``maxn`` characters (Unicode code points), except a lone marker;
- each n-gram's UTF-8 bytes are hashed with MurmurHash3 x64 128-bit under
  ``hash_seed``; the 128-bit digest read as four little-endian uint32 values gives
  up to four bucket indices, of which the first ``hash_count`` are used, each
  modulo the number of rows.

MurmurHash3 is what floret itself hashes with, and it is written out here in
Python so that the result never depends on an optional package or the platform:
the same word, settings and table give the same vector everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

_MASK64 = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F


@dataclass(frozen=True)
class FloretSettings:
    """How words are split and hashed; saved with the table so lookups round-trip."""

    minn: int = 5
    maxn: int = 5
    hash_count: int = 1
    hash_seed: int = 0
    bow: str = "<"
    eow: str = ">"

    def __post_init__(self) -> None:
        if not 1 <= self.hash_count <= 4:
            raise ValueError(f"floret hash_count must be 1-4, got {self.hash_count}")
        if self.minn < 1 or self.maxn < self.minn:
            raise ValueError(f"floret needs 1 <= minn <= maxn, got minn={self.minn} maxn={self.maxn}")

    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _MASK64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _MASK64
    return k ^ (k >> 33)


def murmurhash3_x64_128(data: bytes, seed: int = 0) -> tuple[int, int]:
    """MurmurHash3 x64 128-bit of ``data``: the two 64-bit halves (h1, h2)."""
    h1 = h2 = seed & 0xFFFFFFFF
    n = len(data)
    n_blocks = n // 16
    for i in range(n_blocks):
        k1 = int.from_bytes(data[16 * i : 16 * i + 8], "little")
        k2 = int.from_bytes(data[16 * i + 8 : 16 * i + 16], "little")
        k1 = (_rotl((k1 * _C1) & _MASK64, 31) * _C2) & _MASK64
        h1 = (((_rotl(h1 ^ k1, 27) + h2) * 5) + 0x52DCE729) & _MASK64
        k2 = (_rotl((k2 * _C2) & _MASK64, 33) * _C1) & _MASK64
        h2 = (((_rotl(h2 ^ k2, 31) + h1) * 5) + 0x38495AB5) & _MASK64
    tail = data[16 * n_blocks :]
    if len(tail) > 8:
        k2 = int.from_bytes(tail[8:], "little")
        h2 ^= (_rotl((k2 * _C2) & _MASK64, 33) * _C1) & _MASK64
    if tail:
        k1 = int.from_bytes(tail[:8], "little")
        h1 ^= (_rotl((k1 * _C1) & _MASK64, 31) * _C2) & _MASK64
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _MASK64
    h2 = (h2 + h1) & _MASK64
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _MASK64
    h2 = (h2 + h1) & _MASK64
    return h1, h2


def ngrams(word: str, settings: FloretSettings) -> list[str]:
    """The n-grams of ``word`` that its floret vector averages (see module doc)."""
    wrapped = f"{settings.bow}{word}{settings.eow}"
    grams = [wrapped]
    markers = {settings.bow, settings.eow}
    for size in range(settings.minn, settings.maxn + 1):
        for start in range(0, len(wrapped) - size + 1):
            gram = wrapped[start : start + size]
            if gram != wrapped and gram not in markers:
                grams.append(gram)
    return grams


def bucket_rows(word: str, settings: FloretSettings, n_rows: int) -> list[int]:
    """The table rows whose mean is the vector of ``word``."""
    rows: list[int] = []
    for gram in ngrams(word, settings):
        h1, h2 = murmurhash3_x64_128(gram.encode("utf8"), settings.hash_seed)
        words32 = (h1 & 0xFFFFFFFF, h1 >> 32, h2 & 0xFFFFFFFF, h2 >> 32)
        rows.extend(w % n_rows for w in words32[: settings.hash_count])
    return rows


def floret_vectors(words: Sequence[str], table: np.ndarray, settings: FloretSettings) -> np.ndarray:
    """One row per word: the mean of its buckets in ``table`` (float32)."""
    out = np.zeros((len(words), table.shape[1]), dtype=np.float32)
    if table.shape[0] == 0:
        return out
    for i, word in enumerate(words):
        out[i] = table[bucket_rows(word, settings, table.shape[0])].mean(axis=0)
    return out
