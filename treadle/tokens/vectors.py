"""Vectors: a table of static word vectors keyed by string hashes.

Rows live in one float32 numpy array; ``key2row`` maps a 64-bit string hash to
its row (several keys may share a row, as after :meth:`Vectors.prune`). Saved as
safetensors (the table) plus JSON (the keys and settings), so loading never runs code.

``mode="floret"`` tables have no keys: each row is a hash bucket and any word's
vector is built from its character n-grams (:mod:`treadle.tokens.floret`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgpack
import numpy as np
from safetensors.numpy import load, load_file, save

from treadle.errors import SerializationError
from treadle.tokens.floret import FloretSettings, floret_vectors
from treadle.tokens.strings import hash_string
from treadle.tokens.vectors_search import most_similar, prune
from treadle.util import atomic_write_bytes, atomic_write_text


def _key(key: int | str) -> int:
    return hash_string(key) if isinstance(key, str) else int(key)


class Vectors:
    """Static vectors: ``Vectors(data=None, keys=None, shape=None)``."""

    def __init__(
        self,
        data: np.ndarray | None = None,
        keys: Iterable[int | str] | None = None,
        shape: tuple[int, int] | None = None,
        *,
        name: str = "",
        mode: str = "default",
        floret: FloretSettings | None = None,
    ) -> None:
        if mode not in ("default", "floret"):
            raise ValueError(f"Vectors mode must be 'default' or 'floret', got {mode!r}")
        if data is None:
            data = np.zeros(shape if shape is not None else (0, 0), dtype=np.float32)
        self.data = np.ascontiguousarray(data, dtype=np.float32)
        if self.data.ndim != 2:
            raise ValueError(f"Vectors data must be 2-D, got shape {self.data.shape}")
        self.name = name
        self.mode = mode
        self.floret = (floret or FloretSettings()) if mode == "floret" else None
        self.key2row: dict[int, int] = {}
        # Rows are filled in order when keys are added without an explicit row.
        self._next_row = 0
        if keys is not None:
            keys = list(keys)
            if len(keys) > self.data.shape[0]:
                raise ValueError(f"{len(keys)} keys for only {self.data.shape[0]} rows of vectors")
            for row, key in enumerate(keys):
                self.key2row[_key(key)] = row
            self._next_row = len(keys)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.data.shape)  # type: ignore[return-value]

    @property
    def n_keys(self) -> int:
        return len(self.key2row)

    @property
    def size(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        return self.data.shape[0]

    @property
    def is_full(self) -> bool:
        return self._next_row >= self.data.shape[0]

    def __contains__(self, key: int | str) -> bool:
        return _key(key) in self.key2row

    def __getitem__(self, key: int | str) -> np.ndarray:
        row = self.key2row.get(_key(key))
        if row is None:
            raise KeyError(f"No vector for key {key!r}")
        return self.data[row]

    def __setitem__(self, key: int | str, vector: np.ndarray) -> None:
        k = _key(key)
        if k in self.key2row:
            self.data[self.key2row[k]] = vector
        else:
            self.add(k, vector=vector)

    def get(self, key: int | str, default: np.ndarray | None = None) -> np.ndarray | None:
        row = self.key2row.get(_key(key))
        return default if row is None else self.data[row]

    def keys(self) -> Iterator[int]:
        return iter(self.key2row)

    def values(self) -> Iterator[np.ndarray]:
        for row in self.key2row.values():
            yield self.data[row]

    def items(self) -> Iterator[tuple[int, np.ndarray]]:
        for key, row in self.key2row.items():
            yield key, self.data[row]

    def add(self, key: int | str, *, vector: np.ndarray | None = None, row: int | None = None) -> int:
        """Add ``key``, with a new ``vector`` or pointing at an existing ``row``. Returns the row."""
        k = _key(key)
        if row is None and vector is None:
            raise ValueError("Vectors.add needs a vector or a row")
        if vector is not None:
            vector = np.asarray(vector, dtype=np.float32).reshape(-1)
            if self.data.shape[1] == 0 and self.data.shape[0] == 0:
                self.data = np.zeros((0, vector.shape[0]), dtype=np.float32)
            if vector.shape[0] != self.data.shape[1]:
                raise ValueError(
                    f"Vector for key {key!r} has width {vector.shape[0]}, table width is {self.data.shape[1]}"
                )
            if row is None:
                row = self.key2row.get(k)
            if row is None:
                row = self._next_row
                self._next_row += 1
            if row >= self.data.shape[0]:
                grown = np.zeros((max(row + 1, self.data.shape[0] * 2, 16), self.data.shape[1]), np.float32)
                grown[: self.data.shape[0]] = self.data
                self.data = grown
            self.data[row] = vector
        elif row >= self.data.shape[0]:
            raise ValueError(f"Row {row} out of range for vectors of shape {self.shape}")
        self.key2row[k] = row
        return row

    @property
    def is_empty(self) -> bool:
        return self.data.size == 0

    def vectors_for(self, words: list[str]) -> np.ndarray:
        """One row per word (zeros where there is none): the word's own row, else its
        lowercase form's; in floret mode, the mean of its n-gram buckets."""
        if self.floret is not None:
            return floret_vectors(words, self.data, self.floret)
        out = np.zeros((len(words), self.data.shape[1]), dtype=np.float32)
        for i, row in enumerate(self.rows_for(words)):
            if row >= 0:
                out[i] = self.data[row]
        return out

    def rows_for(self, words: list[str]) -> np.ndarray:
        """Row of each word, by its text then its lowercase form; -1 where neither has one."""
        get = self.key2row.get
        rows = np.empty(len(words), dtype=np.int64)
        for i, word in enumerate(words):
            row = get(hash_string(word))
            if row is None:
                lower = word.lower()
                row = get(hash_string(lower)) if lower != word else None
            rows[i] = -1 if row is None else row
        return rows

    def has_word(self, word: str) -> bool:
        if self.floret is not None:
            return not self.is_empty
        return bool(self.rows_for([word])[0] >= 0)

    def find(self, keys: Iterable[int | str] | np.ndarray) -> np.ndarray:
        """Rows of ``keys`` (an array of hashes or strings); -1 where a key is missing."""
        get = self.key2row.get
        if isinstance(keys, np.ndarray):
            keys = keys.astype(np.uint64).tolist()
        return np.asarray([get(_key(k), -1) for k in keys], dtype=np.int64)

    def trim(self) -> None:
        """Drop preallocated rows beyond the last one used."""
        used = max(self.key2row.values(), default=-1) + 1
        self.data = self.data[: max(used, self._next_row)].copy()

    def row_keys(self) -> np.ndarray:
        """For each row, the key that owns it (the first key added for it); 0 if none."""
        owners = np.zeros(self.data.shape[0], dtype=np.uint64)
        seen = np.zeros(self.data.shape[0], dtype=bool)
        for key, row in self.key2row.items():
            if row < len(owners) and not seen[row]:
                owners[row] = key
                seen[row] = True
        return owners

    def most_similar(
        self, queries: np.ndarray, *, n: int = 1, batch_size: int = 1024
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` rows nearest (by cosine) to each row of ``queries`` (2-D):
        ``(keys, rows, scores)``, each of shape (n_queries, n), best first. Only rows
        that some key points to are candidates."""
        return most_similar(self, queries, n=n, batch_size=batch_size)

    def prune(self, n_rows: int, *, batch_size: int = 4096) -> dict[int, tuple[int, float]]:
        """Keep the first ``n_rows`` rows (tables are sorted by frequency) and point
        every key of a removed row at the kept row nearest to it by cosine. Returns
        ``{removed key: (key it now shares a row with, cosine)}``."""
        return prune(self, n_rows, batch_size=batch_size)

    # -- serialization -------------------------------------------------------

    def _keys_payload(self) -> dict:
        return {
            "keys": list(self.key2row.keys()),
            "rows": list(self.key2row.values()),
            "next_row": self._next_row,
            "name": self.name,
            "mode": self.mode,
            "floret": self.floret.to_dict() if self.floret is not None else None,
        }

    def _load_keys_payload(self, payload: dict) -> None:
        self.key2row = {int(k): int(r) for k, r in zip(payload["keys"], payload["rows"], strict=True)}
        self._next_row = int(payload.get("next_row", len(self.key2row)))
        self.name = payload.get("name", "")
        self.mode = payload.get("mode", "default")
        settings = payload.get("floret")
        self.floret = FloretSettings(**(settings or {})) if self.mode == "floret" else None

    def to_bytes(self) -> bytes:
        return msgpack.packb(
            {"table": save({"vectors": self.data}), **self._keys_payload()}, use_bin_type=True
        )

    def from_bytes(self, data: bytes) -> Vectors:
        try:
            payload = msgpack.unpackb(data, raw=False)
            self.data = load(payload["table"])["vectors"]
            self._load_keys_payload(payload)
        except Exception as err:
            raise SerializationError(f"Could not read vectors from bytes: {err}") from err
        return self

    def to_disk(self, path: str | Path) -> None:
        path = Path(path)
        table = save({"vectors": self.data})
        keys = json.dumps(self._keys_payload())
        atomic_write_bytes(path / "vectors.safetensors", table)
        atomic_write_text(path / "keys.json", keys)

    def from_disk(self, path: str | Path) -> Vectors:
        path = Path(path)
        try:
            self.data = load_file(str(path / "vectors.safetensors"))["vectors"]
            self._load_keys_payload(json.loads((path / "keys.json").read_text(encoding="utf8")))
        except Exception as err:
            raise SerializationError(f"Could not read vectors from {path}: {err}") from err
        return self

    def __repr__(self) -> str:
        return f"<Vectors shape={self.shape} keys={self.n_keys} mode={self.mode}>"
