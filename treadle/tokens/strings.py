"""StringStore: a two-way map between strings and stable 64-bit hashes.

The hash of a string is the same in every process and on every machine
(blake2b, 8-byte digest, read little-endian), so hashes written into ``.docbin``
files and model files stay valid wherever they are read. The empty string
hashes to 0, which doubles as "unset" in every annotation column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from hashlib import blake2b
from pathlib import Path
from typing import overload

import msgpack

from treadle.errors import DataError, SerializationError
from treadle.util import atomic_write_text

# Hashing is cheap but not free; the tokenizer and Doc constructor hash the same
# few thousand strings over and over, so a process-wide cache pays for itself.
_HASH_CACHE: dict[str, int] = {"": 0}
_HASH_CACHE_MAX = 1_000_000
_MASK = (1 << 64) - 1


def hash_string(string: str) -> int:
    """Return the stable 64-bit (unsigned) hash of ``string``; ``""`` gives 0."""
    value = _HASH_CACHE.get(string)
    if value is None:
        try:
            data = string.encode("utf8")
        except UnicodeEncodeError as err:
            raise DataError(surrogate_message(string, err.start)) from None
        value = int.from_bytes(blake2b(data, digest_size=8).digest(), "little")
        if len(_HASH_CACHE) < _HASH_CACHE_MAX:
            _HASH_CACHE[string] = value
    return value


def surrogate_message(text: str, index: int) -> str:
    """Why text with a lone surrogate at ``index`` is refused, naming the position.

    A lone surrogate (U+D800-U+DFFF) is not a character: strict UTF-8 decoding never
    yields one (they come from ``errors="surrogateescape"`` or broken JSON escapes such
    as ``"\\ud800"``), and no UTF-8 file (corpus, DocBin, saved vocab) can hold it. Keeping
    it would only move the failure to the first save, so treadle refuses it at once."""
    context = text[max(0, index - 20) : index + 20]
    return (
        f"Text has a lone surrogate U+{ord(text[index]):04X} at character {index} "
        f"(near {context!r}); it is not valid Unicode. Decode the input strictly, or "
        "clean it first, e.g. text.encode('utf-8', 'replace').decode('utf-8')"
    )


class StringStore:
    """Map strings to hashes and back. ``store[str] -> int``, ``store[int] -> str``."""

    __slots__ = ("_by_hash", "_by_str")

    def __init__(self, strings: Iterable[str] | None = None) -> None:
        self._by_hash: dict[int, str] = {0: ""}
        self._by_str: dict[str, int] = {}
        if strings is not None:
            for s in strings:
                self.add(s)

    def add(self, string: str) -> int:
        """Add ``string`` (if new) and return its hash."""
        key = self._by_str.get(string)
        if key is not None:
            return key
        if not isinstance(string, str):
            raise TypeError(f"StringStore.add expects a str, got {type(string).__name__}: {string!r}")
        key = hash_string(string)
        if string:
            self._by_str[string] = key
            self._by_hash[key] = string
        return key

    def as_int(self, key: str | int) -> int:
        """Hash of a string, or the int itself (without adding anything)."""
        if isinstance(key, str):
            return self._by_str.get(key) or hash_string(key)
        return int(key)

    def as_string(self, key: str | int) -> str:
        return key if isinstance(key, str) else self[key]

    @overload
    def __getitem__(self, key: str) -> int: ...
    @overload
    def __getitem__(self, key: int) -> str: ...
    def __getitem__(self, key: str | int) -> int | str:
        if isinstance(key, str):
            value = self._by_str.get(key)
            return value if value is not None else hash_string(key)
        try:
            # "& _MASK" accepts hashes bit-cast to int64 (as Doc.to_array returns them).
            return self._by_hash[int(key) & _MASK]
        except KeyError:
            raise KeyError(
                f"Hash {int(key) & _MASK} is not in the StringStore ({len(self)} strings): the string "
                "it stands for was never added to this vocab (was the model or DocBin saved "
                "with a different vocab?)"
            ) from None

    def get(self, key: int, default: str | None = None) -> str | None:
        return self._by_hash.get(int(key) & _MASK, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key == "" or key in self._by_str
        if isinstance(key, int) or hasattr(key, "__index__"):
            return int(key) & _MASK in self._by_hash  # type: ignore[arg-type]
        return False

    def __len__(self) -> int:
        return len(self._by_str)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._by_str))

    def __repr__(self) -> str:
        return f"<StringStore with {len(self)} strings>"

    def update(self, strings: Iterable[str]) -> None:
        for s in strings:
            self.add(s)

    # -- serialization -------------------------------------------------------

    def to_list(self) -> list[str]:
        return list(self._by_str)

    def to_bytes(self) -> bytes:
        return msgpack.packb(self.to_list(), use_bin_type=True)

    def from_bytes(self, data: bytes) -> StringStore:
        try:
            strings = msgpack.unpackb(data, raw=False)
        except Exception as err:  # msgpack raises several unrelated types
            raise SerializationError(f"Could not read StringStore bytes: {err}") from err
        if not isinstance(strings, list) or not all(isinstance(x, str) for x in strings):
            raise SerializationError("StringStore bytes do not hold a list of strings")
        self.update(strings)
        return self

    def to_disk(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps(self.to_list(), ensure_ascii=False))

    def from_disk(self, path: str | Path) -> StringStore:
        path = Path(path)
        try:
            with open(path, encoding="utf8") as f:
                strings = json.load(f)
        except (OSError, ValueError, RecursionError) as err:
            # ValueError covers bad JSON and bad UTF-8 (UnicodeDecodeError) alike.
            raise SerializationError(f"Could not read strings from {path}: {err}") from None
        if not isinstance(strings, list) or not all(isinstance(x, str) for x in strings):
            raise SerializationError(f"{path} does not hold a JSON list of strings")
        self.update(strings)
        return self
