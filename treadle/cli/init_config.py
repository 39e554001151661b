"""``treadle init config``: write a complete starter config with recommended settings."""

from __future__ import annotations

from pathlib import Path

import typer

from treadle.cli._app import init_app
from treadle.cli._util import info, verbose_option
from treadle.errors import ConfigError
from treadle.util import atomic_write_text


@init_app.command("config")
def init_config(
    output: str = typer.Argument(..., help="Where to write the config ('-': stdout)."),
    lang: str = typer.Option("en", "--lang", "-l", help="Language code, e.g. en."),
    pipeline: str = typer.Option(
        "tagger", "--pipeline", "-p", help="Comma-separated components, e.g. tagger,textcat."
    ),
    optimize: str = typer.Option(
        "efficiency",
        "--optimize",
        "-o",
        help="efficiency (smaller, faster model) or accuracy (larger, slower model).",
    ),
    gpu: bool = typer.Option(False, "--gpu", "-G", help="Recommend settings for a GPU."),
    pretraining: bool = typer.Option(
        False, "--pretraining", "-pt", help="Include the [pretraining] block."
    ),
    force: bool = typer.Option(False, "--force", "-F", help="Overwrite an existing OUTPUT."),
    verbose: bool = verbose_option(),
) -> None:
    """Write a starter training config for LANG and PIPELINE to OUTPUT, with every
    setting filled in. Then set paths.train / paths.dev and run `treadle train`.
    """
    from treadle.training.templates import make_starter_config

    if output != "-" and Path(output).exists() and not force:
        raise ConfigError(f"{output} already exists; pass --force to overwrite it.")
    config, header = make_starter_config(
        lang, pipeline, optimize=optimize, gpu=gpu, pretraining=pretraining
    )
    text = header + config.to_str()
    if output == "-":
        typer.echo(text, nl=False)
        return

    atomic_write_text(Path(output), text)
    info(f"✔ Saved starter config to {output}")
    info(f"  Next: treadle train {output} --output ./output --paths.train TRAIN --paths.dev DEV")
