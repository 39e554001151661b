"""Helpers shared by the commands that read a config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from treadle.config import Config, import_code, load_config, parse_cli_overrides
from treadle.errors import ConfigError

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


def read_training_command(
    ctx: typer.Context,
    config_path: str,
    code: list[str],
    output: Path | None,
    *,
    resume: bool,
    overwrite: bool,
    verbose: bool,
) -> Config:
    """What ``train`` and ``ray train`` check before any work, then the user's config:
    ``--resume``/``--overwrite`` not both, an output folder that can be written and
    holds no previous run unless told, and the config with its overrides."""
    from treadle.training.checkpoint import check_output_folder

    if resume and overwrite:
        raise ConfigError("--resume continues the run in --output, --overwrite replaces it: pick one.")
    if output is not None:
        # Before the pipeline is built: a refusal should not wait for initialization.
        check_output_dir(output, "--output")
        check_output_folder(output, resume=resume, overwrite=overwrite)
    config, overrides = load_user_config(config_path, ctx.args, code)
    if verbose and overrides:
        info("Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()))
    return config


def default_config(*, pretraining: bool = False) -> Config:
    """treadle's default training config (uninterpolated), optionally with pretraining."""
    config = Config().from_disk(DEFAULT_CONFIG_PATH, interpolate=False)
    if pretraining:
        config = config.merge(
            Config().from_disk(DEFAULT_PRETRAINING_CONFIG_PATH, interpolate=False)
        )
    return config


def check_output_dir(path: str | Path, option: str) -> None:
    """Fail before any work if ``path`` can't become a writable folder: it, or a folder
    it would be created in, is a regular file, or the nearest existing folder is not
    writable. Training for an hour and then failing to save is the worst time to learn."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"is under {existing}, a file"
        raise ConfigError(f"{option} {path} {where}, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: can't write in {existing} (permission denied)")


def info(message: str) -> None:
    """A status line on stderr, so stdout stays a clean config for pipes."""
    typer.echo(message, err=True)


def require_gpu_option(gpu_id: int) -> None:
    """``--gpu-id N`` (N >= 0): run on CUDA device N, or fail naming the flag that works
    here. The library's own message suggests a Python call, which means nothing to
    someone at the command line."""
    if gpu_id < 0:
        return
    from treadle.ml import require_gpu
    from treadle.ml.device import DeviceError

    try:
        require_gpu(gpu_id)
    except DeviceError:
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            message = (
                f"--gpu-id {gpu_id}: no CUDA GPU is available on this machine. Run on the "
                "CPU with --gpu-id -1 (the default: leave the option out)."
            )
        else:
            message = (
                f"--gpu-id {gpu_id}: this machine has {count} CUDA GPU(s), so --gpu-id 0 "
                f"to {count - 1}; --gpu-id -1 runs on the CPU."
            )
        raise DeviceError(message) from None
