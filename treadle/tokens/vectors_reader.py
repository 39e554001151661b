"""Read word-vector files into a :class:`Vectors` table.

Formats, picked by the file name:

- text (``.txt``, ``.vec``, anything else; ``.gz`` compressed or not): one word and
  its values a line, as word2vec, fastText and GloVe write them, with or without a
  first ``rows dims`` line. The vector is the last ``dims`` fields, so a word may
  hold spaces;
- word2vec binary (``.bin``): a ``rows dims`` line, then each word, a space and
  ``dims`` little-endian float32 values;
- numpy (``.npy``, or a folder holding one): the matrix, with its words in a word
  list beside it: ``words`` if given, else a ``.txt`` (one word a line) or
  ``.parquet`` (its first string column) of the same stem, else the folder's only
  ``.txt``/``.parquet`` file;
- floret (``mode="floret"``, text): a first line ``rows dims minn maxn hash_count
  hash_seed [bow eow]`` then one bucket a line (``index values...``).

Rows keep the file's order (vector files are sorted by frequency, which ``prune``
relies on); a word seen twice keeps its first row. A malformed line raises a
:class:`DataError` naming the file and line.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np

from treadle.errors import DataError, MissingDependencyError
from treadle.tokens.floret import FloretSettings
from treadle.tokens.vectors import Vectors

# progress(rows read so far, total rows if known)
Progress = Callable[[int, "int | None"], None]

_CHUNK = 20_000


def read_vectors(
    path: str | Path,
    *,
    truncate: int = 0,
    mode: str = "default",
    words: str | Path | None = None,
    name: str = "",
    progress: Progress | None = None,
) -> tuple[Vectors, list[str]]:
    """The table in ``path`` (see module doc) and its words, in row order (none for
    floret); ``truncate`` > 0 reads only that many rows."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"Vectors file {path} does not exist.")
    if mode not in ("default", "floret"):
        raise DataError(f"--mode must be 'default' or 'floret', got {mode!r}")
    if mode == "floret":
        data, settings = _read_floret(path, truncate, progress)
        return Vectors(data, name=name, mode="floret", floret=settings), []
    if path.is_dir() or path.suffix == ".npy":
        data, keys = _read_npy(path, words, truncate)
        if progress is not None:
            progress(len(keys), len(keys))
    elif path.suffix == ".bin":
        data, keys = _read_word2vec_bin(path, truncate, progress)
    else:
        data, keys = _read_text(path, truncate, progress)
    data, keys = _first_occurrences(data, keys)
    return Vectors(data, keys=keys, name=name), keys


def _first_occurrences(data: np.ndarray, keys: list[str]) -> tuple[np.ndarray, list[str]]:
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        seen.setdefault(key, i)
    if len(seen) == len(keys):
        return data, keys
    rows = np.fromiter(seen.values(), dtype=np.int64, count=len(seen))
    return data[rows], list(seen)


# -- text ----------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    raw: IO[bytes] = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf8", errors="strict", newline="\n")


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    with _open_text(path) as f:
        try:
            for lineno, line in enumerate(f, start=1):
                yield lineno, line
        except UnicodeDecodeError as err:
            raise DataError(f"{path}: not UTF-8 text after line {lineno}: {err}") from None
        except (OSError, EOFError) as err:  # a truncated or corrupt .gz
            raise DataError(f"{path}: could not be read: {err}") from None


def _header(line: str) -> list[int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return [int(p) for p in parts]
    return None


def _read_text(path: Path, truncate: int, progress: Progress | None) -> tuple[np.ndarray, list[str]]:
    lines = _numbered_lines(path)
    total: int | None = None
    dims: int | None = None
    first = next(lines, None)
    if first is None:
        raise DataError(f"{path} is empty: no vectors to read.")
    pending: list[tuple[int, str]] = []
    header = _header(first[1])
    if header is not None:
        total, dims = header
    else:
        pending.append(first)
        dims = len(first[1].split()) - 1
        if dims < 1:
            raise DataError(f"{path}:{first[0]}: expected a word followed by its values.")
    if truncate > 0:
        total = min(total, truncate) if total is not None else truncate
    keys: list[str] = []
    chunks: list[np.ndarray] = []
    batch: list[tuple[int, str]] = pending

    def flush() -> None:
        words, matrix = _parse_lines(path, batch, dims)
        keys.extend(words)
        chunks.append(matrix)
        batch.clear()
        if progress is not None:
            progress(len(keys), total)

    for numbered in lines:
        if truncate > 0 and len(keys) + len(batch) >= truncate:
            break
        if not numbered[1].strip():
            continue
        batch.append(numbered)
        if len(batch) >= _CHUNK:
            flush()
    if batch:
        flush()
    data = np.concatenate(chunks) if chunks else np.zeros((0, dims), dtype=np.float32)
    return data, keys


def _parse_lines(path: Path, batch: list[tuple[int, str]], dims: int) -> tuple[list[str], np.ndarray]:
    words: list[str] = []
    values: list[str] = []
    for lineno, line in batch:
        parts = line.rstrip().rsplit(" ", dims)
        if len(parts) != dims + 1 or not parts[0] or (" " in parts[0] and _is_number(parts[0])):
            n_fields = len(line.split()) - 1
            raise DataError(
                f"{path}:{lineno}: expected a word and {dims} values, got {n_fields} "
                "field(s) after the word."
            )
        words.append(parts[0])
        values.extend(parts[1:])
    try:
        # One conversion for the whole chunk: far faster than one per line.
        matrix = np.array(values, dtype=np.float32).reshape(len(words), dims)
    except ValueError:
        for lineno, line in batch:
            try:
                np.array(line.rstrip().rsplit(" ", dims)[1:], dtype=np.float32)
            except ValueError as err:
                raise DataError(f"{path}:{lineno}: not a number: {err}") from None
        raise
    return words, matrix


def _is_number(word: str) -> bool:
    """Whether a spaced word ends in a number: then the line has a value too many, as
    a word's own spaces ("new york") never end in one."""
    try:
        float(word.rsplit(" ", 1)[1])
    except ValueError:
        return False
    return True


# -- word2vec binary -----------------------------------------------------------


def _read_word2vec_bin(
    path: Path, truncate: int, progress: Progress | None
) -> tuple[np.ndarray, list[str]]:
    with open(path, "rb") as f:
        header = _header(f.readline().decode("utf8", errors="replace"))
        if header is None:
            raise DataError(f"{path}:1: a word2vec .bin file starts with a 'rows dims' line.")
        rows, dims = header
        if truncate > 0:
            rows = min(rows, truncate)
        data = np.empty((rows, dims), dtype=np.float32)
        keys: list[str] = []
        width = 4 * dims
        for i in range(rows):
            word = bytearray()
            while True:
                ch = f.read(1)
                if not ch:
                    raise DataError(f"{path}: ends after {i} of {rows} vectors (row {i + 1} is cut off).")
                if ch == b" ":
                    break
                if ch != b"\n" or word:
                    word.extend(ch)
            blob = f.read(width)
            if len(blob) != width:
                raise DataError(f"{path}: row {i + 1} ({word.decode('utf8', 'replace')!r}) is cut off.")
            try:
                keys.append(word.decode("utf8"))
            except UnicodeDecodeError:
                raise DataError(f"{path}: row {i + 1}: the word is not UTF-8.") from None
            data[i] = np.frombuffer(blob, dtype="<f4")
            if progress is not None and (i + 1) % _CHUNK == 0:
                progress(i + 1, rows)
        if progress is not None:
            progress(rows, rows)
    return data, keys


# -- numpy + word list ---------------------------------------------------------


def _read_npy(path: Path, words: str | Path | None, truncate: int) -> tuple[np.ndarray, list[str]]:
    if path.is_dir():
        found = sorted(path.glob("*.npy"))
        if len(found) != 1:
            raise DataError(f"{path}: expected one .npy file in the folder, found {len(found)}.")
        folder, matrix_path = path, found[0]
    else:
        folder, matrix_path = path.parent, path
    try:
        matrix = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise DataError(f"{matrix_path}: not a numpy matrix: {err}") from None
    if matrix.ndim != 2:
        raise DataError(f"{matrix_path}: expected a 2-D matrix, got shape {matrix.shape}.")
    word_path = Path(words) if words is not None else _find_word_list(folder, matrix_path)
    keys = _read_word_list(word_path, truncate or matrix.shape[0])
    n = matrix.shape[0] if truncate <= 0 else min(truncate, matrix.shape[0])
    if len(keys) != n:
        raise DataError(
            f"{word_path} lists {len(keys)} words for the {n} rows of {matrix_path}; they must match."
        )
    return np.ascontiguousarray(matrix[:n], dtype=np.float32), keys


def _find_word_list(folder: Path, matrix_path: Path) -> Path:
    for suffix in (".txt", ".parquet"):
        sibling = matrix_path.with_suffix(suffix)
        if sibling.exists():
            return sibling
    found = sorted([*folder.glob("*.txt"), *folder.glob("*.parquet")])
    if len(found) == 1:
        return found[0]
    raise DataError(
        f"{matrix_path}: no word list found beside it (a {matrix_path.stem}.txt with one word "
        f"a line, or a {matrix_path.stem}.parquet); name one with --words."
    )


def _read_word_list(path: Path, limit: int) -> list[str]:
    if not path.exists():
        raise DataError(f"Word list {path} does not exist.")
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingDependencyError(
                f"Reading the word list {path} needs pyarrow: pip install pyarrow"
            ) from None
        table = pq.read_table(path)
        import pyarrow as pa

        columns = [name for name, kind in zip(table.column_names, table.schema.types, strict=True)
                   if pa.types.is_string(kind) or pa.types.is_large_string(kind)]  # fmt: skip
        if not columns:
            raise DataError(f"{path}: has no string column to read words from.")
        return [str(w) for w in table.column(columns[0]).slice(0, limit).to_pylist()]
    with open(path, encoding="utf8") as f:
        keys = []
        for line in f:
            if len(keys) >= limit:
                break
            keys.append(line.rstrip("\r\n"))
    return keys


# -- floret --------------------------------------------------------------------


def _read_floret(path: Path, truncate: int, progress: Progress | None) -> tuple[np.ndarray, FloretSettings]:
    lines = _numbered_lines(path)
    first = next(lines, None)
    parts = first[1].split() if first is not None else []
    if len(parts) not in (6, 8) or not all(p.isdigit() for p in parts[:6]):
        raise DataError(
            f"{path}:1: a floret file starts with 'rows dims minn maxn hash_count hash_seed "
            "[bow eow]'."
        )
    rows, dims, minn, maxn, hash_count, seed = (int(p) for p in parts[:6])
    bow, eow = (parts[6], parts[7]) if len(parts) == 8 else ("<", ">")
    try:
        settings = FloretSettings(minn=minn, maxn=maxn, hash_count=hash_count, hash_seed=seed, bow=bow, eow=eow)
    except ValueError as err:
        raise DataError(f"{path}:1: {err}") from None
    if truncate > 0:
        # Buckets are addressed by hash modulo the row count: dropping rows would
        # send every n-gram to a different row.
        raise DataError("--truncate does not apply to floret tables (their rows are hash buckets).")
    data = np.zeros((rows, dims), dtype=np.float32)
    batch: list[tuple[int, str]] = []
    done = 0

    def flush() -> None:
        nonlocal done
        indices, matrix = _parse_lines(path, batch, dims)
        for (lineno, _), index in zip(batch, indices, strict=True):
            if not index.isdigit() or int(index) >= rows:
                raise DataError(f"{path}:{lineno}: bucket index {index!r} is not in 0-{rows - 1}.")
        data[[int(i) for i in indices]] = matrix
        done += len(indices)
        batch.clear()
        if progress is not None:
            progress(done, rows)

    for numbered in lines:
        if numbered[1].strip():
            batch.append(numbered)
        if len(batch) >= _CHUNK:
            flush()
    if batch:
        flush()
    return data, settings
