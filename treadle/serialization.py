"""Saving and loading a pipeline: ``nlp.to_disk``/``from_disk`` and the bytes form.

A saved pipeline is a folder: ``config.cfg`` (the full, filled config that builds it),
``meta.json``, the vocab, the tokenizer's settings and one folder per component
holding what the config alone cannot rebuild (labels, weights, patterns). Loading
builds the pipeline from the config first (``treadle.load``), then reads each part back
into it; nothing is pickled, so loading never runs code from the folder.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from treadle.errors import PipelineError, SerializationError, TreadleWarning
from treadle.util import atomic_dir, ensure_path, read_json, write_json

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.pipeline.factories import FactoryMeta
    from treadle.tokens import Vocab

CONFIG_FILE = "config.cfg"
META_FILE = "meta.json"
# Meta keys computed from the live pipeline, never taken from a saved meta.json.
# The size and sha256 of every file the save wrote, checked by from_disk.
FILES_KEY = "files"
DERIVED_META = frozenset(
    {"lang", "treadle_version", "pipeline", "components", "disabled", "labels", FILES_KEY}
)


def to_disk(nlp: Language, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
    """Save the pipeline as a folder (written beside ``path`` then moved into place,
    so a failure leaves any previous save intact)."""
    exclude = set(exclude)
    path = ensure_path(path)
    config = nlp.config
    with atomic_dir(path) as tmp:
        config.to_disk(tmp / CONFIG_FILE)
        write_json(tmp / META_FILE, nlp.meta)
        if "vocab" not in exclude:
            nlp.vocab.to_disk(tmp / "vocab")
        tok_to_disk = getattr(nlp.tokenizer, "to_disk", None)
        if "tokenizer" not in exclude and tok_to_disk is not None:
            tok_to_disk(tmp / "tokenizer", exclude=["vocab"])
        for name, proc in nlp.components:
            comp_to_disk = getattr(proc, "to_disk", None)
            if name in exclude or comp_to_disk is None:
                continue
            comp_to_disk(tmp / name, exclude=["vocab"])
        # Rewritten last, once every other file is in place, so that it can record them.
        write_json(tmp / META_FILE, {**nlp.meta, FILES_KEY: file_manifest(tmp)})


# Not hashed: meta.json holds the hashes, and config.cfg is the user's to edit (it is
# parsed and validated whenever the pipeline is built, so damage there is caught anyway).
UNHASHED = frozenset({META_FILE, CONFIG_FILE})


def file_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256", "size"}}`` of every file in ``folder`` but
    meta.json and config.cfg."""
    out: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.rglob("*")):
        rel = file.relative_to(folder).as_posix()
        if file.is_file() and rel not in UNHASHED:
            out[rel] = {"sha256": _sha256(file), "size": file.stat().st_size}
    return out


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _owner(rel: str, components: Iterable[str]) -> str:
    top = rel.split("/", 1)[0]
    return f"component {top!r}" if top in components else f"the {top!r} part"


def verify_files(
    path: Path, saved: Mapping[str, Any], components: Iterable[str], exclude: set[str]
) -> None:
    """Check every file meta.json records (size, then sha256) and that the folders read
    back (``vocab``, ``tokenizer`` and each of ``components``) hold no file it does not
    record. Parts in ``exclude`` are not read, so not checked. A pipeline saved before
    files were recorded loads with a warning."""
    meta_path = path / META_FILE
    files = saved.get(FILES_KEY)
    if files is None:
        warnings.warn(
            f"{meta_path} records no file hashes (saved by an older treadle): its files "
            "cannot be checked for damage. Save it again to add them.",
            TreadleWarning,
            stacklevel=4,
        )
        return
    if not isinstance(files, dict):
        raise SerializationError(f"{meta_path}: {FILES_KEY!r} is not a map of files")
    components = set(components)
    for rel, entry in files.items():
        parts = rel.split("/") if isinstance(rel, str) else []
        if (
            not parts
            or any(p in ("", ".", "..") for p in parts)
            or "\\" in rel
            or not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("size"), int)
        ):
            raise SerializationError(f"{meta_path}: bad {FILES_KEY!r} entry {rel!r}: {entry!r}")
        if parts[0] in exclude:
            continue
        file = path / rel
        where = f"{path}: {_owner(rel, components)}: {rel}"
        if not file.is_file():
            raise SerializationError(f"{where} is missing (meta.json records it)")
        size = file.stat().st_size
        if size != entry["size"]:
            raise SerializationError(
                f"{where} is damaged: {size} bytes, meta.json records {entry['size']}"
            )
        if _sha256(file) != entry["sha256"]:
            raise SerializationError(f"{where} is damaged: its sha256 differs from meta.json's")
    # A file nobody wrote, inside a folder that is read back (a part kept as a whole
    # folder reads every file in it), would change what loads.
    for top in ("vocab", "tokenizer", *components):
        folder = path / top
        if top in exclude or not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*")):
            rel = file.relative_to(path).as_posix()
            if file.is_file() and rel not in files:
                raise SerializationError(
                    f"{path}: {_owner(rel, components)}: {rel} was not written by to_disk "
                    "(meta.json does not record it)"
                )


def from_disk(nlp: Language, path: str | Path, *, exclude: Iterable[str] = ()) -> Language:
    """Read back what ``to_disk`` saved into this ``nlp`` (built from the same
    config, e.g. by ``treadle.load``)."""
    exclude = set(exclude)
    path = ensure_path(path)
    saved = read_saved_meta(path)
    verify_files(path, saved, nlp.component_names, exclude)
    return read_parts(nlp, path, saved, exclude)


def read_saved_meta(path: Path) -> dict[str, Any]:
    """The meta.json of the pipeline saved in ``path``, checked to be an object."""
    check_pipeline_dir(path)
    meta_path = path / META_FILE
    if not meta_path.exists():
        raise SerializationError(f"{path}: {META_FILE} is missing (nlp.to_disk writes it)")
    saved = read_json(meta_path)
    if not isinstance(saved, dict):
        raise SerializationError(f"{meta_path}: expected a JSON object.")
    return saved


def read_parts(
    nlp: Language, path: Path, saved: Mapping[str, Any], exclude: set[str]
) -> Language:
    """Read the saved parts into ``nlp``; ``verify_files`` has checked them."""
    keep = {k: v for k, v in saved.items() if k not in DERIVED_META}
    nlp._meta.update(keep)
    if "vocab" not in exclude and (path / "vocab").exists():
        nlp.vocab.from_disk(path / "vocab")
    tok_from_disk = getattr(nlp.tokenizer, "from_disk", None)
    if (
        "tokenizer" not in exclude
        and tok_from_disk is not None
        and (path / "tokenizer").exists()
    ):
        tok_from_disk(path / "tokenizer", exclude=["vocab"])
    for name, proc in nlp.components:
        comp_from_disk = getattr(proc, "from_disk", None)
        if name in exclude or comp_from_disk is None:
            continue
        if not (path / name).exists():
            if getattr(proc, "to_disk", None) is not None:
                raise SerializationError(
                    f"{path}: no saved state for component {name!r} (expected a folder "
                    f"{path / name})."
                )
            continue
        comp_from_disk(path / name, exclude=["vocab"])
    return nlp


def to_bytes(nlp: Language, *, exclude: Iterable[str] = ()) -> bytes:
    """The same parts as ``to_disk``, as one msgpack message."""
    exclude = set(exclude)
    parts: dict[str, Any] = {
        "config": nlp.config.to_str(),
        "meta": nlp.meta,
    }
    if "vocab" not in exclude:
        parts["vocab"] = nlp.vocab.to_bytes()
    tok_to_bytes = getattr(nlp.tokenizer, "to_bytes", None)
    if "tokenizer" not in exclude and tok_to_bytes is not None:
        parts["tokenizer"] = tok_to_bytes(exclude=["vocab"])
    parts["components"] = {
        name: proc.to_bytes(exclude=["vocab"])
        for name, proc in nlp.components
        if name not in exclude and getattr(proc, "to_bytes", None) is not None
    }
    payload = msgpack.packb(parts, use_bin_type=True)
    # The digest makes damage (a truncated or altered copy) an error, as the files'
    # hashes do for a saved folder, instead of loading different weights.
    envelope = {BYTES_FORMAT: 1, "sha256": hashlib.sha256(payload).hexdigest(), "payload": payload}
    return msgpack.packb(envelope, use_bin_type=True)


BYTES_FORMAT = "treadle_pipeline"


def _unpack(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False)
    except Exception as err:  # msgpack raises several unrelated types
        raise SerializationError(f"Not a serialized pipeline: {err}") from None


def from_bytes(nlp: Language, data: bytes, *, exclude: Iterable[str] = ()) -> Language:
    """Read back what ``to_bytes`` wrote; a damaged copy fails before anything is read."""
    exclude = set(exclude)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SerializationError(f"Not a serialized pipeline: expected bytes, got {type(data).__name__}.")
    envelope = _unpack(bytes(data))
    if not isinstance(envelope, dict) or envelope.get(BYTES_FORMAT) != 1:
        raise SerializationError(
            "Not a serialized pipeline: nlp.to_bytes() of this treadle writes a checked "
            "envelope, and this data has none."
        )
    payload, digest = envelope.get("payload"), envelope.get("sha256")
    if not isinstance(payload, bytes) or not isinstance(digest, str):
        raise SerializationError("Not a serialized pipeline: the envelope has no payload or digest.")
    if hashlib.sha256(payload).hexdigest() != digest:
        raise SerializationError(
            "The serialized pipeline is damaged: its sha256 differs from the one recorded "
            "when it was written."
        )
    parts = _unpack(payload)
    if not isinstance(parts, dict) or "config" not in parts:
        raise SerializationError("Not a serialized pipeline (no config in the data).")
    nlp._meta.update(
        {k: v for k, v in parts.get("meta", {}).items() if k not in DERIVED_META}
    )
    if "vocab" not in exclude and "vocab" in parts:
        nlp.vocab.from_bytes(parts["vocab"])
    if "tokenizer" not in exclude and "tokenizer" in parts:
        nlp.tokenizer.from_bytes(parts["tokenizer"], exclude=["vocab"])
    comps = parts.get("components", {})
    for name, proc in nlp.components:
        if name in exclude or name not in comps:
            continue
        proc.from_bytes(comps[name], exclude=["vocab"])
    return nlp


# Pipeline packages (``treadle package``) declare ``name = "module:pipeline_path"`` in
# this entry point group; ``pipeline_path()`` returns the folder inside the package.
PIPELINE_ENTRY_POINTS = "treadle_pipelines"
# A name that could be a package, not a path: letters, digits, "_", "-" and ".".
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def installed_pipelines() -> dict[str, EntryPoint]:
    """The pipeline packages installed in this environment, by name."""
    return {ep.name: ep for ep in entry_points(group=PIPELINE_ENTRY_POINTS)}


def resolve_pipeline(name_or_path: str | Path) -> Path:
    """The folder to load: ``name_or_path`` itself if it exists (or looks like a path),
    else the folder of the installed pipeline package of that name."""
    path = ensure_path(name_or_path)
    if isinstance(name_or_path, Path) or path.exists():
        return path
    name = str(name_or_path)
    if not _PACKAGE_NAME.match(name) or name in (".", ".."):
        return path
    installed = installed_pipelines()
    found = installed.get(name) or installed.get(name.replace("-", "_"))
    if found is None:
        listed = ", ".join(sorted(installed)) or "none"
        raise SerializationError(
            f"Can't load a pipeline from {name!r}: no such folder, and no installed "
            f"pipeline package has that name (installed pipelines: {listed}). "
            "Build one with `treadle package` and pip install it."
        )
    try:
        target = found.load()
        folder = ensure_path(target() if callable(target) else target)
    except Exception as err:
        raise SerializationError(
            f"The pipeline package {name!r} is broken: its {PIPELINE_ENTRY_POINTS} entry "
            f"point {found.value!r} failed: {err}"
        ) from err
    check_pipeline_dir(folder)
    return folder


def check_pipeline_dir(path: Path) -> None:
    if not path.exists():
        raise SerializationError(f"Can't load a pipeline from {path}: no such file or folder.")
    if not path.is_dir():
        raise SerializationError(
            f"Can't load a pipeline from {path}: expected a folder saved by nlp.to_disk."
        )
    if not (path / CONFIG_FILE).exists():
        raise SerializationError(
            f"{path} is not a saved treadle pipeline: it has no {CONFIG_FILE}."
        )


def copy_component(
    nlp: Language,
    source: Language,
    source_name: str,
    name: str,
    config: Mapping[str, Any] | None,
) -> tuple[Any, dict[str, Any], FactoryMeta]:
    """Component ``source_name`` of ``source`` for ``nlp`` under ``name``, with its
    config and factory meta. On another vocab, a fresh component from the same
    settings gets the source's saved state, so its strings resolve in ``nlp``."""
    if not source.has_pipe(source_name):
        raise PipelineError(
            f"Can't source component {source_name!r} for {name!r}: the source pipeline "
            f"has only {', '.join(source.component_names) or '(no components)'}."
        )
    if config:
        raise PipelineError(
            f"Component {name!r} is sourced from another pipeline: its settings come "
            f"from there, so config=... can't be passed too."
        )
    source_comp = source.get_pipe(source_name)
    pipe_config = source.get_pipe_config(source_name)
    meta = source.get_pipe_meta(source_name)
    if source.vocab is not nlp.vocab:
        copy_strings(source.vocab, nlp.vocab)
    to_bytes = getattr(source_comp, "to_bytes", None)
    if source.vocab is nlp.vocab or to_bytes is None:
        return source_comp, pipe_config, meta
    settings = {k: v for k, v in pipe_config.items() if k != "factory"}
    component = nlp.create_pipe(pipe_config["factory"], name, config=settings, validate=False)
    from_bytes = getattr(component, "from_bytes", None)
    if from_bytes is None:
        return source_comp, pipe_config, meta
    from_bytes(to_bytes(exclude=["vocab"]), exclude=["vocab"])
    return component, pipe_config, meta


def copy_strings(src_vocab: Vocab, dst_vocab: Vocab) -> None:
    """Every string of ``src_vocab`` into ``dst_vocab`` (annotations hold hashes)."""
    for s in src_vocab.strings:
        dst_vocab.strings.add(s)
