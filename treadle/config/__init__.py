"""Config files and function registries."""

import sys

from treadle.config.code import import_code
from treadle.config.config import Config
from treadle.config.overrides import parse_cli_overrides
from treadle.config.registry import Registries, Registry, registry
from treadle.errors import ConfigValidationError


def load_config(
    path: str,
    *,
    overrides: dict | None = None,
    interpolate: bool = False,
) -> Config:
    """Read a config file (``"-"`` reads stdin) with overrides applied.

    Uninterpolated by default, so a filled copy can be written back with its
    ``${...}`` references intact; call ``.interpolate()`` for the values.
    """
    if str(path) == "-":
        return Config().from_str(sys.stdin.read(), interpolate=interpolate, overrides=overrides)
    return Config().from_disk(path, interpolate=interpolate, overrides=overrides)


__all__ = [
    "Config",
    "Registries",
    "Registry",
    "registry",
    "ConfigValidationError",
    "parse_cli_overrides",
    "import_code",
    "load_config",
]
