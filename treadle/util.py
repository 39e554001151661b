"""Small helpers shared across layers: paths, atomic file and folder writes, JSON and
msgpack files, cutting iterables into batches.

Every file treadle saves goes through :func:`atomic_write_bytes` or
:func:`atomic_dir`, so a crash or an exception mid-save never leaves a half-written
file where a good one was.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import msgpack

from treadle.errors import SerializationError

T = TypeVar("T")


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def ensure_path(path: str | os.PathLike[str] | Path) -> Path:
    """``path`` as a :class:`Path` (strings and path-likes are converted)."""
    return path if isinstance(path, Path) else Path(os.fspath(path))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and
    ``os.replace`` (atomic on POSIX and Windows within one filesystem)."""
    path = ensure_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates files 0600; saved pipelines and corpora are meant to be shared.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf8"))


def write_json(path: str | os.PathLike[str], data: Any, *, indent: int | None = 2) -> None:
    atomic_write_text(path, json.dumps(data, indent=indent, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    path = ensure_path(path)
    try:
        with path.open("r", encoding="utf8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as err:
        raise SerializationError(
            f"{path}: not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}"
        ) from None
    except UnicodeDecodeError as err:
        raise SerializationError(f"{path}: not UTF-8 text ({err})") from None
    except RecursionError:
        raise SerializationError(f"{path}: JSON nested too deeply to read") from None
    except OSError as err:
        raise SerializationError(f"{path}: could not read it ({err})") from None


def write_msgpack(path: str | os.PathLike[str], data: Any) -> None:
    atomic_write_bytes(path, msgpack.packb(data, use_bin_type=True))


def read_msgpack(path: str | os.PathLike[str]) -> Any:
    path = ensure_path(path)
    try:
        return msgpack.unpackb(path.read_bytes(), raw=False, strict_map_key=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as err:
        raise SerializationError(f"{path}: not a valid msgpack file ({err})") from None


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder in a temp dir beside ``path``; move it into place on success.

    Usage::

        with atomic_dir(out) as tmp:
            (tmp / "meta.json").write_text(...)

    If the block raises, the temp dir is removed and whatever was at ``path`` before
    is left untouched. If ``path`` already exists it is replaced: the old folder is
    first renamed aside, the new one renamed in, then the old one deleted, so at
    every moment either the old or the new complete folder sits at ``path`` (apart
    from the instant between the two renames).
    """
    path = ensure_path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_dir():
        raise SerializationError(f"Can't write a folder to {path}: a file is in the way.")
    remove_stale_temp_dirs(path)
    prefix = f".{path.name}.{os.getpid()}."
    tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=path.parent))
    # mkdtemp creates folders 0700; a saved pipeline gets the umask's mode like any folder.
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    try:
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=prefix, suffix=".old", dir=path.parent))
            old.rmdir()  # only the unique name is wanted; rename needs it absent
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        # Put the previous folder back if the swap failed half way.
        if old is not None and old.exists() and not path.exists():
            os.replace(old, path)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_stale_temp_dirs(path: Path) -> list[Path]:
    """Remove the temp folders that :func:`atomic_dir` left beside ``path`` in a
    process that died mid-save (killed, power cut): their names carry the writer's
    pid, and only those whose process is gone are removed. Returns what was removed."""
    # Leading dots: a save inside a save (nlp.to_disk into atomic_dir's temp folder)
    # leaves a temp folder of the temp folder, named after it.
    pattern = re.compile(rf"^\.+{re.escape(path.name)}\.(\d+)\..*\.(tmp|old)$")
    removed = []
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_dir() and not _process_alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split ``items`` into lists of ``size`` (the last may be shorter), lazily; like
    ``itertools.batched`` (Python 3.12) but yielding lists. The sized batcher with
    schedules is :func:`treadle.ml.batching.minibatch`."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    it = iter(items)
    while True:
        batch = list(itertools.islice(it, size))
        if not batch:
            return
        yield batch



def get_closest(name: str, options: Iterable[str], n: int = 5) -> list[str]:
    """Names among ``options`` that look like ``name`` (for 'did you mean' hints)."""
    return difflib.get_close_matches(name, list(options), n=n, cutoff=0.5)
