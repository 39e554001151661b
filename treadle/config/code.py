"""``--code``: import the user's Python files so their registrations are available."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from treadle.errors import ConfigError


def split_code_paths(values: Iterable[str | os.PathLike[str]] | str | None) -> list[Path]:
    """``["a.py,b.py", "c.py"]`` -> three paths (``--code`` is repeatable and comma-separated)."""
    if values is None:
        return []
    if isinstance(values, (str, os.PathLike)):
        values = [values]
    paths: list[Path] = []
    for value in values:
        for part in str(value).split(","):
            if part.strip():
                paths.append(Path(part.strip()))
    return paths


def import_code(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None,
) -> list[ModuleType]:
    """Import each Python file under a unique module name; errors name the file."""
    modules: list[ModuleType] = []
    for path in split_code_paths(paths):  # type: ignore[arg-type]
        if not path.exists():
            raise ConfigError(f"Can't find the --code file {path}")
        if path.is_dir() or path.suffix != ".py":
            raise ConfigError(f"--code expects a Python file (.py), got {path}")
        resolved = path.resolve()
        digest = hashlib.blake2b(str(resolved).encode("utf8"), digest_size=6).hexdigest()
        name = f"treadle_user_code_{path.stem}_{digest}"
        if name in sys.modules:
            modules.append(sys.modules[name])
            continue
        spec = importlib.util.spec_from_file_location(name, resolved)
        if spec is None or spec.loader is None:
            raise ConfigError(f"Can't import the --code file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            del sys.modules[name]
            raise ConfigError(
                f"Error while importing the --code file {path}: {type(err).__name__}: {err}"
            ) from err
        modules.append(module)
    return modules
