"""``lemmatizer``: lemmas from tables, in ``lookup`` or ``rule`` mode.

No tables ship with treadle: they are given at initialization, in the config
(``[initialize.components.lemmatizer] lookups = {"lemma_lookup": {...}}`` or a path to
a JSON/msgpack file holding that dict) or as ``initialize(lookups=...)``, and are saved
with the component (``lookups.msgpack``).

Tables
- ``lemma_lookup`` ``{form: lemma}``. ``lookup`` mode needs it: a form found there gets
  its lemma, any other keeps its form. In ``rule`` mode it is optional and used for
  tokens without a POS.
- ``lemma_rules`` ``{pos: [[old_suffix, new_suffix], ...]}`` (``rule`` mode needs it):
  the suffix rules of a universal POS (``noun``, ``verb``...; case-insensitive), tried
  in the order given.
- ``lemma_exc`` ``{pos: {form: lemma | [lemma, ...]}}`` (optional): irregular forms.
- ``lemma_index`` ``{pos: [lemma, ...]}`` (optional): known lemmas of a POS.

``rule`` mode, per token (the classic rule lemmatizer): lowercase the form; an
exception wins; a form that is itself in the POS's index is its own lemma; otherwise
each rule whose old suffix ends the form makes a candidate, and the first candidate in
the index (or the first at all, when the POS has no index) is the lemma; a candidate
outside the index is used only when no candidate is in it. With no rule matching, or no
tables for the POS, the lemma is the lowercased form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack
import numpy as np

from treadle.errors import ConfigError, PipelineError, SerializationError
from treadle.pipeline._internal.pipe import Pipe
from treadle.pipeline._internal.serialize import MSGPACK, Part
from treadle.pipeline.factories import factory
from treadle.scoring import Scorer
from treadle.tokens.attrs import LEMMA, ORTH, POS
from treadle.tokens.parts_of_speech import UPOS_NAMES
from treadle.util import ensure_path, read_json

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

LOOKUPS_FILE = "lookups.msgpack"
MASK64 = 0xFFFFFFFFFFFFFFFF

# mode -> (required tables, optional tables)
MODE_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "lookup": (("lemma_lookup",), ()),
    "rule": (("lemma_rules",), ("lemma_exc", "lemma_index", "lemma_lookup")),
}


class Lemmatizer(Pipe):
    """Assigns ``token.lemma_`` from lookup tables or POS-specific suffix rules."""

    def __init__(self, vocab: Vocab, name: str = "lemmatizer", *, mode: str = "lookup", overwrite: bool = False) -> None:
        if mode not in MODE_TABLES:
            raise PipelineError(
                f"Component {name!r}: mode must be one of {', '.join(map(repr, MODE_TABLES))}, got {mode!r}"
            )
        super().__init__(name, mode=mode, overwrite=overwrite)
        self.vocab = vocab
        self.tables: dict[str, Any] = {}
        self._prepare()

    @property
    def mode(self) -> str:
        return str(self.cfg["mode"])

    @property
    def is_initialized(self) -> bool:
        required, _ = MODE_TABLES[self.mode]
        return all(t in self.tables for t in required)

    # ------------------------------------------------------------------ tables

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        lookups: Mapping[str, Any] | str | Path | None = None,
        **settings: Any,
    ) -> None:
        """Take the tables (a dict of tables, or a path to a JSON/msgpack file of one)."""
        where = f"initialize.components.{self.name}.lookups"
        if lookups is None:
            if not self.is_initialized:
                raise self._missing_tables_error()
            return
        tables = _read_tables(lookups, where) if isinstance(lookups, str | Path) else lookups
        self.set_tables(tables, where=where)
        if not self.is_initialized:
            raise self._missing_tables_error()

    def set_tables(self, tables: Mapping[str, Any], *, where: str | None = None) -> None:
        """Replace the tables (validated; unknown table names are an error)."""
        where = where or f"component {self.name!r}"
        if not isinstance(tables, Mapping):
            raise ConfigError(f"{where}: expected a dict of tables, got {type(tables).__name__}")
        known = {t for req, opt in MODE_TABLES.values() for t in req + opt}
        unknown = sorted(set(tables) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown table(s) {', '.join(map(repr, unknown))} for component "
                f"{self.name!r}; known tables: {', '.join(sorted(known))}"
            )
        self.tables = {name: _validate_table(name, table, where) for name, table in tables.items()}
        self._prepare()

    def _missing_tables_error(self) -> ConfigError:
        required, _ = MODE_TABLES[self.mode]
        missing = [t for t in required if t not in self.tables]
        return ConfigError(
            f"Component {self.name!r} in mode {self.mode!r} needs the table(s) "
            f"{', '.join(map(repr, missing))}, which were not given. Give them in "
            f"[initialize.components.{self.name}] as lookups = {{\"{missing[0]}\": {{...}}}} "
            f"(or a path to a JSON file with that dict), or call initialize(lookups=...)."
        )

    def _prepare(self) -> None:
        """Derived lookup structures, and a fresh cache."""
        t = self.tables
        self._lookup: dict[str, str] = dict(t.get("lemma_lookup", {}))
        self._rules: dict[str, list[tuple[str, str]]] = {
            pos: [(old, new) for old, new in rules] for pos, rules in t.get("lemma_rules", {}).items()
        }
        self._exc: dict[str, dict[str, list[str]]] = t.get("lemma_exc", {})
        self._index: dict[str, set[str]] = {pos: set(v) for pos, v in t.get("lemma_index", {}).items()}
        # (orth hash, pos id) -> lemma hash
        self._cache: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------ lemmatizing

    def lookup_lemmatize(self, form: str) -> str:
        return self._lookup.get(form, form)

    def rule_lemmatize(self, form: str, pos: str) -> str:
        """The lemma of ``form`` with universal POS ``pos`` by the rule tables."""
        pos = pos.lower()
        if not pos:
            return self._lookup.get(form, form.lower()) if self._lookup else form.lower()
        string = form.lower()
        exc = self._exc.get(pos, {}).get(string)
        if exc:
            return exc[0]
        index = self._index.get(pos)
        if index is not None and string in index:
            return string
        oov = None
        for old, new in self._rules.get(pos, ()):
            if string.endswith(old):
                cand = string[: len(string) - len(old)] + new
                if not cand:
                    continue
                if index is None or cand in index:
                    return cand
                if oov is None:
                    oov = cand
        return oov if oov is not None else string

    def __call__(self, doc: Doc) -> Doc:
        if not self.is_initialized:
            raise self._missing_tables_error()
        if not len(doc):
            return doc
        arr = doc.to_array([ORTH, POS])
        strings, cache = self.vocab.strings, self._cache
        rule = self.mode == "rule"
        lemmas = np.zeros(len(doc), dtype=np.int64)
        for i, (orth, pos) in enumerate(arr.tolist()):
            key = (orth, pos if rule else 0)
            lemma = cache.get(key)
            if lemma is None:
                form = strings[orth & MASK64]
                text = self.rule_lemmatize(form, UPOS_NAMES[pos]) if rule else self.lookup_lemmatize(form)
                lemma = _as_int64(strings.add(text))
                cache[key] = lemma
            lemmas[i] = lemma
        if not self.cfg.get("overwrite", False):
            current = doc.to_array(LEMMA)
            lemmas = np.where(current == 0, lemmas, current)
        doc.from_array(LEMMA, lemmas)
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_token_attr(examples, "lemma_", **kwargs)

    # ------------------------------------------------------------------ serialization

    def serialization_parts(self) -> dict[str, Part]:
        tables = Part(LOOKUPS_FILE, lambda: self.tables, self._load_tables, codec=MSGPACK)
        return {**super().serialization_parts(), "lookups": tables}

    def _load_tables(self, tables: Any, where: str) -> None:
        try:
            self.set_tables(tables, where=where)
        except ConfigError as err:
            raise SerializationError(str(err)) from err


def _read_tables(path: str | Path, where: str) -> Any:
    file = ensure_path(path)
    if not file.is_file():
        raise ConfigError(f"{where}: the tables file {str(path)!r} does not exist")
    if file.suffix in (".msgpack", ".msg"):
        try:
            return msgpack.unpackb(file.read_bytes(), raw=False)
        except Exception as err:
            raise ConfigError(f"{where}: could not read {str(path)!r} as msgpack: {err}") from err
    try:
        return read_json(file)
    except Exception as err:
        raise ConfigError(f"{where}: could not read {str(path)!r} as JSON: {err}") from err


def _validate_table(name: str, table: Any, where: str) -> Any:
    """The table in its normal form: POS keys lowercased, exceptions as lists."""
    loc = f"{where}: table {name!r}"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{loc} must be a dict, got {type(table).__name__}")
    if name == "lemma_lookup":
        bad = [k for k, v in table.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise ConfigError(f"{loc} maps forms to lemma strings; bad entry for {bad[0]!r}")
        return dict(table)
    out: dict[str, Any] = {}
    for pos, value in table.items():
        key = str(pos).lower()
        if name == "lemma_rules":
            if not isinstance(value, list | tuple) or not all(
                isinstance(r, list | tuple) and len(r) == 2 and all(isinstance(s, str) for s in r) for r in value
            ):
                raise ConfigError(f"{loc}, POS {pos!r}: expected a list of [old_suffix, new_suffix] pairs")
            out[key] = [[old, new] for old, new in value]
        elif name == "lemma_exc":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{loc}, POS {pos!r}: expected a dict form -> lemma (or list of lemmas)")
            exc: dict[str, list[str]] = {}
            for form, lemmas in value.items():
                lemmas = [lemmas] if isinstance(lemmas, str) else lemmas
                if not isinstance(lemmas, list | tuple) or not all(isinstance(s, str) for s in lemmas):
                    raise ConfigError(f"{loc}, POS {pos!r}: bad lemma(s) for {form!r}: {lemmas!r}")
                exc[str(form).lower()] = list(lemmas)
            out[key] = exc
        else:  # lemma_index
            if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
                raise ConfigError(f"{loc}, POS {pos!r}: expected a list of lemma strings")
            out[key] = sorted(set(value))
    return out


def _as_int64(h: int) -> int:
    return h - (1 << 64) if h >= (1 << 63) else h


@factory(
    "lemmatizer",
    assigns=["token.lemma"],
    default_config={"mode": "lookup", "overwrite": False},
    default_score_weights={"lemma_acc": 1.0},
)
def make_lemmatizer(nlp: Language, name: str, mode: str = "lookup", overwrite: bool = False) -> Lemmatizer:
    return Lemmatizer(nlp.vocab, name, mode=mode, overwrite=overwrite)


__all__ = ["LOOKUPS_FILE", "Lemmatizer", "MODE_TABLES", "make_lemmatizer"]
