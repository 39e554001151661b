"""Morphological analyses as UD FEATS strings ("Number=Sing|Person=3").

An analysis is stored per token as the hash of its canonical FEATS string:
features sorted by name (case-insensitively, as UD orders them), multiple values
of one feature sorted and joined by commas. 0 means "not annotated"; the empty
analysis (a token that has no features, written "_" or "") is stored as the hash
of "_" so that it counts as annotated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from treadle.errors import DataError

if TYPE_CHECKING:
    from treadle.tokens.vocab import Vocab

EMPTY_MORPH = "_"


def feats_to_dict(feats: str) -> dict[str, str]:
    """Parse a FEATS string into ``{field: "V1,V2"}`` (canonical order of values)."""
    return dict(_parse(feats))


@lru_cache(maxsize=100_000)
def _parse(feats: str) -> tuple[tuple[str, str], ...]:
    feats = feats.strip()
    if feats in ("", EMPTY_MORPH):
        return ()
    fields: dict[str, set[str]] = {}
    for feat in feats.split("|"):
        if not feat:
            continue
        field, sep, value = feat.partition("=")
        field, value = field.strip(), value.strip()
        if not sep or not field or not value:
            raise DataError(
                f"Invalid morphological feature {feat!r} in {feats!r}: expected Field=Value "
                "pairs joined by '|', as in 'Number=Sing|Person=3'"
            )
        fields.setdefault(field, set()).update(v for v in value.split(",") if v)
    return tuple(
        (field, ",".join(sorted(fields[field], key=str.lower)))
        for field in sorted(fields, key=lambda f: (f.lower(), f))
    )


def normalize_feats(feats: str | Mapping[str, str | list[str]] | None) -> str:
    """Canonical FEATS string; "_" for the empty analysis."""
    if feats is None:
        return ""
    if isinstance(feats, Mapping):
        parts = []
        for field, value in feats.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            parts.append(f"{field}={','.join(str(v) for v in values)}")
        feats = "|".join(parts)
    pairs = _parse(feats)
    if not pairs:
        return EMPTY_MORPH
    return "|".join(f"{f}={v}" for f, v in pairs)


class MorphAnalysis:
    """A read-only view of one morphological analysis."""

    __slots__ = ("vocab", "key")

    def __init__(self, vocab: Vocab, features: str | int | Mapping[str, str] | None = None):
        self.vocab = vocab
        if features is None or isinstance(features, int):
            self.key = int(features or 0)
        else:
            canonical = normalize_feats(features)
            self.key = vocab.strings.add(canonical)

    @property
    def _feats(self) -> str:
        if not self.key:
            return ""
        text = self.vocab.strings[self.key]
        return "" if text == EMPTY_MORPH else text

    def to_dict(self) -> dict[str, str]:
        return feats_to_dict(self._feats)

    def get(self, field: str, default: list[str] | None = None) -> list[str]:
        value = self.to_dict().get(field)
        if value is None:
            return list(default) if default is not None else []
        return value.split(",")

    def __contains__(self, feature: str) -> bool:
        field, _, value = feature.partition("=")
        return value in self.get(field)

    def __iter__(self) -> Iterator[str]:
        for field, values in _parse(self._feats):
            for value in values.split(","):
                yield f"{field}={value}"

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return bool(self._feats)

    def __str__(self) -> str:
        return self._feats

    def to_json(self) -> str:
        return self._feats

    def __repr__(self) -> str:
        return f"MorphAnalysis({self._feats!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MorphAnalysis):
            return self._feats == other._feats
        if isinstance(other, str):
            canonical = normalize_feats(other)
            return self._feats == ("" if canonical == EMPTY_MORPH else canonical)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._feats)
