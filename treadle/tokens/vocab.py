"""Vocab: the lexeme table shared by every Doc of a pipeline.

Each distinct string gets a lexeme index the first time it is seen; its lexical
attributes (lower, norm, shape, prefix, suffix, length, the boolean flags) are
computed then, once, and stored as one row of a uint64 numpy table. A Doc keeps
only the lexeme index per token, so reading a lexical attribute for every token
is a single fancy-index into this table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import repeat
from operator import call
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from treadle.errors import SerializationError
from treadle.tokens import attrs
from treadle.tokens._similarity import similarity, vector_norm
from treadle.tokens.lex_attrs import LEX_ATTR_GETTERS
from treadle.tokens.morphology import normalize_feats
from treadle.tokens.strings import StringStore
from treadle.tokens.vectors import Vectors
from treadle.util import atomic_write_text, read_json

# Columns of the lexeme table, in order. String-valued attributes hold hashes.
STRING_LEX_ATTRS: tuple[int, ...] = (
    attrs.ORTH, attrs.LOWER, attrs.NORM, attrs.SHAPE, attrs.PREFIX, attrs.SUFFIX,
)
LEX_COLUMNS: tuple[int, ...] = STRING_LEX_ATTRS + (attrs.LENGTH,) + attrs.FLAG_ATTRS
LEX_COL: dict[int, int] = {attr: col for col, attr in enumerate(LEX_COLUMNS)}
LENGTH_COL = LEX_COL[attrs.LENGTH]
_COMPUTED = LEX_COLUMNS[1:]  # ORTH is the string itself


def _attr_name(attr: int) -> str:
    return attrs.NAMES[attr].lower()


class Vocab:
    """``Vocab(strings=None, lang="xx", lex_attr_getters=None, stop_words=None)``."""

    def __init__(
        self,
        strings: StringStore | Iterable[str] | None = None,
        lang: str = "xx",
        lex_attr_getters: Mapping[int | str, Callable[[str], Any]] | None = None,
        stop_words: Iterable[str] | None = None,
        vectors: Vectors | None = None,
    ) -> None:
        if isinstance(strings, StringStore):
            self.strings = strings
        else:
            self.strings = StringStore(strings)
        self.lang = lang
        getters: dict[int, Callable[[str], Any]] = dict(LEX_ATTR_GETTERS)
        if stop_words is not None:
            stops = frozenset(stop_words)
            getters[attrs.IS_STOP] = lambda s: s in stops or s.lower() in stops
        for key, func in (lex_attr_getters or {}).items():
            attr = attrs.intify_attr(key)
            if attr not in LEX_COL or attr == attrs.ORTH:
                raise ValueError(f"Cannot set a getter for {key!r}: not a computed lexeme attribute")
            getters[attr] = func
        self.lex_attr_getters = getters
        self.stop_words = frozenset(stop_words or ())
        self.vectors = vectors if vectors is not None else Vectors()
        self._index: dict[str, int] = {}
        self._texts: list[str] = []
        self._table = np.zeros((1024, len(LEX_COLUMNS)), dtype=np.uint64)
        self._overrides: dict[str, dict[str, Any]] = {}
        self._morph_keys: dict[str, int] = {}
        self._getter_plan = self._make_plan()

    def _make_plan(self) -> list[tuple[int, Callable[[str], Any], bool]]:
        string_attrs = set(STRING_LEX_ATTRS)
        plan = [(LEX_COL[a], self.lex_attr_getters[a], a in string_attrs) for a in _COMPUTED]
        # A new lexeme's row is built by mapping the string getters (their values
        # hashed), then the rest, which is the column order (LEX_COLUMNS puts the string
        # attributes first): cheaper than a Python step per column, and lexeme creation
        # is most of a cold tokenizer's time.
        self._string_getters = [g for _, g, is_string in plan if is_string]
        self._value_getters = [g for _, g, is_string in plan if not is_string]
        return plan

    # -- lexeme lookup -------------------------------------------------------

    def get_lex_index(self, string: str) -> int:
        """Lexeme index of ``string``, computing its attributes on first sight."""
        index = self._index.get(string)
        if index is None:
            index = self._add_lexeme(string)
        return index

    def get_lex_indices(self, words: Iterable[str]) -> np.ndarray:
        """Lexeme indices of ``words`` as an int64 array."""
        index = self._index
        try:
            ids = [index[w] for w in words]
        except (KeyError, TypeError):
            get = self.get_lex_index
            ids = [get(w) for w in words]
        return np.array(ids, dtype=np.int64)

    def _add_lexeme(self, string: str) -> int:
        if not isinstance(string, str):
            raise TypeError(f"Lexemes are made from strings, got {type(string).__name__}: {string!r}")
        index = len(self._texts)
        if index >= self._table.shape[0]:
            grown = np.zeros((self._table.shape[0] * 2, self._table.shape[1]), dtype=np.uint64)
            grown[:index] = self._table[:index]
            self._table = grown
        add = self.strings.add
        orth = add(string)
        values = list(map(call, self._string_getters, repeat(string)))
        # most attribute strings (shapes, prefixes, a lower-case form equal to the
        # text) are stored already: their hashes are found in C, the rest added
        hashes = list(map(self.strings._by_str.get, values))
        if None in hashes:
            hashes = [h if h is not None else add(v) for h, v in zip(hashes, values, strict=True)]
        row = [orth, *hashes]
        row += map(call, self._value_getters, repeat(string))
        self._table[index] = row
        self._texts.append(string)
        self._index[string] = index
        return index

    def __getitem__(self, key: str | int) -> Lexeme:
        if not isinstance(key, str):
            key = self.strings[int(key)]  # type: ignore[assignment]
        return Lexeme(self, self.get_lex_index(key))  # type: ignore[arg-type]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key in self._index
        if isinstance(key, int):
            text = self.strings.get(key)
            return text is not None and text in self._index
        return False

    def __len__(self) -> int:
        return len(self._texts)

    def __iter__(self) -> Iterator[Lexeme]:
        for i in range(len(self._texts)):
            yield Lexeme(self, i)

    def lex_text(self, index: int) -> str:
        return self._texts[index]

    @property
    def lex_table(self) -> np.ndarray:
        """The used rows of the lexeme table (uint64; columns as in ``LEX_COLUMNS``)."""
        return self._table[: len(self._texts)]

    def lex_column(self, attr: int | str, lex_indices: np.ndarray | None = None) -> np.ndarray:
        """Values of a lexeme attribute as int64 (hashes bit-cast), for all or some lexemes."""
        attr = attrs.intify_attr(attr)
        n = len(self._texts)
        if attr == attrs.ID:
            col = np.arange(n, dtype=np.int64)
        elif attr == attrs.LANG:
            col = np.full(n, self.strings.add(self.lang), dtype=np.uint64).view(np.int64)
        else:
            col = self._table[:n, LEX_COL[attr]].view(np.int64)
        return col if lex_indices is None else col[lex_indices]

    def morph_key(self, feats: str | Mapping[str, Any] | None) -> int:
        """Hash of the canonical form of a FEATS string (0 for None)."""
        if feats is None:
            return 0
        if isinstance(feats, str):
            key = self._morph_keys.get(feats)
            if key is None:
                key = self.strings.add(normalize_feats(feats))
                self._morph_keys[feats] = key
            return key
        return self.strings.add(normalize_feats(feats))

    # -- vectors -------------------------------------------------------------

    def get_vector(self, string: str | int) -> np.ndarray:
        """The vector of ``string``: its own row, else its lowercase form's (any word in
        floret mode); zeros of the table's width when it has none."""
        word = self._vector_word(string)
        if word is None:
            row = self.vectors.get(string)
            return row if row is not None else np.zeros((self.vectors.shape[1],), dtype=np.float32)
        return self.vectors.vectors_for([word])[0]

    def has_vector(self, string: str | int) -> bool:
        word = self._vector_word(string)
        if word is None:
            return string in self.vectors
        return self.vectors.has_word(word)

    def _vector_word(self, string: str | int) -> str | None:
        """The text to look a vector up by; None for a hash whose string is unknown."""
        if isinstance(string, str):
            return string
        if string in self.vectors:
            return None
        return self.strings.get(string, None)  # type: ignore[return-value]

    def set_vector(self, string: str, vector: np.ndarray) -> None:
        self.strings.add(string)
        self.vectors[string] = vector

    # -- overrides -----------------------------------------------------------

    def _set_lex_attr(self, index: int, attr: int, value: Any) -> None:
        col = LEX_COL[attr]
        if attr in STRING_LEX_ATTRS:
            if attr == attrs.ORTH:
                raise AttributeError("The text (ORTH) of a lexeme cannot be changed")
            if isinstance(value, str):
                stored: Any = value
                self._table[index, col] = self.strings.add(value)
            else:
                self._table[index, col] = int(value)
                stored = self.strings[int(value)]
        else:
            stored = bool(value) if attr in attrs.FLAG_ATTRS else int(value)
            self._table[index, col] = int(stored)
        self._overrides.setdefault(self._texts[index], {})[_attr_name(attr)] = stored

    def _apply_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        for text, values in overrides.items():
            index = self.get_lex_index(text)
            for name, value in values.items():
                self._set_lex_attr(index, attrs.intify_attr(name), value)

    # -- serialization -------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {"lang": self.lang, "lexeme_overrides": self._overrides}

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        payload: dict[str, Any] = {"strings": self.strings.to_list(), **self._meta()}
        if "vectors" not in exclude:
            payload["vectors"] = self.vectors.to_bytes()
        return msgpack.packb(payload, use_bin_type=True)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> Vocab:
        try:
            payload = msgpack.unpackb(data, raw=False)
        except Exception as err:  # msgpack raises several unrelated types
            raise SerializationError(f"Could not read Vocab bytes: {err}") from err
        where = "Vocab bytes"
        if not isinstance(payload, dict):
            raise SerializationError(f"{where}: expected a map, got {type(payload).__name__}")
        strings = payload.get("strings", [])
        if not isinstance(strings, list) or not all(isinstance(x, str) for x in strings):
            raise SerializationError(f"{where}: 'strings' is not a list of strings")
        self._load_meta(payload, where)
        self.strings.update(strings)
        self._apply_meta(payload, where)
        if "vectors" in payload and "vectors" not in exclude:
            self.vectors = Vectors().from_bytes(payload["vectors"])
        return self

    def _load_meta(self, meta: Any, where: str) -> None:
        """Check vocab.json's content before anything changes: a map with a string
        ``lang`` and ``lexeme_overrides`` of ``{text: {attribute: value}}``."""
        if not isinstance(meta, dict):
            raise SerializationError(f"{where}: expected a JSON object, got {type(meta).__name__}")
        if not isinstance(meta.get("lang", ""), str):
            raise SerializationError(f"{where}: 'lang' is not a string")
        overrides = meta.get("lexeme_overrides", {})
        if not isinstance(overrides, dict):
            raise SerializationError(f"{where}: 'lexeme_overrides' is not a map")
        for text, values in overrides.items():
            if not isinstance(text, str) or not isinstance(values, dict):
                raise SerializationError(
                    f"{where}: lexeme override {text!r} is not a string with a map of values"
                )
            for name, value in values.items():
                attr = attrs.IDS.get(name.upper()) if isinstance(name, str) else None
                if attr is None or attr not in LEX_COL or attr in (attrs.ORTH, attrs.LENGTH):
                    raise SerializationError(
                        f"{where}: lexeme override {text!r} sets {name!r}, not a settable "
                        "lexeme attribute"
                    )
                want: type | tuple[type, ...] = str if attr in STRING_LEX_ATTRS else (bool, int)
                if not isinstance(value, want):
                    raise SerializationError(
                        f"{where}: lexeme override {text!r}: {name} = {value!r} has the wrong type"
                    )

    def _apply_meta(self, meta: dict[str, Any], where: str) -> None:
        self.lang = meta.get("lang", self.lang)
        self._apply_overrides(meta.get("lexeme_overrides", {}))

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.strings.to_disk(path / "strings.json")
        atomic_write_text(path / "vocab.json", json.dumps(self._meta(), ensure_ascii=False))
        if "vectors" not in exclude:
            self.vectors.to_disk(path / "vectors")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Vocab:
        path = Path(path)
        if (path / "strings.json").exists():
            self.strings.from_disk(path / "strings.json")
        meta_path = path / "vocab.json"
        if meta_path.exists():
            meta = read_json(meta_path)
            self._load_meta(meta, str(meta_path))
            self._apply_meta(meta, str(meta_path))
        if "vectors" not in exclude and (path / "vectors" / "keys.json").exists():
            self.vectors = Vectors().from_disk(path / "vectors")
        return self

    def __repr__(self) -> str:
        return f"<Vocab lang={self.lang!r} lexemes={len(self)} strings={len(self.strings)}>"


class Lexeme:
    """A view of one row of the Vocab's lexeme table; attributes are settable."""

    __slots__ = ("vocab", "index")

    def __init__(self, vocab: Vocab, index: int) -> None:
        self.vocab = vocab
        self.index = index

    @property
    def text(self) -> str:
        return self.vocab._texts[self.index]

    orth_ = text

    @property
    def lex_id(self) -> int:
        return self.index

    @property
    def vector(self) -> np.ndarray:
        return self.vocab.get_vector(self.text)

    @property
    def has_vector(self) -> bool:
        return self.vocab.has_vector(self.text)

    @property
    def vector_norm(self) -> float:
        return vector_norm(self.vector)

    def similarity(self, other: Any) -> float:
        """Cosine similarity of the two vectors (0.0, with a warning, if one has none)."""
        return similarity(self, other)

    @property
    def lang_(self) -> str:
        return self.vocab.lang

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexeme) and other.vocab is self.vocab and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self.vocab), self.index))

    def __repr__(self) -> str:
        return f"Lexeme({self.text!r})"


def _make_lexeme_properties() -> None:
    def hash_prop(col: int, attr: int) -> property:
        def get(self: Lexeme) -> int:
            return int(self.vocab._table[self.index, col])

        def set_(self: Lexeme, value: int | str) -> None:
            self.vocab._set_lex_attr(self.index, attr, value)

        return property(get, None if attr == attrs.ORTH else set_)

    def str_prop(col: int, attr: int) -> property:
        def get(self: Lexeme) -> str:
            return self.vocab.strings[int(self.vocab._table[self.index, col])]  # type: ignore[return-value]

        def set_(self: Lexeme, value: str) -> None:
            self.vocab._set_lex_attr(self.index, attr, value)

        return property(get, set_)

    def flag_prop(col: int, attr: int) -> property:
        def get(self: Lexeme) -> bool:
            return bool(self.vocab._table[self.index, col])

        def set_(self: Lexeme, value: bool) -> None:
            self.vocab._set_lex_attr(self.index, attr, value)

        return property(get, set_)

    for attr in STRING_LEX_ATTRS:
        name = _attr_name(attr)
        setattr(Lexeme, name, hash_prop(LEX_COL[attr], attr))
        if attr != attrs.ORTH:
            setattr(Lexeme, name + "_", str_prop(LEX_COL[attr], attr))
    for attr in attrs.FLAG_ATTRS:
        setattr(Lexeme, _attr_name(attr), flag_prop(LEX_COL[attr], attr))

    def get_length(self: Lexeme) -> int:
        return int(self.vocab._table[self.index, LENGTH_COL])

    Lexeme.length = property(get_length)  # type: ignore[attr-defined]


_make_lexeme_properties()
