"""Folder parts: a map of file names to bytes saved as the files of a sub-folder."""

from __future__ import annotations

import pytest

from treadle.errors import SerializationError
from treadle.pipeline._internal.serialize import (
    Part,
    load_parts,
    pack_parts,
    save_parts,
    unpack_parts,
)


def folder_parts(value: dict, store: dict) -> dict[str, Part]:
    return {"files": Part("files", lambda: value, lambda v, where: store.update(v), folder=True)}


def test_folder_part_on_disk_and_in_bytes(tmp_path):
    value = {"a.json": b"{}", "b.txt": b"hello"}
    save_parts(folder_parts(value, {}), tmp_path)
    assert (tmp_path / "files" / "b.txt").read_bytes() == b"hello"
    store: dict = {}
    load_parts(folder_parts({}, store), tmp_path, (), "component 'x'")
    assert store == value
    store = {}
    unpack_parts(folder_parts({}, store), pack_parts(folder_parts(value, {})), (), "component 'x'")
    assert store == value


def test_folder_part_rejects_paths(tmp_path):
    with pytest.raises(SerializationError, match="plain file name"):
        save_parts(folder_parts({"../evil": b""}, {}), tmp_path)
    data = pack_parts({"files": Part("files", lambda: {"x/y": b""}, lambda v, w: None)})
    with pytest.raises(SerializationError, match="plain file name"):
        unpack_parts(folder_parts({}, {}), data, (), "component 'x'")


def test_folder_part_must_be_a_folder(tmp_path):
    (tmp_path / "files").write_bytes(b"")
    with pytest.raises(SerializationError, match="expected a folder"):
        load_parts(folder_parts({}, {}), tmp_path, (), "component 'x'")
