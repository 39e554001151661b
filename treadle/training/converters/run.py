"""Convert corpus files to ``.docbin`` (or JSON) files: the work behind ``treadle convert``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import treadle
from treadle.errors import DataError
from treadle.tokens import DocBin, Vocab
from treadle.tokens.attrs import SENT_START
from treadle.training.converters import (
    CONVERTERS,
    EXTENSIONS,
    conllu_to_docs,
    converter_for_path,
    iob_to_docs,
    jsonl_to_docs,
    textcat_to_docs,
)
from treadle.util import write_json

if TYPE_CHECKING:
    from treadle.tokens import Doc

FILE_TYPES = ("docbin", "json")


@dataclass
class ConvertResult:
    input: Path
    output: Path
    converter: str
    n_docs: int
    n_sents: int
    n_words: int


def _pick_converter(path: Path, converter: str) -> str:
    if converter != "auto":
        if converter not in CONVERTERS:
            raise DataError(
                f"Unknown converter {converter!r}: choose one of auto, {', '.join(CONVERTERS)}"
            )
        return converter
    found = converter_for_path(path)
    if found is None:
        raise DataError(
            f"{path}: cannot tell the format from the extension {path.suffix!r} "
            f"(known: {', '.join(sorted(EXTENSIONS))}); pass --converter"
        )
    return found


def input_files(input_path: str | Path, converter: str = "auto") -> list[Path]:
    """The files to convert: the input itself, or the convertible files of a directory
    and of its subdirectories (hidden files and folders left out)."""
    path = Path(input_path)
    if not path.exists():
        raise DataError(f"Input path {str(path)!r} does not exist")
    if path.is_file():
        return [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        and (converter != "auto" or converter_for_path(p) is not None)
    )
    if not files:
        raise DataError(
            f"Directory {str(path)!r} holds no files to convert"
            + (" with a known extension; pass --converter" if converter == "auto" else "")
        )
    return files


def output_dirs(
    input_path: str | Path, files: list[Path], output_dir: str | Path, file_type: str = "docbin"
) -> list[Path]:
    """Where each file's output goes: ``output_dir`` plus the file's folder relative to
    ``input_path`` (a directory's layout is kept). Two inputs whose outputs would have
    the same name (``a.conllu`` and ``a.iob`` both make ``a.docbin``) are an error,
    before anything is written: the second would silently replace the first."""
    root = Path(input_path)
    out_root = Path(output_dir)
    dirs, seen = [], {}
    for path in files:
        rel = path.relative_to(root).parent if root.is_dir() else Path()
        out_dir = out_root / rel
        out_path = out_dir / f"{path.stem}.{file_type}"
        if out_path in seen:
            raise DataError(
                f"{seen[out_path]} and {path} would both be written to {out_path}: "
                "rename one, or convert them into different output folders"
            )
        seen[out_path] = path
        dirs.append(out_dir)
    return dirs


def _docs(path: Path, converter: str, *, n_sents: int, merge_subtokens: bool, lang: str,
          vocab: Vocab) -> Iterator[Doc]:  # fmt: skip

    if converter == "conllu":
        return conllu_to_docs(path, vocab, n_sents=n_sents, merge_subtokens=merge_subtokens)
    if converter == "iob":
        return iob_to_docs(path, vocab, n_sents=n_sents)

    nlp = treadle.blank(lang)
    if converter == "textcat":
        return textcat_to_docs(path, nlp.make_doc)
    return jsonl_to_docs(path, nlp.make_doc)


def convert_file(
    input_path: str | Path,
    output_dir: str | Path,
    *,
    converter: str = "auto",
    n_sents: int = 1,
    merge_subtokens: bool = False,
    lang: str = "xx",
    file_type: str = "docbin",
) -> ConvertResult:
    """Convert one file into ``output_dir/<stem>.<file_type>``; written atomically."""
    path = Path(input_path)
    if file_type not in FILE_TYPES:
        raise DataError(f"Unknown file type {file_type!r}: choose one of {', '.join(FILE_TYPES)}")
    if n_sents < 1:
        raise DataError(f"--n-sents must be at least 1, got {n_sents}")
    name = _pick_converter(path, converter)
    vocab = Vocab(lang=lang)
    out_dir = Path(output_dir)
    out_path = out_dir / f"{path.stem}.{file_type}"
    n_docs = n_words = n_sent_total = 0
    docbin = DocBin() if file_type == "docbin" else None
    json_docs: list[dict] = []
    for doc in _docs(path, name, n_sents=n_sents, merge_subtokens=merge_subtokens, lang=lang,
                     vocab=vocab):  # fmt: skip
        n_docs += 1
        n_words += len(doc)
        n_sent_total += max(1, int(np.count_nonzero(doc.to_array(SENT_START) == 1)))
        if docbin is not None:
            docbin.add(doc)
        else:
            json_docs.append(doc.to_json())
    if n_docs == 0:
        raise DataError(f"{path}: no documents found (is it a {name} file?)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"Can't create the output folder {out_dir}: {err.strerror or err}") from None
    if docbin is not None:
        docbin.to_disk(out_path)
    else:
        write_json(out_path, json_docs, indent=None)
    return ConvertResult(path, out_path, name, n_docs, n_sent_total, n_words)
