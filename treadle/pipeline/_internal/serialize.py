"""Serialization by declaration: a component lists its named parts, and one
implementation (``Pipe.to_disk`` and friends) saves and restores them.

A :class:`Part` is a value the component produces (``dump``) and takes back
(``load``), the file it is saved as inside the component's folder, and the
:class:`Codec` that turns the value into that file's bytes. ``to_bytes`` stores the
value itself in one msgpack map keyed by part name, so a part's file and its entry in
the bytes always hold the same value. ``exclude`` takes part names.

Reading is in two phases: every part is read and decoded first, then loaded in the
declared order. A missing or corrupt file is reported before the component changes,
and parts that depend on others (weights on the labels in ``cfg``) are declared after
them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from treadle.errors import SerializationError, TreadleError
from treadle.util import atomic_write_bytes, ensure_path


@dataclass(frozen=True)
class Codec:
    """How a part's value becomes the bytes of its file and back. ``decode`` gets the
    file's bytes and a ``where`` (component and file) to name in its errors."""

    encode: Callable[[Any], bytes]
    decode: Callable[[bytes, str], Any]


def json_codec(indent: int | None = 2) -> Codec:
    def encode(value: Any) -> bytes:
        return (json.dumps(value, indent=indent, ensure_ascii=False) + "\n").encode("utf8")

    return Codec(encode, _json_decode)


def _json_decode(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf8"))
    except UnicodeDecodeError as err:
        raise SerializationError(f"{where}: not UTF-8 text ({err})") from None
    except RecursionError:
        raise SerializationError(f"{where}: JSON nested too deeply to read") from None
    except json.JSONDecodeError as err:
        raise SerializationError(
            f"{where}: not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}"
        ) from None


def _msgpack_encode(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def _msgpack_decode(data: bytes, where: str) -> Any:
    try:
        return msgpack.unpackb(data, raw=False)
    except Exception as err:  # msgpack raises several unrelated types
        raise SerializationError(f"{where}: not valid msgpack data ({err})") from None


def _raw_decode(data: bytes, where: str) -> bytes:
    return data


JSON = json_codec()
MSGPACK = Codec(_msgpack_encode, _msgpack_decode)
# Values that are bytes already, in their own format (safetensors weights).
RAW = Codec(bytes, _raw_decode)


@dataclass(frozen=True)
class Part:
    """One named piece of a component's saved state.

    - ``file``: the file name inside the component's folder.
    - ``dump()``: the value to save (msgpack-serialisable; bytes for ``RAW``).
    - ``load(value, where)``: take a saved value back; errors should name ``where``.
    - ``codec``: how the value is written to ``file``.
    - ``required``: a missing file (or entry in the bytes) is an error, not a skip.
    - ``after(where)``: runs once this part's turn is over, whether it was read,
      excluded or absent, for state derived from it and from what the component
      already had (e.g. sizing the output layer for the labels in ``cfg``).
    - ``folder``: the value is a map ``{file name: bytes}`` saved as the files of the
      folder ``file`` (files another library writes and reads as they are, e.g. a
      Hugging Face config and tokenizer); ``codec`` is not used.
    """

    file: str
    dump: Callable[[], Any]
    load: Callable[[Any, str], None]
    codec: Codec = JSON
    required: bool = False
    after: Callable[[str], None] | None = None
    folder: bool = False


Parts = Mapping[str, Part]


def _names(exclude: Iterable[str]) -> set[str]:
    return {exclude} if isinstance(exclude, str) else set(exclude)


def save_parts(parts: Parts, path: str | Path, exclude: Iterable[str] = ()) -> None:
    """Write every part not in ``exclude`` into the folder ``path``."""
    path = ensure_path(path)
    skip = _names(exclude)
    # Encode everything before replacing any file: a part that fails to produce its
    # value leaves a previous save in the folder as it was.
    files: list[tuple[Path, bytes]] = []
    folders: list[tuple[Path, Mapping[str, bytes]]] = []
    for name, part in parts.items():
        if name in skip:
            continue
        if part.folder:
            folders.append((path / part.file, _check_folder_value(part.dump(), name)))
        else:
            files.append((path / part.file, part.codec.encode(part.dump())))
    path.mkdir(parents=True, exist_ok=True)
    for file, data in files:
        atomic_write_bytes(file, data)
    for folder, contents in folders:
        folder.mkdir(parents=True, exist_ok=True)
        # Files of an earlier save that this one lacks would be read back with it.
        for old in folder.iterdir():
            if old.is_file() and old.name not in contents:
                old.unlink()
        for file_name, data in contents.items():
            atomic_write_bytes(folder / file_name, data)


def _check_folder_value(value: Any, name: str) -> Mapping[str, bytes]:
    """A folder part's value: plain file names (no paths) to bytes."""
    if not isinstance(value, Mapping):
        raise SerializationError(f"part {name!r}: expected a map of file names to bytes")
    for file_name, data in value.items():
        if (
            not isinstance(file_name, str)
            or file_name in ("", ".", "..")
            or "/" in file_name
            or "\\" in file_name
            or not isinstance(data, bytes)
        ):
            raise SerializationError(
                f"part {name!r}: {file_name!r} is not a plain file name with bytes"
            )
    return value


def _read_folder(folder: Path, where: str) -> dict[str, bytes]:
    """The plain files of a folder part (sub-folders are not part of it)."""
    try:
        return {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()}
    except OSError as err:
        raise SerializationError(f"{where}: could not read it ({err})") from None


def load_parts(parts: Parts, path: str | Path, exclude: Iterable[str], desc: str) -> None:
    """Read back what :func:`save_parts` wrote; ``desc`` names the component in errors."""
    path = ensure_path(path)
    skip = _names(exclude)
    found: dict[str, Any] = {}
    for name, part in parts.items():
        if name in skip:
            continue
        file = path / part.file
        where = f"{desc}: {file}"
        if not file.exists():
            if part.required:
                raise SerializationError(
                    f"{where}: the file is missing (part {name!r} of the saved component)"
                )
            continue
        if part.folder:
            if not file.is_dir():
                raise SerializationError(f"{where}: expected a folder (part {name!r})")
            found[name] = _read_folder(file, where)
            continue
        try:
            data = file.read_bytes()
        except OSError as err:
            raise SerializationError(f"{where}: could not read it ({err})") from None
        found[name] = part.codec.decode(data, where)
    _apply(parts, found, lambda name: f"{desc}: {path / parts[name].file}")


def pack_parts(parts: Parts, exclude: Iterable[str] = ()) -> bytes:
    """Every part not in ``exclude`` as one msgpack map ``{part name: value}``."""
    skip = _names(exclude)
    values = {name: part.dump() for name, part in parts.items() if name not in skip}
    return msgpack.packb(values, use_bin_type=True)


def unpack_parts(parts: Parts, data: bytes, exclude: Iterable[str], desc: str) -> None:
    """Read back what :func:`pack_parts` produced; ``desc`` names the component in errors."""
    try:
        msg = msgpack.unpackb(data, raw=False)
    except Exception as err:  # msgpack raises several unrelated types
        raise SerializationError(f"{desc}: cannot read its bytes ({err})") from None
    if not isinstance(msg, dict):
        raise SerializationError(
            f"{desc}: its bytes hold a {type(msg).__name__}, not a map of parts"
        )
    skip = _names(exclude)
    found: dict[str, Any] = {}
    for name, part in parts.items():
        if name in skip:
            continue
        if name not in msg:
            if part.required:
                raise SerializationError(f"{desc}: its bytes have no {name!r} part")
            continue
        value = msg[name]
        if part.folder:
            try:
                value = dict(_check_folder_value(value, name))
            except SerializationError as err:
                raise SerializationError(f"{desc}: its bytes hold a bad {err}") from None
        found[name] = value
    _apply(parts, found, lambda name: f"{desc}: {name!r} in its bytes")


def _apply(parts: Parts, found: dict[str, Any], where_of: Callable[[str], str]) -> None:
    for name, part in parts.items():
        where = where_of(name)
        if name in found:
            try:
                part.load(found[name], where)
            except SerializationError:
                raise
            except TreadleError as err:
                # Saved state the component rejects (a bad pattern, a bad table) is a
                # problem with the saved files, reported as such.
                raise SerializationError(f"{where}: {err}") from err
        if part.after is not None:
            part.after(where)


__all__ = [
    "JSON",
    "MSGPACK",
    "RAW",
    "Codec",
    "Part",
    "Parts",
    "json_codec",
    "load_parts",
    "pack_parts",
    "save_parts",
    "unpack_parts",
]
