"""Turn a saved pipeline into an installable Python package (``treadle package``).

The package holds the pipeline folder as package data and declares it in the
``treadle_pipelines`` entry point group, so that once it is pip installed
``treadle.load("<name>")`` finds it by name. Building (wheel or sdist) calls setuptools'
PEP 517 hooks in a subprocess, with what is installed: no build isolation, no network.
"""

from __future__ import annotations

import importlib.util
import json
import keyword
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from treadle import __version__
from treadle.config import Config
from treadle.errors import DataError, MissingDependencyError
from treadle.serialization import (
    CONFIG_FILE,
    PIPELINE_ENTRY_POINTS,
    check_pipeline_dir,
    read_saved_meta,
)
from treadle.util import ensure_path

DATA_DIR = "pipeline"
BUILDS = ("wheel", "sdist")
# PEP 440 public versions, loosely: 1, 1.2, 1.2.3, 1.2.3rc1, 1.2.3.post1, 1.2.dev0.
_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
# The setuptools that builds wheels without the separate ``wheel`` package.
SETUPTOOLS = "setuptools>=70.1"


def package_name(meta: dict[str, Any], name: str | None = None) -> str:
    """``name``, or ``{lang}_{meta name}``, as an importable module name."""
    raw = name or f"{meta.get('lang', 'xx')}_{meta.get('name') or 'pipeline'}"
    module = re.sub(r"\W+", "_", raw.strip()).strip("_").lower()
    if not module or module[0].isdigit() or keyword.iskeyword(module):
        raise DataError(
            f"Can't make a Python package name from {raw!r}: use --name with letters, "
            "digits and underscores, not starting with a digit."
        )
    return module


def check_version(version: str, where: str) -> str:
    version = str(version).strip()
    if not _VERSION.match(version):
        raise DataError(f"{where}: {version!r} is not a package version (e.g. 1.0.0).")
    return version


def package(
    input_dir: str | Path,
    output_dir: str | Path,
    *,
    name: str | None = None,
    version: str | None = None,
    build: tuple[str, ...] = ("wheel",),
    force: bool = False,
) -> tuple[Path, list[Path]]:
    """Write the package for the pipeline in ``input_dir`` to
    ``output_dir/{name}-{version}/`` and build it; the package folder and the built
    files (in its ``dist/``)."""
    source = ensure_path(input_dir)
    check_pipeline_dir(source)
    meta = read_saved_meta(source)
    module = package_name(meta, name)
    where = "--version" if version else f"{source / 'meta.json'} version"
    version = check_version(version or meta.get("version") or "0.0.0", where)
    unknown = [b for b in build if b not in BUILDS]
    if unknown:
        raise DataError(f"--build: unknown {unknown[0]!r}; choose from {', '.join(BUILDS)}.")
    target = ensure_path(output_dir) / f"{module}-{version}"
    if target.exists():
        if not force:
            raise DataError(f"{target} exists already; use --force to replace it.")
        shutil.rmtree(target)
    write_package(source, target, module, version, meta)
    built = [build_package(target, kind) for kind in build]
    return target, built


def write_package(
    source: Path, target: Path, module: str, version: str, meta: dict[str, Any]
) -> None:
    code_dir = target / module
    shutil.copytree(source, code_dir / DATA_DIR)
    (code_dir / "__init__.py").write_text(_INIT.format(name=module), encoding="utf8")
    (target / "pyproject.toml").write_text(
        _pyproject(module, version, meta, _requirements(source)), encoding="utf8"
    )
    (target / "README.md").write_text(_readme(module, version, meta), encoding="utf8")
    # The sdist takes exactly the package data, not the build's leftovers.
    (target / "MANIFEST.in").write_text(
        f"graft {module}/{DATA_DIR}\ninclude README.md\n", encoding="utf8"
    )


def build_package(target: Path, kind: str) -> Path:
    """Build a wheel or sdist of the package in ``target`` into ``target/dist``."""
    if importlib.util.find_spec("setuptools") is None:
        raise MissingDependencyError(
            f"Building a pipeline package needs {SETUPTOOLS}: pip install setuptools"
        )
    dist = target / "dist"
    dist.mkdir(exist_ok=True)
    hook = "build_wheel" if kind == "wheel" else "build_sdist"
    script = (
        f"import sys\nfrom setuptools import build_meta\nprint(build_meta.{hook}(sys.argv[1]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(dist)],
        cwd=target,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise DataError(f"Building the {kind} of {target} failed:\n{tail}")
    # Build leftovers: only dist/ is the product.
    shutil.rmtree(target / "build", ignore_errors=True)
    for info in target.glob("*.egg-info"):
        shutil.rmtree(info, ignore_errors=True)
    return dist / done.stdout.strip().splitlines()[-1]


def _requirements(source: Path) -> list[str]:
    """treadle from this release series on, with the transformers extra when a
    component needs it."""
    major, minor, *_ = (int(p) if p.isdigit() else 0 for p in __version__.split("."))
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    extra = "[transformers]" if _uses_transformers(source) else ""
    return [f"treadle{extra}>={__version__},<{upper}"]


def _uses_transformers(source: Path) -> bool:
    cfg = Config().from_disk(source / CONFIG_FILE, interpolate=False)
    components = cfg.get("components", {})
    return any(
        isinstance(c, dict) and c.get("factory") == "transformer" for c in components.values()
    )


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _pyproject(module: str, version: str, meta: dict[str, Any], requires: list[str]) -> str:
    description = meta.get("description") or f"treadle pipeline {module}"
    deps = ", ".join(_toml_string(r) for r in requires)
    return f"""[build-system]
requires = [{_toml_string(SETUPTOOLS)}]
build-backend = "setuptools.build_meta"

[project]
name = {_toml_string(module)}
version = {_toml_string(version)}
description = {_toml_string(str(description))}
readme = "README.md"
requires-python = ">=3.10"
dependencies = [{deps}]

[project.entry-points.{PIPELINE_ENTRY_POINTS}]
{module} = "{module}:pipeline_path"

[tool.setuptools]
packages = [{_toml_string(module)}]
include-package-data = true

[tool.setuptools.package-data]
{module} = ["{DATA_DIR}/**/*"]
"""


def _readme(module: str, version: str, meta: dict[str, Any]) -> str:
    pipeline = ", ".join(meta.get("pipeline", [])) or "(tokenizer only)"
    return (
        f"# {module} {version}\n\n{meta.get('description') or ''}\n\n"
        f"A treadle pipeline (language {meta.get('lang')}; components: {pipeline}).\n\n"
        f"```python\nimport treadle\n\nnlp = treadle.load({module!r})\n```\n"
    )


_INIT = '''"""The treadle pipeline {name}, packaged by ``treadle package``."""

from pathlib import Path

PIPELINE_DIR = Path(__file__).parent / "pipeline"


def pipeline_path() -> Path:
    """The folder holding the saved pipeline (the treadle_pipelines entry point)."""
    return PIPELINE_DIR


def load(**kwargs):
    """The pipeline, built with ``treadle.load`` (same keyword arguments)."""
    import treadle

    return treadle.load(PIPELINE_DIR, **kwargs)
'''


__all__ = ["build_package", "package", "package_name", "write_package"]
