"""JSONL reader: one ``{"text", "entities", "cats", "spans"}`` object per line.

``entities`` and each span group hold ``[start_char, end_char, label]`` triples; the
text is tokenized by the language's tokenizer (any callable ``text -> Doc``).
Entities that do not fall on token boundaries are marked missing with a warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treadle.errors import DataError
from treadle.tokens.example import set_biluo_ents
from treadle.tokens.iob_utils import offsets_to_biluo_tags
from treadle.training.converters._lines import text_lines

if TYPE_CHECKING:
    from treadle.tokens import Doc, Span

KNOWN_KEYS = ("text", "entities", "cats", "spans", "meta")


def read_jsonl(source: str | Path | Iterable[str], *, name: str | None = None) -> Iterator[tuple[int, dict]]:
    """Yield ``(line number, record)`` for each non-blank line, validated."""
    if isinstance(source, (str, Path)):
        yield from _records(text_lines(source, name), name or str(source))
    else:
        yield from _records(source, name or "<input>")


def _triples(value: Any, where: str) -> list[tuple[int, int, str]]:
    if not isinstance(value, list):
        raise DataError(f"{where}: expected a list of [start, end, label], got {value!r}")
    out = []
    for item in value:
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 3
            or not isinstance(item[0], int)
            or not isinstance(item[1], int)
            or not isinstance(item[2], str)
        ):
            raise DataError(f"{where}: expected [start, end, label], got {item!r}")
        out.append((item[0], item[1], item[2]))
    return out


def _records(lines: Iterable[str], source: str) -> Iterator[tuple[int, dict]]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{source}, line {lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{where}: invalid JSON ({err.msg} at column {err.colno})") from None
        except RecursionError:
            raise DataError(f"{where}: JSON nested too deeply") from None
        except ValueError as err:
            # Not a decode error: an integer past Python's digit limit.
            raise DataError(f"{where}: invalid JSON ({err})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise DataError(f'{where}: expected an object with a "text" string')
        unknown = sorted(set(rec) - set(KNOWN_KEYS))
        if unknown:
            raise DataError(f"{where}: unknown keys {unknown}; known: {list(KNOWN_KEYS)}")
        out: dict[str, Any] = {"text": rec["text"]}
        if "entities" in rec:
            out["entities"] = _triples(rec["entities"], f"{where}, entities")
        if "spans" in rec:
            if not isinstance(rec["spans"], dict):
                raise DataError(f'{where}: "spans" must map a key to [start, end, label] triples')
            out["spans"] = {k: _triples(v, f"{where}, spans[{k!r}]") for k, v in rec["spans"].items()}
        if "cats" in rec:
            cats = rec["cats"]
            if not isinstance(cats, dict) or not all(
                isinstance(v, (int, float)) for v in cats.values()
            ):
                raise DataError(f'{where}: "cats" must map labels to numbers, got {cats!r}')
            out["cats"] = {str(k): float(v) for k, v in cats.items()}
        n = len(out["text"])
        for start, end, label in out.get("entities", []):
            if not 0 <= start < end <= n:
                raise DataError(
                    f"{where}: entity [{start}, {end}, {label!r}] is outside the text (length {n})"
                )
        yield lineno, out


def jsonl_to_docs(
    source: str | Path | Iterable[str],
    tokenizer: Callable[[str], Doc],
    *,
    name: str | None = None,
) -> Iterator[Doc]:
    """One Doc per line, tokenized by ``tokenizer``, with entities, span groups and cats."""
    for lineno, rec in read_jsonl(source, name=name):
        doc = tokenizer(rec["text"])
        where = f"{name or source}, line {lineno}"
        if "entities" in rec:
            tags = offsets_to_biluo_tags(doc, rec["entities"])
            _set_biluo(doc, tags, where)
        for key, triples in rec.get("spans", {}).items():
            doc.spans[key] = _char_spans(doc, triples, f"{where}, spans[{key!r}]")
        if "cats" in rec:
            doc.cats.update(rec["cats"])
        yield doc


def _char_spans(doc: Doc, triples: list[tuple[int, int, str]], where: str) -> list[Span]:
    spans = []
    for start, end, label in triples:
        span = doc.char_span(start, end, label=label)
        if span is None:
            raise DataError(
                f"{where}: span [{start}, {end}, {label!r}] = {doc.text[start:end]!r} does not "
                "fall on token boundaries"
            )
        spans.append(span)
    return spans


def _set_biluo(doc: Doc, tags: list[str], where: str) -> None:
    try:
        set_biluo_ents(doc, tags)
    except DataError as err:
        raise DataError(f"{where}: {err}") from None
