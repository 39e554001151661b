"""Helpers shared by the commands that read a config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from treadle.config import Config, import_code, load_config, parse_cli_overrides

# Commands that take config overrides (--section.key value) as extra arguments.
OVERRIDES_CONTEXT: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}

DEFAULT_CONFIG_PATH = Path(__file__).parent.parent / "default_config.cfg"
DEFAULT_PRETRAINING_CONFIG_PATH = Path(__file__).parent.parent / "default_config_pretraining.cfg"


def code_option() -> Any:
    return typer.Option(
        [],
        "--code",
        "-c",
        help="Python file(s) to import before reading the config, for custom "
        "registered functions (repeatable, or comma-separated).",
    )


def verbose_option() -> Any:
    return typer.Option(False, "--verbose", help="Show tracebacks of errors.")


def load_user_config(
    path: str | Path, extra_args: list[str], code: list[str] | None
) -> tuple[Config, dict[str, Any]]:
    """Import ``--code``, parse overrides (CLI + environment), read the config.

    The config stays uninterpolated so a filled copy keeps its ``${...}`` references.
    """
    import_code(code or [])
    overrides = parse_cli_overrides(list(extra_args))
    return load_config(str(path), overrides=overrides), overrides


def default_config(*, pretraining: bool = False) -> Config:
    """treadle's default training config (uninterpolated), optionally with pretraining."""
    config = Config().from_disk(DEFAULT_CONFIG_PATH, interpolate=False)
    if pretraining:
        config = config.merge(
            Config().from_disk(DEFAULT_PRETRAINING_CONFIG_PATH, interpolate=False)
        )
    return config


def info(message: str) -> None:
    """A status line on stderr, so stdout stays a clean config for pipes."""
    typer.echo(message, err=True)
